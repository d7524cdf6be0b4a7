"""Where govscan's AWS wall time goes: every API call and every collector task timed on a seeded moto server.

    python bench/aws_waits.py [--scale 84] [--top 30] [--json FILE] [-- GOVSCAN SCAN OPTIONS...]

Starts a moto_server as bench/aws_bench.py does, seeds it (bench/aws_seed.py with every plug-in),
then runs ``govscan scan aws:///us-east-1`` with every shipped AWS control in this process, with
botocore event hooks added to each session: per operation (service, region) the calls, HTTP
attempts, status codes and seconds from ``before-call`` to ``after-call``/``after-call-error``;
per collector task (resource type, region) its start and end. Prints the top operations by total
wait, the tasks that ended last (the critical path), and how many requests were in flight over
time. Nothing here changes how govscan scans: the hooks only read the clock.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from aws_bench import REGION, Server, aws_control_ids, seed  # noqa: E402
from aws_vs_prowler import cpu_seconds  # noqa: E402


class Timings:
    """Per-call records from botocore events (thread-safe)."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.calls: list[dict[str, Any]] = []
        self.tasks: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def before_call(self, model: Any = None, context: Any = None, **_: Any) -> None:
        if context is not None and model is not None:
            context["_bench_start"] = time.monotonic()
            context["_bench_op"] = f"{model.service_model.endpoint_prefix}:{model.name}"

    def _end(self, model: Any, context: Any, status: Any, attempts: Any, error: str = "") -> None:
        start = (context or {}).get("_bench_start")
        if start is None:
            return
        now = time.monotonic()
        region = (context or {}).get("client_region") or "?"
        rec = {"op": context["_bench_op"], "region": region,
               "start": start - self.t0, "end": now - self.t0, "seconds": now - start, "status": status,
               "attempts": attempts, "error": error, "thread": threading.current_thread().name}
        with self._lock:
            self.calls.append(rec)

    def after_call(self, http_response: Any = None, parsed: Any = None, model: Any = None, context: Any = None,
                   **_: Any) -> None:
        meta = (parsed or {}).get("ResponseMetadata", {})
        self._end(model, context, getattr(http_response, "status_code", None), int(meta.get("RetryAttempts", 0)) + 1,
                  str((parsed or {}).get("Error", {}).get("Code", "")))

    def after_call_error(self, exception: Any = None, model: Any = None, context: Any = None, **_: Any) -> None:
        resp = getattr(exception, "response", None) or {}
        meta = resp.get("ResponseMetadata", {})
        self._end(model, context, meta.get("HTTPStatusCode", "exc"),
                  int(meta["RetryAttempts"]) + 1 if "RetryAttempts" in meta else None,
                  str(resp.get("Error", {}).get("Code", "")) or type(exception).__name__)


def instrument(timings: Timings) -> None:
    """Add the timing hooks to every AwsSession and time every collector task."""
    from checks.aws import runner, session

    hook = session.AwsSession._hook

    def timed_hook(self: Any, boto_session: Any) -> None:
        hook(self, boto_session)
        boto_session.events.register("before-call", timings.before_call)
        boto_session.events.register("after-call", timings.after_call)
        boto_session.events.register("after-call-error", timings.after_call_error)

    session.AwsSession._hook = timed_hook  # type: ignore[method-assign]
    task = runner._task

    def timed_task(fn: Any, api: Any, region: Any, ctx: Any) -> Any:
        start = time.monotonic()
        try:
            return task(fn, api, region, ctx)
        finally:
            with timings._lock:
                timings.tasks.append({"task": f"{fn.__module__}.{fn.__name__}", "region": region,
                                      "start": start - timings.t0, "end": time.monotonic() - timings.t0})

    runner._task = timed_task


def summarise(t: Timings, wall: float) -> dict[str, Any]:
    ops: dict[tuple[str, str], dict[str, Any]] = defaultdict(lambda: {"calls": 0, "seconds": 0.0, "attempts": 0,
                                                                        "max": 0.0, "status": defaultdict(int)})
    for c in t.calls:
        row = ops[(c["op"], c["region"])]
        row["calls"] += 1
        row["seconds"] += c["seconds"]
        row["attempts"] += c["attempts"] or 0
        row["max"] = max(row["max"], c["seconds"])
        row["status"][f"{c['status']}{'/' + c['error'] if c['error'] else ''}"] += 1
    table = sorted(ops.items(), key=lambda kv: -kv[1]["seconds"])
    # requests in flight, sampled every 0.5 s
    inflight = []
    step = 0.5
    n = int(wall / step) + 1
    for i in range(n):
        at = i * step
        inflight.append(sum(1 for c in t.calls if c["start"] <= at < c["end"]))
    return {"wall": wall, "calls": len(t.calls), "call_seconds": sum(c["seconds"] for c in t.calls),
            "ops": [{"op": op, "region": region, "calls": r["calls"], "seconds": round(r["seconds"], 2),
                     "max": round(r["max"], 2), "attempts": r["attempts"], "status": dict(r["status"])}
                    for (op, region), r in table],
            "tasks_last": sorted(t.tasks, key=lambda x: -x["end"]),
            "inflight": inflight}


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--scale", type=int, default=84, help="seed scale (84: about 1,100 resources)")
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--json", metavar="FILE")
    ap.add_argument("--fanout", type=int, help="per-resource pool size (experiments; default: the runner's)")
    ap.add_argument("--jobs", type=int, help="collector threads (experiments; default: the runner's)")
    ap.add_argument("extra", nargs="*", help="more govscan scan options (after --)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="govscan-aws-waits-") as tmpdir:
        tmp = Path(tmpdir)
        server = Server(tmp)
        try:
            seeded = seed(server, args.scale)
            print(f"seeded {seeded['total']} resources", flush=True)
            os.environ.clear()
            os.environ.update(server.env)
            timings = Timings()
            instrument(timings)
            if args.fanout:
                from checks.aws import runner

                runner.FANOUT_WORKERS = args.fanout
            if args.jobs:
                from checks.aws import runner

                runner.MAX_WORKERS = args.jobs
            from scanner.cli import main as govscan

            argv = ["scan", f"aws:///{REGION}", "--db", str(tmp / "w.db"), "--gate", "none",
                    *[a for c in aws_control_ids() for a in ("-c", c)], *args.extra]
            timings.t0 = start = time.monotonic()
            cpu0, server0 = time.process_time(), cpu_seconds(server.proc.pid)
            try:
                govscan(argv)
            except SystemExit:
                pass
            wall = time.monotonic() - start
            cpu = time.process_time() - cpu0
            server_cpu = cpu_seconds(server.proc.pid) - server0
        finally:
            server.stop()
    out = summarise(timings, wall)
    out.update(cpu=cpu, server_cpu=server_cpu)
    print(f"\nwall {wall:.1f} s, CPU {cpu:.1f} s + moto {server_cpu:.1f} s, {out['calls']} API calls, {out['call_seconds']:.1f} s summed "
          f"call time; load average {os.getloadavg()[0]:.1f}")
    print(f"{'operation':<52} {'region':<10} {'calls':>5} {'att':>5} {'total s':>8} {'max s':>6}  status")
    for r in out["ops"][:args.top]:
        print(f"{r['op']:<52} {r['region']:<10} {r['calls']:5d} {r['attempts']:5d} {r['seconds']:8.2f} "
              f"{r['max']:6.2f}  {r['status']}")
    print("\ntasks that ended last:")
    for r in out["tasks_last"][:15]:
        print(f"  {r['task']:<60} {r['region'] or '-':<10} {r['start']:6.2f} -> {r['end']:6.2f}")
    print("\nrequests in flight every 0.5 s:", " ".join(str(x) for x in out["inflight"]))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2, default=str) + "\n")


if __name__ == "__main__":
    main()
