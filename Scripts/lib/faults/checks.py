"""What must hold after every kill: nothing acknowledged lost, the vault and its ledger intact."""
import hashlib
import http.client
import os
import time
from urllib.parse import urlsplit

from custody import Failure


def check_acknowledged(work, server):
    """Every upload, ingest and redaction custody acknowledged is there with its SHA-256; an upload
    not finished can resume from at least its acknowledged offset; no bundle queued is lost."""
    for up in work.uploads:
        if up.id is None or up.completed:
            continue
        status, offset, exhibit = up.head(server.url)
        if status != 200 or offset is None:
            raise Failure(f"HEAD of {up} answered {status} (acknowledged offset {up.acked})")
        if offset < up.acked:
            raise Failure(f"{up}: HEAD gives offset {offset}, below the acknowledged {up.acked}")
        if offset > up.length:
            raise Failure(f"{up}: HEAD gives offset {offset}, beyond its length {up.length}")
        if offset == up.length:  # its last bytes had arrived: the restart (or this HEAD) ingests it
            up.completed, up.exhibit = True, exhibit or up.await_ingest(server.url)
            work.finished_by_restart += 1
    listed = work.vault.exhibits()

    def present(what, exhibit, sha256):
        if exhibit is None:
            exhibit = next((i for i, e in listed.items() if e["sha256"] == sha256), None)
        if exhibit not in listed:
            raise Failure(f"{what} was acknowledged as {exhibit}, which is not in the catalog")
        if listed[exhibit]["sha256"] != sha256:
            raise Failure(f"{what}: {exhibit} has SHA-256 {listed[exhibit]['sha256']}, not {sha256}")

    for up in work.uploads:
        if up.completed:
            present(repr(up), up.exhibit, up.sha256)
    for exhibit, sha256 in {**work.ingested, **work.derived}.items():
        present(f"ingest or redaction {exhibit}", exhibit, sha256)
    states = {b["id"]: b["state"] for b in work.vault.json("bundle", "list")}
    for bundle in work.bundles:
        if states.get(bundle) not in ("queued", "running", "done", "failed"):
            raise Failure(f"bundle {bundle} is {'in state ' + repr(states[bundle]) if bundle in states else 'gone'}")
    for exhibit in work.backdated:
        if exhibit not in listed:
            r = work.vault.run("show", exhibit)
            if "deleted by retention" not in r.stderr:
                raise Failure(f"{exhibit} is neither listed nor deleted by retention: {r.stderr.strip()}")


def finish_uploads(work, server):
    """Sends what is left of every unfinished upload, with no kill, and checks each completes."""
    for up in work.pending():
        up.send(server.url, 0)
        if up.failure:
            raise up.failure
        if not up.completed and up.error is None:
            up.await_ingest(server.url)
        if not up.completed:
            raise Failure(f"{up} could not be finished after the last kill: {up.error}")


def finish_bundles(work, server, timeout=300):
    """Waits for every bundle job; each one built passes `bundle verify` and its link serves the ZIP
    whose SHA-256 was recorded. A job given up after kills (each attempt cut short) is counted."""
    deadline = time.monotonic() + timeout
    given_up = 0
    for bundle in work.bundles:
        while True:
            shown = work.vault.json("bundle", "show", bundle)
            if shown["state"] in ("done", "failed"):
                break
            if time.monotonic() > deadline:
                raise Failure(f"bundle {bundle} is still {shown['state']} after {timeout} s")
            time.sleep(0.5)
        if shown["state"] == "failed":
            if "lease" not in (shown.get("error") or ""):
                raise Failure(f"bundle {bundle} failed: {shown.get('error')}")
            given_up += 1
            continue
        zip_path = os.path.join(work.vault.data, "bundles", f"{bundle}.zip")
        r = work.vault.run("bundle", "verify", zip_path)
        if r.returncode != 0:
            raise Failure(f"bundle verify {bundle} exited {r.returncode}: {r.stdout}{r.stderr}")
        got = download(server.port, zip_link(shown))
        if got != shown["sha256"]:
            raise Failure(f"the link of {bundle} served bytes of SHA-256 {got}, not {shown['sha256']}")
    return given_up


def zip_link(shown):
    """The path and query of a built bundle's ZIP, from its link (the landing page's)."""
    link = urlsplit(shown["link"])
    return f"{link.path}/{shown['id']}.zip?{link.query}"


def download(port, path):
    """GETs `path`; returns the body's SHA-256, or raises naming the status."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        c.request("GET", path)
        r = c.getresponse()
        digest = hashlib.sha256()
        while piece := r.read(1 << 20):
            digest.update(piece)
        if r.status != 200:
            raise Failure(f"GET {path.split('?')[0]} answered {r.status}")
        return digest.hexdigest()
    finally:
        c.close()
