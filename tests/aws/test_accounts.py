"""Each account is its own target: the id names the account, the profile is the label (issue 11).

Before, ``AWS_PROFILE=a govscan scan aws://`` and ``AWS_PROFILE=b govscan scan aws://`` both stored
the target ``aws://default``, so history and diff mixed two accounts up.
"""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

A, B = "111111111111", "222222222222"


@pytest.fixture
def two_accounts(moto: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Profiles ``a`` and ``b``: credentials of two moto accounts (moto maps assumed-role keys to them)."""
    sts = boto3.client("sts")
    lines = []
    for profile, account in (("a", A), ("b", B)):
        creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/Seed", RoleSessionName="seed")["Credentials"]
        lines += [f"[{profile}]", f"aws_access_key_id = {creds['AccessKeyId']}",
                  f"aws_secret_access_key = {creds['SecretAccessKey']}", f"aws_session_token = {creds['SessionToken']}"]
        boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                      aws_session_token=creds["SessionToken"]).client("s3").create_bucket(Bucket=f"bucket-{profile}")
    creds_file = tmp_path / "credentials"
    creds_file.write_text("\n".join(lines) + "\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds_file))


def scan(db: Path, *specs: str) -> None:
    from click.testing import CliRunner

    from scanner.cli import cli

    result = CliRunner().invoke(cli, ["scan", *specs, "--db", str(db), "-p", "aws-foundations",
                                      "-c", "aws-s3-versioning"])
    assert result.exit_code == 0, result.output  # unversioned buckets fail a low control: below the gate


def test_aws_profile_scans_of_two_accounts_are_two_targets(
        two_accounts: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from scanner.store import Store

    db = tmp_path / "history.db"
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):  # the profile's keys, as a user has them
        monkeypatch.delenv(var)
    for profile in ("a", "b"):
        monkeypatch.setenv("AWS_PROFILE", profile)
        scan(db, "aws:///us-east-1")
    store = Store(db)
    first, second = (store.view(s) for s in ("latest~1", "latest"))
    assert [(t["id"], t["name"]) for t in first.targets] == [(f"aws://{A}/us-east-1", "a")]
    assert [(t["id"], t["name"]) for t in second.targets] == [(f"aws://{B}/us-east-1", "b")]
    assert {(f["target_id"], f["resource_id"], f["status"]) for f in second.findings()} == {
        (f"aws://{B}/us-east-1", "arn:aws:s3:::bucket-b", "fail")}


def test_two_profiles_in_one_scan_are_two_targets(two_accounts: None, tmp_path: Path) -> None:
    from scanner.store import Store

    db = tmp_path / "both.db"
    scan(db, "aws://a/us-east-1", "aws://b/us-east-1")
    view = Store(db).view()
    assert sorted((t["id"], t["name"]) for t in view.targets) == [
        (f"aws://{A}/us-east-1", "a"), (f"aws://{B}/us-east-1", "b")]
    assert {(f["target_id"], f["resource_id"]) for f in view.findings()} == {
        (f"aws://{A}/us-east-1", "arn:aws:s3:::bucket-a"), (f"aws://{B}/us-east-1", "arn:aws:s3:::bucket-b")}


def test_credentials_that_changed_account_since_planning_are_fatal(two_accounts: None) -> None:
    from checks.aws.provider import AwsProvider
    from scanner.provider import CollectContext

    [t] = AwsProvider().parse_target("aws://a/us-east-1", {})
    moved = type(t)(id=t.id, kind=t.kind, address=t.address, name=t.name,
                    options={**t.options, "profile": "b"}, vars=t.vars)
    c = AwsProvider().collect(moved, frozenset({"aws.s3.bucket"}), CollectContext())
    assert c.fatal == f"the credentials now belong to account {B}, not {A} that this target names"
    assert c.resources == {}


def test_two_profiles_of_one_account_in_one_scan_are_a_usage_error(
        moto: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from scanner.cli import cli

    cfg = tmp_path / "config"
    cfg.write_text("[profile one]\naws_access_key_id = testing\naws_secret_access_key = testing\n"
                   "[profile two]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(cfg))
    inv = tmp_path / "inv.yaml"
    inv.write_text("apiVersion: govscan/v1\nkind: Inventory\ntargets:\n  - aws://one\n  - aws://two\n")
    result = CliRunner().invoke(cli, ["scan", "-i", str(inv), "--db", str(tmp_path / "x.db"), "-p", "aws-foundations"])
    assert result.exit_code == 2
    assert "inv.yaml:5:5: target aws://123456789012 is listed twice with different settings" in result.output
