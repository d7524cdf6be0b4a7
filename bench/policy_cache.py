"""Benchmark: start-up with and without the cache of parsed shipped policy files (issue 10).

Runs ``govscan policy list`` and ``govscan scan local -p linux-baseline`` (filesystem walks
included: that is what the local baseline does) in child processes under a private
``XDG_CACHE_HOME``: *cold* removes the parsed-policies cache before each run (the cache of
schema-valid documents stays warm, as before this cache existed), *warm* keeps it. Prints the median
of ``--repeat`` runs of wall time and of the child's CPU time (user + system), and the load average.
Not part of the test suite.

    python bench/policy_cache.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS = {
    "policy list": ["policy", "list"],
    "scan local -p linux-baseline": ["scan", "local", "-p", "linux-baseline", "-q", "--db", "{tmp}/b.db"],
}


def run(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "scanner", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=env)
    _, _, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    opts = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="govscan-pcache-") as tmp:
        env = {**os.environ, "XDG_CACHE_HOME": tmp, "GOVSCAN_DB": ""}
        env.pop("GOVSCAN_NO_CACHE", None)
        cache = Path(tmp) / "govscan" / "parsed-policies.json"
        print(f"load average before: {os.getloadavg()[0]:.2f}")
        for name, cmd in COMMANDS.items():
            args = [a.format(tmp=tmp) for a in cmd]
            run(args, env)  # bytecode, schema cache, page cache
            for mode in ("cold", "warm"):
                walls, cpus = [], []
                for _ in range(opts.repeat):
                    if mode == "cold":
                        cache.unlink(missing_ok=True)
                    wall, cpu = run(args, env)
                    walls.append(wall)
                    cpus.append(cpu)
                print(f"{name:30} {mode}: median wall {statistics.median(walls):.2f} s, "
                      f"CPU {statistics.median(cpus):.2f} s (best wall {min(walls):.2f} s)")
        print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
