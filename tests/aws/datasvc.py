"""Helpers of the data-service tests (RDS, DynamoDB, EFS, SNS/SQS, OpenSearch, Redshift, ElastiCache,
Backup): run `govscan scan` through the CLI on a moto account and read the stored verdicts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import itertools

import pytest
import yaml

from .test_errors import enforced_iam

__all__ = ["cli_scan", "control_ids", "denied_scan"]

_USERS = itertools.count(1)
_CONTROLS = Path(__file__).resolve().parents[2] / "policies" / "controls" / "aws"


def control_ids(filename: str) -> list[str]:
    """The control ids of one policies/controls/aws file."""
    with open(_CONTROLS / filename, encoding="utf-8") as fh:
        return [d["metadata"]["id"] for d in yaml.safe_load_all(fh) if d]


def cli_scan(tmp: Path, controls: list[str], regions: str = "us-east-1",
             inputs: tuple[str, ...] = ()) -> dict[tuple[str, str], tuple[str, str]]:
    """(control, resource) -> (status, message) of `govscan scan aws:///REGIONS -c ...`."""
    from click.testing import CliRunner

    from scanner.cli import cli
    from scanner.store import Store

    db = tmp / "scan.db"
    if db.exists():
        db.unlink()
    args = ["scan", f"aws:///{regions}", "--db", str(db), "-p", "aws-foundations"]
    for c in controls:
        args += ["-c", c]
    for i in inputs:
        args += ["--input", i]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code in (0, 1), result.output
    return {(f["control_id"], f["resource_id"]): (f["status"], f["message"]) for f in Store(db).view().findings()}


def denied_scan(tmp: Path, monkeypatch: pytest.MonkeyPatch, deny: list[str], controls: list[str],
                regions: str = "us-east-1") -> dict[tuple[str, str], tuple[str, str]]:
    """Like :func:`cli_scan`, as a user denied the IAM actions ``deny`` (moto enforcing IAM)."""
    import json

    import boto3

    iam = boto3.client("iam")
    name = f"auditor-{next(_USERS)}"
    iam.create_user(UserName=name)
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"},
                                                   {"Effect": "Deny", "Action": deny, "Resource": "*"}]}
    iam.put_user_policy(UserName=name, PolicyName="audit", PolicyDocument=json.dumps(doc))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    creds: dict[str, Any] = {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}
    for k, v in creds.items():
        monkeypatch.setenv(k, v)
    with enforced_iam():
        return cli_scan(tmp, controls, regions)


class _Refusal:
    status_code = 403
    headers: dict[str, str] = {}
    content = b""
    text = ""


def refused_scan(tmp: Path, monkeypatch: pytest.MonkeyPatch, refuse: dict[str, str], controls: list[str],
                 regions: str = "us-east-1") -> dict[tuple[str, str], tuple[str, str]]:
    """Like :func:`cli_scan`, with the API calls named in ``refuse`` (``efs:DescribeBackupPolicy`` ->
    error code) answered by that AWS error instead of being sent.

    For services whose requests moto cannot authorise under enforced IAM (its signature check fails
    on REST-JSON paths): botocore raises the same ClientError an AWS denial raises.
    """
    import checks.aws.session as session_mod

    real = session_mod.new_session

    def refuse_call(model: Any = None, **_: Any) -> Any:
        code = refuse.get(f"{model.service_model.endpoint_prefix}:{model.name}")
        if code is None:
            return None
        return _Refusal(), {"Error": {"Code": code, "Message": "refused by the test"},
                            "ResponseMetadata": {"HTTPStatusCode": 403}}

    def wrapped(**kwargs: Any) -> Any:
        s = real(**kwargs)
        s.events.register("before-call", refuse_call)
        return s

    monkeypatch.setattr(session_mod, "new_session", wrapped)
    return cli_scan(tmp, controls, regions)


DATA_TYPES = frozenset({
    "aws.rds.cluster", "aws.rds.snapshot", "aws.rds.events", "aws.dynamodb.table", "aws.dax.cluster",
    "aws.efs.file_system", "aws.sns.topic", "aws.sqs.queue", "aws.opensearch.domain", "aws.redshift.cluster",
    "aws.elasticache.replication_group", "aws.elasticache.cluster", "aws.backup.region", "aws.backup.vault"})
"""Types seeded by their own test modules, not by conftest.seed_account (see :func:`check_conformance`)."""


def check_conformance(types: list[str], regions: str = "us-east-1") -> None:
    """Like tests/aws/test_conformance.py for ``types`` on the module's own seeded account: each
    type yields resources, each holds only declared attributes of declared types, none is an error."""
    from checks.aws.provider import AwsProvider
    from scanner.resource_types import value_problems

    from .conftest import collect

    kinds = {k.name: k for k in AwsProvider().kinds()}
    coll = collect(f"aws:///{regions}", types=types)
    assert coll.fatal is None and coll.errors == []
    problems = []
    for rtype in types:
        found = coll.resources[rtype]
        assert found, rtype
        for res in found:
            assert res.type == rtype and res.error is None and res.region in regions.split(","), res.id
            problems += [f"{res.id}: {p}" for p in value_problems(kinds[rtype].schema(), res.attrs,
                                                                  open_top=bool(kinds[rtype].open_attributes))]
    assert problems == []
