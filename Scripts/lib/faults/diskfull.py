"""A full disk: the data directory on a small tmpfs, filled up by a file beside the vault. Uploads get 507
and the CLI's ingest exit 3 naming the full disk; nothing stored is lost; once the filler is deleted
(no unmount) the same upload resumes and the ingest succeeds."""
import hashlib
import http.client
import os
import shutil
import subprocess

from custody import Failure, Server, Vault
from docks import Upload
from work import FIXTURE

SIZE_MIB = 32


def run(binary, folder, rng):
    small = os.path.join(folder, "small")
    os.makedirs(small, exist_ok=True)
    if os.geteuid() != 0 or not shutil.which("mount"):
        return skipped("needs root to mount a small tmpfs")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SIZE_MIB}m", "tmpfs", small],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return skipped(f"mounting a tmpfs is not permitted here ({r.stderr.strip()})")
    try:
        return full_disk(binary, folder, small, rng)
    finally:
        subprocess.run(["umount", "-l", small], capture_output=True)


def skipped(why):
    print(f"faults: disk full SKIPPED: {why}", flush=True)
    return {"skipped": why}


def full_disk(binary, folder, small, rng):
    vault = Vault(binary, os.path.join(small, "data"))
    server = Server(vault, os.path.join(folder, "serve.log"))
    vault.init()
    token = vault.add_dock("dock-1")
    server.start()
    try:
        def upload(mib):
            path = os.path.join(folder, f"upload-{mib}.bin")
            with open(path, "wb") as f:
                f.write(rng.randbytes(mib << 20))
            return Upload(path, "dock-1", token, "tuspy", 1 << 20)

        before = upload(1)
        before.send(server.url, 0)
        vault.ok("ingest", FIXTURE, "--device", "BW2-1")
        if not before.completed:
            raise Failure(f"an upload before the disk filled failed: {before.error}")
        stored = {e["id"]: e["sha256"] for e in vault.exhibits().values()}

        # Fill the tmpfs but for 2 MiB, then ask for more than that.
        filler = os.path.join(small, "filler")
        free = os.statvfs(small).f_bavail * os.statvfs(small).f_frsize
        with open(filler, "wb") as f:
            f.write(b"\0" * (free - (2 << 20)))
        blocked = upload(6)
        blocked.send(server.url, 0)
        if blocked.completed or blocked.status != 507:
            raise Failure(f"an upload onto the full disk got {blocked.status}, not 507 ({blocked.error})")
        answered, acked = blocked.status, blocked.acked
        big = os.path.join(folder, "big.bin")
        with open(big, "wb") as f:
            f.write(rng.randbytes(6 << 20))
        r = vault.run("ingest", big, "--device", "BW2-1")
        if r.returncode != 3 or "disk is full" not in r.stderr:
            raise Failure(f"ingest onto the full disk exited {r.returncode}: {r.stderr.strip()}")
        health = get(server.port, "/healthz")
        if health != 200:
            raise Failure(f"/healthz answered {health} with the disk full")
        kept = {e["id"]: e["sha256"] for e in vault.exhibits().values()}
        if kept != stored:
            raise Failure(f"the catalog changed while the disk was full: {stored} -> {kept}")
        vault.assert_intact([])

        # Room again: the same upload resumes where HEAD says, the same ingest succeeds.
        os.unlink(filler)
        blocked.send(server.url, 0)
        if not blocked.completed:
            raise Failure(f"the upload did not resume once there was room: {blocked.status} {blocked.error}")
        vault.ok("ingest", big, "--device", "BW2-1")
        after = {e["sha256"] for e in vault.exhibits().values()}
        missing = ({blocked.sha256, sha256(big)} | set(stored.values())) - after
        if missing:
            raise Failure(f"after the disk had room again, exhibits are missing: {missing}")
        vault.assert_intact([])
        return {"upload answered": answered, "upload acknowledged before the 507": acked, "ingest exit": 3,
                "exhibits kept": len(stored), "resumed": True}
    finally:
        server.stop()


def get(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        c.request("GET", path)
        r = c.getresponse()
        r.read()
        return r.status
    finally:
        c.close()


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()
