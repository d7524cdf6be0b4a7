"""Conformance: every registered provider declares its target forms, default profile and CLI additions,
and each target form's documented example parses into a target of that provider."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scanner import registry
from scanner.provider import Provider

ROOT = Path(__file__).resolve().parents[2]
PROVIDERS = registry.providers()


@pytest.fixture
def examples_dir(tmp_path, monkeypatch):
    """A directory where file examples exist (``nmap-xml:scan.xml``) and AWS is emulated (moto)."""
    from moto import mock_aws

    shutil.copy(ROOT / "tests" / "network" / "data" / "nmap-7.93-loopback.xml", tmp_path / "scan.xml")
    monkeypatch.chdir(tmp_path)
    for var in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    (tmp_path / "aws-config").write_text("[profile prod]\nregion = us-east-1\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    (tmp_path / "aws-credentials").write_text("[prod]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    with mock_aws():
        yield tmp_path


@pytest.mark.parametrize("prov", PROVIDERS, ids=lambda p: p.name)
def test_each_target_form_example_parses_into_this_providers_target(prov: Provider, examples_dir):
    assert prov.target_forms, f"provider {prov.name} documents no target form"
    for form in prov.target_forms:
        targets = prov.parse_target(form.example, {})
        assert targets, f"{prov.name}: example {form.example!r} of {form.syntax} was not recognised"
        assert all(t.kind == prov.name for t in targets)
        # no other provider claims the same spec
        others = [p.name for p in PROVIDERS if p is not prov and p.parse_target(form.example, {}) is not None]
        assert others == [], f"{form.example!r} is claimed by {others} too"


@pytest.mark.parametrize("prov", PROVIDERS, ids=lambda p: p.name)
def test_default_profile_and_commands_exist(prov: Provider):
    from scanner.policy.loader import load

    if prov.default_profile:
        assert prov.default_profile in load([]).profiles
    for path, target in prov.commands().items():
        import importlib

        module, _, attr = target.partition(":")
        assert getattr(importlib.import_module(module), attr).help, f"{prov.name}: command {path} has no help"


def test_scan_options_come_from_the_providers():
    """The SSH flags are the host provider's: declared there, shown on `govscan scan`."""
    from scanner.cli.scan_cmd import scan

    names = {p.name for p in scan.params}
    host = {o.name for o in _options(registry.provider("host"))}
    assert host == {"accept_new_host_keys", "known_hosts", "script_timeout", "max_output_mib"}
    assert host <= names


def _options(prov: Provider):
    import click

    @click.command()
    def probe(**kw):  # pragma: no cover - only its parameters are read
        pass

    for option in prov.cli_options():
        probe = option(probe)
    return probe.params
