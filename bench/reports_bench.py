"""Benchmark: store and report scale (DESIGN.md section 9; issue 14 "The store keeps up").

    python bench/reports_bench.py [--store-findings 1000000] [--report-findings 100000]
                                  [--formats html,oscal-ar,sarif] [--render-store] [--store-formats csv,sarif]
                                  [--compare-with DIR]
                                  [--json FILE]

Prints figures, asserts nothing. Every measurement runs in its own child process, so each peak RSS
(``wait4``) is that step's alone:

- store: N findings (evidence on each; 10 distinct evidence documents) through ``Store.add_findings``
  and sealed: wall time (generating the ``Finding`` objects included), CPU, peak RSS, database size;
- queries on that store: findings by status (``fail``) and by control, streamed and counted;
- reports: ``govscan report -f FORMAT -o FILE`` of a scan of M findings for each format: wall time,
  CPU, peak RSS, output size; with ``--render-store`` also of the N-finding store (every renderer
  streams: its peak must not grow with the scan);
- ``--compare-with DIR``: the store step also runs with the ``scanner`` package of DIR (an older
  checkout, e.g. ``git worktree add /tmp/old main``) in the same run, for a before/after figure.

The machine may be shared: CPU seconds are printed next to wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parent.parent
FORMATS = ("html", "csv", "sarif", "junit", "ocsf", "oscal-ar", "oscal-poam", "json")
STREAMING = FORMATS  # every renderer streams (OSCAL too, since the AR and POA&M are written as produced)


def _findings(n: int) -> Iterator[Any]:
    from scanner.model import Finding, Severity, Status

    controls = [(f"bench-control-{i:03d}", Severity(("critical", "high", "medium", "low", "info")[i % 5]))
                for i in range(60)]
    statuses = (Status.PASS, Status.PASS, Status.FAIL, Status.PASS, Status.ERROR, Status.NOTAPPLICABLE,
                Status.FAIL, Status.PASS, Status.WAIVED, Status.PASS)
    for i in range(n):
        cid, sev = controls[i % len(controls)]
        st = statuses[(i // len(controls)) % len(statuses)]
        rid = f"arn:aws:s3:::bucket-{i // len(controls):07d}"
        ev = {"observed": {"value": i % 10}, "checks": [{"key": "value", "op": "lt", "expected": 5,
                                                          "actual": i % 10, "missing": False, "ok": i % 10 < 5}],
              "expected": "value lt 5", "found": str(i % 10)}
        yield Finding(cid, "aws:123456789012", rid, "aws.s3.bucket", st, sev, f"{rid}: value={i % 10}",
                      ev, region="us-east-1", waiver_id="WVR-1" if st is Status.WAIVED else None)


def _build(db: str, n: int) -> dict[str, Any]:
    """Child: store ``n`` findings in a new scan of ``db``; returns its figures."""
    import resource

    import scanner
    from scanner.model import ScanStatus
    from scanner.store import Store, canonical

    store = Store(db)
    sid = store.begin_scan(profile="bench", profile_sha256="0" * 64, tool_version=scanner.__version__)
    store.add_rows("controls", [{
        "scan_id": sid, "id": f"bench-control-{i:03d}", "version": "1.0.0", "sha256": "0" * 64,
        "title": f"Bench control {i:03d}", "severity": ("critical", "high", "medium", "low", "info")[i % 5],
        "provider": "aws", "resource": "aws.s3.bucket",
        "mappings": canonical({"nist-800-53-rev5": [["ac-2", "ac-6.2", "au-2", "cm-6", "cm-7", "ia-2.1", "sc-8",
                                                     "sc-28", "si-4", "sc-7"][i % 10]]}),
        "tags": "[]", "inputs": "{}",
        "document": canonical({"metadata": {"description": "Synthetic control."}, "remediation": {"text": "Fix it."}}),
        "source": "bench"} for i in range(60)])
    store.add_rows("waivers", [{"scan_id": sid, "id": "WVR-1", "state": "active", "expires": "2099-01-01",
                                "sha256": "0" * 64, "document": canonical({"justification": "bench"})}])
    made = [0.0]

    def timed(source: Iterator[Any]) -> Iterator[Any]:
        # the cost of making the synthetic findings (a scan's evaluation makes them) is measured apart
        clock = time.process_time
        while True:
            t = clock()
            try:
                f = next(source)
            except StopIteration:
                made[0] += clock() - t
                return
            made[0] += clock() - t
            yield f

    t0, c0 = time.perf_counter(), time.process_time()
    store.add_findings(sid, timed(_findings(n)))
    store.finish_scan(sid, ScanStatus.COMPLETE)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    store.close()
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # the store's writer process, once it has ended
    size = sum(os.path.getsize(p) for p in (db, db + "-wal") if os.path.exists(p))
    return {"findings": n, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "per_s": round(n / wall),
            "making_findings_cpu_s": round(made[0], 2), "store_cpu_s": round(cpu - made[0], 2),
            "writer_cpu_s": round(kids.ru_utime + kids.ru_stime, 2), "writer_peak_rss_mib": round(kids.ru_maxrss / 1024),
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "db_mb": round(size / 1e6, 1)}


def _query(db: str) -> dict[str, Any]:
    """Child: findings by status and by control, streamed from a read-only store."""
    from scanner.store import Store

    store = Store(db, create=False)
    view = store.view()
    out: dict[str, Any] = {}
    for name, kw in (("status fail", {"status": ["fail"]}), ("control bench-control-007", {"control": "bench-control-007"})):
        t0 = time.perf_counter()
        n = sum(1 for _ in view.findings(**kw))  # type: ignore[arg-type]
        out[name] = {"rows": n, "wall_s": round(time.perf_counter() - t0, 2)}
    store.close()
    return out


def child(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float, int, str]:
    """Run ``argv`` as a child: (wall s, CPU s, peak RSS MiB, stdout), resources of that child alone."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env)
        _, status, ru = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        if proc.returncode:
            raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}):\n{err.read().decode()[-2000:]}")
        return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss // 1024, out.read().decode()


def _self(*args: str, code: Path = ROOT) -> tuple[float, float, int, Any]:
    wall, cpu, rss, out = child([sys.executable, __file__, "--code", str(code), *args])
    return wall, cpu, rss, json.loads(out)


def render(db: str, fmt: str, out: Path) -> dict[str, Any]:
    wall, cpu, rss, _ = child([sys.executable, "-m", "scanner", "report", "--db", db, "-f", fmt, "-o", str(out), "-q"])
    return {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "peak_rss_mib": rss,
            "output_mb": round(out.stat().st_size / 1e6, 1)}


def run(args: argparse.Namespace) -> dict[str, Any]:
    figures: dict[str, Any] = {"load_average": round(os.getloadavg()[0], 1)}
    formats = [f for f in args.formats.split(",") if f]
    with tempfile.TemporaryDirectory(prefix="govscan-bench-") as tmp:
        if args.store_findings:
            runs = [("store", ROOT)] + ([("store (before)", Path(args.compare_with))] if args.compare_with else [])
            for name, code in runs:
                db = str(Path(tmp) / f"{name.split()[-1].strip('()')}.db")
                *_, figures[name] = _self("--child-build", db, str(args.store_findings), code=code)
                print(f"{name:<16}{args.store_findings:>10,} findings {figures[name]['wall_s']:8.2f} s  "
                      f"CPU {figures[name]['cpu_s']:7.2f} s  {figures[name]['per_s']:>9,}/s  peak RSS "
                      f"{figures[name]['peak_rss_mib']:5} MiB  db {figures[name]['db_mb']:7.1f} MB  (CPU making the "
                      f"findings {figures[name]['making_findings_cpu_s']:.2f} s, storing them "
                      f"{figures[name]['store_cpu_s']:.2f} s; writer process CPU {figures[name]['writer_cpu_s']:.2f} s, "
                      f"peak RSS {figures[name]['writer_peak_rss_mib']} MiB)", flush=True)
            db = str(Path(tmp) / "store.db")
            *_, figures["queries"] = _self("--child-query", db)
            for q, f in figures["queries"].items():
                print(f"query {q:<26}{f['rows']:>10,} rows {f['wall_s']:8.2f} s", flush=True)
            if args.render_store:
                figures["render_store"] = {}
                for fmt in [f for f in args.store_formats.split(",") if f]:
                    f = figures["render_store"][fmt] = render(db, fmt, Path(tmp) / f"store.{fmt}")
                    print(f"report {fmt:<11}{args.store_findings:>10,} findings {f['wall_s']:8.2f} s  CPU "
                          f"{f['cpu_s']:7.2f} s  peak RSS {f['peak_rss_mib']:5} MiB  {f['output_mb']:8.1f} MB", flush=True)
            os.unlink(db)
        if args.report_findings:
            db = str(Path(tmp) / "report.db")
            *_, figures["build"] = _self("--child-build", db, str(args.report_findings))
            figures["render"] = {}
            for fmt in formats:
                f = figures["render"][fmt] = render(db, fmt, Path(tmp) / f"report.{fmt}")
                print(f"report {fmt:<11}{args.report_findings:>10,} findings {f['wall_s']:8.2f} s  CPU "
                      f"{f['cpu_s']:7.2f} s  peak RSS {f['peak_rss_mib']:5} MiB  {f['output_mb']:8.1f} MB", flush=True)
    return figures


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--store-findings", type=int, default=1_000_000)
    ap.add_argument("--report-findings", type=int, default=100_000)
    ap.add_argument("--formats", default=",".join(FORMATS), help="report formats, comma-separated")
    ap.add_argument("--render-store", action="store_true", help="also render the N-finding store")
    ap.add_argument("--store-formats", default=",".join(STREAMING),
                    help="formats rendered of the N-finding store (default: every format)")
    ap.add_argument("--compare-with", metavar="DIR", help="also store N findings with the scanner package of DIR")
    ap.add_argument("--json", metavar="FILE", help="write the figures as JSON")
    ap.add_argument("--code", default=str(ROOT), help=argparse.SUPPRESS)
    ap.add_argument("--child-build", nargs=2, metavar=("DB", "N"), help=argparse.SUPPRESS)
    ap.add_argument("--child-query", metavar="DB", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_build or args.child_query:
        sys.path.insert(0, args.code)
        result = _build(args.child_build[0], int(args.child_build[1])) if args.child_build else _query(args.child_query)
        print(json.dumps(result))
        return
    figures = run(args)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
