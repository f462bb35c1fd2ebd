#!/usr/bin/env python3
"""Runs several client commands at once and prints `<wall seconds> <CPU seconds of the clients>`.

Usage: clients.py FILE   (one command a line, split like a shell would, no shell run; their
stdout/stderr go to /dev/null). Wall time runs from starting the first to the last one's exit; the
CPU seconds are the user + system time of all of them (wait4 rusage). Exits 1 if any failed.
"""
import os
import shlex
import sys
import time

with open(sys.argv[1]) as f:
    commands = [shlex.split(line) for line in f if line.strip()]

devnull = os.open(os.devnull, os.O_WRONLY)
start = time.monotonic()
pids = []
for argv in commands:
    pid = os.fork()
    if pid == 0:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    pids.append(pid)
cpu = 0.0
failed = 0
for pid in pids:
    _, status, usage = os.wait4(pid, 0)
    cpu += usage.ru_utime + usage.ru_stime
    failed += os.waitstatus_to_exitcode(status) != 0
elapsed = time.monotonic() - start
print(f"{elapsed:.3f} {cpu:.2f}")
sys.exit(1 if failed else 0)
