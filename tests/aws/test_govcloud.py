"""GovCloud (aws-us-gov): ARNs in the account's partition, us-gov-* regions, through the CLI on moto."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from checks.aws.provider import AwsProvider

from .conftest import ACCOUNT, MOTO_MISSING
from .moto_gaps import GOVCLOUD_GAP_CONTROLS, without_moto_gaps

GOV = "us-gov-west-1"


@pytest.fixture
def gov(moto: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", GOV)
    s3 = boto3.client("s3", region_name=GOV)
    for name in ("gov-data", "gov-trail-logs"):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": GOV})
    iam = boto3.client("iam", region_name=GOV)
    iam.create_user(UserName="gov-admin")
    iam.create_login_profile(UserName="gov-admin", Password="Correct-Horse-9-Battery")
    ct = boto3.client("cloudtrail", region_name=GOV)
    ct.create_trail(Name="gov-trail", S3BucketName="gov-trail-logs", IsMultiRegionTrail=True)
    ct.start_logging(Name="gov-trail")
    ct.put_event_selectors(TrailName="gov-trail", EventSelectors=[{
        "ReadWriteType": "All", "IncludeManagementEvents": True,
        "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws-us-gov:s3"]}]}])


def test_govcloud_scan_uses_the_partition_of_the_account(gov: None, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from scanner.cli import cli
    from scanner.store import Store

    db = tmp_path / "gov.db"
    result = CliRunner().invoke(cli, ["scan", f"aws:///{GOV}", "--db", str(db), "-p", "aws-foundations"])
    assert result.exit_code == 1, result.output  # the account has failures; none is a usage error
    view = Store(db).view()
    findings = list(view.findings())
    # IAM users are named by the ARN in the credential report, which moto writes as arn:aws: in
    # every partition (AWS writes the account's); every ARN govscan builds is in the account's
    users = {f["resource_id"] for f in findings if f["resource_type"] == "aws.iam.user"}
    assert users == {f"arn:aws:iam::{ACCOUNT}:user/gov-admin"}
    arns = {f["resource_id"] for f in findings if f["resource_id"].startswith("arn:")} - users
    assert {a.split(":")[1] for a in arns} == {"aws-us-gov"}
    assert {f"arn:aws-us-gov:::{ACCOUNT}", f"arn:aws-us-gov:iam::{ACCOUNT}:root", "arn:aws-us-gov:s3:::gov-data",
            f"arn:aws-us-gov:cloudtrail:{GOV}:{ACCOUNT}:trail/gov-trail"} <= arns
    by = {(f["control_id"], f["resource_id"]): (f["status"], f["message"]) for f in findings}
    assert by[("aws-s3-versioning", "arn:aws-us-gov:s3:::gov-data")] == (
        "fail", "Bucket gov-data versioning is never enabled")
    region = f"{ACCOUNT}/{GOV}/cloudtrail"
    # the data-event selector names the GovCloud S3 ARN: every bucket is covered
    assert by[("aws-cloudtrail-s3-write-events", region)] == (
        "pass", f"S3 object-level write events are recorded in {GOV}")
    assert by[("aws-cloudtrail-s3-read-events", region)][0] == "pass"
    read = [f for f in without_moto_gaps(findings, GOVCLOUD_GAP_CONTROLS) if f["resource_type"] not in MOTO_MISSING]
    assert {f["status"] for f in read} <= {"pass", "fail", "notapplicable"}, [
        (f["control_id"], f["message"]) for f in read if f["status"] == "error"]
    [target] = view.targets
    facts = json.loads(target["facts"]) if isinstance(target["facts"], str) else target["facts"]
    assert facts["partition"] == "aws-us-gov" and facts["regions"] == [GOV]


def test_without_configured_regions_the_default_region_is_the_environments(gov: None) -> None:
    """STS and global services are asked in AWS_DEFAULT_REGION (a GovCloud region), not us-east-1."""
    from .conftest import collect

    c = collect("aws://", types=["aws.account", "aws.iam.root"])
    assert c.fatal is None and c.errors == []
    assert c.facts["caller_arn"] == f"arn:aws-us-gov:sts::{ACCOUNT}:user/moto"
    assert [r.id for r in c.resources["aws.account"]] == [f"arn:aws-us-gov:::{ACCOUNT}"]
    assert [r.id for r in c.resources["aws.iam.root"]] == [f"arn:aws-us-gov:iam::{ACCOUNT}:root"]


@pytest.mark.parametrize("region", ["us-gov-west-1", "us-gov-east-1"])
def test_govcloud_region_names_are_accepted(region: str) -> None:
    [t] = AwsProvider().parse_target(f"aws://gov/{region}", {})
    assert t.options["regions"] == [region]

