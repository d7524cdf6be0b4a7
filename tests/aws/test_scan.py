"""End to end: the aws-foundations profile on the seeded account, through the engine and the store."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from .conftest import ACCOUNT, Seeded
from .test_identity import seeded_account_expected

TARGET = "aws:///us-east-1,eu-west-1"
E, W = "us-east-1", "eu-west-1"


@pytest.fixture(scope="module")
def scan(seeded: Seeded, tmp_path_factory: pytest.TempPathFactory) -> Any:
    from scanner.engine import ScanRequest, run_scan
    from scanner.store import Store

    store = Store(tmp_path_factory.mktemp("aws") / "scan.db")
    outcome = run_scan(ScanRequest(targets=[TARGET], profiles=["aws-foundations"]), store)
    view = store.view(outcome.scan_id)
    return view, {(f["control_id"], f["resource_id"], f["status"]): f["message"] for f in view.findings()}


def expected(s: Seeded) -> set[tuple[str, str, str]]:
    acct, root = f"arn:aws:::{ACCOUNT}", f"arn:aws:iam::{ACCOUNT}:root"
    user = lambda n: f"arn:aws:iam::{ACCOUNT}:user/{n}"  # noqa: E731
    bucket = lambda n: f"arn:aws:s3:::{n}"  # noqa: E731
    sg = lambda r, g: f"arn:aws:ec2:{r}:{ACCOUNT}:security-group/{g}"  # noqa: E731
    inst = lambda i: f"arn:aws:ec2:{E}:{ACCOUNT}:instance/{i}"  # noqa: E731
    vpc = lambda r, v: f"arn:aws:ec2:{r}:{ACCOUNT}:vpc/{v}"  # noqa: E731
    key = lambda k: f"arn:aws:kms:{E}:{ACCOUNT}:key/{k}"  # noqa: E731
    region = lambda r, what: f"{ACCOUNT}/{r}/{what}"  # noqa: E731
    good_db, bad_db, trail = s["good_db"], s["bad_db"], s["trail"]
    sgs = [sg(E, s["default_sg"]), sg(E, s["ssh_sg"]), sg(E, s["web_sg"]), sg(W, s["default_sg_eu"])]
    out = {
        ("aws-account-security-contact", acct, "fail"),
        ("aws-iam-password-min-length", acct, "fail"),
        ("aws-iam-password-reuse", acct, "pass"),
        ("aws-iam-password-complexity", acct, "pass"),
        ("aws-iam-password-max-age", acct, "fail"),
        ("aws-iam-support-role", acct, "fail"),
        ("aws-s3-account-public-access-block", acct, "fail"),
        ("aws-iam-root-no-access-keys", root, "pass"),
        ("aws-iam-root-mfa", root, "fail"),
        ("aws-iam-root-hardware-mfa", root, "fail"),
        ("aws-iam-root-not-used", root, "fail"),  # moto's report has no root row: usage unknown
        ("aws-iam-user-console-mfa", user("alice"), "fail"),
        ("aws-iam-user-console-mfa", user("bob"), "notapplicable"),
        ("aws-iam-user-console-mfa", user("carol"), "notapplicable"),
        ("aws-iam-user-unused-password", user("alice"), "pass"),
        ("aws-iam-user-unused-password", user("bob"), "notapplicable"),
        ("aws-iam-user-unused-password", user("carol"), "notapplicable"),
        ("aws-iam-user-unused-access-keys", user("alice"), "notapplicable"),
        ("aws-iam-user-unused-access-keys", user("bob"), "pass"),
        ("aws-iam-user-unused-access-keys", user("carol"), "pass"),
        ("aws-iam-user-key-rotation", user("alice"), "notapplicable"),
        ("aws-iam-user-key-rotation", user("bob"), "pass"),
        ("aws-iam-user-key-rotation", user("carol"), "pass"),
        ("aws-iam-user-single-active-key", user("alice"), "pass"),
        ("aws-iam-user-single-active-key", user("bob"), "fail"),
        ("aws-iam-user-single-active-key", user("carol"), "pass"),
        ("aws-iam-user-no-direct-policies", user("alice"), "pass"),
        ("aws-iam-user-no-direct-policies", user("bob"), "fail"),
        ("aws-iam-user-no-direct-policies", user("carol"), "pass"),
        # the unattached admin policy is out of scope (no finding), not a pass
        ("aws-iam-no-full-admin-policies", s["admin_policy"], "fail"),
        ("aws-iam-no-full-admin-policies", s["reader_policy"], "pass"),
        ("aws-iam-no-expired-certificates", f"aws://{ACCOUNT}/us-east-1,eu-west-1", "notapplicable"),
        ("aws-ebs-default-encryption", region(E, "ebs-encryption-by-default"), "pass"),
        ("aws-ebs-default-encryption", region(W, "ebs-encryption-by-default"), "fail"),
        ("aws-cloudtrail-multi-region", region(E, "cloudtrail"), "pass"),
        ("aws-cloudtrail-multi-region", region(W, "cloudtrail"), "pass"),
        ("aws-cloudtrail-region-covered", region(E, "cloudtrail"), "pass"),
        ("aws-cloudtrail-region-covered", region(W, "cloudtrail"), "pass"),
        ("aws-cloudtrail-s3-write-events", region(E, "cloudtrail"), "fail"),
        ("aws-cloudtrail-s3-write-events", region(W, "cloudtrail"), "fail"),
        ("aws-cloudtrail-s3-read-events", region(E, "cloudtrail"), "fail"),
        ("aws-cloudtrail-s3-read-events", region(W, "cloudtrail"), "fail"),
        ("aws-cloudtrail-log-validation", trail, "pass"),
        ("aws-cloudtrail-logging", trail, "pass"),
        ("aws-cloudtrail-kms", trail, "fail"),
        ("aws-cloudtrail-bucket-access-logging", trail, "fail"),
        ("aws-cloudtrail-cloudwatch-logs", trail, "fail"),
        ("aws-config-recorder-enabled", region(E, "config-recorder"), "pass"),
        ("aws-config-recorder-enabled", region(W, "config-recorder"), "fail"),
        ("aws-config-all-resources", region(E, "config-recorder"), "pass"),
        ("aws-config-all-resources", region(W, "config-recorder"), "notapplicable"),
        ("aws-config-delivery-healthy", region(E, "config-recorder"), "pass"),
        ("aws-config-delivery-healthy", region(W, "config-recorder"), "notapplicable"),
        ("aws-guardduty-enabled", region(E, "guardduty"), "pass"),
        ("aws-guardduty-enabled", region(W, "guardduty"), "fail"),
        ("aws-kms-key-rotation", key(s["rotated_key"]), "pass"),
        ("aws-kms-key-rotation", key(s["stale_key"]), "fail"),
        ("aws-kms-no-pending-deletion", key(s["rotated_key"]), "pass"),
        ("aws-kms-no-pending-deletion", key(s["stale_key"]), "pass"),
        ("aws-vpc-flow-logs", vpc(E, s["vpc"]), "pass"),
        ("aws-vpc-flow-logs", vpc(W, s["vpc_eu"]), "fail"),
        ("aws-ec2-default-sg-restricts-all", sg(E, s["default_sg"]), "fail"),  # default egress rule
        ("aws-ec2-default-sg-restricts-all", sg(W, s["default_sg_eu"]), "fail"),
        ("aws-ec2-imdsv2", inst(s["good_instance"]), "pass"),
        ("aws-ec2-imdsv2", inst(s["bad_instance"]), "fail"),
        ("aws-ec2-no-public-ip", inst(s["good_instance"]), "fail"),  # moto assigns public IPs
        ("aws-ec2-no-public-ip", inst(s["bad_instance"]), "fail"),
        ("aws-ec2-instance-profile", inst(s["good_instance"]), "fail"),
        ("aws-ec2-instance-profile", inst(s["bad_instance"]), "fail"),
        ("aws-rds-encryption", good_db, "pass"), ("aws-rds-encryption", bad_db, "fail"),
        ("aws-rds-no-public-access", good_db, "pass"), ("aws-rds-no-public-access", bad_db, "fail"),
        ("aws-rds-auto-minor-upgrade", good_db, "pass"), ("aws-rds-auto-minor-upgrade", bad_db, "pass"),
        ("aws-rds-backup-retention", good_db, "fail"), ("aws-rds-backup-retention", bad_db, "fail"),
        ("aws-rds-deletion-protection", good_db, "fail"), ("aws-rds-deletion-protection", bad_db, "fail"),
        ("aws-rds-multi-az", good_db, "fail"), ("aws-rds-multi-az", bad_db, "fail"),
    }
    for g in sgs:
        out.add(("aws-ec2-sg-no-world-admin-ipv4", g, "fail" if g == sg(E, s["ssh_sg"]) else "pass"))
        for cid in ("aws-ec2-sg-no-world-admin-ipv6", "aws-ec2-sg-no-world-all-traffic",
                    "aws-ec2-sg-no-world-database-ports", "aws-ec2-sg-no-world-cleartext-ports"):
            out.add((cid, g, "pass"))
    for name, verdicts in {
        "gs-good": dict(enc="pass", tls="pass", ver="pass", mfa="fail", bpa="pass", acl="pass", log="pass"),
        "gs-bad": dict(enc="fail", tls="fail", ver="fail", mfa="fail", bpa="fail", acl="fail", log="fail"),
        "gs-logs": dict(enc="fail", tls="fail", ver="fail", mfa="fail", bpa="fail", acl="pass", log="fail"),
    }.items():
        for short, cid in (("enc", "aws-s3-encryption-at-rest"), ("tls", "aws-s3-tls-only"),
                           ("ver", "aws-s3-versioning"), ("mfa", "aws-s3-mfa-delete"),
                           ("bpa", "aws-s3-bucket-public-access-block"), ("acl", "aws-s3-no-public-acl"),
                           ("log", "aws-s3-access-logging")):
            out.add((cid, bucket(name), verdicts[short]))
        out.add(("aws-s3-no-public-policy", bucket(name), "pass"))
        out.add(("aws-s3-no-foreign-write", bucket(name), "pass"))
        out.add(("aws-s3-event-notifications", bucket(name), "fail"))
        # gs-logs receives gs-good's access logs and the trail's logs, without Object Lock
        out.add(("aws-s3-log-bucket-object-lock", bucket(name), "fail" if name == "gs-logs" else "notapplicable"))
    return out | data_services(s) | monitoring_expected()


AUTOMATED_SNAPSHOT_CONTROLS = ("aws-rds-snapshot-not-public", "aws-rds-snapshot-encrypted")


def data_services(s: Seeded) -> set[tuple[str, str, str]]:
    """The data-service controls on the seeded account: its two RDS instances and nothing else."""
    from .datasvc import control_ids

    dbs = (s["good_db"], s["bad_db"])
    out = {(c, db, status) for db in dbs for c, status in (
        ("aws-rds-iam-auth", "fail"), ("aws-rds-log-exports", "fail"), ("aws-rds-no-default-admin", "pass"),
        ("aws-rds-non-default-port", "fail"), ("aws-rds-copy-tags-to-snapshots", "fail"),
        ("aws-rds-enhanced-monitoring", "error"))}  # moto does not return MonitoringInterval
    events = lambda r: f"{ACCOUNT}/{r}/rds-event-subscriptions"  # noqa: E731
    out |= {("aws-rds-sg-event-subscription", events(E), "fail"), ("aws-rds-sg-event-subscription", events(W), "notapplicable"),
            ("aws-rds-instance-event-subscription", events(E), "fail"),
            ("aws-rds-instance-event-subscription", events(W), "notapplicable"),
            ("aws-rds-cluster-event-subscription", events(E), "notapplicable"),
            ("aws-rds-cluster-event-subscription", events(W), "notapplicable"),
            ("aws-backup-plan-exists", f"{ACCOUNT}/{E}/backup", "fail"),
            ("aws-backup-plan-exists", f"{ACCOUNT}/{W}/backup", "fail")}
    decided = {c for c, _, _ in out} | set(AUTOMATED_SNAPSHOT_CONTROLS)
    empty = [c for f in ("rds.yaml", "dynamodb.yaml", "efs.yaml", "messaging.yaml", "opensearch.yaml",
                         "redshift.yaml", "elasticache.yaml", "backup.yaml") for c in control_ids(f) if c not in decided]
    return out | {(c, f"aws://{ACCOUNT}/{E},{W}", "notapplicable") for c in empty}  # no such resource


def monitoring_expected() -> set[tuple[str, str, str]]:
    """Monitoring, detection and edge controls on the seeded account (their own modules test both ways)."""
    from checks.aws.cwpattern import CIS_EVENTS

    region = lambda r, what: f"{ACCOUNT}/{r}/{what}"  # noqa: E731
    none_in_scope = (  # the seeded account has no such resource: one notapplicable per control
        "aws-apigateway-rest-api-authorization", "aws-apigatewayv2-route-authorization",
        "aws-apigatewayv2-stage-access-logging", "aws-cloudwatch-alarm-actions-enabled",
        "aws-cloudwatch-alarm-has-actions", "aws-logs-group-kms", "aws-logs-group-retention",
        *(f"aws-apigateway-stage-{c}" for c in ("access-logging", "cache-encrypted", "client-certificate",
                                                 "execution-logging", "tracing", "waf")),
        *(f"aws-cloudfront-{c}" for c in ("default-root-object", "field-level-encryption", "https-only", "logging",
                                          "min-tls", "origin-https", "origin-tls", "s3-origin-access", "waf")),
        *(f"aws-route53-{c}" for c in ("dnssec", "domain-auto-renew", "domain-transfer-lock", "query-logging")),
        *(f"aws-wafv2-webacl-{c}" for c in ("has-rules", "logging", "managed-rules", "rule-metrics")))
    out = {(c, f"aws://{ACCOUNT}/{E},{W}", "notapplicable") for c in none_in_scope}
    # the seeded trail does not deliver to CloudWatch Logs
    out |= {(f"aws-cloudwatch-cis-{k.replace('_', '-')}", f"{ACCOUNT}/cloudwatch-cis-monitoring", "fail")
            for k in CIS_EVENTS}
    for r in (E, W):
        out |= {("aws-config-rules-compliant", f"aws://{ACCOUNT}/{E},{W}/{r}", "error"),  # moto gap
                ("aws-securityhub-enabled", region(r, "securityhub"), "fail"),
                ("aws-securityhub-standards", region(r, "securityhub"), "notapplicable"),
                ("aws-macie-enabled", region(r, "macie"), "pass")}  # moto starts with Macie enabled
        out |= {(f"aws-inspector2-{t}", region(r, "inspector2"), "error") for t in ("ec2", "ecr", "lambda")}
    out |= {("aws-guardduty-s3-protection", region(E, "guardduty"), "fail"),
            ("aws-guardduty-eks-protection", region(E, "guardduty"), "fail"),
            ("aws-guardduty-no-high-findings", region(E, "guardduty"), "error")}  # moto gap: ListFindings
    out |= {(c, region(W, "guardduty"), "notapplicable") for c in (
        "aws-guardduty-s3-protection", "aws-guardduty-eks-protection", "aws-guardduty-no-high-findings")}
    return out


def test_exact_control_resource_status_set(scan: Any, seeded: Seeded) -> None:
    _, found = scan
    want = expected(seeded) | seeded_account_expected(seeded)
    # network ACLs: the default ACL allows all inbound traffic, so admin ports are open (fail)
    nacl = {k for k in found if k[0] == "aws-ec2-nacl-no-world-admin"}
    assert {k[2] for k in nacl} == {"fail"} and len(nacl) == 2
    # volumes are the instances' root volumes created by moto before default encryption was on
    vols = {k for k in found if k[0] == "aws-ebs-volume-encrypted"}
    assert {k[2] for k in vols} == {"fail"} and len(vols) == 2
    # moto takes an automated snapshot of each instance (named by the time): never shared, encrypted
    # like its instance
    snaps = {k for k in found if k[0] in AUTOMATED_SNAPSHOT_CONTROLS}
    assert {(c, re.sub(r"-[0-9-]+$", "", r.rsplit(":", 1)[1]), st) for c, r, st in snaps} == {
        ("aws-rds-snapshot-not-public", "db-good", "pass"), ("aws-rds-snapshot-not-public", "db-bad", "pass"),
        ("aws-rds-snapshot-encrypted", "db-good", "pass"), ("aws-rds-snapshot-encrypted", "db-bad", "fail")}
    # controls added by the other issue 11 service families are proven on their own seeded resources (their
    # modules); here they must only not fail to evaluate on this account
    known = {k[0] for k in want} | {"aws-ec2-nacl-no-world-admin", "aws-ebs-volume-encrypted"} | set(AUTOMATED_SNAPSHOT_CONTROLS)
    assert {k for k in found if k[0] in known} - nacl - vols - snaps == want
    assert {k for k in found if k[0] not in known and k[2] == "error"} == set()


def test_messages_name_the_resource_and_the_problem(scan: Any, seeded: Seeded) -> None:
    _, found = scan
    assert found[("aws-ec2-sg-no-world-admin-ipv4",
                  f"arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/{seeded['ssh_sg']}", "fail")] == (
        f"Security group {seeded['ssh_sg']} opens admin ports to 0.0.0.0/0: 22")
    assert found[("aws-iam-password-min-length", f"arn:aws:::{ACCOUNT}", "fail")] == (
        "Password policy minimum length is 8 (required 14)")
    assert found[("aws-iam-user-single-active-key", f"arn:aws:iam::{ACCOUNT}:user/bob", "fail")] == (
        "User bob has 2 active access keys")


def test_scan_stores_api_call_count_and_account(scan: Any) -> None:
    view, _ = scan
    [target] = view.targets
    assert (target["id"], target["name"]) == (TARGET.replace("aws:///", f"aws://{ACCOUNT}/"), "default")
    assert target["facts"]["account_id"] == ACCOUNT
    assert target["facts"]["repeated_calls"] == []
    assert target["api_calls"] == target["facts"]["api_calls"] > 50


def test_controls_cover_the_cis_automatable_set_and_map_to_frameworks() -> None:
    from scanner.policy import load_controls

    root = Path(__file__).resolve().parents[2] / "policies" / "controls" / "aws"
    controls = load_controls([str(root)])
    assert len(controls) >= 60
    cis = {i for c in controls.values() for i in c.mappings.get("cis-aws-foundations-3.0", ())}
    assert {"1.4", "1.5", "1.6", "1.7", "1.8", "1.9", "1.10", "1.12", "1.13", "1.14", "1.15", "1.16", "1.17",
            "2.1.1", "2.1.2", "2.1.4", "2.2.1", "2.3.1", "2.3.3", "3.1", "3.2", "3.3", "3.4", "3.5", "3.6",
            "3.7", "5.1", "5.2", "5.3", "5.4", "5.6"} <= cis
    moderate = set(json.loads((root.parents[1] / "frameworks" / "fedramp-rev5-moderate.json").read_text())["ids"])
    for c in controls.values():
        assert c.mappings.get("nist-800-53-rev5"), c.id
        assert set(c.mappings.get("fedramp-rev5", ())) <= moderate and c.mappings["fedramp-rev5"], c.id


def test_cli_scan_gates_on_failures(seeded: Seeded, tmp_path: Path) -> None:
    """`govscan scan aws:///us-east-1 -p aws-foundations -c aws-s3-tls-only --gate medium`: exit 1."""
    from click.testing import CliRunner

    from scanner.cli import cli

    db = tmp_path / "cli.db"
    result = CliRunner().invoke(cli, [
        "scan", "aws:///us-east-1", "--db", str(db), "-p", "aws-foundations", "-c", "aws-s3-tls-only",
        "--gate", "medium"])
    assert result.exit_code == 1, result.output
    from scanner.store import Store

    found = {(f["control_id"], f["resource_id"], f["status"]) for f in Store(db).view().findings()}
    assert found == {("aws-s3-tls-only", "arn:aws:s3:::gs-good", "pass"),
                     ("aws-s3-tls-only", "arn:aws:s3:::gs-bad", "fail"),
                     ("aws-s3-tls-only", "arn:aws:s3:::gs-logs", "fail")}
