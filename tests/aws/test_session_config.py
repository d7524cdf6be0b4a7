"""Every hop of an assume-role chain keeps the profile's configuration (FIPS endpoints, region...).

The bug: the session after ``sts:AssumeRole`` was built from keys alone, so a profile's
``use_fips_endpoint = true`` held for the first call only and the scan silently left FIPS endpoints.
The endpoint of every request is recorded with a botocore ``before-send`` hook on every session the
scan creates; FIPS host names are then mapped back to the ones moto answers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from .conftest import collect

JUMP = "arn:aws:iam::111111111111:role/Jump"
AUDIT = "arn:aws:iam::222222222222:role/Audit"


def _profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> None:
    cfg = tmp_path / "config"
    cfg.write_text("[profile audit]\naws_access_key_id = testing\naws_secret_access_key = testing\n" + body)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(cfg))


@pytest.fixture
def hosts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The host of every request any scan session sends."""
    import checks.aws.session as session_mod

    seen: list[str] = []
    real = session_mod.new_session

    def record(request: Any = None, **_: Any) -> None:
        seen.append(urlsplit(request.url).hostname or "")
        # moto answers the standard host names only: send the FIPS or dual-stack request there
        request.url = request.url.replace("-fips.", ".", 1).replace(".api.aws/", ".amazonaws.com/", 1)

    def wrapped(**kwargs: Any) -> Any:
        s = real(**kwargs)
        s.events.register_first("before-send", record)
        return s

    monkeypatch.setattr(session_mod, "new_session", wrapped)
    return seen


def test_fips_profile_holds_on_every_hop_of_a_role_chain(
        moto: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hosts: list[str]) -> None:
    _profile(tmp_path, monkeypatch, "region = us-east-1\nuse_fips_endpoint = true\n")
    c = collect("aws://audit/us-east-1", types=["aws.vpc"],
                role_chain=[{"role_arn": JUMP}], role_arn=AUDIT)
    assert c.fatal is None and c.errors == []
    assert c.facts["account_id"] == "222222222222"
    names = hosts
    # AssumeRole twice (from the profile's keys, then from Jump's), then the scan itself
    assert names[:2] == ["sts-fips.us-east-1.amazonaws.com"] * 2
    assert "ec2-fips.us-east-1.amazonaws.com" in names
    assert [h for h in names if "-fips." not in h] == []


def test_without_fips_the_chain_uses_the_standard_endpoints(
        moto: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hosts: list[str]) -> None:
    _profile(tmp_path, monkeypatch, "region = eu-west-1\n")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    c = collect("aws://audit", types=["aws.account"], role_arn=AUDIT)
    assert c.fatal is None and c.facts["account_id"] == "222222222222"
    # the profile's region is the default region of every hop (STS is regional there)
    assert {h for h in hosts if h.startswith("sts")} == {"sts.eu-west-1.amazonaws.com"}
    assert [h for h in hosts if "-fips." in h] == []


def test_dualstack_profile_holds_after_assume_role(
        moto: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hosts: list[str]) -> None:
    from checks.aws.session import AwsSession, RoleHop

    _profile(tmp_path, monkeypatch, "region = us-east-1\nuse_dualstack_endpoint = true\n"
                                    "ca_bundle = /etc/ssl/certs/ca-certificates.crt\n")
    s = AwsSession("audit", [RoleHop(AUDIT)])
    assert hosts == ["sts.us-east-1.api.aws"]
    assert urlsplit(s.client("ec2").meta.endpoint_url).hostname == "ec2.us-east-1.api.aws"
    assert s.session._session.get_config_variable("ca_bundle") == "/etc/ssl/certs/ca-certificates.crt"
    assert s.default_region == "us-east-1"
