"""A tag anyone can set never removes a resource from assessment; exemptions go through waivers.

Before, `Tags.exposure: internet-facing` and `Tags.data-class: public-website` in the controls'
`scope.where` dropped the resource with no finding at all.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from .conftest import ACCOUNT

CONTROLS = Path(__file__).resolve().parents[2] / "policies" / "controls" / "aws"
PICKED = ["aws-ec2-no-public-ip", "aws-s3-encryption-at-rest"]


def _selectors(node: Any) -> Iterator[str]:
    """Every key a condition reads."""
    if isinstance(node, dict):
        if isinstance(node.get("key"), str):
            yield node["key"]
        for value in node.values():
            yield from _selectors(value)
    elif isinstance(node, list):
        for item in node:
            yield from _selectors(item)


def test_no_shipped_aws_control_selects_resources_by_tag() -> None:
    offenders = []
    for path in sorted(CONTROLS.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            target = doc.get("target") or {}
            for part in ((target.get("scope") or {}).get("where"), doc.get("applies_if")):
                offenders += [f"{doc['metadata']['id']}: {k}" for k in _selectors(part) if k.startswith("Tags")]
    assert offenders == []


def _seed() -> dict[str, str]:
    import boto3

    s3 = boto3.client("s3", region_name="us-east-1")
    for name in ("site-public", "site-plain"):
        s3.create_bucket(Bucket=name)
    s3.put_bucket_tagging(Bucket="site-public", Tagging={"TagSet": [{"Key": "data-class", "Value": "public-website"}]})
    ec2 = boto3.client("ec2", region_name="us-east-1")
    tagged = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, TagSpecifications=[{
        "ResourceType": "instance", "Tags": [{"Key": "exposure", "Value": "internet-facing"}]}])
    return {"instance": tagged["Instances"][0]["InstanceId"]}


def _waiver(tmp: Path) -> Path:
    today = dt.date.today()
    doc = {"apiVersion": "govscan/v1", "kind": "Waiver",
           "metadata": {"id": "WVR-WEB-001", "title": "Public website assets"},
           "controls": PICKED,
           "match": {"targets": [f"aws://{ACCOUNT}/*"], "tags": {"data-class": "public-website"}},
           "type": "operational-requirement",
           "justification": "Static public website content; approved by the AO with the SSP.",
           "approved_by": {"name": "Jane Roe", "role": "AO", "date": str(today)},
           "expires": str(today + dt.timedelta(days=90))}
    path = tmp / "waiver.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


@pytest.fixture(scope="module")
def tagged_scans(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, str], dict[Any, Any],
                                                                             dict[Any, Any]]]:
    from moto import mock_aws

    from scanner.engine import ScanRequest, run_scan
    from scanner.store import Store

    tmp = tmp_path_factory.mktemp("tags")
    with mock_aws():
        ids = _seed()
        runs = []
        for waivers in ([], [str(_waiver(tmp))]):
            store = Store(tmp / f"scan{len(runs)}.db")
            outcome = run_scan(ScanRequest(targets=["aws:///us-east-1"], policy_paths=[str(CONTROLS)],
                                           controls=PICKED, waivers=waivers), store)
            runs.append({(f["control_id"], f["resource_id"]): (f["status"], f["waiver_id"])
                         for f in store.view(outcome.scan_id).findings()})
        yield ids, runs[0], runs[1]


def test_tagged_resources_are_still_assessed(tagged_scans: Any) -> None:
    ids, plain, _ = tagged_scans
    inst = f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/{ids['instance']}"
    assert plain[("aws-ec2-no-public-ip", inst)] == ("fail", None)  # moto gives instances public IPs
    assert plain[("aws-s3-encryption-at-rest", "arn:aws:s3:::site-public")] == ("fail", None)
    assert plain[("aws-s3-encryption-at-rest", "arn:aws:s3:::site-plain")] == ("fail", None)


def test_a_waiver_matching_the_tag_records_the_exemption(tagged_scans: Any) -> None:
    ids, _, waived = tagged_scans
    inst = f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/{ids['instance']}"
    assert waived[("aws-s3-encryption-at-rest", "arn:aws:s3:::site-public")] == ("waived", "WVR-WEB-001")
    assert waived[("aws-s3-encryption-at-rest", "arn:aws:s3:::site-plain")] == ("fail", None)
    # the instance carries another tag than the waiver names: still a failure
    assert waived[("aws-ec2-no-public-ip", inst)] == ("fail", None)
