"""Docking stations uploading over tus, each remembering what the service acknowledged.

Two kinds of dock: `tuspy` sends a recording in chunks, one PATCH each (a 204 acknowledges the offset
it names); `stream` sends it as one slow PATCH while another connection asks HEAD for the offset (every
offset HEAD reports is acknowledged: the service promises those bytes are durable). A dock stops at the
first error (the service was killed) and resumes from HEAD once the service is back.
"""
import base64
import hashlib
import http.client
import threading
import time
from datetime import datetime, timezone

from tusclient import client as tus
from tusclient.exceptions import TusUploadFailed

from custody import Failure

TUS = {"Tus-Resumable": "1.0.0"}


class Upload:
    """One recording a dock uploads, and what the service has acknowledged of it."""

    def __init__(self, path, dock, token, kind, chunk_size):
        self.path, self.dock, self.token, self.kind, self.chunk_size = path, dock, token, kind, chunk_size
        with open(path, "rb") as f:
            data = f.read()
        self.length, self.sha256 = len(data), hashlib.sha256(data).hexdigest()
        self.id = None
        self.acked = 0          # the highest offset acknowledged (a PATCH's 204 or a HEAD)
        self.completed = False  # the last PATCH answered 204
        self.exhibit = None     # Custody-Exhibit of that answer (or of a later HEAD)
        self.error = None       # why the last attempt stopped, if it did
        self.status = None      # the status of the last PATCH answered
        self.failure = None     # a Failure met while sending
        self.lock = threading.Lock()

    def __repr__(self):
        return f"upload {self.id or '(not created)'} of {self.path} ({self.kind}, {self.dock})"

    def acknowledge(self, offset):
        with self.lock:
            self.acked = max(self.acked, offset)

    def headers(self):
        return {**TUS, "Authorization": f"Bearer {self.token}"}

    def metadata(self):
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {"filename": self.path.rsplit("/", 1)[-1], "device": self.dock.upper(), "officer": "SUP-1",
                "captured_at": now, "sha256": self.sha256}

    def head(self, base):
        """HEAD: (status, offset or None, Custody-Exhibit or None)."""
        c = http.client.HTTPConnection(base.split("//")[1].split(":")[0], int(base.rsplit(":", 1)[1]), timeout=60)
        try:
            c.request("HEAD", f"/files/{self.id}", headers=self.headers())
            r = c.getresponse()
            r.read()
            offset = r.getheader("Upload-Offset")
            return r.status, int(offset) if offset is not None else None, r.getheader("Custody-Exhibit")
        finally:
            c.close()

    def await_ingest(self, base, timeout=60):
        """For an upload whose last byte is stored but whose ingest a kill cut short: the restart ingests
        it in the background (HEAD says complete without `Custody-Exhibit` meanwhile). Returns the exhibit."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, offset, exhibit = self.head(base)
            if status != 200 or offset != self.length:
                raise Failure(f"HEAD of {self} answered {status}, offset {offset}, while its ingest was awaited")
            if exhibit:
                self.completed, self.exhibit = True, exhibit
                return exhibit
            time.sleep(0.1)
        raise Failure(f"{self} is complete but not ingested {timeout} s after the restart")

    def send(self, base, pace):
        """Uploads what is left, from HEAD's offset; returns when done or at the first error."""
        self.error = None
        try:
            if self.kind == "tuspy":
                self._send_tuspy(base, pace)
            else:
                self._send_stream(base, pace)
        except Failure as e:  # a broken promise, for the round to report (a dock runs on its own thread)
            self.failure = e
        except Exception as e:  # the service was killed under it: the checks after the restart judge
            self.error = f"{type(e).__name__}: {e}"

    def _send_tuspy(self, base, pace):
        c = tus.TusClient(base + "/files/", headers={"Authorization": f"Bearer {self.token}"})
        url = f"{base}/files/{self.id}" if self.id else None
        up = c.uploader(file_path=self.path, chunk_size=self.chunk_size, metadata=self.metadata(), url=url)
        if not self.id:
            up.set_url(up.create_url())
            self.id = up.url.rstrip("/").rsplit("/", 1)[-1]
            up.set_url(f"{base}/files/{self.id}")
            up.offset = 0
        while up.offset < self.length:
            try:
                up.upload_chunk()
            except TusUploadFailed as e:
                self.status = e.status_code
                raise
            self.status = up.request.status_code
            self.acknowledge(up.offset)
            if up.offset == self.length:
                self.exhibit = up.request.response_headers.get("custody-exhibit")
                self.completed = True
            time.sleep(pace)

    def _send_stream(self, base, pace):
        host, port = "127.0.0.1", int(base.rsplit(":", 1)[1])
        if not self.id:
            c = http.client.HTTPConnection(host, port, timeout=60)
            meta = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}"
                            for k, v in self.metadata().items())
            c.request("POST", "/files/", headers={**self.headers(), "Upload-Length": str(self.length),
                                                  "Upload-Metadata": meta})
            r = c.getresponse()
            r.read()
            if r.status != 201:
                raise Failure(f"POST /files/ answered {r.status} for {self}")
            self.id = r.getheader("Location").rstrip("/").rsplit("/", 1)[-1]
        status, offset, exhibit = self.head(base)
        if status != 200 or offset is None:
            raise Failure(f"HEAD of {self} answered {status} before the PATCH")
        done = threading.Event()
        poller = threading.Thread(target=self._poll, args=(base, done), daemon=True)
        c = http.client.HTTPConnection(host, port, timeout=60)
        try:
            c.putrequest("PATCH", f"/files/{self.id}", skip_accept_encoding=True)
            for k, v in {**self.headers(), "Upload-Offset": str(offset), "Content-Length": str(self.length - offset),
                         "Content-Type": "application/offset+octet-stream"}.items():
                c.putheader(k, v)
            c.endheaders()
            poller.start()
            with open(self.path, "rb") as f:
                f.seek(offset)
                while piece := f.read(32 << 10):
                    c.send(piece)
                    time.sleep(pace / 20)
            r = c.getresponse()
            r.read()
            self.status = r.status
            if r.status != 204:
                raise OSError(f"the PATCH answered {r.status}")
            self.acknowledge(int(r.getheader("Upload-Offset")))
            self.exhibit, self.completed = r.getheader("Custody-Exhibit"), True
        finally:
            done.set()
            c.close()
            if poller.is_alive():
                poller.join()

    def _poll(self, base, done):
        """While the PATCH is open: every offset HEAD reports is acknowledged."""
        while not done.wait(0.15):
            try:
                status, offset, _ = self.head(base)
            except OSError:
                return
            if status == 200 and offset is not None:
                self.acknowledge(offset)
