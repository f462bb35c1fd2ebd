"""The built `custody` binary as the fault tests drive it: CLI runs against one data directory, and
`custody serve` started, killed with SIGKILL and started again on the same port."""
import json
import os
import signal
import subprocess
import time

SUPERVISOR = "SUP-1"


class Failure(Exception):
    """A broken promise: the message says what was expected and what was found."""


class Vault:
    """A data directory and the binary that owns it; every command acts as the first supervisor."""

    def __init__(self, binary, data):
        self.binary, self.data = binary, data
        self.env = dict(os.environ, CUSTODY_DATA=data, CUSTODY_ACTOR=SUPERVISOR)
        self.env.pop("CUSTODY_SERVER", None)
        self.env.pop("CUSTODY_TOKEN", None)

    def run(self, *args, timeout=300, env=None):
        """Runs one command to its end; returns the CompletedProcess (text)."""
        try:
            return subprocess.run([self.binary, *args], env=env or self.env, capture_output=True, text=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired as e:
            raise Failure(f"`custody {' '.join(args)}` did not finish within {timeout} s") from e

    def ok(self, *args, **kwargs):
        """Runs a command that must succeed; returns its stdout."""
        r = self.run(*args, **kwargs)
        if r.returncode != 0:
            raise Failure(f"`custody {' '.join(args)}` exited {r.returncode}: {(r.stderr or r.stdout).strip()}")
        return r.stdout

    def json(self, *args, **kwargs):
        return json.loads(self.ok(*args, "--json", **kwargs))

    def start(self, *args):
        """Starts a command and returns its Popen (stdout piped, stderr to a file beside the vault)."""
        err = open(self.data + ".stderr", "a")
        try:
            return subprocess.Popen([self.binary, *args], env=self.env, stdout=subprocess.PIPE, stderr=err,
                                    text=True)
        finally:
            err.close()

    def init(self, org="faults"):
        """Creates the vault; returns the supervisor's personal token."""
        return self.json("init", "--org", org)["token"]

    def add_dock(self, name):
        return self.ok("device", "add", name).strip()

    def exhibits(self):
        """Every listed (not deleted) exhibit by ID."""
        return {e["id"]: e for e in self.json("list")}

    def checkpoint(self, path):
        """Signs a checkpoint if the log grew and keeps the newest in `path`."""
        with open(path, "w") as f:
            f.write(self.ok("ledger", "checkpoint"))
        return path

    def assert_intact(self, checkpoints):
        """`verify` and `ledger verify` against each kept checkpoint pass; the oldest is proved extended."""
        r = self.run("verify")
        if r.returncode != 0:
            raise Failure(f"custody verify exited {r.returncode}:\n{r.stdout}{r.stderr}")
        kept = [a for c in checkpoints for a in ("--checkpoint", c)]
        r = self.run("ledger", "verify", *kept)
        if r.returncode != 0:
            raise Failure(f"custody ledger verify exited {r.returncode}:\n{r.stdout}{r.stderr}")
        if checkpoints:
            r = self.run("ledger", "consistency", checkpoints[0])
            if r.returncode != 0:
                raise Failure(f"the log no longer extends kept checkpoint {checkpoints[0]}:\n{r.stdout}{r.stderr}")


class Server:
    """`custody serve` over loopback; its log (JSON lines) is appended to `log`."""

    def __init__(self, vault, log, extra=()):
        self.vault, self.log, self.extra = vault, log, list(extra)
        self.port, self.process = 0, None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout=60):
        """Starts serve (on the port it had before, if any) and waits for its `listening` line."""
        start = os.path.getsize(self.log) if os.path.exists(self.log) else 0
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(
                [self.vault.binary, "serve", "--listen", f"127.0.0.1:{self.port}", "--data", self.vault.data,
                 *self.extra], env=self.vault.env, stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.log) as f:
                f.seek(start)
                for line in f:
                    try:
                        entry = json.loads(line)
                    except ValueError:
                        continue
                    if entry.get("msg") == "listening":
                        self.port = entry["port"]
                        return
            if self.process.poll() is not None:
                raise Failure(f"custody serve exited {self.process.returncode} at start (log: {self.log})")
            time.sleep(0.02)
        raise Failure(f"custody serve did not listen within {timeout} s (log: {self.log})")

    def running(self):
        return self.process is not None and self.process.poll() is None

    def kill(self):
        """SIGKILL, as a power cut would stop it."""
        if self.running():
            os.kill(self.process.pid, signal.SIGKILL)
        if self.process:
            self.process.wait()

    def stop(self):
        if self.running():
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()
