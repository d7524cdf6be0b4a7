"""OpenSearch domains: each control both ways on moto, and `error` when the listing is refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import boto3
import pytest

from .conftest import ACCOUNT
from .datasvc import check_conformance, cli_scan, control_ids, refused_scan

R = "us-east-1"
CONTROLS = control_ids("opensearch.yaml")
LOG = f"arn:aws:logs:{R}:{ACCOUNT}:log-group:search"


def domain(name: str) -> str:
    return f"arn:aws:es:{R}:{ACCOUNT}:domain/{name}"


@pytest.fixture(scope="module")
def account() -> Iterator[None]:
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("opensearch", region_name=R)
        client.create_domain(DomainName="weak", DomainEndpointOptions={
            "EnforceHTTPS": True, "TLSSecurityPolicy": "Policy-Min-TLS-1-0-2019-07"},
            AccessPolicies=json.dumps({"Version": "2012-10-17", "Statement": [
                {"Sid": "Open", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "es:*", "Resource": "*"}]}))
        client.create_domain(
            DomainName="strong", EncryptionAtRestOptions={"Enabled": True},
            NodeToNodeEncryptionOptions={"Enabled": True},
            DomainEndpointOptions={"EnforceHTTPS": True, "TLSSecurityPolicy": "Policy-Min-TLS-1-2-2019-07"},
            AdvancedSecurityOptions={"Enabled": True, "InternalUserDatabaseEnabled": False,
                                     "MasterUserOptions": {"MasterUserARN": f"arn:aws:iam::{ACCOUNT}:role/admin"}},
            LogPublishingOptions={k: {"CloudWatchLogsLogGroupArn": LOG, "Enabled": True}
                                  for k in ("AUDIT_LOGS", "SEARCH_SLOW_LOGS", "INDEX_SLOW_LOGS")},
            ClusterConfig={"DedicatedMasterEnabled": True, "DedicatedMasterCount": 3, "ZoneAwarenessEnabled": True,
                           "InstanceCount": 3},
            VPCOptions={"SubnetIds": ["subnet-12345678"]},
            AccessPolicies=json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "es:*", "Resource": "*"}]}))
        yield


def test_domains_both_ways(account: None, tmp_path: Path) -> None:
    got = cli_scan(tmp_path, CONTROLS)
    weak, strong = domain("weak"), domain("strong")
    expected = {
        "aws-opensearch-encryption-at-rest": (("fail", "OpenSearch domain weak is not encrypted at rest"),
                                              ("pass", "OpenSearch domain strong is encrypted at rest")),
        "aws-opensearch-node-to-node-encryption": (
            ("fail", "OpenSearch domain weak does not encrypt node-to-node traffic"),
            ("pass", "OpenSearch domain strong encrypts node-to-node traffic")),
        "aws-opensearch-https-tls12": (
            ("fail", "OpenSearch domain weak does not require HTTPS with TLS 1.2 (EnforceHTTPS=true, "
                     "policy Policy-Min-TLS-1-0-2019-07)"),
            ("pass", "OpenSearch domain strong requires HTTPS with Policy-Min-TLS-1-2-2019-07")),
        # strong's policy is open too, but only reachable inside its VPC
        "aws-opensearch-not-public": (
            ("fail", "OpenSearch domain weak is publicly accessible: outside a VPC with an open access policy "
                     "(statements: Open)"),
            ("pass", "OpenSearch domain strong is not publicly accessible (in VPC: true)")),
        "aws-opensearch-fine-grained-access": (
            ("fail", "OpenSearch domain weak does not use fine-grained access control"),
            ("pass", "OpenSearch domain strong uses fine-grained access control")),
        "aws-opensearch-audit-logs": (
            ("fail", "OpenSearch domain weak does not publish audit logs to CloudWatch Logs"),
            ("pass", "OpenSearch domain strong publishes audit logs")),
        "aws-opensearch-slow-logs": (
            ("fail", "OpenSearch domain weak does not publish both search and index slow logs to CloudWatch Logs"),
            ("pass", "OpenSearch domain strong publishes search and index slow logs")),
        "aws-opensearch-dedicated-masters": (
            ("fail", "OpenSearch domain weak has 0 dedicated master nodes (at least 3 required; enabled: false)"),
            ("pass", "OpenSearch domain strong has 3 dedicated master nodes")),
        "aws-opensearch-zone-awareness": (
            ("fail", "OpenSearch domain weak is not fault tolerant (zone awareness: false; data nodes: 1)"),
            ("pass", "OpenSearch domain strong spreads 3 data nodes over zones")),
    }
    assert {c: (got[(c, weak)], got[(c, strong)]) for c in expected} == expected


def test_refused_listing_is_an_error(account: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    got = refused_scan(tmp_path, monkeypatch, {"es:DescribeDomains": "AccessDenied"}, CONTROLS)
    where = f"aws://{ACCOUNT}/{R}/{R}"
    assert got[("aws-opensearch-not-public", where)] == (
        "error", "aws.opensearch.domain not collected (us-east-1): AccessDenied on es:DescribeDomains in us-east-1")
    assert {v[0] for v in got.values()} == {"error"}


def test_collected_attributes_match_their_declaration(account: object) -> None:
    check_conformance(["aws.opensearch.domain"])
