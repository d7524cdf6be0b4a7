"""Benchmark: host scans over SSH on loopback (prints figures; not part of the test suite).

1. A full Linux baseline on one host over SSH: wall time and peak memory of ``govscan scan``, with
   the time split into connect + authenticate, the fact script, and the rest (policy, evaluation,
   store). Goal: under 1 s without filesystem walks.
2. Hosts per second at ``--jobs 1, 4, 16`` over several sshd fixtures (one scan per setting).

The hosts are real sshd servers on 127.0.0.x started with the test fixtures (tests/host/sshd_fixture.py).
They log in as an unprivileged user and run the script through ``sudo -n`` (a private /etc/sudoers in
the fixture's mount namespace), the way an audit account is set up; root's own shell start-up files
(``.bashrc``) would otherwise be part of the figure. Needs root (sshd, useradd, mount namespaces).

The machine is shared (other test runs, every sshd and fact script on the same CPUs), so next to
wall time the benchmark prints the govscan process's own CPU time, which contention inflates less.
When ``PYTHONDONTWRITEBYTECODE`` is set (as in some sandboxes), govscan would compile its own sources
on every run; the children get a private ``PYTHONPYCACHEPREFIX`` instead, so every run after the
first uses bytecode like an installed package does (said in the output).

Findings of ``host.listening`` are one per listening socket of this machine at collection time: all
fixtures share the machine's network namespace, so sockets other processes open and close (other
test servers) change that count between runs. The fleet section therefore also checks that every
other finding is identical across the three runs.

    python bench/host_ssh.py [--hosts 16] [--profile linux-baseline] [--repeat 3] [--no-fleet]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "host"))

import sshd_fixture as fx  # noqa: E402


CHILD_ENV = dict(os.environ)
if CHILD_ENV.pop("PYTHONDONTWRITEBYTECODE", None):
    CHILD_ENV["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="govscan-bench-pyc-")
LAST_CPU = [0.0]
"""CPU seconds (user + system) of the last govscan child."""


def run_govscan(args: list[str]) -> tuple[float, int, str]:
    """Run ``govscan`` in a child process; return wall seconds, its peak RSS in MiB, and stderr's tail."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(["govscan", *args], stdout=subprocess.DEVNULL, stderr=err, env=CHILD_ENV)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage (ru_maxrss in KiB)
        wall = time.perf_counter() - start
        LAST_CPU[0] = usage.ru_utime + usage.ru_stime
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read().decode(errors="replace")[-2000:]
    if proc.returncode not in (0, 1):
        raise SystemExit(f"govscan {' '.join(args)} exited {proc.returncode}:\n{tail}")
    return wall, usage.ru_maxrss // 1024, tail


def db_summary(db: Path) -> dict[str, int]:
    """Findings per status in the latest scan of ``db``."""
    from scanner.store import Store

    store = Store(str(db), create=False)
    try:
        counts: dict[str, int] = {}
        for row in store.view().findings():
            counts[row["status"]] = counts.get(row["status"], 0) + 1
        return counts
    finally:
        store.close()


def findings_set(db: Path) -> tuple[set[tuple[str, ...]], int]:
    """(target, control, resource, status) of every finding but host.listening ones, and their count."""
    from scanner.store import Store

    store = Store(str(db), create=False)
    try:
        rows, listening = set(), 0
        for r in store.view().findings():
            if r["resource_type"] == "host.listening":
                listening += 1
            else:
                rows.add((r["target_id"], r["control_id"], r["resource_id"], r["status"]))
        return rows, listening
    finally:
        store.close()


def unreachable(db: Path) -> list[str]:
    """Targets of the latest scan that could not be scanned (their ``error`` column is set)."""
    from scanner.store import Store

    store = Store(str(db), create=False)
    try:
        return [t["id"] for t in store.view().targets if t.get("error")]
    finally:
        store.close()


def start_hosts(n: int, key_pub: str) -> list[fx.SshdHost]:
    sudoers = f"root ALL=(ALL:ALL) ALL\n{fx.TEST_USER} ALL=(root) NOPASSWD: ALL\n"
    hosts = []
    for i in range(n):
        hosts.append(fx.start_sshd(f"bench{i}", f"127.0.0.{101 + i}", {fx.TEST_USER: [key_pub]}, "",
                                   {"/etc/sudoers": sudoers}))
    return hosts


def transport_breakdown(host: fx.SshdHost, key: Path, known: Path) -> tuple[float, float, int]:
    """Connect+auth seconds, fact-script seconds and output bytes for the full script, via the library."""
    from checks.host.provider import HostProvider
    from checks.host.script import DEFAULT_FILES, build_script, sections_for
    from checks.host.ssh import open_transport, parse_ssh_target
    from scanner.provider import CollectContext

    types = [k.name for k in HostProvider().kinds() if k.name != "host.filesystem"]
    # without the filesystem walk, as `govscan scan` runs it unless filesystem_walk is true (other types name it too)
    script, _ = build_script([s for s in sections_for(types) if s != "walk"], files=DEFAULT_FILES, walk_timeout=0)
    target = parse_ssh_target(host.spec(), {"key": str(key), "sudo": True})
    t0 = time.perf_counter()
    transport = open_transport(target, CollectContext(options={"known_hosts": str(known)}))
    t1 = time.perf_counter()
    result = transport.run_script(script, timeout=120)
    t2 = time.perf_counter()
    transport.close()
    return t1 - t0, t2 - t1, len(result.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=16, help="sshd fixtures for the --jobs figures")
    parser.add_argument("--profile", default="linux-baseline")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the single-host scan (best and median shown)")
    parser.add_argument("--no-fleet", action="store_true", help="only the single-host figure (section 1)")
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("bench/host_ssh.py needs root (sshd fixtures)")
    fx.ensure_test_user()
    work = Path(tempfile.mkdtemp(prefix="govscan-bench-ssh-"))
    keys = fx.make_root("bench-keys-")
    pub = fx.keygen(keys / "id_ed25519")
    hosts: list[fx.SshdHost] = []
    try:
        hosts = start_hosts(args.hosts, pub)
        known = keys / "known_hosts"
        known.write_text("".join(h.known_hosts_entry() for h in hosts))
        common = ["-p", args.profile, "--known-hosts", str(known), "--quiet", "--gate", "none"]
        inventory = work / "inventory.yaml"

        print(f"== 1. full baseline ({args.profile}) on one loopback host over SSH (sudo -n), best of {args.repeat}")
        connect, script, size = transport_breakdown(hosts[0], keys / "id_ed25519", known)
        print(f"   library: connect+auth {connect * 1000:.0f} ms, fact script {script * 1000:.0f} ms, {size} bytes of facts")
        walls, cpus = [], []
        if "PYTHONPYCACHEPREFIX" in CHILD_ENV:
            print("   (PYTHONDONTWRITEBYTECODE is set here: govscan runs with a private bytecode cache instead)")
        print(f"   load average {os.getloadavg()[0]:.1f} before the runs")
        for i in range(args.repeat):
            inventory.write_text(
                f"apiVersion: govscan/v1\nkind: Inventory\nvars: {{key: {keys / 'id_ed25519'}, sudo: true}}\n"
                f"targets:\n  - {hosts[0].spec()}\n"
            )
            db = work / f"one-{i}.db"
            wall, rss, _ = run_govscan(["scan", "-i", str(inventory), "--db", str(db), *common])
            walls.append(wall)
            cpus.append(LAST_CPU[0])
        counts = db_summary(db)
        print(f"   load average {os.getloadavg()[0]:.1f} after the runs")
        print(f"   govscan scan: wall {min(walls):.2f} s best, {sorted(walls)[len(walls) // 2]:.2f} s median "
              f"(runs: {', '.join(f'{w:.2f}' for w in walls)}), "
              f"govscan CPU {min(cpus):.2f} s, peak RSS {rss} MiB, findings {sum(counts.values())} {counts}")
        t0 = time.perf_counter()
        subprocess.run(["govscan", "--help"], capture_output=True, check=True, env=CHILD_ENV)
        print(f"   (govscan --help alone: {time.perf_counter() - t0:.2f} s: interpreter and CLI start-up)")

        if args.no_fleet:
            return
        print(f"\n== 2. hosts per second over {len(hosts)} sshd fixtures")
        inventory.write_text(
            f"apiVersion: govscan/v1\nkind: Inventory\nvars: {{key: {keys / 'id_ed25519'}, sudo: true}}\ntargets:\n"
            + "".join(f"  - {h.spec()}\n" for h in hosts)
        )
        base = None
        first: set[tuple[str, ...]] | None = None
        for jobs in (1, 4, 16):
            db = work / f"jobs{jobs}.db"
            wall, rss, _ = run_govscan(["scan", "-i", str(inventory), "--db", str(db), "--jobs", str(jobs), *common])
            counts = db_summary(db)
            rate = len(hosts) / wall
            base = base or rate
            failed = unreachable(db)
            rows, listening = findings_set(db)
            first = rows if first is None else first
            same = "same" if rows == first else f"DIFFERENT ({len(rows ^ first)} rows)"
            print(f"   --jobs {jobs:>2}: {wall:6.2f} s, {rate:5.2f} hosts/s ({rate / base:.1f}x jobs 1), "
                  f"govscan CPU {LAST_CPU[0]:.1f} s, peak RSS {rss} MiB, unreachable {len(failed)}, findings "
                  f"{sum(counts.values())} (host.listening {listening}; the other {len(rows)} {same} as --jobs 1)")
        print(f"\n   machine: {os.cpu_count()} CPUs; every sshd and every fact script runs on this same machine,")
        print("   so above ~2 jobs per core the hosts compete with each other for CPU.")
    finally:
        for h in hosts:
            h.stop()
            shutil.rmtree(h.root, ignore_errors=True)
        shutil.rmtree(keys, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(CHILD_ENV.get("PYTHONPYCACHEPREFIX", work), ignore_errors=True)


if __name__ == "__main__":
    main()
