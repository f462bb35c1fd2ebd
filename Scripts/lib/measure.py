#!/usr/bin/env python3
"""Runs a command and prints `<wall seconds> <peak RSS KiB>` of that command alone (wait4 rusage).

Usage: measure.py CMD [ARG...]   (the command's stdout/stderr go to /dev/null; exit status is passed on)
"""
import os
import subprocess
import sys
import time

start = time.monotonic()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, status, usage = os.wait4(proc.pid, 0)
elapsed = time.monotonic() - start
print(f"{elapsed:.3f} {usage.ru_maxrss}")
sys.exit(os.waitstatus_to_exitcode(status))
