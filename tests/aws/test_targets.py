"""aws:// target specs and inventory options -> Target records."""

from __future__ import annotations

from pathlib import Path

import pytest

from checks.aws.provider import AwsProvider
from scanner.errors import UsageError

from .conftest import ACCOUNT


def parse(spec: str, **options: object):
    return AwsProvider().parse_target(spec, options)


def test_default_chain_all_regions_is_named_by_its_account(moto: None) -> None:
    [t] = parse("aws://")
    assert (t.id, t.name, t.kind, t.options["profile"], t.options["regions"]) == (
        f"aws://{ACCOUNT}", "default", "aws", None, [])


def test_profile_and_regions_from_spec(moto: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "config"
    cfg.write_text("[profile prod]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(cfg))
    [t] = parse("aws://prod/us-east-1,eu-west-1")
    assert (t.id, t.name) == (f"aws://{ACCOUNT}/us-east-1,eu-west-1", "prod")
    assert t.options["profile"] == "prod" and t.options["account_id"] == ACCOUNT
    assert t.options["regions"] == ["us-east-1", "eu-west-1"]


def test_credentials_that_do_not_work_keep_a_spec_id(moto: None) -> None:
    [t] = parse("aws://no-such-profile/us-east-1")
    assert (t.id, t.name) == ("aws://no-such-profile/us-east-1", "no-such-profile")
    assert "account_id" not in t.options


def test_inventory_role_chain_names_the_target_by_last_role() -> None:
    [t] = parse("aws://", profile="hub", regions=["us-gov-west-1"],
                role_chain=[{"role_arn": "arn:aws:iam::111122223333:role/Jump"}],
                role_arn="arn:aws:iam::444455556666:role/Audit", external_id="x-1", owner="team-a")
    assert (t.id, t.name) == ("aws://444455556666", "arn:aws:iam::444455556666:role/Audit")
    assert t.options["account_id"] == "444455556666"
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
