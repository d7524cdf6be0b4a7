"""aws:// target specs and inventory options -> Target records."""

from __future__ import annotations

import pytest

from checks.aws.provider import AwsProvider
from scanner.errors import UsageError


def parse(spec: str, **options: object):
    return AwsProvider().parse_target(spec, options)


def test_default_chain_all_regions() -> None:
    [t] = parse("aws://")
    assert (t.id, t.kind, t.options["profile"], t.options["regions"]) == ("aws://default", "aws", None, [])


def test_profile_and_regions_from_spec() -> None:
    [t] = parse("aws://prod/us-east-1,eu-west-1")
    assert t.id == "aws://prod/us-east-1,eu-west-1"
    assert t.options["profile"] == "prod"
    assert t.options["regions"] == ["us-east-1", "eu-west-1"]


def test_inventory_role_chain_names_the_target_by_last_role() -> None:
    [t] = parse("aws://", profile="hub", regions=["us-gov-west-1"],
                role_chain=[{"role_arn": "arn:aws:iam::111122223333:role/Jump"}],
                role_arn="arn:aws:iam::444455556666:role/Audit", external_id="x-1", owner="team-a")
    assert t.id == "aws://arn:aws:iam::444455556666:role/Audit"
    assert [h["role_arn"] for h in t.options["role_chain"]] == [
        "arn:aws:iam::111122223333:role/Jump", "arn:aws:iam::444455556666:role/Audit"]
    assert t.options["role_chain"][1]["external_id"] == "x-1"
    assert t.vars == {"owner": "team-a"}


def test_other_schemes_are_not_ours() -> None:
    assert parse("ssh://root@host") is None
    assert parse("local") is None


@pytest.mark.parametrize("spec,options,message", [
    ("aws://prod/useast1", {}, "'useast1' is not an AWS region name"),
    ("aws://", {"role_arn": "arn:aws:iam::1:user/x"}, "is not an IAM role ARN"),
    ("aws://", {"role_chain": [{"external_id": "x"}]}, "role_chain entries need a role_arn"),
])
def test_bad_specs_get_one_clear_message(spec: str, options: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse(spec, **options)
