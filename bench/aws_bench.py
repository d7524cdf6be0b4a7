"""govscan vs Prowler 5.46 and Cloud Custodian on the same moto server: one account at several sizes
and an Organization of several accounts.

    python bench/aws_bench.py [--resources 1200,10000] [--org 6] [--org-resources 1200]
                              [--tools govscan,prowler,custodian] [--timeout 1800] [--json FILE]

Prowler (bench/.work/prowler-venv, ``pip install prowler==5.46.0``) and Custodian
(bench/.work/custodian-venv, ``pip install c7n``) are created on first use and never govscan
dependencies. Per size: a fresh moto_server is seeded by bench/aws_seed.py (the base account plus
every ``bench/aws_seed_*.py`` plug-in; the seed scale is calibrated so that the account has about
the asked number of resources), then each tool runs in a child process: wall time, CPU seconds of
the tool and of the moto server meanwhile, peak RSS, requests the server logged. govscan runs every
shipped AWS control; its API calls and repeated calls come from the stored target facts. Verdicts
are compared with Prowler strictly per PAIRS (bench/aws_vs_prowler.py plus every plug-in's):
only pass=PASS and fail=FAIL agree; a govscan ``notapplicable``, ``error`` or ``notchecked`` is a
disagreement class of its own. Custodian's matches (resources that fail a policy of
bench/aws_custodian.yml, named after the govscan control) are compared with govscan's fails.
``--org N``: a moto Organization of N accounts (management + N-1 members) of about
``--org-resources`` resources in all; govscan scans ``aws-org://`` (and again with ``concurrency``
4 and 32), Prowler and Custodian once per account through OrganizationAccountAccessRole.
A tool that outlasts ``--timeout`` is stopped and reported as timed out, with what it measured.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"
REGION = "us-east-1"
ROLE = "OrganizationAccountAccessRole"
BASE_SERVICES = ("iam", "s3", "ec2", "cloudtrail", "kms", "rds", "vpc")
VENVS = {"prowler": (WORK / "prowler-venv", "prowler==5.46.0", "prowler"),
         "custodian": (WORK / "custodian-venv", "c7n", "custodian")}

sys.path.insert(0, str(HERE))
import aws_seed  # noqa: E402
from aws_vs_prowler import PAIRS as BASE_PAIRS  # noqa: E402
from aws_vs_prowler import cpu_seconds, free_port, key  # noqa: E402

PAIRS = aws_seed.all_pairs(BASE_PAIRS)


def ensure(tool: str) -> Path:
    venv, requirement, exe_name = VENVS[tool]
    exe = venv / "bin" / exe_name
    if not exe.exists():
        print(f"creating the {tool} venv (pip install {requirement}, minutes)...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", requirement], check=True)
    return exe


_WRAPPER = """
import json, os, resource, signal, subprocess, sys, time
t = time.monotonic()
p = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=open(os.environ['BENCH_STDERR'], 'w'),
                     start_new_session=True)
timed_out = False
try:
    rc = p.wait(timeout=float(sys.argv[1]))
except subprocess.TimeoutExpired:
    timed_out = True
    os.killpg(p.pid, signal.SIGKILL)
    rc = p.wait()
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps([time.monotonic() - t, u.ru_maxrss, rc, u.ru_utime + u.ru_stime, timed_out]))
"""


class Server:
    """A moto_server on a free loopback port, its log, its CPU seconds and the requests it logged."""

    def __init__(self, tmp: Path):
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
                        AWS_DEFAULT_REGION=REGION, AWS_ENDPOINT_URL=self.endpoint, MOTO_EC2_LOAD_DEFAULT_AMIS="false",
                        # Prowler and Custodian address S3 Control at <account>.<endpoint host>: let moto proxy them
                        HTTP_PROXY=self.endpoint, NO_PROXY="")
        for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            self.env.pop(var, None)
        self.log_path = tmp / f"moto-{self.port}.log"
        self.log = self.log_path.open("w")
        self.proc = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(self.port)], stdout=self.log,
                                     stderr=subprocess.STDOUT, env=self.env)
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("moto_server did not start")

    def requests(self) -> int:
        self.log.flush()
        with self.log_path.open(errors="replace") as fh:
            return sum(1 for line in fh if '" 2' in line or '" 3' in line or '" 4' in line or '" 5' in line)

    def measure(self, cmd: list[str], timeout: float, env: dict[str, str] | None = None) -> dict[str, Any]:
        """Run ``cmd``: wall and CPU seconds, peak RSS MB, exit code, the server's CPU and requests."""
        before_cpu, before_req = cpu_seconds(self.proc.pid), self.requests()
        errfile = self.log_path.with_suffix(f".{time.monotonic_ns()}.err")
        out = subprocess.run([sys.executable, "-c", _WRAPPER, str(timeout), *cmd], capture_output=True, text=True,
                             env={**(env or self.env), "BENCH_STDERR": str(errfile)}, check=True)
        wall, rss_kb, rc, cpu, timed_out = json.loads(out.stdout.strip().splitlines()[-1])
        tail = errfile.read_text(errors="replace").strip().splitlines()[-3:] if errfile.exists() else []
        return {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "peak_rss_mb": round(rss_kb / 1024),
                "rc": rc, "timed_out": timed_out, "server_cpu_s": round(cpu_seconds(self.proc.pid) - before_cpu, 2),
                "requests": self.requests() - before_req, **({"stderr_tail": tail} if rc and not timed_out else {})}

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def seed(server: Server, scale: int, role_arn: str | None = None) -> dict[str, int]:
    argv = [sys.executable, str(HERE / "aws_seed.py"), server.endpoint, str(scale)] + ([role_arn] if role_arn else [])
    out: dict[str, int] = json.loads(subprocess.run(argv, env=server.env, capture_output=True, text=True,
                                                    check=True).stdout)
    return out


def calibrate(tmp: Path) -> float:
    """Resources per seed scale unit, base account plus plug-ins (a scale-20 seed on its own server)."""
    server = Server(tmp)
    try:
        return seed(server, 20)["total"] / 20
    finally:
        server.stop()


def aws_control_ids() -> list[str]:
    sys.path.insert(0, str(HERE.parent))
    from checks.aws.coverage_table import aws_controls

    return [c.id for c in aws_controls()]


def govscan_cmd(targets: list[str], db: Path, controls: list[str]) -> list[str]:
    return ["govscan", "scan", *targets, "--db", str(db), "--gate", "none", *[a for c in controls for a in ("-c", c)]]


def govscan_results(db: Path) -> tuple[dict[tuple[str, str, str], str], dict[str, Any]]:
    """(target, control, key) -> status for the PAIRS controls; and per-scan figures from the facts."""
    sys.path.insert(0, str(HERE.parent))
    from scanner.store import Store

    view = Store(str(db)).view()
    out: dict[tuple[str, str, str], str] = {}
    for f in view.findings():
        if f["control_id"] in PAIRS:
            kind = PAIRS[f["control_id"]][1]
            out[(f["target_id"], f["control_id"], key(kind, f["resource_id"], f["region"] or REGION))] = f["status"]
    repeated = sorted({c for t in view.targets for c in (t["facts"] or {}).get("repeated_calls", [])})
    statuses = Counter(f["status"] for f in view.findings())
    return out, {"api_calls": sum(int(t["api_calls"] or 0) for t in view.targets), "repeated_calls": repeated,
                 "targets": len(view.targets), "target_errors": sum(1 for t in view.targets if t["error"]),
                 "findings": dict(statuses)}


def prowler_results(outdir: Path) -> dict[tuple[str, str], str]:
    """(control, key) -> pass/fail/other from Prowler's OCSF output, merged per PAIRS."""
    by_check: dict[str, dict[str, list[str]]] = {}
    for path in glob.glob(f"{outdir}/*.ocsf.json"):
        try:
            findings = json.loads(Path(path).read_text())
        except ValueError:  # a run stopped by the timeout leaves a truncated file
            continue
        for f in findings:
            region = (f.get("cloud") or {}).get("region") or REGION
            for res in f.get("resources") or [{}]:
                by_check.setdefault(f["metadata"]["event_code"], {}).setdefault(
                    f"{res.get('uid')}|{region}", []).append(f["status_code"])
    out: dict[tuple[str, str], str] = {}
    for control, (checks, kind) in PAIRS.items():
        merged: dict[str, list[str]] = {}
        for check in checks:
            for rk, statuses in by_check.get(check, {}).items():
                uid, region = rk.split("|")
                merged.setdefault(key(kind, uid, region), []).extend(statuses)
        for k, statuses in merged.items():
            out[(control, k)] = ("fail" if "FAIL" in statuses else "pass" if all(s == "PASS" for s in statuses)
                                 else "other:" + ",".join(sorted(set(statuses))))
    return out


def compare_prowler(g: dict[tuple[str, str], str], p: dict[tuple[str, str], str]) -> dict[str, Any]:
    """Strict agreement: pass=PASS, fail=FAIL; every other pair is a disagreement class."""
    shared = sorted(set(g) & set(p))
    classes: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    for k in shared:
        if g[k] == p[k] and g[k] in ("pass", "fail"):
            continue
        cls = f"{k[0]}: govscan {g[k]} / prowler {p[k]}"
        classes[cls] += 1
        examples.setdefault(cls, [])
        if len(examples[cls]) < 3:
            examples[cls].append(k[1])
    only_g = Counter(c for c, _ in set(g) - set(p))
    only_p = Counter(c for c, _ in set(p) - set(g))
    return {"shared": len(shared), "agree": len(shared) - sum(classes.values()),
            "govscan_errors": sum(1 for s in g.values() if s == "error"),
            "disagreements": [{"class": c, "count": n, "examples": examples[c]} for c, n in classes.most_common()],
            "only_govscan": dict(only_g), "only_prowler": dict(only_p)}


_CUSTODIAN_IDS = ("Name", "GroupId", "InstanceId", "VolumeId", "KeyId", "DBInstanceIdentifier", "UserName",
                  "VpcId", "TrailARN", "account_id")


def custodian_results(outdir: Path) -> dict[str, set[str]]:
    """Policy (govscan control) -> ids of the resources Custodian matched."""
    out: dict[str, set[str]] = {}
    for path in outdir.glob("*/resources.json"):
        try:
            rows = json.loads(path.read_text())
        except ValueError:
            continue
        ids = set()
        for r in rows:
            found = next((k for k in _CUSTODIAN_IDS if k in r), None)
            if found:
                ids.add("account" if found == "account_id" else str(r[found]))
        out[path.parent.name] = ids
    return out


def compare_custodian(g: dict[tuple[str, str], str], c: dict[str, set[str]]) -> dict[str, Any]:
    """Per policy: resources both flag, only govscan fails, only Custodian matches (ids by suffix)."""
    rows = {}
    for policy, matched in sorted(c.items()):
        fails = {k for (ctl, k), s in g.items() if ctl == policy and s == "fail"}
        passes = {k for (ctl, k), s in g.items() if ctl == policy and s != "fail"}

        def hit(ident: str, keys: set[str]) -> bool:
            return any(k == ident or k.endswith((f"/{ident}", f":{ident}")) for k in keys)

        both = sum(1 for m in matched if hit(m, fails))
        rows[policy] = {"both_fail": both, "custodian_only": sum(1 for m in matched if hit(m, passes)),
                        "govscan_only": len(fails) - both, "custodian_matched": len(matched)}
    return rows


def one_account(target_resources: int, per_unit: float, tools: list[str], controls: list[str],
                timeout: float, tmp: Path) -> dict[str, Any]:
    scale = max(1, round(target_resources / per_unit))
    server = Server(tmp)
    try:
        t0 = time.monotonic()
        seeded = seed(server, scale)
        res: dict[str, Any] = {"scale": scale, "resources": seeded["total"], "seeded": seeded,
                               "seed_s": round(time.monotonic() - t0, 1)}
        db = tmp / f"g{scale}.db"
        res["govscan"] = server.measure(govscan_cmd([f"aws:///{REGION}"], db, controls), timeout)
        g, res["govscan"]["store"] = govscan_results(db)
        g2 = {(c, k): s for (_, c, k), s in g.items()}
        if "prowler" in tools:
            outdir = tmp / f"prowler{scale}"
            res["prowler"] = server.measure([str(ensure("prowler")), "aws", "-f", REGION, "--service",
                                             *aws_seed.prowler_services(BASE_SERVICES), "--scan-unused-services",
                                             "-M", "json-ocsf", "-o", str(outdir), "--no-banner"], timeout)
            res["prowler"]["verdicts"] = compare_prowler(g2, prowler_results(outdir))
        if "custodian" in tools:
            outdir = tmp / f"custodian{scale}"
            res["custodian"] = server.measure([str(ensure("custodian")), "run", "-s", str(outdir), "--region", REGION,
                                               "--cache-period", "0", str(HERE / "aws_custodian.yml")], timeout)
            res["custodian"]["vs_govscan"] = compare_custodian(g2, custodian_results(outdir))
        return res
    finally:
        server.stop()


def organization(n_accounts: int, total_resources: int, per_unit: float, tools: list[str], controls: list[str],
                 timeout: float, tmp: Path) -> dict[str, Any]:
    """An Organization of ``n_accounts`` on one moto server, each account seeded alike."""
    import boto3

    server = Server(tmp)
    try:
        session = boto3.Session(aws_access_key_id="bench", aws_secret_access_key="bench", region_name=REGION)
        orgs = session.client("organizations", endpoint_url=server.endpoint)
        orgs.create_organization(FeatureSet="ALL")
        mgmt = session.client("sts", endpoint_url=server.endpoint).get_caller_identity()["Account"]
        members = [orgs.create_account(AccountName=f"bench-{i}", Email=f"bench-{i}@example.org")
                   ["CreateAccountStatus"]["AccountId"] for i in range(1, n_accounts)]
        scale = max(1, round(total_resources / n_accounts / per_unit))
        t0 = time.monotonic()
        resources = seed(server, scale)["total"]
        for acct in members:
            resources += seed(server, scale, f"arn:aws:iam::{acct}:role/{ROLE}")["total"]
        res: dict[str, Any] = {"accounts": n_accounts, "scale": scale, "resources": resources,
                               "seed_s": round(time.monotonic() - t0, 1)}
        for concurrency in (8, 4, 32):
            db = tmp / f"org{concurrency}.db"
            inv = tmp / f"org{concurrency}.yaml"
            inv.write_text("apiVersion: govscan/v1\nkind: Inventory\ntargets:\n"
                           f"  - {{target: 'aws-org:///{REGION}', concurrency: {concurrency}}}\n")
            name = "govscan" if concurrency == 8 else f"govscan_concurrency_{concurrency}"
            res[name] = server.measure(govscan_cmd(["-i", str(inv)], db, controls), timeout)
            _, res[name]["store"] = govscan_results(db)
        roles: list[str | None] = [None] + [f"arn:aws:iam::{a}:role/{ROLE}" for a in members]
        for tool in ("prowler", "custodian"):
            if tool not in tools:
                continue
            runs = []
            for i, role in enumerate(roles):
                if tool == "prowler":
                    cmd = [str(ensure("prowler")), "aws", "-f", REGION, "--service",
                           *aws_seed.prowler_services(BASE_SERVICES), "--scan-unused-services", "-M", "json-ocsf",
                           "-o", str(tmp / f"org-prowler-{i}"), "--no-banner", *(["--role", role] if role else [])]
                else:
                    cmd = [str(ensure("custodian")), "run", "-s", str(tmp / f"org-custodian-{i}"), "--region", REGION,
                           "--cache-period", "0", *(["--assume", role] if role else []),
                           str(HERE / "aws_custodian.yml")]
                runs.append(server.measure(cmd, timeout))
            res[tool] = _sum_runs(runs)
        res["mgmt"] = mgmt
        return res
    finally:
        server.stop()


def _sum_runs(runs: list[dict[str, Any]]) -> dict[str, Any]:
    total: Callable[[str], float] = lambda k: round(sum(r[k] for r in runs), 2)  # noqa: E731
    return {"wall_s": total("wall_s"), "cpu_s": total("cpu_s"), "server_cpu_s": total("server_cpu_s"),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in runs), "requests": int(total("requests")),
            "rc": [r["rc"] for r in runs], "timed_out": any(r["timed_out"] for r in runs), "runs": len(runs)}


def line(name: str, m: dict[str, Any]) -> str:
    rcs = m["rc"] if isinstance(m.get("rc"), list) else [m.get("rc") or 0]
    flag = " TIMED OUT" if m.get("timed_out") else (f" exit {sorted(set(rcs))}" if any(rcs) else "")
    return (f"{name:<26} {m['wall_s']:8.1f} s  CPU {m['cpu_s']:7.1f} s + moto {m['server_cpu_s']:7.1f} s  "
            f"{m['peak_rss_mb']:5d} MB  {m['requests']:6d} requests{flag}")


def report(res: dict[str, Any]) -> None:
    label = f"Organization of {res['accounts']} accounts" if "accounts" in res else "one account"
    print(f"\n== {label}, {res['resources']} resources (seed scale {res['scale']}; load average "
          f"{os.getloadavg()[0]:.1f}) ==")
    for name in [k for k in res if k.startswith("govscan")] + ["prowler", "custodian"]:
        if name in res:
            print(line(name, res[name]))
    g = res["govscan"]
    store = g["store"]
    print(f"govscan: {store['api_calls']} API calls, repeated calls: {store['repeated_calls'] or 'none'}, "
          f"{store['targets']} targets ({store['target_errors']} in error), findings {store['findings']}")
    if "prowler" in res and g["wall_s"]:
        p = res["prowler"]
        print(f"vs Prowler: {p['wall_s'] / g['wall_s']:.1f}x faster, {p['peak_rss_mb'] / max(1, g['peak_rss_mb']):.1f}x "
              f"less memory, {(p['cpu_s'] + p['server_cpu_s']) / max(0.01, g['cpu_s'] + g['server_cpu_s']):.1f}x "
              "less CPU (tool + server)")
        v = p.get("verdicts")
        if v:
            print(f"verdicts (strict): {v['agree']}/{v['shared']} agree; govscan errors {v['govscan_errors']}; "
                  f"only govscan {sum(v['only_govscan'].values())}, only Prowler {sum(v['only_prowler'].values())}")
            for d in v["disagreements"]:
                print(f"  {d['count']:5d}  {d['class']}  e.g. {', '.join(d['examples'])}")
    if "custodian" in res and res["custodian"].get("vs_govscan"):
        for policy, row in res["custodian"]["vs_govscan"].items():
            print(f"  custodian {policy}: both fail {row['both_fail']}, custodian only {row['custodian_only']}, "
                  f"govscan only {row['govscan_only']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--resources", default="1200,10000", help="approximate resources per single-account run")
    ap.add_argument("--org", type=int, default=6, help="accounts of the Organization run (0: none)")
    ap.add_argument("--org-resources", type=int, default=1200, help="resources of the Organization in all")
    ap.add_argument("--tools", default="govscan,prowler,custodian", help="which tools run besides govscan")
    ap.add_argument("--timeout", type=float, default=1800, help="per tool run, seconds")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON to this file")
    ap.add_argument("--skip", default="", metavar="IDS",
                    help="govscan controls left out, comma-separated (e.g. aws-config-rules-compliant: moto's server "
                         "answers its API with a bare 500 that is retried with back-off)")
    args = ap.parse_args()
    tools = [t for t in args.tools.split(",") if t]
    for tool in ("prowler", "custodian"):
        if tool in tools:
            ensure(tool)
    skipped = {c.strip() for c in args.skip.split(",") if c.strip()}
    controls = [c for c in aws_control_ids() if c not in skipped]
    figures: dict[str, Any] = {"controls": len(controls), "pairs": len(PAIRS), "runs": []}
    with tempfile.TemporaryDirectory(prefix="govscan-aws-bench-") as tmpdir:
        tmp = Path(tmpdir)
        per_unit = calibrate(tmp)
        figures["resources_per_scale"] = per_unit
        sizes = [int(s) for s in args.resources.split(",") if s]
        jobs: list[Callable[[], dict[str, Any]]] = [
            (lambda n=n: one_account(n, per_unit, tools, controls, args.timeout, tmp)) for n in sizes]
        if args.org:
            jobs.append(lambda: organization(args.org, args.org_resources, per_unit, tools, controls, args.timeout, tmp))
        for job in jobs:
            res = job()
            figures["runs"].append(res)
            if args.json:  # after each run: a later failure keeps the figures measured so far
                Path(args.json).write_text(json.dumps(figures, indent=2, default=list) + "\n")
            report(res)


if __name__ == "__main__":
    main()
