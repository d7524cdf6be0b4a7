"""govscan vs Prowler 5.x on the same emulated AWS account (moto_server on 127.0.0.1).

    python bench/aws_vs_prowler.py [--sizes 14,280] [--skip-prowler] [--json FILE]

Creates bench/.work/prowler-venv (pip install prowler; minutes, ~2.5 GB) on first use; Prowler is
never a govscan dependency. For each size: start a fresh moto_server, seed it (bench/aws_seed.py),
run govscan (profile aws-foundations) and Prowler (services iam s3 ec2 cloudtrail kms rds vpc), each
in a child process, and print wall time, peak RSS, API calls (requests the moto server logged) and,
for every Prowler check with a govscan counterpart, whether the verdicts per resource agree.
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
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"
VENV = WORK / "prowler-venv"
REGION = "us-east-1"

# govscan control -> (Prowler checks that must all pass, how findings are keyed)
PAIRS: dict[str, tuple[tuple[str, ...], str]] = {
    "aws-s3-encryption-at-rest": (("s3_bucket_default_encryption",), "resource"),
    "aws-s3-tls-only": (("s3_bucket_secure_transport_policy",), "resource"),
    "aws-s3-bucket-public-access-block": (("s3_bucket_level_public_access_block",), "resource"),
    "aws-s3-versioning": (("s3_bucket_object_versioning",), "resource"),
    "aws-s3-mfa-delete": (("s3_bucket_no_mfa_delete",), "resource"),
    "aws-s3-access-logging": (("s3_bucket_server_access_logging_enabled",), "resource"),
    "aws-s3-account-public-access-block": (("s3_account_level_public_access_blocks",), "account"),
    "aws-ebs-volume-encrypted": (("ec2_ebs_volume_encryption",), "resource"),
    "aws-ebs-default-encryption": (("ec2_ebs_default_encryption",), "region"),
    "aws-ec2-imdsv2": (("ec2_instance_imdsv2_enabled",), "resource"),
    "aws-ec2-no-public-ip": (("ec2_instance_public_ip",), "resource"),
    "aws-ec2-instance-profile": (("ec2_instance_profile_attached",), "resource"),
    "aws-ec2-default-sg-restricts-all": (("ec2_securitygroup_default_restrict_traffic",), "resource"),
    "aws-ec2-sg-no-world-admin-ipv4": (("ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22",
                                        "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_3389"),
                                       "resource"),
    "aws-ec2-sg-no-world-all-traffic": (("ec2_securitygroup_allow_ingress_from_internet_to_all_ports",), "resource"),
    "aws-vpc-flow-logs": (("vpc_flow_logs_enabled",), "resource"),
    "aws-kms-key-rotation": (("kms_cmk_rotation_enabled",), "resource"),
    "aws-rds-encryption": (("rds_instance_storage_encrypted",), "resource"),
    "aws-rds-no-public-access": (("rds_instance_no_public_access",), "resource"),
    "aws-rds-auto-minor-upgrade": (("rds_instance_minor_version_upgrade_enabled",), "resource"),
    "aws-rds-multi-az": (("rds_instance_multi_az",), "resource"),
    "aws-rds-deletion-protection": (("rds_instance_deletion_protection",), "resource"),
    "aws-rds-backup-retention": (("rds_instance_backup_enabled",), "resource"),
    "aws-cloudtrail-log-validation": (("cloudtrail_log_file_validation_enabled",), "resource"),
    "aws-cloudtrail-kms": (("cloudtrail_kms_encryption_enabled",), "resource"),
    "aws-cloudtrail-cloudwatch-logs": (("cloudtrail_cloudwatch_logging_enabled",), "resource"),
    "aws-cloudtrail-bucket-access-logging": (("cloudtrail_logs_s3_bucket_access_logging_enabled",), "resource"),
    "aws-cloudtrail-multi-region": (("cloudtrail_multi_region_enabled",), "region"),
    "aws-iam-user-console-mfa": (("iam_user_mfa_enabled_console_access",), "resource"),
    "aws-iam-user-single-active-key": (("iam_user_two_active_access_key",), "resource"),
    "aws-iam-user-key-rotation": (("iam_rotate_access_key_90_days",), "resource"),
    "aws-iam-user-no-direct-policies": (("iam_policy_attached_only_to_group_or_roles",), "resource"),
    "aws-iam-user-unused-password": (("iam_user_console_access_unused",), "resource"),
    "aws-iam-user-unused-access-keys": (("iam_user_accesskey_unused",), "resource"),
    "aws-iam-no-full-admin-policies": (("iam_customer_attached_policy_no_administrative_privileges",), "resource"),
    "aws-iam-password-min-length": (("iam_password_policy_minimum_length_14",), "account"),
    "aws-iam-password-reuse": (("iam_password_policy_reuse_24",), "account"),
    "aws-iam-support-role": (("iam_support_role_created",), "account"),
}


def ensure_prowler() -> Path:
    exe = VENV / "bin" / "prowler"
    if not exe.exists():
        print("creating the Prowler venv (pip install prowler, several minutes)...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(VENV / "bin" / "pip"), "install", "-q", "prowler"], check=True)
    return exe


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(cmd: list[str], env: dict[str, str], server: int) -> tuple[float, float, int, float, float]:
    """Run ``cmd`` in a wrapper process: (wall seconds, peak RSS MB of the tree's largest process, rc,
    CPU seconds of the tool, CPU seconds the moto server spent meanwhile).

    CPU seconds do not depend on what else the machine runs, wall time does: both are printed.
    """
    wrapper = ("import resource,subprocess,sys,time,json;t=time.monotonic();"
               "rc=subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL).returncode;"
               "u=resource.getrusage(resource.RUSAGE_CHILDREN);"
               "print(json.dumps([time.monotonic()-t,u.ru_maxrss,rc,u.ru_utime+u.ru_stime]))")
    before = cpu_seconds(server)
    out = subprocess.run([sys.executable, "-c", wrapper, *cmd], env=env, capture_output=True, text=True, check=True)
    wall, rss_kb, rc, cpu = json.loads(out.stdout.strip().splitlines()[-1])
    return wall, rss_kb / 1024, rc, cpu, cpu_seconds(server) - before


def key(kind: str, resource: str, region: str | None) -> str:
    return {"account": "account", "region": f"region:{region}"}.get(kind, resource)


def agree(govscan: str, prowler: str) -> bool:
    """Same verdict; Prowler has no "not applicable" and reports PASS ("User x does not have
    Console Password enabled") where the govscan control does not apply (notapplicable)."""
    return govscan == prowler or (govscan == "notapplicable" and prowler == "pass")


def govscan_verdicts(db: str) -> tuple[dict[tuple[str, str], str], int]:
    from scanner.store import Store

    view = Store(db).view()
    out: dict[tuple[str, str], str] = {}
    for f in view.findings():
        if f["control_id"] in PAIRS and f["status"] in ("pass", "fail", "notapplicable"):
            kind = PAIRS[f["control_id"]][1]
            out[(f["control_id"], key(kind, f["resource_id"], f["region"] or REGION))] = f["status"]
    return out, int(view.targets[0]["api_calls"] or 0)


def prowler_verdicts(outdir: str) -> dict[tuple[str, str], str]:
    by_check: dict[str, dict[str, list[str]]] = {}
    for path in glob.glob(f"{outdir}/*.ocsf.json"):
        for f in json.loads(Path(path).read_text()):
            check = f["metadata"]["event_code"]
            region = (f.get("cloud") or {}).get("region") or REGION
            for res in f.get("resources") or [{}]:
                by_check.setdefault(check, {}).setdefault(f"{res.get('uid')}|{region}", []).append(f["status_code"])
    out: dict[tuple[str, str], str] = {}
    for control, (checks, kind) in PAIRS.items():
        merged: dict[str, list[str]] = {}
        for check in checks:
            for rk, statuses in by_check.get(check, {}).items():
                uid, region = rk.split("|")
                merged.setdefault(key(kind, uid, region), []).extend(statuses)
        for k, statuses in merged.items():
            if any(s == "FAIL" for s in statuses):
                out[(control, k)] = "fail"
            elif all(s == "PASS" for s in statuses):
                out[(control, k)] = "pass"
    return out


def run_size(scale: int, prowler: Path | None) -> dict[str, Any]:
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    env = dict(os.environ, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION=REGION,
               AWS_ENDPOINT_URL=endpoint, MOTO_EC2_LOAD_DEFAULT_AMIS="false",
               # S3 Control calls go to <account>.<endpoint host>: let the moto server proxy them
               HTTP_PROXY=endpoint, NO_PROXY="")
    env.pop("AWS_PROFILE", None)
    with tempfile.TemporaryDirectory() as tmp:
        log = open(Path(tmp) / "moto.log", "w+")
        server = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(port)], stdout=log,
                                  stderr=subprocess.STDOUT, env=env)
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
            seeded = json.loads(subprocess.run([sys.executable, str(HERE / "aws_seed.py"), endpoint, str(scale)],
                                               env=env, capture_output=True, text=True, check=True).stdout)

            def requests_logged() -> int:
                log.flush()
                return sum(1 for line in open(log.name) if '" 2' in line or '" 4' in line or '" 5' in line)

            res: dict[str, Any] = {"scale": scale, "resources": seeded["total"]}
            db = str(Path(tmp) / "g.db")
            before = requests_logged()
            res["govscan"] = measured(["govscan", "scan", f"aws:///{REGION}", "--db", db, "-p", "aws-foundations",
                                       "--gate", "none"], env, server.pid)
            res["govscan_requests"] = requests_logged() - before
            g, res["govscan_api_calls"] = govscan_verdicts(db)
            if prowler:
                outdir = str(Path(tmp) / "prowler")
                before = requests_logged()
                res["prowler"] = measured([str(prowler), "aws", "-f", REGION, "--service", "iam", "s3", "ec2",
                                           "cloudtrail", "kms", "rds", "vpc", "--aws-retries-max-attempts", "0",
                                           # check every security group, in use or not, as govscan does
                                           "--scan-unused-services",
                                           "-M", "json-ocsf", "-o", outdir, "--no-banner"], env, server.pid)
                res["prowler_requests"] = requests_logged() - before
                p = prowler_verdicts(outdir)
                shared = sorted(set(g) & set(p))
                res["shared"] = len(shared)
                res["agree"] = sum(1 for k in shared if agree(g[k], p[k]))
                res["na_pass"] = sum(1 for k in shared if g[k] == "notapplicable" and p[k] == "pass")
                res["disagreements"] = [(c, r, g[(c, r)], p[(c, r)]) for c, r in shared
                                        if not agree(g[(c, r)], p[(c, r)])]
                res["only_govscan"] = sorted(set(g) - set(p))
                res["only_prowler"] = sorted(set(p) - set(g))
            return res
        finally:
            server.terminate()
            server.wait(timeout=10)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="14,280", help="seed scales (about 4.3 resources each)")
    ap.add_argument("--skip-prowler", action="store_true")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON to this file")
    args = ap.parse_args()
    prowler = None if args.skip_prowler else ensure_prowler()
    results = []
    for scale in (int(s) for s in args.sizes.split(",")):
        r = run_size(scale, prowler)
        results.append(r)
        if args.json:  # written after each size: a later failure keeps the figures measured so far
            Path(args.json).write_text(json.dumps(results, indent=2, default=list) + "\n")
        gw, gm, _, gc, gs = r["govscan"]
        print(f"\n== {r['resources']} resources (load average {os.getloadavg()[0]:.1f}) ==")
        print(f"govscan: {gw:7.1f} s  {gm:6.0f} MB peak  {r['govscan_api_calls']} API calls "
              f"({r['govscan_requests']} requests at the server)  CPU {gc:.1f} s + moto server {gs:.1f} s")
        if prowler:
            pw, pm, _, pc, ps = r["prowler"]
            print(f"prowler: {pw:7.1f} s  {pm:6.0f} MB peak  {r['prowler_requests']} requests at the server"
                  f"  CPU {pc:.1f} s + moto server {ps:.1f} s")
            print(f"ratio:   {pw / gw:5.1f}x faster, {pm / gm:4.1f}x less memory, "
                  f"{(pc + ps) / (gc + gs):4.1f}x less CPU (tool + server)")
            print(f"verdicts on shared checks: {r['agree']}/{r['shared']} agree, of which {r['na_pass']} "
                  f"govscan notapplicable = Prowler PASS (only govscan: {len(r['only_govscan'])}, "
                  f"only prowler: {len(r['only_prowler'])})")
            for c, k, gv, pv in r["disagreements"]:
                print(f"  DISAGREE {c} {k}: govscan={gv} prowler={pv}")
            for side in ("only_govscan", "only_prowler"):
                for c, k in r[side]:
                    print(f"  {side.upper()} {c} {k}")


if __name__ == "__main__":
    main()
