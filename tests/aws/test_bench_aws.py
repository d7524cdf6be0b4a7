"""bench/aws_seed.py runs every ``bench/aws_seed_*.py`` plug-in; bench/aws_bench.py counts verdicts
strictly. Speed is never asserted."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture
def seed_mod(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """bench/aws_seed.py looking for plug-ins in tmp_path, which holds two."""
    sys.path.insert(0, str(BENCH))
    try:
        import aws_seed
    finally:
        sys.path.remove(str(BENCH))
    (tmp_path / "aws_seed_alpha.py").write_text(
        "PAIRS = {'aws-alpha-x': (('alpha_check',), 'resource')}\n"
        "PROWLER_SERVICES = ('alpha', 's3')\n"
        "def seed(client, scale):\n"
        "    s3 = client('s3')\n"
        "    for i in range(scale):\n"
        "        s3.create_bucket(Bucket=f'alpha-{i}')\n"
        "    return {'buckets': scale}\n")
    (tmp_path / "aws_seed_beta.py").write_text(
        "PAIRS = {'aws-beta-y': (('beta_a', 'beta_b'), 'account')}\n"
        "PROWLER_SERVICES = ('beta',)\n"
        "def seed(client, scale):\n"
        "    client('iam').create_user(UserName='beta-user')\n"
        "    return {'users': 1}\n")
    monkeypatch.setattr(aws_seed, "HERE", tmp_path)
    return aws_seed


def test_plugins_are_found_and_merged(seed_mod: Any) -> None:
    assert [f for f, _ in seed_mod.plugins()] == ["alpha", "beta"]
    pairs = seed_mod.all_pairs({"aws-s3-versioning": (("s3_bucket_object_versioning",), "resource")})
    assert pairs == {"aws-s3-versioning": (("s3_bucket_object_versioning",), "resource"),
                     "aws-alpha-x": (("alpha_check",), "resource"), "aws-beta-y": (("beta_a", "beta_b"), "account")}
    assert seed_mod.prowler_services(("iam", "s3")) == ("iam", "s3", "alpha", "beta")


def test_seed_runs_every_plugin_in_each_account(seed_mod: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through moto in-process: the base account, the plug-ins, and a member account whose bucket
    names get its id (bucket names are global)."""
    import boto3
    from moto import mock_aws

    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    with mock_aws():
        counts = seed_mod.seed(None, 2)
        assert counts["alpha.buckets"] == 2 and counts["beta.users"] == 1 and counts["buckets"] == 2
        assert counts["total"] == sum(v for k, v in counts.items() if k != "total")
        member = "210987654321"
        again = seed_mod.seed(None, 2, f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole")
        assert again["total"] == counts["total"]
        creds = boto3.client("sts").assume_role(RoleArn=f"arn:aws:iam::{member}:role/X", RoleSessionName="test")
        s3 = boto3.Session(aws_access_key_id=creds["Credentials"]["AccessKeyId"],
                           aws_secret_access_key=creds["Credentials"]["SecretAccessKey"],
                           aws_session_token=creds["Credentials"]["SessionToken"]).client("s3")
        assert "alpha-0" in {b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]}
        names = {b["Name"] for b in s3.list_buckets()["Buckets"]}
        assert {f"alpha-0-{member}", f"bench-bucket-0000-{member}", f"bench-trail-logs-{member}"} <= names
        policy = json.loads(s3.get_bucket_policy(Bucket=f"bench-bucket-0000-{member}")["Policy"])
        assert policy["Statement"][0]["Resource"] == [f"arn:aws:s3:::bench-bucket-0000-{member}",
                                                      f"arn:aws:s3:::bench-bucket-0000-{member}/*"]


def test_agreement_is_strict() -> None:
    sys.path.insert(0, str(BENCH))
    try:
        import aws_bench
    finally:
        sys.path.remove(str(BENCH))
    g = {("c", "r1"): "pass", ("c", "r2"): "notapplicable", ("c", "r3"): "error", ("c", "r4"): "fail",
         ("c", "r5"): "pass", ("d", "r1"): "fail"}
    p = {("c", "r1"): "pass", ("c", "r2"): "pass", ("c", "r3"): "fail", ("c", "r4"): "fail",
         ("c", "r5"): "fail", ("e", "r1"): "pass"}
    v = aws_bench.compare_prowler(g, p)
    assert (v["shared"], v["agree"], v["govscan_errors"]) == (5, 2, 1)
    assert {d["class"]: d["count"] for d in v["disagreements"]} == {
        "c: govscan notapplicable / prowler pass": 1, "c: govscan error / prowler fail": 1,
        "c: govscan pass / prowler fail": 1}
    assert v["only_govscan"] == {"d": 1} and v["only_prowler"] == {"e": 1}
    rows = aws_bench.compare_custodian({("c", "arn:aws:s3:::b1"): "fail", ("c", "arn:aws:s3:::b2"): "pass",
                                        ("c", "arn:aws:s3:::b3"): "fail"}, {"c": {"b1", "b2"}})
    assert rows == {"c": {"both_fail": 1, "custodian_only": 1, "govscan_only": 1, "custodian_matched": 2}}


def test_custodian_policies_name_govscan_controls() -> None:
    import yaml

    from checks.aws.coverage_table import aws_controls

    ids = {c.id for c in aws_controls()}
    names = [p["name"] for p in yaml.safe_load((BENCH / "aws_custodian.yml").read_text())["policies"]]
    assert names and set(names) <= ids and len(names) == len(set(names))


def test_run_all_rows_of_the_aws_bench() -> None:
    sys.path.insert(0, str(BENCH))
    try:
        import run_all
    finally:
        sys.path.remove(str(BENCH))
    m = {"wall_s": 2.0, "cpu_s": 1.0, "server_cpu_s": 0.5, "peak_rss_mb": 100, "requests": 1200}
    fig = {"runs": [
        {"resources": 1176, "govscan": {**m, "store": {"api_calls": 1199, "repeated_calls": []}},
         "prowler": {**m, "wall_s": 20.0, "timed_out": True, "verdicts": {"agree": 9, "shared": 10}}},
        {"accounts": 6, "resources": 1176, "govscan": {**m, "store": {"api_calls": 1199, "repeated_calls": ["x"]}}}]}
    rows = run_all.rows_aws(fig)
    assert rows[0] == ("aws", "govscan, one account, 1,176 resources (moto)",
                       "2.0 s (CPU 1.0 s + moto 0.5 s), 100 MB peak, 1,199 API calls, 0 repeated")
    assert rows[1][2].startswith("timed out after 20.0 s") and rows[1][2].endswith("verdicts agree 9/10 (strict)")
    assert rows[2] == ("aws", "Custodian, one account, 1,176 resources", "not run")
    assert rows[3][1] == "govscan, 6-account Organization, 1,176 resources (moto)" and "1 repeated" in rows[3][2]
