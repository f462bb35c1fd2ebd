#!/usr/bin/env python3
"""Measures what idle and slow connections cost a running `custody serve`.

Usage: waiting.py PORT SERVER_PID TOKEN UPLOAD_FILE [COUNT]

Times /healthz (10 fresh connections) and one tus upload of UPLOAD_FILE (POST, then one PATCH)
first with no other client, then with COUNT (default 2000) connections open from 32 loopback
addresses (the per-peer cap allows 64 each): half send nothing, half trickle a request head that
never ends, one byte a second. Prints the server's resident memory before and after opening them.
"""
import http.client
import os
import resource
import socket
import sys
import threading
import time

port, pid, token, upload = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
count = int(sys.argv[5]) if len(sys.argv) > 5 else 2000
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if hard != resource.RLIM_INFINITY and hard < count + 1024:
    # Exit status 77 means "skipped" (as in automake); ServeCLITests reports it as a skip.
    print(f"needs {count + 1024} open descriptors; RLIMIT_NOFILE's hard limit is {hard}", file=sys.stderr)
    sys.exit(77)
resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, count + 1024), hard))


def rss_kib():
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def timed(call):
    start = time.monotonic()
    call()
    return time.monotonic() - start


def healthz():
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", "/healthz")
    r = c.getresponse()
    r.read()
    assert r.status == 200, f"/healthz answered {r.status}"
    c.close()


def tus_upload():
    size = os.path.getsize(upload)
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    auth = {"Tus-Resumable": "1.0.0", "Authorization": f"Bearer {token}"}
    c.request("POST", "/files/", headers={**auth, "Upload-Length": str(size)})
    r = c.getresponse()
    r.read()
    assert r.status == 201, f"POST answered {r.status}"
    with open(upload, "rb") as body:
        c.request("PATCH", r.getheader("Location"), body=body, headers={
            **auth, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream",
            "Content-Length": str(size)})
        r = c.getresponse()
        r.read()
    assert r.status == 204, f"PATCH answered {r.status}"
    c.close()


def report(label):
    checks = sorted(timed(healthz) for _ in range(10))
    up = timed(tus_upload)
    print(f"{label}: /healthz median {checks[4] * 1000:.1f} ms, max {checks[-1] * 1000:.1f} ms; "
          f"upload of {os.path.getsize(upload) >> 20} MiB {up:.2f} s")


report("no other client")
before = rss_kib()
opening = time.monotonic()
clients, trickling = [], []
for i in range(count):
    s = socket.socket()
    s.bind((f"127.0.0.{2 + i % 32}", 0))
    s.connect(("127.0.0.1", port))
    clients.append(s)
    if i % 2:
        trickling.append(s)
opening = time.monotonic() - opening
head = b"GET /never HTTP/1.1\r\nHost: h\r\nX-Slow: " + b"a" * 200
stop = threading.Event()


def trickle():
    for byte in head:
        if stop.is_set():
            return
        for s in trickling:
            try:
                s.send(bytes([byte]))
            except OSError:
                pass  # cut off by the header timeout (10 s) on a slow run: the 408 is the point
        time.sleep(1)


threading.Thread(target=trickle, daemon=True).start()
time.sleep(3)
after = rss_kib()
print(f"server resident memory: {before} KiB before, {after} KiB with {count} connections open "
      f"({(after - before) * 1024 // count} bytes each; opened in {opening:.2f} s)")
report(f"{count} idle and trickling connections open")
stop.set()
for s in clients:
    s.close()
