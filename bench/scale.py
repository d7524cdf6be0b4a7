"""Benchmark: scale-out executors on loopback (prints figures; not part of the test suite).

Over N sshd fixtures (real sshd on 127.0.0.x, the fact script through ``sudo -n``), the same inventory
is scanned with:

- ``--executor threads`` (collection in threads, evaluation in the coordinator),
- ``--executor processes`` (local processes collect and evaluate),
- a Dask cluster with mutual TLS and 1, 2 and 4 workers of 2 threads each, warmed up by one scan
  first (a fresh worker spends ~2 s importing paramiko and the provider on its first task).

For each: wall time, hosts per second, the coordinator's own CPU, the workers' CPU, and whether the
findings equal the thread pool's (``host.listening`` aside: every fixture shares this machine's
sockets). Then the per-task overhead of Dask against the thread pool (a one-control scan, where
collection and evaluation are nearly free), and a projection to 10,000 hosts and 300 AWS accounts
from the measured per-target costs.

Every sshd, fact script, worker and the coordinator share this machine's CPUs (2 here), so the
figures show the per-target costs and the overheads, not the speed-up a real cluster would give:
the projection does that arithmetic. Needs root (sshd fixtures).

    python bench/scale.py [--hosts 16] [--profile linux-baseline]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "host"))
sys.path.insert(0, str(ROOT / "tests" / "scale"))

import host_ssh  # noqa: E402
import sshd_fixture as fx  # noqa: E402
from tlsfiles import CA  # noqa: E402


class Cluster:
    """A TLS scheduler and ``workers`` workers of two threads on 127.0.0.1."""

    def __init__(self, folder: Path, workers: int):
        self.folder = folder
        self.ca = CA(folder)
        cert, key = self.ca.issue("scheduler")
        self.client_cert, self.client_key = self.ca.issue("client")
        sched_file = folder / "scheduler.json"
        tls = ["--tls-ca-file", str(self.ca.path)]
        self.procs = [subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
             "--protocol", "tls", "--dashboard-address", "127.0.0.1:0", "--scheduler-file", str(sched_file),
             *tls, "--tls-cert", str(cert), "--tls-key", str(key)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
        while not sched_file.exists() or not sched_file.read_text().strip():
            time.sleep(0.1)
        self.address = json.loads(sched_file.read_text())["address"]
        for i in range(workers):
            wcert, wkey = self.ca.issue(f"worker{i}")
            self.procs.append(subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_worker", self.address, "--nthreads", "2", "--no-nanny",
                 "--host", "127.0.0.1", "--dashboard-address", "127.0.0.1:0", *tls, "--tls-cert", str(wcert),
                 "--tls-key", str(wkey)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT,
                env={**host_ssh.CHILD_ENV, "PYTHONPATH": str(ROOT)}))
        from distributed import Client
        from distributed.security import Security

        with Client(self.address, security=self.security(Security), timeout=30, set_as_default=False) as c:
            c.wait_for_workers(workers, timeout=60)

    def security(self, cls):  # type: ignore[no-untyped-def]
        return cls(tls_ca_file=str(self.ca.path), tls_client_cert=str(self.client_cert),
                   tls_client_key=str(self.client_key), require_encryption=True)

    def args(self) -> list[str]:
        return ["--executor", self.address, "--tls-ca", str(self.ca.path), "--tls-cert", str(self.client_cert),
                "--tls-key", str(self.client_key)]

    def stop(self) -> float:
        """Stop every process; the workers' CPU seconds (user + system)."""
        cpu = 0.0
        for i, p in enumerate(reversed(self.procs)):
            p.send_signal(signal.SIGTERM)
            _, _, usage = os.wait4(p.pid, 0)
            if i < len(self.procs) - 1:  # workers only (the scheduler is the first started)
                cpu += usage.ru_utime + usage.ru_stime
        return cpu


def children_cpu() -> float:
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=16)
    parser.add_argument("--profile", default="linux-baseline")
    parser.add_argument("--json", help="also write the figures as JSON to this file")
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("bench/scale.py needs root (sshd fixtures)")
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise SystemExit("bench/scale.py needs the dask extra: pip install 'govscan[dask]'") from None
    fx.ensure_test_user()
    work = Path(tempfile.mkdtemp(prefix="govscan-bench-scale-"))
    keys = fx.make_root("bench-keys-")
    pub = fx.keygen(keys / "id_ed25519")
    hosts: list[fx.SshdHost] = []
    figures: dict[str, dict[str, float | int | str]] = {}
    try:
        hosts = host_ssh.start_hosts(args.hosts, pub)
        known = keys / "known_hosts"
        known.write_text("".join(h.known_hosts_entry() for h in hosts))
        inventory = work / "inventory.yaml"
        inventory.write_text(
            f"apiVersion: govscan/v1\nkind: Inventory\nvars: {{key: {keys / 'id_ed25519'}, sudo: true}}\ntargets:\n"
            + "".join(f"  - {h.spec()}\n" for h in hosts))
        common = ["-i", str(inventory), "--known-hosts", str(known), "--quiet", "--gate", "none"]

        def run(name: str, extra: list[str], controls: list[str], cluster: Cluster | None = None) -> None:
            db = work / f"{name}.db"
            if cluster:  # warm the workers (imports) with a one-control scan, not timed
                host_ssh.run_govscan(["scan", *common, "-c", "host-user-uid0-root-only", "--db",
                                      str(work / "warm.db"), *extra])
            wall, rss, _ = host_ssh.run_govscan(["scan", *common, *controls, "--db", str(db), *extra])
            coord = host_ssh.LAST_CPU[0]
            workers = cluster.stop() if cluster else 0.0
            rows, _ = host_ssh.findings_set(db)
            figures[name] = {"wall_s": round(wall, 2), "hosts_per_s": round(len(hosts) / wall, 2),
                             "coordinator_cpu_s": round(coord, 2), "worker_cpu_s": round(workers, 2),
                             "peak_rss_mib": rss, "findings": len(rows)}
            ref = reference.setdefault(controls[-1], rows)
            figures[name]["same_findings_as_threads"] = "yes" if rows == ref else f"NO ({len(rows ^ ref)} rows)"

        reference: dict[str, set[tuple[str, ...]]] = {}
        full = ["-p", args.profile]
        print(f"== scale-out over {len(hosts)} sshd fixtures, profile {args.profile} ({os.cpu_count()} CPUs here)")
        run("threads --jobs 4", ["--jobs", "4"], full)
        run("processes --jobs 2", ["--executor", "processes", "--jobs", "2"], full)
        run("processes --jobs 4", ["--executor", "processes", "--jobs", "4"], full)
        for n in (1, 2, 4):
            cluster = Cluster(work / f"cluster{n}", n)
            run(f"dask {n} worker{'s' if n > 1 else ''}", [*cluster.args(), "--jobs", "16"], full, cluster)
        one = ["-c", "host-user-uid0-root-only"]  # one cheap resource type: what is left is the per-task cost
        run("threads, 1 control", ["--jobs", "4"], one)
        cluster = Cluster(work / "cluster-overhead", 2)
        run("dask 2 workers, 1 control", [*cluster.args(), "--jobs", "16"], one, cluster)

        print(f"\n{'executor':<28}{'wall s':>8}{'hosts/s':>9}{'coord CPU s':>13}{'worker CPU s':>14}"
              f"{'RSS MiB':>9}  same findings")
        for name, f in figures.items():
            if name.startswith("_"):
                continue
            print(f"{name:<28}{f['wall_s']:>8}{f['hosts_per_s']:>9}{f['coordinator_cpu_s']:>13}"
                  f"{f['worker_cpu_s']:>14}{f['peak_rss_mib']:>9}  {f['same_findings_as_threads']}")

        n = len(hosts)
        thr, dsk = figures["threads, 1 control"], figures["dask 2 workers, 1 control"]
        overhead = (float(dsk["wall_s"]) - float(thr["wall_s"])) / n
        print(f"\nper-task overhead of Dask (TLS, 2 workers) over the thread pool: {overhead * 1000:.0f} ms per target "
              f"(one-control scan: {thr['wall_s']} s vs {dsk['wall_s']} s for {n} hosts)")

        d4 = figures["dask 4 workers"]
        coord_per_host = float(d4["coordinator_cpu_s"]) / n
        worker_per_host = float(d4["worker_cpu_s"]) / n
        threads_coord_per_host = float(figures["threads --jobs 4"]["coordinator_cpu_s"]) / n
        print(f"measured per host: coordinator CPU {coord_per_host * 1000:.0f} ms with workers evaluating "
              f"(vs {threads_coord_per_host * 1000:.0f} ms when the coordinator evaluates), worker CPU "
              f"{worker_per_host * 1000:.0f} ms (collection + evaluation; the fact script runs on the host)")
        print("\nprojection for 10,000 hosts (coordinator bound = hosts x coordinator CPU per host; workers bound ="
              " hosts x worker CPU / cores):")
        for cores in (8, 32, 128):
            t_workers = 10_000 * worker_per_host / cores
            t_coord = 10_000 * coord_per_host
            print(f"   {cores:>4} worker cores: {max(t_workers, t_coord) / 60:5.1f} min "
                  f"(workers {t_workers / 60:.1f} min, coordinator {t_coord / 60:.1f} min)")
        print(f"   thread pool on one coordinator: {10_000 * threads_coord_per_host / 60:.1f} min "
              f"(evaluation on one core)")
        print("projection for 300 AWS accounts: an account is API-latency bound (bench/aws_vs_prowler.py: "
              "~13 s for ~1,200 resources against moto); with 32 accounts in flight: "
              f"{300 / 32 * 13 / 60:.1f} min, before AWS API rate limits per account")
        if args.json:
            Path(args.json).write_text(json.dumps(figures, indent=2))
    finally:
        for h in hosts:
            h.stop()
            shutil.rmtree(h.root, ignore_errors=True)
        shutil.rmtree(keys, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
