"""A flipped byte in a stored chunk: `custody verify` names the exhibit and the chunk and exits 1; an
export (local, or through the server's API) and a court bundle refuse to deliver it, so no wrong byte
leaves; a bundle built before the damage is still served whole; ingesting the genuine file repairs it."""
import hashlib
import os
import sqlite3
import time

from checks import download, zip_link
from custody import SUPERVISOR, Failure, Server, Vault
from work import INGESTED

CASE = "CASE/FLIP"


def run(binary, folder, rng):
    os.makedirs(folder, exist_ok=True)
    vault = Vault(binary, os.path.join(folder, "data"))
    server = Server(vault, os.path.join(folder, "serve.log"), ["--transfer-priority", "normal"])
    token = vault.init()
    server.start()
    try:
        return flip(vault, server, token, folder, rng)
    finally:
        server.stop()


def flip(vault, server, token, folder, rng):
    original = os.path.join(folder, "recording.bin")
    with open(original, "wb") as f:
        f.write(rng.randbytes(3 << 20))
    with open(original, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    exhibit = INGESTED.match(vault.ok("ingest", original, "--device", "BW2-1", "--chunk-size", str(1 << 20))).group(1)
    vault.ok("case", "create", CASE)
    vault.ok("case", "add", CASE, exhibit)
    before = built(vault, vault.json("bundle", "create", "--case", CASE, "--recipient", "clerk")["id"])

    # One byte of one chunk, flipped on disk (as a failing sector or an intruder would).
    with sqlite3.connect(f"file:{vault.data}/custody.sqlite?mode=ro", uri=True) as db:
        chunks = [c for (c,) in db.execute("SELECT chunk FROM exhibit_chunks WHERE exhibit = "
                                           "(SELECT num FROM exhibits WHERE id = ?) ORDER BY idx", (exhibit,))]
    index = rng.randrange(len(chunks))
    chunk = chunks[index]
    path = os.path.join(vault.data, "chunks", chunk[:2], chunk)
    offset = rng.randrange(os.path.getsize(path))
    fd = os.open(path, os.O_RDWR)
    try:
        byte = os.pread(fd, 1, offset)
        os.pwrite(fd, bytes([byte[0] ^ 0x20]), offset)
    finally:
        os.close(fd)

    r = vault.run("verify")
    if r.returncode != 1 or exhibit not in r.stdout or chunk not in r.stdout:
        raise Failure(f"verify after a flipped byte in chunk {index} exited {r.returncode} without naming "
                      f"{exhibit} and {chunk}:\n{r.stdout}{r.stderr}")
    out = os.path.join(folder, "export.bin")
    r = vault.run("export", exhibit, "--out", out, "--reason", "fault test")
    refused(r, out, chunk, "a local export")
    remote = {k: v for k, v in vault.env.items() if k not in ("CUSTODY_DATA", "CUSTODY_ACTOR")}
    remote.update(CUSTODY_SERVER=server.url, CUSTODY_TOKEN=token)
    r = vault.run("export", exhibit, "--out", out, "--reason", "fault test", env=remote)
    refused(r, out, None, "an export through the server's API")

    # A bundle asked for now is not built (its job fails naming the chunk); the one built before is
    # still served whole, its bytes those recorded when it was built.
    after = vault.json("bundle", "create", "--case", CASE, "--recipient", "clerk")["id"]
    shown = wait(vault, after, lambda b: b.get("error") or b["state"] in ("done", "failed"))
    if shown["state"] == "done" or chunk not in (shown.get("error") or ""):
        raise Failure(f"a bundle of the damaged exhibit: state {shown['state']}, error {shown.get('error')!r}")
    if shown.get("sha256") or shown.get("size"):
        raise Failure(f"a bundle of the damaged exhibit has a ZIP: {shown}")
    vault.ok("bundle", "revoke", after, "--reason", "the exhibit is damaged")
    served = download(server.port, zip_link(before))
    if served != before["sha256"]:
        raise Failure(f"the bundle built before the damage was served as {served}, not {before['sha256']}")

    # The genuine file, ingested again, puts the chunk back.
    vault.ok("ingest", original, "--device", "BW2-1", "--chunk-size", str(1 << 20))
    vault.assert_intact([])
    if vault.exhibits()[exhibit]["sha256"] != digest:
        raise Failure(f"{exhibit} changed its SHA-256 after the repair")
    return {"chunk": f"{index} of {len(chunks)}", "verify exit": 1, "export": "refused",
            "remote export": "refused", "bundle after the damage": "not built", "repaired by re-ingest": True}


def refused(r, out, chunk, what):
    """The command failed, said why (naming the chunk where given) and left no file."""
    if r.returncode == 0 or (chunk and chunk not in r.stderr):
        raise Failure(f"{what} of a damaged exhibit exited {r.returncode}: {r.stderr.strip()}")
    leftovers = [n for n in os.listdir(os.path.dirname(out)) if n.startswith(".") or n == os.path.basename(out)]
    if leftovers:
        raise Failure(f"{what} of a damaged exhibit left files behind: {leftovers}")


def built(vault, bundle):
    return wait(vault, bundle, lambda b: b["state"] == "done")


def wait(vault, bundle, done, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shown = vault.json("bundle", "show", bundle)
        if done(shown):
            return shown
        time.sleep(0.2)
    raise Failure(f"bundle {bundle} did not get there in {timeout} s: {shown}")

