"""Run every benchmark and print one table (issue 14 "Benchmarks").

    python bench/run_all.py [--quick] [--only store,startup,...] [--json FILE] [--readme] [--compare-with DIR]

Each bench runs as a child process with ``--json FILE``; its figures are collected from that file,
never scraped from its text (its output goes to a log, whose tail is shown if it fails). A bench
whose tool is missing says so in its row ("not installed", "needs root") instead of failing the run.

- aws: govscan against Prowler and Cloud Custodian on one moto account at two sizes and on a moto
  Organization (``bench/aws_bench.py``; each other tool only if its venv ``bench/.work/prowler-venv``
  or ``bench/.work/custodian-venv`` exists: run that bench alone once to create them);
- host: govscan's Linux baseline against OpenSCAP (``bench/host_vs_openscap.py``; needs ``oscap``);
- network: govscan's overhead over plain nmap on loopback and a 10,000-host XML import (``bench/network.py``);
- store / reports: N findings stored, queries by status and control, every report format of M
  findings and of the N-finding store (``bench/reports_bench.py``);
- startup: ``govscan --help``, best of 5;
- scale: hosts per second per executor on loopback sshd fixtures (``bench/scale.py``; root, dask).

``--quick`` runs small sizes (a few minutes); ``--readme`` writes the table and the machine it came
from into ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
BENCHES = ("aws", "host", "network", "store", "startup", "scale")
Row = tuple[str, str, str]


def machine() -> dict[str, Any]:
    mem = next((int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal:")), 0)
    return {"nproc": os.cpu_count(), "memory_gib": round(mem / 1024 / 1024, 1), "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "kernel": platform.release(),
            "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "load_average": round(os.getloadavg()[0], 1)}


def child_env() -> dict[str, str]:
    """This environment with this interpreter's bin directory first on PATH: the benches run
    ``govscan`` by name, which must be the one of this checkout's venv even when it is not activated."""
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def run_bench(name: str, argv: list[str], work: Path, timeout: float) -> tuple[Any, str]:
    """Run one bench with ``--json``: (its figures or None, a note)."""
    out = work / f"{name}.json"
    log = work / f"{name}.log"
    t0 = time.perf_counter()
    with log.open("w") as fh:
        try:
            proc = subprocess.run([sys.executable, *argv, "--json", str(out)], stdout=fh, stderr=subprocess.STDOUT,
                                  timeout=timeout, cwd=HERE.parent, env=child_env())
        except subprocess.TimeoutExpired:
            return None, f"timed out after {timeout:.0f} s"
    took = time.perf_counter() - t0
    print(f"  {name}: {took:.0f} s (log {log})", flush=True)
    if proc.returncode or not out.exists():
        tail = (log.read_text(errors="replace").strip().splitlines() or [""])[-1]
        return None, f"failed (exit {proc.returncode}): {tail[-200:]} (log {log})"
    return json.loads(out.read_text()), ""


def rows_aws(fig: dict[str, Any]) -> list[Row]:
    """Rows of bench/aws_bench.py: govscan, Prowler and Custodian per run (one account, an Organization)."""
    rows = []
    for r in fig["runs"]:
        where = f"{r['accounts']}-account Organization" if "accounts" in r else "one account"
        g = r["govscan"]
        rows.append(("aws", f"govscan, {where}, {r['resources']:,} resources (moto)",
                     f"{g['wall_s']:.1f} s (CPU {g['cpu_s']:.1f} s + moto {g['server_cpu_s']:.1f} s), "
                     f"{g['peak_rss_mb']} MB peak, {g['store']['api_calls']:,} API calls, "
                     f"{len(g['store']['repeated_calls'])} repeated"))
        for tool in ("prowler", "custodian"):
            m = r.get(tool)
            if not m:
                rows.append(("aws", f"{tool.title()}, {where}, {r['resources']:,} resources", "not run"))
                continue
            extra = ""
            v = m.get("verdicts")
            if v:
                extra = f"; verdicts agree {v['agree']:,}/{v['shared']:,} (strict)"
            rows.append(("aws", f"{tool.title()}, {where}, {r['resources']:,} resources (moto)",
                         ("timed out after " if m.get("timed_out") else "")
                         + f"{m['wall_s']:.1f} s (CPU {m['cpu_s']:.1f} s + moto {m['server_cpu_s']:.1f} s), "
                         f"{m['peak_rss_mb']} MB peak, {m['requests']:,} requests{extra}"))
    return rows


def rows_host(fig: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for mode, o in fig["oscap"].items():
        rows.append(("host", f"OpenSCAP CIS L1 Server, {mode}",
                     f"{o['wall_s']} s (CPU {o['cpu_s']} s), {o['peak_rss_mib']} MiB"))
    for walk, g in fig["govscan"].items():
        rows.append(("host", f"govscan CIS L1 Server, {walk}", f"{g['wall_s']} s (CPU {g['cpu_s']} s), "
                                                                 f"{g['peak_rss_mib']} MiB"))
    for mode, j in fig["join"].items():
        rows.append(("host", f"CIS ids both evaluate ({mode})", f"{j['agree']} agree, {j['disagree']} differ"))
    return rows


def rows_network(fig: dict[str, Any]) -> list[Row]:
    rows = []
    if fig.get("loopback"):
        best = min(fig["loopback"], key=lambda r: r["govscan_s"])
        rows.append(("network", f"govscan vs one nmap -sV + scripts run ({best['services']} services)",
                     f"{best['govscan_s']} s vs {best['nmap_sv_scripts_s']} s ({best['overhead_x']}x)"))
    i = fig["import"]
    rows.append(("network", f"nmap XML import, {i['hosts']:,} hosts ({i['xml_mb']} MB)",
                 f"parse {i['parse_s']} s, scan + store {i['scan_s']} s, {i['peak_rss_mib']} MiB"))
    return rows


def rows_store(fig: dict[str, Any]) -> list[Row]:
    rows = []
    for key in ("store", "store (before)"):
        if key in fig:
            s = fig[key]
            label = "findings stored" + (" (code before)" if "before" in key else "")
            rows.append(("store", f"{s['findings']:,} {label}",
                         f"{s['wall_s']} s (CPU {s['cpu_s']} s), {s['per_s']:,}/s, {s['peak_rss_mib']} MiB peak, "
                         f"db {s['db_mb']} MB"))
    for q, f in fig.get("queries", {}).items():
        rows.append(("store", f"query by {q}", f"{f['rows']:,} rows in {f['wall_s']} s"))
    n_store = fig.get("store", {}).get("findings")
    for key, n in (("render_store", n_store), ("render", fig.get("build", {}).get("findings"))):
        for fmt, f in fig.get(key, {}).items():
            rows.append(("reports", f"{fmt} of {n:,} findings",
                         f"{f['wall_s']} s (CPU {f['cpu_s']} s), {f['peak_rss_mib']} MiB peak, {f['output_mb']} MB"))
    return rows


def rows_scale(fig: dict[str, Any]) -> list[Row]:
    return [("scale", name, f"{f['hosts_per_s']} hosts/s ({f['wall_s']} s), coordinator CPU {f['coordinator_cpu_s']} s, "
             f"workers {f['worker_cpu_s']} s, same findings: {f['same_findings_as_threads']}")
            for name, f in fig.items() if not name.startswith("_")]


def startup() -> list[Row]:
    exe = shutil.which("govscan", path=child_env()["PATH"])
    argv = [exe, "--help"] if exe else [sys.executable, "-m", "scanner", "--help"]
    times = [_timed(argv) for _ in range(5)]
    bare = min(_timed([sys.executable, "-c", "pass"]) for _ in range(5))
    return [("startup", "govscan --help (best of 5)", f"{min(times):.2f} s (bare Python start {bare:.2f} s)")]


def _timed(argv: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, capture_output=True, check=True)
    return time.perf_counter() - t0


def plan(quick: bool, compare_with: str | None = None) -> dict[str, tuple[list[str], Callable[[Any], list[Row]], str]]:
    """name -> (argv, rows from its JSON, why it cannot run here or "")."""
    root = os.geteuid() == 0
    prowler = (HERE / ".work" / "prowler-venv" / "bin" / "prowler").exists()
    custodian = (HERE / ".work" / "custodian-venv" / "bin" / "custodian").exists()
    try:
        import distributed  # noqa: F401
        dask = ""
    except ImportError:
        dask = "dask extra not installed"
    return {
        "aws": ([str(HERE / "aws_bench.py"), "--resources", "100" if quick else "1200,10000",
                 "--org", "3" if quick else "6", "--org-resources", "150" if quick else "1200",
                 "--tools", ",".join(t for t, ok in (("prowler", prowler), ("custodian", custodian)) if ok)],
                rows_aws, ""),
        "host": ([str(HERE / "host_vs_openscap.py"), "--repeat", "1" if quick else "3"], rows_host,
                 "" if shutil.which("oscap") else "not installed (oscap)"),
        "network": ([str(HERE / "network.py"), "--hosts", "1000" if quick else "10000", "--rounds", "1" if quick else "2",
                     *([] if root else ["--skip-live"])], rows_network,
                    "" if shutil.which("nmap") else "not installed (nmap)"),
        "store": ([str(HERE / "reports_bench.py"), "--store-findings", "100000" if quick else "1000000",
                   "--report-findings", "10000" if quick else "100000", "--render-store",
                   *(["--compare-with", compare_with] if compare_with else [])], rows_store, ""),
        "scale": ([str(HERE / "scale.py"), "--hosts", "4" if quick else "16"], rows_scale,
                  "needs root" if not root else dask),
    }


def table(rows: list[Row]) -> str:
    w0, w1 = max(len(r[0]) for r in rows), max(len(r[1]) for r in rows)
    head = f"| {'bench':<{w0}} | {'measure':<{w1}} | result |\n|{'-' * (w0 + 2)}|{'-' * (w1 + 2)}|--------|\n"
    return head + "".join(f"| {a:<{w0}} | {b:<{w1}} | {c} |\n" for a, b, c in rows)


def write_readme(text: str, section: str) -> None:
    """Replace the ``section`` table (``full`` or ``quick``) of bench/README.md, keeping the rest."""
    path = HERE / "README.md"
    start, end = f"<!-- run_all {section}: start -->", f"<!-- run_all {section}: end -->"
    old = path.read_text() if path.exists() else "# Benchmarks\n"
    if start not in old:
        old += f"\n{start}\n{end}\n"
    head, rest = old.split(start, 1)
    path.write_text(head + start + "\n" + text + end + rest.split(end, 1)[1])


def shown_command() -> str:
    """This run's command line as the README shows it: without --readme and --json FILE."""
    argv, shown = sys.argv[1:], ["python bench/run_all.py"]
    while argv:
        arg = argv.pop(0)
        if arg == "--json":
            argv = argv[1:]
        elif arg != "--readme" and not arg.startswith("--json="):
            shown.append(arg)
    return " ".join(shown)


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes: a few minutes")
    ap.add_argument("--only", help=f"comma-separated subset of {','.join(BENCHES)}")
    ap.add_argument("--json", metavar="FILE", help="write every bench's figures and the machine as JSON")
    ap.add_argument("--readme", action="store_true", help="write the table into bench/README.md")
    ap.add_argument("--timeout", type=float, default=3600, help="per bench, seconds")
    ap.add_argument("--compare-with", metavar="DIR", help="store bench: also store with the scanner package of DIR")
    args = ap.parse_args()
    only = [b for b in (args.only or ",".join(BENCHES)).split(",") if b]
    unknown = set(only) - set(BENCHES)
    if unknown:
        raise SystemExit(f"unknown bench(es): {', '.join(sorted(unknown))} (choose from {', '.join(BENCHES)})")
    info = machine()
    print(f"machine: {info['nproc']} CPUs, {info['memory_gib']} GiB, Python {info['python']}, SQLite {info['sqlite']}, "
          f"load average {info['load_average']} ({info['date']}){' [quick]' if args.quick else ''}", flush=True)
    rows: list[Row] = []
    figures: dict[str, Any] = {"machine": info, "quick": args.quick}
    benches = plan(args.quick, args.compare_with)
    with tempfile.TemporaryDirectory(prefix="govscan-run-all-") as tmp:
        for name in only:
            if name == "startup":
                rows += startup()
                continue
            argv, to_rows, missing = benches[name]
            if missing:
                rows.append((name, "-", missing))
                continue
            fig, note = run_bench(name, argv, Path(tmp), args.timeout)
            figures[name] = fig
            rows += to_rows(fig) if fig is not None else [(name, "-", note)]
    text = table(rows)
    print("\n" + text, end="")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    if args.readme:
        info_line = (f"Machine: {info['nproc']} CPUs, {info['memory_gib']} GiB RAM, Python {info['python']}, "
                     f"SQLite {info['sqlite']}, Linux {info['kernel']}; {info['date']}, load average "
                     f"{info['load_average']} at the start (a machine shared with other jobs: CPU seconds are "
                     f"given next to wall time). Command: `{shown_command()}`.\n\n")
        write_readme(info_line + text, "quick" if args.quick else "full")


if __name__ == "__main__":
    main()
