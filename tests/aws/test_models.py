"""botocore's service models kept only as far as govscan reads them (checks/aws/models.py).

- The operation table is exactly the operation names the collectors' source mentions (regenerate it
  with ``python tests/aws/test_models.py --write``).
- A pruned client parses every answer as botocore's own does (same dicts, same types, nested shapes,
  timestamps, errors), and is a fraction of the full model.
- An operation left out of the table still reads everything: its shapes come from the full model on
  first use (counted as a miss); a stale table costs memory, never a value.
- Every AWS test in this directory runs with the shared loader; conftest.py fails a test that needed a
  shape outside the table, so the table is checked against every collector in every state tested.
"""

from __future__ import annotations

import ast
import json
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "checks" / "aws" / "operations.py"


def expected_table() -> dict[str, set[str]]:
    """Per botocore service: the operation names among the string constants of each module under
    checks/aws that names that service."""
    from botocore.loaders import Loader

    loader = Loader()
    services = set(loader.list_available_services("service-2"))
    names: dict[str, set[str]] = {}
    out: dict[str, set[str]] = {}
    for path in sorted((ROOT / "checks" / "aws").glob("*.py")):
        if path.name == "operations.py":
            continue
        tree = ast.parse(path.read_text())
        consts = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
        for service in consts & services:
            if service not in names:
                names[service] = set(loader.load_service_model(service, "service-2")["operations"])
            found = consts & names[service]
            if found:
                out.setdefault(service, set()).update(found)
    return out


def render(table: dict[str, set[str]]) -> str:
    head = (ast.get_docstring(ast.parse(TABLE.read_text())) or "").strip()
    lines = ['"""' + head + '\n"""', "", "OPERATIONS: dict[str, frozenset[str]] = {"]
    for service in sorted(table):
        items = ", ".join(f'"{op}"' for op in sorted(table[service]))
        first = f'    "{service}": frozenset({{'
        body = textwrap.wrap(items, width=110 - 8, break_long_words=False, break_on_hyphens=False)
        if len(first) + len(items) + 3 <= 110:
            lines.append(f"{first}{items}}}),")
        else:
            lines.append(first)
            lines += [f"        {chunk}" for chunk in body]
            lines.append("    }),")
    lines.append("}")
    return "\n".join(lines) + "\n"


def test_the_operation_table_is_what_the_collectors_call() -> None:
    from checks.aws.operations import OPERATIONS

    want = expected_table()
    got = {k: set(v) for k, v in OPERATIONS.items()}
    assert got == want, "checks/aws/operations.py is stale: run python tests/aws/test_models.py --write"
    # the collectors' core reads are in it
    assert {"DescribeInstances", "DescribeSecurityGroups", "DescribeRegions"} <= OPERATIONS["ec2"]
    assert {"GetBucketPolicy", "GetBucketEncryption"} <= OPERATIONS["s3"]
    assert "GetCallerIdentity" in OPERATIONS["sts"] and "AssumeRole" in OPERATIONS["sts"]


def _seed_ec2() -> None:
    import boto3

    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    sg = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "ssh"}]}])
    image = ec2.register_image(Name="base", RootDeviceName="/dev/sda1")["ImageId"]
    ec2.run_instances(ImageId=image, MinCount=2, MaxCount=2, SecurityGroupIds=[sg],
                      MetadataOptions={"HttpTokens": "required"},
                      TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web"}]}])
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="models-test")


def _bare(response: dict[str, Any]) -> dict[str, Any]:
    response.pop("ResponseMetadata", None)
    return response


def test_a_pruned_client_parses_as_botocore_does(moto: None) -> None:
    import boto3
    from botocore.exceptions import ClientError

    from checks.aws.models import ModelLoader, _model_key
    from checks.aws.session import new_session

    _seed_ec2()
    full_ec2 = boto3.client("ec2", region_name="us-east-1")
    ours = new_session().client("ec2", region_name="us-east-1")
    for op, params in (("describe_instances", {}), ("describe_security_groups", {}), ("describe_vpcs", {}),
                       ("describe_images", {"Owners": ["self"]})):
        mine, theirs = _bare(getattr(ours, op)(**params)), _bare(getattr(full_ec2, op)(**params))
        assert mine == theirs, op
        assert repr(mine) == repr(theirs), op  # same types too (datetimes, ints, bools)
    reservations = ours.describe_instances()["Reservations"]
    launched = reservations[0]["Instances"][0]["LaunchTime"]
    assert launched.tzinfo is not None and launched.year >= 2020
    assert reservations[0]["Instances"][0]["MetadataOptions"]["HttpTokens"] == "required"

    s3 = new_session().client("s3", region_name="us-east-1")
    with pytest.raises(ClientError) as caught:  # a modeled error: the same class and code as botocore's
        s3.get_bucket_policy(Bucket="models-test")
    assert caught.value.response["Error"]["Code"] == "NoSuchBucketPolicy"

    loader = ModelLoader()
    pruned = loader.load_service_model("ec2", "service-2")
    full = boto3.Session()._session.get_component("data_loader").load_service_model("ec2", "service-2")
    assert set(pruned["operations"]) == set(full["operations"])  # every client method exists
    assert len(pruned["shapes"]) * 5 < len(full["shapes"])
    assert not any(_model_key(k, "ec2") for k in loader._cache)  # the full model is not kept
    assert "documentation" not in json.dumps(pruned["operations"]["DescribeInstances"])


def test_an_operation_outside_the_table_still_reads_everything(moto: None) -> None:
    import boto3
    import botocore.session

    from checks.aws.models import ModelLoader, _model_key

    _seed_ec2()
    loader = ModelLoader({"ec2": frozenset({"DescribeRegions"})})
    core = botocore.session.get_session()
    core.register_component("data_loader", loader)
    client = boto3.Session(botocore_session=core).client("ec2", region_name="us-east-1")
    assert "DescribeInstancesResult" not in dict.keys(loader.load_service_model("ec2", "service-2")["shapes"])
    got = _bare(client.describe_instances())
    want = _bare(boto3.client("ec2", region_name="us-east-1").describe_instances())
    assert got == want and len(got["Reservations"][0]["Instances"]) == 2
    assert got["Reservations"][0]["Instances"][0]["SecurityGroups"][0]["GroupName"] == "web"
    assert ("ec2", "DescribeInstancesResult") in loader.misses
    assert loader.misses[("ec2", "DescribeInstancesRequest")] == 1
    assert not any(_model_key(k, "ec2") for k in loader._cache)  # read for the miss, then let go
    again = loader.misses.copy()
    client.describe_instances()  # loaded once: no second miss
    assert loader.misses == again


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    sys.path.insert(0, str(ROOT))
    TABLE.write_text(render(expected_table()))
    print(f"wrote {TABLE}")
