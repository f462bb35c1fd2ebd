#!/usr/bin/env python3
"""Runs a command and prints `<wall seconds> <peak RSS KiB>` of that command alone (wait4 rusage).

Usage: measure.py CMD [ARG...]   (the command's stdout/stderr go to /dev/null; exit status is passed on)

The child is made with fork(), not vfork/posix_spawn: Linux records the peak RSS of the address space
a process leaves at exec(), which for a vfork child is its parent's, so a spawn from a big process
(a test runner) would report the parent's memory instead of the command's.
"""
import os
import sys
import time

start = time.monotonic()
pid = os.fork()
if pid == 0:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    try:
        os.execvp(sys.argv[1], sys.argv[1:])
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
elapsed = time.monotonic() - start
print(f"{elapsed:.3f} {usage.ru_maxrss}")
sys.exit(os.waitstatus_to_exitcode(status))
