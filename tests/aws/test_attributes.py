"""Collectors read only what the selected controls need (``CollectContext.attributes``).

Each test counts the real botocore calls (the provider's own call counter) and checks that a
control's verdicts are the same as with a full collection.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Mapping

import boto3
import pytest

from .conftest import ACCOUNT, Seeded

SPEC = "aws:///us-east-1"
CONTROLS = Path(__file__).resolve().parents[2] / "policies" / "controls" / "aws"
_ALL = object()


def controls() -> dict[str, Any]:
    from scanner.policy import load_controls

    return load_controls([str(CONTROLS)])


def run(types: set[str], attributes: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Counter[str]]:
    """Collect ``types`` for SPEC with this attribute map; returns (collection, calls per API)."""
    import checks.aws.runner as runner
    from checks.aws.provider import AwsProvider
    from scanner.provider import CollectContext

    sessions: list[Any] = []

    class Recorded(runner.AwsSession):  # the real session; only remembered to read its counter
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            sessions.append(self)

    monkeypatch.setattr(runner, "AwsSession", Recorded)
    prov = AwsProvider()
    target = prov.parse_target(SPEC, {})[0]
    c = prov.collect(target, frozenset(types), CollectContext(attributes=attributes))
    assert c.fatal is None and c.errors == [] and c.facts["repeated_calls"] == []
    calls = Counter(dict(sessions[0].counter.calls))
    assert sum(calls.values()) == c.api_calls
    return c, calls


def needed(*control_ids: str) -> Mapping[str, frozenset[str]]:
    """The attribute map the engine hands collectors for these controls."""
    from scanner.engine import _attributes_needed

    found = controls()
    return _attributes_needed([found[cid] for cid in control_ids], [])


def verdicts(control_id: str, collection: Any) -> dict[str, tuple[str, str]]:
    from checks.aws.provider import AwsProvider
    from scanner.evaluate import evaluate_control

    control = controls()[control_id]
    target = AwsProvider().parse_target(SPEC, {})[0]
    return {f.resource_id: (f.status.value, f.message) for f in evaluate_control(control, target, collection)}


def unlocated_buckets() -> int:
    """Buckets ListBuckets names without a BucketRegion: each costs one GetBucketLocation."""
    return sum(1 for b in boto3.client("s3").list_buckets()["Buckets"] if not b.get("BucketRegion"))


BASE = {"sts:GetCallerIdentity": 1}
REGIONS = {"ec2:DescribeRegions": 1}  # regional types list the regions first


def test_encryption_control_reads_only_bucket_encryption(seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    c, calls = run({"aws.s3.bucket"}, needed("aws-s3-encryption-at-rest"), monkeypatch)
    n = len(c.resources["aws.s3.bucket"])
    assert n == 3
    expected = {**BASE, "s3:ListBuckets": 1, "s3:GetBucketEncryption": n, "s3:GetBucketLocation": unlocated_buckets()}
    assert calls == Counter({k: v for k, v in expected.items() if v})
    # what nobody reads is absent, not a default that could pass
    assert {frozenset(r.attrs) for r in c.resources["aws.s3.bucket"]} == {frozenset({"Name", "Region", "Encryption"})}
    full, _ = run({"aws.s3.bucket"}, None, monkeypatch)
    got = verdicts("aws-s3-encryption-at-rest", c)
    assert got == verdicts("aws-s3-encryption-at-rest", full)
    assert got["arn:aws:s3:::gs-good"][0] == "pass" and got["arn:aws:s3:::gs-bad"][0] == "fail"


# control -> the calls its attributes need beyond sts:GetCallerIdentity (n = buckets, k = keys)
CASES: dict[str, tuple[set[str], Any]] = {
    # the policy (evidence) first; its status only for the one bucket that has a policy
    "aws-s3-no-public-policy": ({"aws.s3.bucket"}, lambda n, k: {
        "s3:ListBuckets": 1, "s3:GetBucketPolicy": n, "s3:GetBucketPolicyStatus": 1}),
    "aws-s3-access-logging": ({"aws.s3.bucket"}, lambda n, k: {"s3:ListBuckets": 1, "s3:GetBucketLogging": n}),
    "aws-kms-key-rotation": ({"aws.kms.key"}, lambda n, k: {
        **REGIONS, "kms:ListKeys": 1, "kms:DescribeKey": k, "kms:GetKeyRotationStatus": k}),
    "aws-cloudtrail-log-validation": ({"aws.cloudtrail.trail"}, lambda n, k: {
        **REGIONS, "cloudtrail:DescribeTrails": 1}),
    "aws-cloudtrail-bucket-access-logging": ({"aws.cloudtrail.trail"}, lambda n, k: {
        **REGIONS, "cloudtrail:DescribeTrails": 1, "s3:ListBuckets": 1, "s3:GetBucketLogging": 1}),
    "aws-iam-password-min-length": ({"aws.account"}, lambda n, k: {"iam:GetAccountPasswordPolicy": 1}),
    "aws-iam-support-role": ({"aws.account"}, lambda n, k: {"iam:GetAccountAuthorizationDetails": 1}),
    "aws-vpc-flow-logs": ({"aws.vpc"}, lambda n, k: {**REGIONS, "ec2:DescribeVpcs": 1, "ec2:DescribeFlowLogs": 1}),
}


@pytest.mark.parametrize("control_id", sorted(CASES))
def test_a_control_alone_makes_exactly_its_calls_with_the_same_verdicts(
        control_id: str, seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    types, calls_for = CASES[control_id]
    c, calls = run(types, needed(control_id), monkeypatch)
    full, full_calls = run(types, None, monkeypatch)
    expected = {**BASE, **calls_for(3, 2)}
    if "s3:ListBuckets" in expected:  # S3 reads go to the bucket's region (the trail's: one bucket)
        expected["s3:GetBucketLocation"] = unlocated_buckets() if "aws.s3.bucket" in types else \
            min(1, unlocated_buckets())
    assert calls == Counter({k: v for k, v in expected.items() if v})
    assert calls <= full_calls  # never more than a full collection
    got = verdicts(control_id, c)
    assert got and got == verdicts(control_id, full)


def test_account_block_decides_effective_block_without_bucket_reads(
        seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    only_effective = {"aws.s3.bucket": frozenset({"Name", "effective_public_access_blocked"})}
    c, calls = run({"aws.s3.bucket"}, only_effective, monkeypatch)
    # the account does not block: each bucket's own setting must be read
    assert calls["s3:GetPublicAccessBlock"] == 3 and calls["s3-control:GetPublicAccessBlock"] == 1
    assert {r.id: r.attrs["effective_public_access_blocked"] for r in c.resources["aws.s3.bucket"]} == {
        "arn:aws:s3:::gs-good": True, "arn:aws:s3:::gs-bad": False, "arn:aws:s3:::gs-logs": False}
    control = boto3.client("s3control")
    control.put_public_access_block(AccountId=ACCOUNT, PublicAccessBlockConfiguration={
        k: True for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")})
    try:
        c, calls = run({"aws.s3.bucket"}, only_effective, monkeypatch)
    finally:
        control.delete_public_access_block(AccountId=ACCOUNT)
    assert calls["s3:GetPublicAccessBlock"] == 0 and calls["s3-control:GetPublicAccessBlock"] == 1
    assert {r.attrs["effective_public_access_blocked"] for r in c.resources["aws.s3.bucket"]} == {True}
    assert all("PublicAccessBlock" not in r.attrs for r in c.resources["aws.s3.bucket"])


def test_policy_status_alone_is_asked_directly(seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    c, calls = run({"aws.s3.bucket"}, {"aws.s3.bucket": frozenset({"Name", "policy_is_public"})}, monkeypatch)
    # without a policy AWS answers NoSuchBucketPolicy, i.e. not public: no GetBucketPolicy needed
    assert calls["s3:GetBucketPolicyStatus"] == 3 and calls["s3:GetBucketPolicy"] == 0
    assert {r.id: r.attrs["policy_is_public"] for r in c.resources["aws.s3.bucket"]} == {
        f"arn:aws:s3:::{n}": False for n in ("gs-good", "gs-bad", "gs-logs")}
    assert all("Policy" not in r.attrs and "tls_only_policy" not in r.attrs for r in c.resources["aws.s3.bucket"])


def test_a_tag_waiver_makes_the_collector_read_tags(seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    attrs = {"aws.s3.bucket": needed("aws-s3-encryption-at-rest")["aws.s3.bucket"] | {"Tags", "tags"}}
    c, calls = run({"aws.s3.bucket"}, attrs, monkeypatch)
    assert calls["s3:GetBucketTagging"] == 3
    assert all(r.attrs["Tags"] == {} for r in c.resources["aws.s3.bucket"])


def test_without_an_attribute_map_everything_is_collected(seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    from checks.aws.provider import AwsProvider

    c, calls = run({"aws.s3.bucket", "aws.account", "aws.kms.key"}, None, monkeypatch)
    for op in ("GetBucketEncryption", "GetBucketVersioning", "GetPublicAccessBlock", "GetBucketPolicy",
               "GetBucketAcl", "GetBucketLogging", "GetBucketTagging"):
        assert calls[f"s3:{op}"] == 3, op
    assert calls["s3:GetBucketPolicyStatus"] == 1  # only gs-good has a policy
    assert calls["kms:GetKeyRotationStatus"] == 2
    declared = {t.name: t.attribute_names() for t in AwsProvider().resource_types()}
    for rtype in ("aws.s3.bucket", "aws.account", "aws.kms.key"):
        for r in c.resources[rtype]:
            assert set(r.attrs) >= declared[rtype], (r.id, declared[rtype] - set(r.attrs))


def test_a_truncated_bucket_listing_is_listed_again(seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    import checks.aws.s3 as s3

    # moto cuts a MaxBuckets listing short without a continuation token; AWS pages it. A full page
    # without a token is listed again whole rather than missing buckets.
    monkeypatch.setattr(s3, "_PAGE", 2)
    c, calls = run({"aws.s3.bucket"}, needed("aws-s3-encryption-at-rest"), monkeypatch)
    assert calls["s3:ListBuckets"] == 2
    assert {r.attrs["Name"] for r in c.resources["aws.s3.bucket"]} == {"gs-good", "gs-bad", "gs-logs"}


def test_a_bucket_outside_the_scanned_regions_costs_no_sub_read(
        seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    s3 = boto3.client("s3", region_name="eu-west-1")
    s3.create_bucket(Bucket="gs-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    try:
        # only a global type selected: the configured region (us-east-1) still bounds S3
        c, calls = run({"aws.s3.bucket"}, needed("aws-s3-encryption-at-rest"), monkeypatch)
    finally:
        s3.delete_bucket(Bucket="gs-eu")
    assert {r.attrs["Name"] for r in c.resources["aws.s3.bucket"]} == {"gs-good", "gs-bad", "gs-logs"}
    assert calls["s3:GetBucketEncryption"] == 3
