"""Fault tests of the built `custody` binary (issue 16, "Must hold: Faults"); see Scripts/faults."""
import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
import traceback

import diskfull
import flipped
from custody import Failure
from kills import Campaign

KILLS_PER_VAULT = 50  # the long mode starts a fresh vault after so many kills, to keep verify's time flat


def arguments():
    p = argparse.ArgumentParser(prog="Scripts/faults", description=__doc__)
    p.add_argument("--long", action="store_true", help="500 kills (default 20)")
    p.add_argument("--kills", type=int, help="how many SIGKILLs to land")
    p.add_argument("--seed", type=int, help="the random seed (printed; the same seed makes the same choices)")
    p.add_argument("--binary", help="the custody binary (default .build/debug/custody)")
    p.add_argument("--only", choices=["kills", "disk", "flip"], action="append", help="run only this part")
    p.add_argument("--keep", action="store_true", help="keep the work folder even when everything passes")
    return p.parse_args()


def main():
    args = arguments()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 32)
    kills = args.kills or (500 if args.long else 20)
    binary = os.path.abspath(args.binary or ".build/debug/custody")
    parts = args.only or ["kills", "disk", "flip"]
    root = tempfile.mkdtemp(prefix="custody-faults-")
    print(f"faults: seed {seed} (again with --seed {seed}), {binary}, work folder {root}", flush=True)
    started = time.monotonic()
    failures, report = [], {}

    def part(name, run):
        t = time.monotonic()
        try:
            report[name] = run()
        except Failure as e:
            failures.append(f"{name}: {e}")
            report[name] = {"failed": str(e)}
        except Exception:
            failures.append(f"{name}: {traceback.format_exc()}")
            report[name] = {"failed": "crashed (traceback below)"}
        report[name]["seconds"] = round(time.monotonic() - t, 1)
        print(f"faults: {name}: {'FAILED' if 'failed' in report[name] else 'ok'} "
              f"({report[name]['seconds']} s)", flush=True)

    if "kills" in parts:
        part("kills", lambda: kill_campaigns(binary, root, random.Random(seed), kills, args.keep))
    if "disk" in parts:
        part("disk full", lambda: diskfull.run(binary, os.path.join(root, "disk"), random.Random(seed)))
    if "flip" in parts:
        part("flipped byte", lambda: flipped.run(binary, os.path.join(root, "flip"), random.Random(seed)))

    print(json.dumps(report, indent=2))
    print(f"faults: {time.monotonic() - started:.0f} s, seed {seed}")
    if failures:
        for f in failures:
            print(f"FAILED {f}", file=sys.stderr)
        print(f"faults: the work folder is kept: {root}", file=sys.stderr)
        return 1
    if args.keep:
        print(f"faults: the work folder is kept: {root}")
    else:
        shutil.rmtree(root, ignore_errors=True)
    return 0


def kill_campaigns(binary, root, rng, kills, keep):
    """`kills` SIGKILLs over as many vaults as it takes at KILLS_PER_VAULT each; stops at the first failure."""
    total, vaults = {}, 0
    while kills > 0:
        vaults += 1
        folder = os.path.join(root, f"kills-{vaults}")
        campaign = Campaign(binary, folder, rng, print)
        try:
            campaign.setup()
            campaign.run(min(kills, KILLS_PER_VAULT))
        except Failure as e:
            campaign.server.kill()
            raise Failure(f"{e}\n  after {campaign.summary()}\n  vault kept: {campaign.vault.data}") from None
        for key, value in campaign.summary().items():
            if isinstance(value, dict):
                for k, v in value.items():
                    total.setdefault(key, {})[k] = total.get(key, {}).get(k, 0) + v
            else:
                total[key] = total.get(key, 0) + value
        kills -= KILLS_PER_VAULT
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)
        print(f"faults: vault {vaults}: {sum(campaign.kills.values())} kills, all checks passed", flush=True)
    total["vaults"] = vaults
    return total


if __name__ == "__main__":
    sys.exit(main())
