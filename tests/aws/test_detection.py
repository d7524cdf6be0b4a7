"""Detection services: Security Hub, GuardDuty protection plans and findings, Macie, Inspector2, Config rules."""

from __future__ import annotations

from typing import Any, Iterator

import boto3
import pytest

from .conftest import ACCOUNT, collect
from .test_errors import enforced_iam, restricted_user, verdicts

E, W = "us-east-1", "eu-west-1"
SPEC = f"aws:///{E},{W}"
TYPES = ("aws.securityhub.hub", "aws.macie.session", "aws.inspector2.account", "aws.config.rules",
         "aws.guardduty.detector")


def rid(region: str, what: str) -> str:
    return f"{ACCOUNT}/{region}/{what}"


@pytest.fixture(scope="module")
def account() -> Iterator[dict[str, Any]]:
    from moto import mock_aws

    with mock_aws():
        boto3.client("securityhub", region_name=E).enable_security_hub(EnableDefaultStandards=False)
        boto3.client("macie2", region_name=W).disable_macie()  # moto starts with Macie enabled
        boto3.client("inspector2", region_name=E).enable(resourceTypes=["EC2"], accountIds=[ACCOUNT])
        boto3.client("guardduty", region_name=E).create_detector(
            Enable=True, DataSources={"S3Logs": {"Enable": True}})
        boto3.client("guardduty", region_name=W).create_detector(
            Enable=True, Features=[{"Name": "EKS_AUDIT_LOGS", "Status": "ENABLED"},
                                   {"Name": "S3_DATA_EVENTS", "Status": "DISABLED"}])
        c = collect(SPEC, types=list(TYPES))
    yield {"collection": c, "verdicts": verdicts(c, SPEC, *TYPES)}


def test_detection_services_both_ways(account: dict[str, Any]) -> None:
    got = account["verdicts"]
    hub = f"arn:aws:securityhub:{E}:{ACCOUNT}:hub/default"
    assert got[("aws-securityhub-enabled", rid(E, "securityhub"))] == (
        "pass", f"Security Hub is enabled in {E} ({hub})")
    assert got[("aws-securityhub-enabled", rid(W, "securityhub"))] == ("fail", f"Security Hub is not enabled in {W}")
    # moto does not implement GetEnabledStandards: the standards are unknown, never assumed
    assert got[("aws-securityhub-standards", rid(E, "securityhub"))] == (
        "error", f"{rid(E, 'securityhub')}: cis_standard could not be read: "
                 "NotImplemented on securityhub:GetEnabledStandards")
    assert got[("aws-securityhub-standards", rid(W, "securityhub"))][0] == "notapplicable"
    assert got[("aws-macie-enabled", rid(E, "macie"))] == ("pass", f"Macie is enabled in {E}")
    assert got[("aws-macie-enabled", rid(W, "macie"))] == ("fail", f"Macie is not enabled in {W} (status: not enabled)")
    assert {k[0]: v for k, v in got.items() if k[1] == rid(E, "inspector2")} == {
        "aws-inspector2-ec2": ("pass", f"Inspector scans EC2 in {E}"),
        "aws-inspector2-ecr": ("fail", f"Inspector does not scan ECR in {E} (status: DISABLED)"),
        "aws-inspector2-lambda": ("fail", f"Inspector does not scan Lambda in {E} (status: DISABLED)")}
    # moto answers no account status where Inspector was never enabled (AWS answers DISABLED): unknown
    assert got[("aws-inspector2-ec2", rid(W, "inspector2"))] == (
        "error", f"{rid(W, 'inspector2')}: could not be read: BatchGetAccountStatus returned no status: no account")
    gd = {(k[0], k[1].split("/")[1]): v for k, v in got.items() if k[1].endswith("/guardduty")}
    assert gd[("aws-guardduty-s3-protection", E)] == ("pass", f"GuardDuty in {E} monitors S3 data events")
    assert gd[("aws-guardduty-s3-protection", W)] == ("fail", f"GuardDuty in {W} does not monitor S3 data events")
    assert gd[("aws-guardduty-eks-protection", E)] == ("fail", f"GuardDuty in {E} does not monitor EKS audit logs")
    assert gd[("aws-guardduty-eks-protection", W)] == ("pass", f"GuardDuty in {W} monitors EKS audit logs")
    # moto does not implement ListFindings: unknown findings are an error, not a pass
    assert gd[("aws-guardduty-no-high-findings", E)] == (
        "error", f"{rid(E, 'guardduty')}: high_severity_findings could not be read: "
                 "NotImplemented on guardduty:ListFindings")
    assert gd[("aws-guardduty-enabled", E)][0] == "pass"


def test_config_rules_not_implemented_is_an_error(account: dict[str, Any]) -> None:
    errors = {(e.resource_type, e.scope): e.message for e in account["collection"].errors}
    assert errors == {("aws.config.rules", r): f"NotImplemented on config:DescribeComplianceByConfigRule in {r}"
                      for r in (E, W)}
    assert {k: v[0] for k, v in account["verdicts"].items() if k[0] == "aws-config-rules-compliant"} == {
        ("aws-config-rules-compliant", f"aws://default/us-east-1,eu-west-1/{r}"): "error" for r in (E, W)}


def test_findings_filter_and_pass_when_listed_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where ListFindings answers (here a stub of the one call), no finding passes and one fails."""
    from moto import mock_aws

    from checks.aws import api as api_mod

    real = api_mod.Api.call
    answers: dict[str, list[str]] = {E: [], W: ["f-1"]}
    seen: list[dict[str, Any]] = []

    def call(self: Any, service: str, region: str | None, operation: str, **params: Any) -> Any:
        if operation == "ListFindings":
            seen.append(params["FindingCriteria"])
            return {"FindingIds": answers[str(region)]}
        return real(self, service, region, operation, **params)

    monkeypatch.setattr(api_mod.Api, "call", call)
    with mock_aws():
        for r in (E, W):
            boto3.client("guardduty", region_name=r).create_detector(Enable=True)
        c = collect(SPEC, types=["aws.guardduty.detector"])
    got = verdicts(c, SPEC, "aws.guardduty.detector")
    assert got[("aws-guardduty-no-high-findings", rid(E, "guardduty"))] == (
        "pass", f"GuardDuty in {E} has no unarchived high-severity findings")
    assert got[("aws-guardduty-no-high-findings", rid(W, "guardduty"))] == (
        "fail", f"GuardDuty in {W} has unarchived high-severity findings: f-1")
    assert seen[0] == {"Criterion": {"severity": {"Gte": 7}, "service.archived": {"Eq": ["false"]}}}


def test_denied_detection_reads_are_errors(moto: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # (moto's signature check rejects the Security Hub and Macie calls of an IAM user: see the stubs below)
    for k, v in restricted_user(["inspector2:BatchGetAccountStatus"]).items():
        monkeypatch.setenv(k, v)
    with enforced_iam():
        c = collect(f"aws:///{E}", types=["aws.inspector2.account"])
    assert [(e.resource_type, e.message) for e in c.errors] == [
        ("aws.inspector2.account", f"AccessDenied on inspector2:BatchGetAccountStatus in {E}")]
    assert c.resources == {"aws.inspector2.account": []}


def test_securityhub_denied_is_an_error_not_disabled(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto import mock_aws

    from checks.aws import api as api_mod
    from checks.aws.session import ApiFailure

    def call(self: Any, service: str, region: str | None, operation: str, **params: Any) -> Any:
        raise ApiFailure("securityhub:DescribeHub", "AccessDeniedException", "not authorized")

    monkeypatch.setattr(api_mod.Api, "call", call)
    with mock_aws():
        c = collect(f"aws:///{E}", types=["aws.securityhub.hub"])
    assert [e.message for e in c.errors] == [f"AccessDeniedException on securityhub:DescribeHub in {E}"]
    assert c.resources == {"aws.securityhub.hub": []}


@pytest.mark.parametrize("code, detail, status", [
    ("AccessDeniedException", "Macie is not enabled", "fail"),
    ("ResourceNotFoundException", "", "fail"),
    ("AccessDeniedException", "User is not authorized to perform macie2:GetMacieSession", None)])
def test_macie_not_enabled_versus_denied(monkeypatch: pytest.MonkeyPatch, code: str, detail: str,
                                         status: str | None) -> None:
    """Only Macie's own "not enabled" answers mean disabled; a denied read is an error, never a fail or pass."""
    from moto import mock_aws

    from checks.aws import api as api_mod
    from checks.aws.session import ApiFailure

    def call(self: Any, service: str, region: str | None, operation: str, **params: Any) -> Any:
        raise ApiFailure("macie2:GetMacieSession", code, detail)

    monkeypatch.setattr(api_mod.Api, "call", call)
    with mock_aws():
        c = collect(f"aws:///{E}", types=["aws.macie.session"])
    got = verdicts(c, f"aws:///{E}", "aws.macie.session")
    if status:
        assert got == {("aws-macie-enabled", rid(E, "macie")): (status, f"Macie is not enabled in {E} (status: not enabled)")}
    else:
        assert [e.message for e in c.errors] == [f"AccessDeniedException on macie2:GetMacieSession in {E}"]


def test_collected_attributes_match_their_declaration(account: dict[str, Any]) -> None:
    from .test_conformance import conforms

    conforms(account["collection"])
    # every type of this module was seeded (Config rule compliance cannot be: moto lacks the listing)
    assert all(v for k, v in account["collection"].resources.items() if k != "aws.config.rules")
