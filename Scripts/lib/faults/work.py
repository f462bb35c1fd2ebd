"""What the fault tests ask of one vault, and the record of what custody acknowledged: every ingest that
printed success, every redaction, every bundle queued, every upload (docks.Upload keeps its own)."""
import json
import os
import re
from datetime import datetime, timezone

from custody import Failure
from docks import Upload

FIXTURE = os.path.join(os.path.dirname(__file__), "../../../Fixtures/bodycam-a.mp4")
INGESTED = re.compile(r"^(EX-\d{6,})\s+([0-9a-f]{64})\s")
CASE = "CASE/FAULTS"


def now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Workload:
    """Makes the files and commands of each round and remembers what custody said it did."""

    def __init__(self, vault, folder, rng):
        self.vault, self.folder, self.rng = vault, folder, rng
        self.files = 0
        self.docks = {}
        self.uploads = []
        self.ingested = {}    # exhibit ID -> SHA-256, for each ingest that printed success
        self.derived = {}     # exhibit ID -> SHA-256, for each redaction that printed success
        self.bundles = []     # bundle IDs queued
        self.backdated = []   # exhibit IDs captured long ago, for retention to delete
        self.source = None    # the recording redactions and bundles cut from
        self.finished_by_restart = 0  # uploads whose last bytes arrived but whose answer a kill cut off

    def setup(self, docks=3):
        os.makedirs(self.folder, exist_ok=True)
        self.vault.init()
        for i in range(1, docks + 1):
            self.docks[f"dock-{i}"] = self.vault.add_dock(f"dock-{i}")
        # Captured now, so retention keeps it (the fixture's own creation time is weeks old).
        out = self.vault.ok("ingest", FIXTURE, "--device", "BW2-000417", "--captured-at", now())
        self.source = INGESTED.match(out).group(1)
        self.vault.ok("case", "create", CASE)
        self.vault.ok("case", "add", CASE, self.source)

    def file(self, size, prefix="f"):
        """A new file of `size` random bytes (from the seeded generator)."""
        self.files += 1
        path = os.path.join(self.folder, f"{prefix}-{self.files:05d}.bin")
        with open(path, "wb") as f:
            f.write(self.rng.randbytes(size))
        return path

    def new_upload(self):
        dock = self.rng.choice(sorted(self.docks))
        kind = self.rng.choice(["tuspy", "tuspy", "stream"])
        chunk = self.rng.choice([256 << 10, 512 << 10, 1 << 20])
        up = Upload(self.file(self.rng.randint(256 << 10, 3 << 20), "upload"), dock, self.docks[dock], kind, chunk)
        self.uploads.append(up)
        return up

    def pending(self):
        return [u for u in self.uploads if not u.completed]

    def ingest_command(self, count):
        files = [self.file(self.rng.randint(128 << 10, 2 << 20)) for _ in range(count)]
        chunk = str(self.rng.choice([256 << 10, 1 << 20, 4 << 20]))
        return ["ingest", *files, "--device", "BW2-1", "--captured-at", now(), "--chunk-size", chunk]

    def spec(self):
        """A redaction spec of the source that differs from round to round (another clip and region)."""
        start = self.rng.randrange(0, 24) / 30
        spec = {"clip": [round(start, 4), round(start + 3, 4)],
                "blur": [{"from": round(start, 4), "to": round(start + 1, 4), "style": "blur",
                          "rect": [self.rng.randrange(0, 240), self.rng.randrange(0, 160), 64, 64]}]}
        path = os.path.join(self.folder, f"spec-{self.rng.getrandbits(32):08x}.json")
        with open(path, "w") as f:
            json.dump(spec, f)
        return path

    def redact_command(self):
        return ["redact", self.source, "--spec", self.spec(), "--reason", "fault test", "--json"]

    def queue_bundle(self):
        b = self.vault.json("bundle", "create", "--case", CASE, "--recipient", "clerk@court",
                            "--exhibit", f"{self.source}:{self.spec()}")
        self.bundles.append(b["id"])
        return b["id"]

    def add_backdated(self, count):
        """Ingests `count` recordings captured in 2020: due for deletion by the next retention run."""
        files = [self.file(self.rng.randint(64 << 10, 512 << 10), "old") for _ in range(count)]
        out = self.vault.ok("ingest", *files, "--device", "BW2-2", "--captured-at", "2020-01-01T00:00:00Z",
                            "--chunk-size", "65536")
        self.backdated += [m.group(1) for m in map(INGESTED.match, out.splitlines()) if m]

    def note_output(self, command, stdout):
        """Records what a command (finished or killed) printed as done."""
        if command[0] == "ingest":
            for m in map(INGESTED.match, stdout.splitlines()):
                if m:
                    self.ingested[m.group(1)] = m.group(2)
        elif command[0] == "redact" and stdout.strip():
            try:
                done = json.loads(stdout)
            except ValueError:
                raise Failure(f"redact printed something that is not its JSON: {stdout[:200]!r}") from None
            self.derived[done["id"]] = done["sha256"]
