"""kill -9 at random moments: the service while docks upload and a bundle job runs, or the CLI in the
middle of an ingest, a redaction or a retention run; after each kill, restart and check."""
import os
import signal
import threading
import time
from collections import Counter

from checks import check_acknowledged, finish_bundles, finish_uploads
from custody import Failure, Server, Vault
from work import Workload

PHASES = ("upload", "bundle", "ingest", "redact", "retention")


class Campaign:
    """One vault, one `custody serve`, and `kills` SIGKILLs, each followed by the checks."""

    def __init__(self, binary, folder, rng, say):
        self.folder, self.rng, self.say = folder, rng, say
        self.vault = Vault(binary, os.path.join(folder, "data"))
        self.server = Server(self.vault, os.path.join(folder, "serve.log"), ["--transfer-priority", "normal"])
        self.work = Workload(self.vault, os.path.join(folder, "files"), rng)
        self.kills = Counter()       # phase -> SIGKILLs sent to a running process
        self.moments = Counter()     # what was under way at each kill of the service
        self.missed = Counter()      # phase -> commands that finished before their kill came
        self.interrupted = set()     # uploads a kill cut short (each later resumed)
        self.estimate = {"upload": 1.5, "bundle": 0.4, "ingest": 0.6, "redact": 1.0, "retention": 0.4}
        self.first = None

    def setup(self):
        os.makedirs(self.folder, exist_ok=True)
        self.work.setup()
        self.server.start()
        self.first = self.vault.checkpoint(os.path.join(self.folder, "checkpoint-first.txt"))

    def run(self, kills):
        rounds = 0
        while sum(self.kills.values()) < kills:
            rounds += 1
            if rounds > kills * 4:
                raise Failure(f"only {sum(self.kills.values())} kills landed in {rounds} rounds")
            self.round(rounds, self.rng.choice(PHASES))
        finish_uploads(self.work, self.server)
        self.given_up = finish_bundles(self.work, self.server)
        check_acknowledged(self.work, self.server)
        self.vault.assert_intact([self.first])
        self.server.stop()

    def round(self, number, phase):
        kept = self.vault.checkpoint(os.path.join(self.folder, "checkpoint-before.txt"))
        if phase == "retention":
            self.work.add_backdated(self.rng.randint(2, 4))
        uploads = self.work.pending() + [self.work.new_upload() for _ in range(self.rng.randint(1, 3))]
        pace = self.rng.choice([0, 0.01, 0.05])
        docks = [threading.Thread(target=u.send, args=(self.server.url, pace), daemon=True) for u in uploads]
        started = time.monotonic()
        for t in docks:
            t.start()
        if phase in ("upload", "bundle"):
            beside = self.vault.start(*self.work.ingest_command(1))  # the CLI goes on while serve dies
            self.kill_server(phase, docks)
            self.settle(beside, ["ingest"], must_succeed=True)
        else:
            self.kill_command(phase)
        for t in docks:
            t.join(timeout=300)
            if t.is_alive():
                raise Failure(f"a dock hung for 300 s in round {number}")
        for u in uploads:
            if u.failure:
                raise u.failure
        self.interrupted |= {u.id for u in uploads if not u.completed}
        if self.server.running():  # the docks ran to their end: how long uploads take, for the next kill
            self.estimate["upload"] = 0.7 * self.estimate["upload"] + 0.3 * (time.monotonic() - started)
        worked = time.monotonic() - started
        if not self.server.running():
            self.server.start()
        check_acknowledged(self.work, self.server)
        self.vault.assert_intact([self.first, kept])
        self.say(f"  round {number}: {phase}, {self.last}; work {worked:.1f} s, "
                 f"restart and checks {time.monotonic() - started - worked:.1f} s", flush=True)

    def kill_server(self, phase, docks):
        """SIGKILLs serve at a random moment while docks upload (and, for `bundle`, while its job runs)."""
        bundle = self.work.queue_bundle() if phase == "bundle" else None
        deadline = time.monotonic() + 30
        while bundle and time.monotonic() < deadline and self.bundle_state(bundle) == "queued":
            time.sleep(0.05)  # a worker polls for jobs: the kill is aimed at the job once it runs
        time.sleep(self.rng.uniform(0, self.estimate[phase]))
        moment = f"{sum(t.is_alive() for t in docks)} uploads in flight"
        if bundle:
            shown = self.vault.json("bundle", "show", bundle)
            moment = f"bundle job {shown['state']}" + (f" ({shown['step']})" if shown.get("step") else "")
            # Aim the next kill within the job: sooner when it was already done.
            self.estimate[phase] *= 0.7 if shown["state"] == "done" else 1.1
        self.server.kill()
        self.moments[moment] += 1
        self.kills[phase] += 1
        self.last = f"serve killed, {moment}"

    def bundle_state(self, bundle):
        return self.vault.json("bundle", "show", bundle)["state"]

    def kill_command(self, phase):
        """Starts the phase's command and SIGKILLs it at a random moment, if it is still running."""
        command = {"ingest": lambda: self.work.ingest_command(self.rng.randint(1, 3)),
                   "redact": self.work.redact_command,
                   "retention": lambda: ["retention", "run", "--json"]}[phase]()
        process = self.vault.start(*command)
        started = time.monotonic()
        time.sleep(self.rng.uniform(0, self.estimate[phase]))
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            self.kills[phase] += 1
            self.estimate[phase] *= 1.05
            self.last = f"killed after {time.monotonic() - started:.2f} s"
        else:
            self.missed[phase] += 1
            self.last = f"finished first, in {time.monotonic() - started:.2f} s"
            self.estimate[phase] = 0.7 * self.estimate[phase] + 0.3 * (time.monotonic() - started)
        self.settle(process, command, must_succeed=False)

    def settle(self, process, command, must_succeed):
        """Waits for a command; records what it printed as done; one not killed must have succeeded."""
        out, _ = process.communicate(timeout=300)
        self.work.note_output(command, out)
        if process.returncode != 0 and (must_succeed or process.returncode != -signal.SIGKILL):
            raise Failure(f"`custody {' '.join(command[:2])} ...` exited {process.returncode} "
                          f"(stderr in {self.vault.data}.stderr)")

    def summary(self):
        uploads = [u for u in self.work.uploads if u.completed]
        return {"kills": dict(self.kills), "finished before the kill": dict(self.missed),
                "service killed while": dict(self.moments), "uploads completed": len(uploads),
                "uploads cut short and resumed": len(self.interrupted - {None}),
                "uploads whose answer a kill cut off (finished after the restart)": self.work.finished_by_restart,
                "ingests acknowledged": len(self.work.ingested), "redactions": len(self.work.derived),
                "bundles": len(self.work.bundles), "bundles given up after kills": getattr(self, "given_up", 0),
                "backdated exhibits": len(self.work.backdated)}
