"""Benchmark: store and report scale (DESIGN.md section 9).

    python bench/reports_bench.py [--store-findings 1000000] [--report-findings 100000]

Prints figures, asserts nothing:
- storing N findings (with evidence, 1 in 10 distinct) through Store.add_findings: wall time, rate,
  peak RSS, database size;
- rendering a scan of M findings with every file renderer (html, csv, sarif, junit, ocsf): wall
  time and output size. The budget is "the HTML report of 100,000 findings in seconds".
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import scanner  # noqa: E402
from scanner.model import Finding, ScanStatus, Severity, Status  # noqa: E402
from scanner.store import Store, canonical  # noqa: E402

CONTROLS = [(f"bench-control-{i:03d}", ("critical", "high", "medium", "low", "info")[i % 5],
             ["ac-2", "ac-6.2", "au-2", "cm-6", "cm-7", "ia-2.1", "sc-8", "sc-28", "si-4", "sc-7"][i % 10])
            for i in range(60)]
STATUSES = (Status.PASS, Status.PASS, Status.FAIL, Status.PASS, Status.ERROR, Status.NOTAPPLICABLE,
            Status.FAIL, Status.PASS, Status.WAIVED, Status.PASS)


def findings(n: int) -> Iterator[Finding]:
    for i in range(n):
        cid, sev, _ = CONTROLS[i % len(CONTROLS)]
        st = STATUSES[(i // len(CONTROLS)) % len(STATUSES)]
        rid = f"arn:aws:s3:::bucket-{i // len(CONTROLS):07d}"
        ev = {"observed": {"value": i % 10}, "checks": [{"key": "value", "op": "lt", "expected": 5,
                                                          "actual": i % 10, "missing": False, "ok": i % 10 < 5}],
              "expected": "value lt 5", "found": str(i % 10)}
        yield Finding(cid, "aws:123456789012", rid, "aws.s3.bucket", st, Severity(sev), f"{rid}: value={i % 10}",
                      ev, region="us-east-1", waiver_id="WVR-1" if st is Status.WAIVED else None)


def build(store: Store, n: int) -> tuple[str, float]:
    sid = store.begin_scan(profile="bench", profile_sha256="0" * 64, tool_version=scanner.__version__)
    store.add_rows("controls", [{
        "scan_id": sid, "id": cid, "version": "1.0.0", "sha256": "0" * 64, "title": f"Bench control {cid}",
        "severity": sev, "provider": "aws", "resource": "aws.s3.bucket",
        "mappings": canonical({"nist-800-53-rev5": [nist]}), "tags": "[]", "inputs": "{}",
        "document": canonical({"metadata": {"description": "Synthetic control."}, "remediation": {"text": "Fix it."}}),
        "source": "bench"} for cid, sev, nist in CONTROLS])
    store.add_rows("waivers", [{"scan_id": sid, "id": "WVR-1", "state": "active", "expires": "2099-01-01",
                                "sha256": "0" * 64, "document": canonical({"justification": "bench"})}])
    t0 = time.perf_counter()
    store.add_findings(sid, findings(n))
    store.finish_scan(sid, ScanStatus.COMPLETE)
    return sid, time.perf_counter() - t0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store-findings", type=int, default=1_000_000)
    ap.add_argument("--report-findings", type=int, default=100_000)
    args = ap.parse_args()
    from reports.csvout import CsvRenderer
    from reports.html import HtmlRenderer
    from reports.junit import JunitRenderer
    from reports.ocsf import OcsfRenderer
    from reports.sarif import SarifRenderer

    with tempfile.TemporaryDirectory() as tmp:
        if args.store_findings:
            store = Store(Path(tmp) / "store.db")
            _, secs = build(store, args.store_findings)
            size = os.path.getsize(store.path) + sum(
                os.path.getsize(p) for p in (str(store.path) + "-wal",) if os.path.exists(p))
            print(f"store   {args.store_findings:>9,} findings  {secs:7.2f} s  {args.store_findings / secs:>9,.0f}/s  "
                  f"peak RSS {peak_rss_mb():6.0f} MB  db {size / 1e6:7.1f} MB")
            store.close()
        store = Store(Path(tmp) / "report.db")
        sid, secs = build(store, args.report_findings)
        view = store.view(sid)
        print(f"build   {args.report_findings:>9,} findings  {secs:7.2f} s")
        for renderer in (HtmlRenderer(), CsvRenderer(), SarifRenderer(), JunitRenderer(), OcsfRenderer()):
            buf = io.StringIO()
            t0 = time.perf_counter()
            renderer.render(view, buf)
            secs = time.perf_counter() - t0
            print(f"{renderer.name:<7} {args.report_findings:>9,} findings  {secs:7.2f} s  "
                  f"{len(buf.getvalue().encode()) / 1e6:7.1f} MB  peak RSS {peak_rss_mb():6.0f} MB")
        store.close()


if __name__ == "__main__":
    main()
