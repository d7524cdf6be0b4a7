"""docs/aws.md's examples are real: its YAML runs or lints clean, its govscan command lines parse.

The inventory example used to be rejected (exit 2: no apiVersion, unknown keys `spec`/`vars`).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest

from .conftest import ACCOUNT

DOC = Path(__file__).resolve().parents[2] / "docs" / "aws.md"
TEXT = DOC.read_text()
YAML = re.findall(r"```yaml\n(.*?)```", TEXT, re.S)
SHELL = [line.split("#")[0].strip() for block in re.findall(r"```sh\n(.*?)```", TEXT, re.S)
         for line in block.splitlines() if line.strip()]
INLINE = re.findall(r"`(?:[A-Z_]+=\S+ )*(govscan [^`]+)`", re.sub(r"\s*\n\s*", " ", TEXT))
KIND = re.compile(r"^kind: (\w+)", re.M)


def test_every_example_is_collected() -> None:
    assert sorted(KIND.search(b).group(1) for b in YAML) == ["Inventory", "Inventory", "Waiver"]  # type: ignore[union-attr]
    assert len(re.findall(r"```", TEXT)) == 2 * (len(YAML) + len(re.findall(r"```sh\n", TEXT)))  # no other block
    assert len(SHELL) == 6 and all(line.startswith("govscan ") for line in SHELL)
    assert len(INLINE) >= 6


def test_inventory_example_scans_every_account(moto: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`govscan scan -i accounts.yaml`: the profile starts the chain, each role is its own account."""
    from click.testing import CliRunner

    from scanner.cli import cli
    from scanner.store import Store

    [block] = [b for b in YAML if "kind: Inventory" in b and "aws-org://" not in b]
    inv = tmp_path / "accounts.yaml"
    inv.write_text(block)
    cfg = tmp_path / "config"
    cfg.write_text("[profile security-hub]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(cfg))
    db = tmp_path / "docs.db"
    result = CliRunner().invoke(cli, ["scan", "-i", str(inv), "-p", "aws-foundations", "-c", "aws-iam-support-role",
                                      "--db", str(db), "--gate", "none"])
    assert result.exit_code == 0, result.output
    view = Store(db).view()
    assert sorted((t["id"], t["name"], t["error"]) for t in view.targets) == [
        ("aws://111122223333", "arn:aws:iam::111122223333:role/GovscanAudit", None),
        ("aws://555566667777", "arn:aws:iam::555566667777:role/GovscanAudit", None)]
    assert sorted((f["target_id"], f["resource_id"]) for f in view.findings()) == [
        ("aws://111122223333", "arn:aws:::111122223333"), ("aws://555566667777", "arn:aws:::555566667777")]


def test_waiver_example_lints_clean(tmp_path: Path) -> None:
    from scanner.policy import collect

    [block] = [b for b in YAML if "kind: Waiver" in b]
    path = tmp_path / "waiver.yaml"
    path.write_text(block)
    pset = collect([path], builtin=True)
    assert [str(d) for d in pset.errors] == []
    # the example's dates are real ones: once past, the only remark allowed is that it expired
    assert all("expired on 2027-06-01" in str(d) for d in pset.warnings), [str(d) for d in pset.warnings]
    assert list(pset.waivers) == ["WVR-2025-014"]


def _check_command(line: str) -> None:
    import click

    from scanner.cli import cli
    from scanner.policy import collect

    args = shlex.split(line)[1:]
    ctx = click.Context(cli)
    cmd = cli.get_command(ctx, args[0])
    assert cmd is not None, line
    sub = cmd.make_context(args[0], args[1:])  # unknown options or a missing argument raise here
    params: dict[str, Any] = sub.params
    if args[0] != "scan":
        return
    pack = collect(builtin=True)
    for name in params.get("profiles") or ():
        assert name in pack.profiles, (line, name)
    for cid in params.get("controls") or ():
        assert cid in pack.controls, (line, cid)
    from checks.aws.provider import AwsProvider

    for spec in params.get("targets") or ():
        [target] = AwsProvider().parse_target(spec, {})
        assert target.kind == "aws", line


@pytest.mark.parametrize("line", SHELL + INLINE)
def test_command_line_parses_and_names_real_profiles_and_controls(moto: None, line: str) -> None:
    _check_command(line)


def test_resources_command_runs() -> None:
    from click.testing import CliRunner

    from scanner.cli import cli

    result = CliRunner().invoke(cli, ["resources", "--provider", "aws"])
    assert result.exit_code == 0, result.output
    for name in ("aws.ec2.security_group", "world_open_inputs", "world_all_ports_ipv4", "imds_mode"):
        assert name in result.output


def test_documented_target_ids_are_the_ones_built(moto: None) -> None:
    from checks.aws.provider import AwsProvider

    [t] = AwsProvider().parse_target("aws:///us-east-1,us-west-2", {})
    assert t.id == f"aws://{ACCOUNT}/us-east-1,us-west-2"
    assert "`aws://111122223333/us-east-1,us-west-2`" in TEXT
