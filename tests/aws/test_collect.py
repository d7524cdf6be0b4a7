"""The collectors against moto: attributes, call accounting, errors, regions and assume-role."""

from __future__ import annotations

from .conftest import ACCOUNT, Seeded, by_id, collect

ALL_REGIONS = "aws:///us-east-1,eu-west-1"
# Listings moto does not implement: each is an error for its type and region, never an empty pass.
MOTO_GAPS = sorted((t, f"NotImplemented on {api} in {r}") for t, api in (
    ("aws.config.rules", "config:DescribeComplianceByConfigRule"),) for r in ("us-east-1", "eu-west-1"))


def test_seeded_resources_and_derived_attributes(seeded: Seeded) -> None:
    c = collect(ALL_REGIONS)
    assert c.fatal is None and sorted((e.resource_type, e.message) for e in c.errors) == MOTO_GAPS
    buckets = by_id(c, "aws.s3.bucket")
    good, bad = buckets["arn:aws:s3:::gs-good"].attrs, buckets["arn:aws:s3:::gs-bad"].attrs
    assert (good["tls_only_policy"], good["public_access_blocked"], good["versioning_enabled"],
            good["logging_enabled"]) == (True, True, True, True)
    assert (bad["tls_only_policy"], bad["effective_public_access_blocked"], bad["acl_public"],
            bad["Encryption"]) == (False, False, True, None)
    users = {r.attrs["UserName"]: r.attrs for r in c.resources["aws.iam.user"]}
    assert users["alice"]["password_enabled"] and not users["alice"]["mfa_active"]
    assert users["bob"]["active_access_keys"] == 2 and users["bob"]["AttachedManagedPolicies"] == ["admin-all"]
    assert users["carol"]["GroupList"] == ["readers"] and not users["carol"]["has_direct_policies"]
    sgs = by_id(c, "aws.ec2.security_group")
    assert sgs[f"arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/{seeded['ssh_sg']}"].attrs[
        "world_open_ports_ipv4"] == [22]
    settings = by_id(c, "aws.ec2.region_settings")
    assert settings[f"{ACCOUNT}/us-east-1/ebs-encryption-by-default"].attrs["EbsEncryptionByDefault"] is True
    assert settings[f"{ACCOUNT}/eu-west-1/ebs-encryption-by-default"].attrs["EbsEncryptionByDefault"] is False
    trail = by_id(c, "aws.cloudtrail.trail")[seeded["trail"]].attrs
    assert (trail["IsLogging"], trail["LogFileValidationEnabled"], trail["s3_bucket_logging_enabled"]) == (
        True, True, False)
    # the multi-region trail (home us-east-1) covers eu-west-1 too, but is listed once
    assert len(c.resources["aws.cloudtrail.trail"]) == 1
    assert by_id(c, "aws.cloudtrail.region")[f"{ACCOUNT}/eu-west-1/cloudtrail"].attrs["multi_region_logging"]
    keys = {r.attrs["KeyId"]: r.attrs["KeyRotationEnabled"] for r in c.resources["aws.kms.key"]}
    assert keys == {seeded["rotated_key"]: True, seeded["stale_key"]: False}


def test_every_call_is_counted_and_none_is_repeated(seeded: Seeded) -> None:
    c = collect(ALL_REGIONS)
    assert c.facts["repeated_calls"] == []
    assert c.api_calls == c.facts["api_calls"] > 40
    # nothing was retried (moto raises the not-implemented listings in-process, before any HTTP attempt)
    assert c.facts["http_attempts"] == c.api_calls - len(MOTO_GAPS)


def test_only_requested_types_are_collected(seeded: Seeded) -> None:
    c = collect(ALL_REGIONS, types=["aws.ec2.region_settings"])
    assert set(c.resources) == {"aws.ec2.region_settings"}
    # sts:GetCallerIdentity + ec2:DescribeRegions + one GetEbsEncryptionByDefault per region
    assert c.api_calls == 4


