#!/usr/bin/env python3
"""Drives one load run against a running `custody serve` and judges it (Scripts/load runs it).

Usage: load.py run --url URL --pid PID --tokens FILE --recordings DIR --bundle PATH?QUERY --seconds N
                   --out RESULT.json [--downloaders N] [--cafile PEM] [--label TEXT]
       load.py compare PLAIN.json TLS.json [--release]
       load.py log-errors SERVE.log

`run`: one dock per line of FILE (its token) uploads a recording of DIR (dock i the i-th file, in name
order, round robin) again and again while N downloaders fetch the court bundle's ZIP at PATH?QUERY
(its signed link), all for --seconds; the server's resident memory and open descriptors are sampled
every second. Prints throughput, latencies per request type, failures and the growth verdict, writes
them to RESULT.json; exits 1 when a request failed or memory or descriptors grew.
`compare`: TLS throughput as a ratio to plain HTTP. `log-errors`: the errors `custody serve` logged, counted
by message and error (its log holds no secret).
"""
import argparse
import asyncio
import hashlib
import json
import os
import resource
import ssl
import sys
import time
from collections import Counter

from load_traffic import Connection, Stats, dock, downloader

# Growth verdict (see README, "Load and soak"): the first WARMUP_FRACTION of the samples (at least
# WARMUP_MIN) are warm-up; of the rest, the last third's maximum may exceed the first third's by at most
# RSS_SLACK_FRACTION of it plus RSS_SLACK_MIB, and by at most one descriptor per client (what a client's
# request in flight holds: its connection's upload piece file or the bundle's ZIP).
WARMUP_FRACTION, WARMUP_MIN = 0.2, 3
RSS_SLACK_FRACTION, RSS_SLACK_MIB = 0.10, 16


def proc_sample(pid):
    """(resident KiB, open descriptors, CPU seconds) of process `pid` now."""
    with open(f"/proc/{pid}/status") as f:
        rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return rss, fds, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def sample_every_second(pid, start, samples, stop):
    while not stop.is_set():
        rss, fds, _ = proc_sample(pid)
        samples.append({"t": round(time.monotonic() - start, 2), "rss_kib": rss, "fds": fds})
        try:
            await asyncio.wait_for(stop.wait(), 1 - (time.monotonic() - start) % 1)
        except asyncio.TimeoutError:
            pass


def growth(samples, seconds, clients):
    """The verdict on memory and descriptors: first third against last third after warm-up, of the
    samples taken while the clients were starting requests (not while they finish the last ones)."""
    loaded = [s for s in samples if s["t"] <= seconds]
    rest = loaded[max(WARMUP_MIN, int(len(loaded) * WARMUP_FRACTION)):]
    if len(rest) < 3:
        return {"ok": False, "why": f"only {len(samples)} samples: run longer"}
    third = len(rest) // 3
    first, last = rest[:third], rest[-third:]
    rss0, rss1 = max(s["rss_kib"] for s in first) >> 10, max(s["rss_kib"] for s in last) >> 10
    fd0, fd1 = max(s["fds"] for s in first), max(s["fds"] for s in last)
    rss_limit = int(rss0 * (1 + RSS_SLACK_FRACTION) + RSS_SLACK_MIB)
    fd_limit = fd0 + clients
    return {"ok": rss1 <= rss_limit and fd1 <= fd_limit, "rss_mib": [rss0, rss1, rss_limit],
            "fds": [fd0, fd1, fd_limit], "window_samples": third}


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered) + 0.5)) - 1))]


def load_recordings(folder):
    recordings = []
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), "rb") as f:
            data = f.read()
        recordings.append((name, data, hashlib.sha256(data).hexdigest()))
    return recordings


async def fetch_bundle(url, context, path):
    """The whole ZIP once, checked against its ETag (its SHA-256): what every later answer must match."""
    conn = Connection(url, context)
    status, answer, body = await conn.request("GET", path, {})
    await conn.close()
    etag = answer.get("etag", "").strip('"')
    if status != 200 or hashlib.sha256(body).hexdigest() != etag:
        sys.exit(f"load: the bundle link answered {status}; ETag {etag!r} does not match its bytes")
    return body


async def run(args):
    with open(args.tokens) as f:
        tokens = [line.strip() for line in f if line.strip()]
    recordings = load_recordings(args.recordings)
    context = ssl.create_default_context(cafile=args.cafile) if args.url.startswith("https") else None
    bundle = await fetch_bundle(args.url, context, args.bundle)
    stats, samples, stop = Stats(), [], asyncio.Event()
    start = time.monotonic()
    deadline = start + args.seconds
    cpu0, server_cpu0 = own_cpu(), proc_sample(args.pid)[2]
    sampler = asyncio.create_task(sample_every_second(args.pid, start, samples, stop))
    clients = [dock(i, args.url, context, token, recordings[i % len(recordings)], deadline, stats)
               for i, token in enumerate(tokens)]
    clients += [downloader(i, args.url, context, args.bundle, bundle, deadline, stats)
                for i in range(args.downloaders)]
    await asyncio.gather(*clients)
    elapsed = time.monotonic() - start
    cpu, server_cpu = own_cpu() - cpu0, proc_sample(args.pid)[2] - server_cpu0
    stop.set()
    await sampler
    return {
        "label": args.label, "seconds": round(elapsed, 2), "docks": len(tokens), "downloaders": args.downloaders,
        "uploads": stats.uploads, "exhibits": len(stats.exhibits), "bundle_bytes": len(bundle),
        "up_mib_s": stats.bytes_up / 1048576 / elapsed, "down_mib_s": stats.bytes_down / 1048576 / elapsed,
        "up_mib": stats.bytes_up / 1048576, "down_mib": stats.bytes_down / 1048576,
        "latency_ms": {kind: {"count": len(v), "p50": percentile(v, 50) * 1000, "p99": percentile(v, 99) * 1000,
                              "max": max(v) * 1000} for kind, v in sorted(stats.latencies.items())},
        "failed": sum(stats.failures.values()), "failures": dict(stats.failures),
        "client_cpu_s": cpu, "server_cpu_s": server_cpu, "growth": growth(samples, args.seconds, len(clients)),
        "samples": samples,
    }


def report(r):
    e = r["seconds"]
    print(f"\n## {r['label']}: {r['docks']} docks and {r['downloaders']} downloaders for {e:.1f} s")
    print(f"up:   {r['up_mib']:.0f} MiB in {r['uploads']} uploads ({r['exhibits']} exhibits; the rest resent, "
          f"recorded as duplicates): {r['up_mib_s']:.1f} MiB/s")
    print(f"down: {r['down_mib']:.0f} MiB of a {r['bundle_bytes'] / 1048576:.1f} MiB bundle: "
          f"{r['down_mib_s']:.1f} MiB/s")
    print(f"| {'request':<22} | {'count':>6} | {'p50 ms':>8} | {'p99 ms':>8} | {'max ms':>8} |")
    for kind, l in r["latency_ms"].items():
        print(f"| {kind:<22} | {l['count']:>6} | {l['p50']:>8.1f} | {l['p99']:>8.1f} | {l['max']:>8.1f} |")
    print(f"failed requests: {r['failed']} (target 0)")
    for reason, n in sorted(r["failures"].items(), key=lambda item: -item[1])[:10]:
        print(f"  {n} x {reason}")
    g = r["growth"]
    if "why" in g:
        print(f"growth: cannot judge, {g['why']}")
    else:
        print(f"server RSS, max of the first and last third after warm-up: {g['rss_mib'][0]} -> {g['rss_mib'][1]} "
              f"MiB (limit {g['rss_mib'][2]}); open descriptors {g['fds'][0]} -> {g['fds'][1]} "
              f"(limit {g['fds'][2]}): {'flat' if g['ok'] else 'GREW'}")
    step = max(1, len(r["samples"]) // 10)
    print("server RSS MiB / open descriptors over time: " + ", ".join(
        f"{s['t']:.0f} s {s['rss_kib'] >> 10}/{s['fds']}" for s in r["samples"][::step]))
    print(f"CPU: server {r['server_cpu_s']:.1f} s ({r['server_cpu_s'] / e:.2f} cores), "
          f"client {r['client_cpu_s']:.1f} s ({r['client_cpu_s'] / e:.2f} cores, one Python thread)")


def compare(plain_path, tls_path, release):
    with open(plain_path) as f:
        plain = json.load(f)
    with open(tls_path) as f:
        tls = json.load(f)
    ratio = {k: tls[k] / plain[k] if plain[k] else 0 for k in ("up_mib_s", "down_mib_s")}
    total = (tls["up_mib_s"] + tls["down_mib_s"]) / max(plain["up_mib_s"] + plain["down_mib_s"], 1e-9)
    print(f"\nTLS / plain HTTP throughput: {total:.2f}x (up {ratio['up_mib_s']:.2f}x, down {ratio['down_mib_s']:.2f}x);"
          f" target >= 0.8x: " + (("met" if total >= 0.8 else "NOT met") if release
                                  else "not judged in a debug build (--release judges it)"))


def log_errors(path):
    with open(path) as f:
        lines = [json.loads(line) for line in f if '"level":"error"' in line]
    for what, n in Counter(f"{o.get('msg')}: {o.get('error', '')}" for o in lines).most_common():
        print(f"server log: {n} x {what}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run")
    for name in ("url", "tokens", "recordings", "bundle", "out"):
        r.add_argument(f"--{name}", required=True)
    r.add_argument("--pid", type=int, required=True)
    r.add_argument("--seconds", type=float, required=True)
    r.add_argument("--downloaders", type=int, default=4)
    r.add_argument("--cafile")
    r.add_argument("--label", default="load")
    c = sub.add_parser("compare")
    c.add_argument("plain")
    c.add_argument("tls")
    c.add_argument("--release", action="store_true")
    sub.add_parser("log-errors").add_argument("log")
    args = parser.parse_args()
    if args.command == "compare":
        compare(args.plain, args.tls, args.release)
        return 0
    if args.command == "log-errors":
        log_errors(args.log)
        return 0
    result = asyncio.run(run(args))
    with open(args.out, "w") as f:
        json.dump(result, f)
    report(result)
    return 1 if result["failed"] or not result["growth"]["ok"] else 0


if __name__ == "__main__":
    sys.exit(main())
