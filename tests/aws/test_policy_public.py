"""The one public-policy analyzer (checks/aws/policy_public.py), through every control that uses it, on moto.

One table of statements with the verdict each must get (public -> fail, not public -> pass, unknown -> error);
every row is set as the resource policy of an SNS topic, an SQS queue, an S3 bucket, an ECR repository, a
VPC endpoint, a KMS key, a secret, an OpenSearch domain, an EFS file system, a Backup vault and the trust
policy of an IAM role, and one scan of all their controls must give each resource the row's verdict. Lambda
policies can only be written through AddPermission: its rows are the ones AddPermission can express.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Iterator

import boto3
import pytest
from botocore.exceptions import ClientError

from checks.aws.exposure import world_open
from checks.aws.policy_public import condition_bounds, public_indexes, public_principal, statement_public

from .conftest import ACCOUNT
from .datasvc import cli_scan

R = "us-east-1"
PARTNER = "111122223333"
PUBLIC, PRIVATE, UNKNOWN = "public", "not public", "unknown"


def _c(op: str, key: str, value: Any) -> dict[str, Any]:
    return {op: {key: value}}


# name -> (principal fields, condition, expected verdict)
TABLE: dict[str, tuple[dict[str, Any], Any, str]] = {
    "star": ({"Principal": "*"}, None, PUBLIC),
    "aws-star": ({"Principal": {"AWS": "*"}}, None, PUBLIC),
    "any-account-root": ({"Principal": {"AWS": "arn:aws:iam::*:root"}}, None, PUBLIC),
    "not-principal": ({"NotPrincipal": {"AWS": f"arn:aws:iam::{PARTNER}:root"}}, None, PUBLIC),
    "own-account": ({"Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}, None, PRIVATE),
    "source-account": ({"Principal": "*"}, _c("StringEquals", "aws:SourceAccount", ACCOUNT), PRIVATE),
    "source-account-ifexists": ({"Principal": "*"}, _c("StringEqualsIfExists", "aws:SourceAccount", ACCOUNT), PUBLIC),
    "source-account-star": ({"Principal": "*"}, _c("StringEquals", "aws:SourceAccount", "*"), PUBLIC),
    "source-account-like-wildcard": ({"Principal": "*"}, _c("StringLike", "aws:SourceAccount", "1234*"), PUBLIC),
    "principal-account-negated": ({"Principal": "*"}, _c("StringNotEquals", "aws:PrincipalAccount", ACCOUNT), PUBLIC),
    "org": ({"Principal": "*"}, _c("StringEquals", "aws:PrincipalOrgID", "o-abc123"), PRIVATE),
    "org-for-any-value": ({"Principal": "*"}, _c("ForAnyValue:StringEquals", "aws:PrincipalOrgID", "o-abc123"),
                          PRIVATE),
    "org-for-all-values": ({"Principal": "*"}, _c("ForAllValues:StringEquals", "aws:PrincipalOrgID", "o-abc123"),
                           PUBLIC),
    "org-paths": ({"Principal": "*"}, _c("ForAnyValue:StringLike", "aws:PrincipalOrgPaths", "o-abc123/r-ab12/*"),
                  PRIVATE),
    "org-paths-any-org": ({"Principal": "*"}, _c("ForAnyValue:StringLike", "aws:PrincipalOrgPaths", "o-*/*"), PUBLIC),
    "source-arn": ({"Principal": "*"}, _c("ArnLike", "aws:SourceArn", f"arn:aws:sns:{R}:{ACCOUNT}:*"), PRIVATE),
    "source-arn-any-account": ({"Principal": "*"}, _c("ArnLike", "aws:SourceArn", "arn:aws:sns:*:*:topic"), PUBLIC),
    "source-arn-bucket": ({"Principal": "*"}, _c("ArnEquals", "aws:SourceArn", "arn:aws:s3:::agree-logs"), PRIVATE),
    "source-arn-any-bucket": ({"Principal": "*"}, _c("ArnLike", "aws:SourceArn", "arn:aws:s3:::*"), PUBLIC),
    "source-vpc": ({"Principal": "*"}, _c("StringEquals", "aws:SourceVpc", "vpc-0123456789abcdef0"), PRIVATE),
    "source-vpce": ({"Principal": "*"}, _c("StringEquals", "aws:SourceVpce", "vpce-0123456789abcdef0"), PRIVATE),
    "source-vpce-like-any": ({"Principal": "*"}, _c("StringLike", "aws:SourceVpce", "vpce-*"), PUBLIC),
    "source-ip": ({"Principal": "*"}, _c("IpAddress", "aws:SourceIp", "203.0.113.0/24"), PRIVATE),
    "source-ip-world": ({"Principal": "*"}, _c("IpAddress", "aws:SourceIp", "0.0.0.0/0"), PUBLIC),
    "source-ip-split-world": ({"Principal": "*"}, _c("IpAddress", "aws:SourceIp", ["0.0.0.0/1", "128.0.0.0/1"]),
                              PUBLIC),
    "source-ip-ipv6-world": ({"Principal": "*"}, _c("IpAddress", "aws:SourceIp", ["10.0.0.0/8", "::/0"]), PUBLIC),
    "source-ip-ifexists": ({"Principal": "*"}, _c("IpAddressIfExists", "aws:SourceIp", "203.0.113.0/24"), PUBLIC),
    "source-ip-negated": ({"Principal": "*"}, _c("NotIpAddress", "aws:SourceIp", "203.0.113.0/24"), PUBLIC),
    "source-ip-unparsable": ({"Principal": "*"}, _c("IpAddress", "aws:SourceIp", "not-an-address"), UNKNOWN),
    "null-vpc": ({"Principal": "*"}, _c("Null", "aws:SourceVpc", "false"), PUBLIC),
    "resource-account": ({"Principal": "*"}, _c("StringEquals", "aws:ResourceAccount", ACCOUNT), PUBLIC),
    "username": ({"Principal": "*"}, _c("StringEquals", "aws:username", "alice"), PUBLIC),
    "via-service": ({"Principal": "*"}, _c("StringEquals", "kms:ViaService", f"s3.{R}.amazonaws.com"), PUBLIC),
    "vpc-source-ip": ({"Principal": "*"}, _c("IpAddress", "aws:VpcSourceIp", "10.0.0.0/8"), PUBLIC),
    "principal-service-name": ({"Principal": "*"}, _c("StringEquals", "aws:PrincipalServiceName",
                                                      "sns.amazonaws.com"), PUBLIC),
    "external-id": ({"Principal": "*"}, _c("StringEquals", "sts:ExternalId", "shared-id"), PUBLIC),
    "caller-account": ({"Principal": "*"}, _c("StringEquals", "kms:CallerAccount", ACCOUNT), PRIVATE),
    "secure-transport-only": ({"Principal": "*"}, _c("Bool", "aws:SecureTransport", "true"), PUBLIC),
    "secure-transport-json-bool": ({"Principal": "*"}, _c("Bool", "aws:SecureTransport", True), PUBLIC),
    "nested-value": ({"Principal": "*"}, _c("StringEquals", "aws:SourceAccount", [[ACCOUNT]]), UNKNOWN),
    "unknown-operator": ({"Principal": "*"}, _c("StringEqualsFuzzy", "aws:SourceAccount", ACCOUNT), UNKNOWN),
    "unknown-operator-and-bound": ({"Principal": "*"}, {
        "StringEqualsFuzzy": {"aws:UserAgent": "x"}, "StringEquals": {"aws:SourceAccount": ACCOUNT}}, PRIVATE),
    "unknown-qualifier": ({"Principal": "*"}, _c("ForSomeValues:StringEquals", "aws:PrincipalOrgID", "o-abc123"),
                          UNKNOWN),
}
# rows that are not valid policies: a service that validates policies (as AWS does) may refuse them
INVALID = frozenset(("nested-value", "source-ip-unparsable", "unknown-operator", "unknown-operator-and-bound", "unknown-qualifier"))
STATUS = {PUBLIC: "fail", PRIVATE: "pass", UNKNOWN: "error"}


def statement(row: str, action: Any = "*", resource: bool = True) -> dict[str, Any]:
    principal, condition, _ = TABLE[row]
    st: dict[str, Any] = {"Sid": row.replace("-", ""), "Effect": "Allow", **principal, "Action": action}
    if resource:
        st["Resource"] = "*"
    if condition is not None:
        st["Condition"] = condition
    return st


# Lambda policies are written by AddPermission only: the rows it can express, as its parameters
LAMBDA_ROWS: dict[str, tuple[dict[str, str], str]] = {
    "star": ({"Principal": "*"}, PUBLIC),
    "source-account": ({"Principal": "*", "SourceAccount": ACCOUNT}, PRIVATE),
    "org": ({"Principal": "*", "PrincipalOrgID": "o-abc123def45"}, PRIVATE),
    "source-arn-bucket": ({"Principal": "*", "SourceArn": "arn:aws:s3:::agree-logs"}, PRIVATE),
    "source-arn-any-bucket": ({"Principal": "*", "SourceArn": "arn:aws:s3:::*"}, PUBLIC),
    "own-account": ({"Principal": ACCOUNT}, PRIVATE),
}


def _zip() -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("f.py", "def h(e, c):\n    return 1\n")
    return buf.getvalue()


def doc(*sts: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(sts)})


def test_every_row_verdict_on_the_document() -> None:
    """The analyzer alone: the table, then documents that are not policies."""
    expected = {PUBLIC: True, PRIVATE: False, UNKNOWN: None}
    assert {row: statement_public(statement(row)) for row in TABLE} == {r: expected[v[2]] for r, v in TABLE.items()}
    assert public_indexes(doc(statement("star"), statement("unknown-operator"))) == [0]  # public wins
    assert public_indexes(doc(statement("org"), statement("unknown-operator"))) is None  # unknown stays unknown
    assert public_indexes(doc(statement("org"))) == []
    for bad in ("{not json", json.dumps({"Version": "2012-10-17"}), json.dumps({"Statement": ["x"]}),
                doc(dict(statement("star"), Effect="Permit")), doc(dict(statement("star"), Condition="x")),
                doc(dict(statement("star"), Principal=["*"]))):
        assert public_indexes(bad) is None, bad
    assert public_principal({"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}}) is False
    assert condition_bounds({"StringEquals": {"aws:SourceAccount": [ACCOUNT, "*"]}}) is False  # one value is any
    assert world_open(["0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/2"]) is True
    assert world_open(["0.0.0.0/1", "128.0.0.0/2"]) is False


REFUSED: set[tuple[str, str]] = set()


def _set(service: str, row: str, make: Callable[[], Any]) -> bool:
    """Write the policy; False when the service refuses it, which only an invalid row may be (AWS
    itself validates some policies: an unknown operator never reaches those resources)."""
    try:
        make()
    except ClientError as err:
        assert row in INVALID, f"{service} refused row {row}: {err}"
        REFUSED.add((service, row))
        return False
    return True


@pytest.fixture(scope="module")
def seeded() -> Iterator[dict[tuple[str, str], str]]:
    """(control, resource id) -> expected verdict, for every row and service."""
    from moto import mock_aws

    with mock_aws():
        c = {s: boto3.client(s, region_name=R) for s in (
            "sns", "sqs", "s3", "ecr", "ec2", "kms", "secretsmanager", "opensearch", "efs", "iam", "lambda")}
        vpc = c["ec2"].create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
        out: dict[tuple[str, str], str] = {}
        for i, (row, (_, _, verdict)) in enumerate(TABLE.items()):
            name = f"agree-{i:02d}"
            policy = doc(statement(row))
            topic = c["sns"].create_topic(Name=name)["TopicArn"]
            if _set("sns", row, lambda: c["sns"].set_topic_attributes(
                    TopicArn=topic, AttributeName="Policy", AttributeValue=policy)):
                out[("aws-sns-not-public", topic)] = verdict
            url = c["sqs"].create_queue(QueueName=name)["QueueUrl"]
            if _set("sqs", row, lambda: c["sqs"].set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})):
                out[("aws-sqs-not-public", f"arn:aws:sqs:{R}:{ACCOUNT}:{name}")] = verdict
            c["s3"].create_bucket(Bucket=name)
            if _set("s3", row, lambda: c["s3"].put_bucket_policy(Bucket=name, Policy=policy)):
                out[("aws-s3-no-foreign-write", f"arn:aws:s3:::{name}")] = verdict
            repo = c["ecr"].create_repository(repositoryName=name)["repository"]["repositoryArn"]
            if _set("ecr", row, lambda: c["ecr"].set_repository_policy(repositoryName=name, policyText=policy)):
                out[("aws-ecr-policy-not-public", repo)] = verdict
            ep = c["ec2"].create_vpc_endpoint(VpcId=vpc, ServiceName=f"com.amazonaws.{R}.s3",
                                              PolicyDocument=policy)["VpcEndpoint"]["VpcEndpointId"]
            out[("aws-vpc-endpoint-policy-not-public", f"arn:aws:ec2:{R}:{ACCOUNT}:vpc-endpoint/{ep}")] = verdict
            key = c["kms"].create_key(Policy=policy)["KeyMetadata"]["Arn"]
            out[("aws-kms-key-not-public", key)] = verdict
            secret = c["secretsmanager"].create_secret(Name=name, SecretString="x")["ARN"]
            if _set("secretsmanager", row, lambda: c["secretsmanager"].put_resource_policy(
                    SecretId=name, ResourcePolicy=policy)):
                out[("aws-secretsmanager-not-public", secret)] = verdict
            domain = c["opensearch"].create_domain(DomainName=name, AccessPolicies=policy)["DomainStatus"]["ARN"]
            out[("aws-opensearch-not-public", domain)] = verdict
            fs = c["efs"].create_file_system(CreationToken=name)
            if _set("efs", row, lambda: c["efs"].put_file_system_policy(
                    FileSystemId=fs["FileSystemId"], Policy=policy)):
                out[("aws-efs-not-public", fs["FileSystemArn"])] = verdict
            trust = doc(statement(row, action="sts:AssumeRole", resource=False))
            if _set("iam", row, lambda: c["iam"].create_role(RoleName=name, AssumeRolePolicyDocument=trust)):
                out[("aws-iam-role-trust-not-public", f"arn:aws:iam::{ACCOUNT}:role/{name}")] = verdict
        role = c["iam"].create_role(RoleName="agree-fn", AssumeRolePolicyDocument=doc({
            "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}))["Role"]
        for row, (permission, verdict) in LAMBDA_ROWS.items():
            fn = c["lambda"].create_function(FunctionName=f"agree-{row}", Runtime="python3.12", Role=role["Arn"],
                                             Handler="f.h", Code={"ZipFile": _zip()})["FunctionArn"]
            c["lambda"].add_permission(FunctionName=f"agree-{row}", StatementId=row, Action="lambda:InvokeFunction",
                                       **permission)
            out[("aws-lambda-policy-not-public", fn)] = verdict
        yield out


def test_every_row_through_every_control(seeded: dict[tuple[str, str], str], tmp_path: Path) -> None:
    controls = sorted({control for control, _ in seeded})
    got = cli_scan(tmp_path, controls)
    found = {k: got.get(k, ("missing", ""))[0] for k in seeded}
    wrong = {k: (found[k], STATUS[v]) for k, v in seeded.items() if found[k] != STATUS[v]}
    assert not wrong, wrong


def test_refusals_are_only_invalid_policies(seeded: dict[tuple[str, str], str]) -> None:
    """Which services refused which rows (moto validates like AWS for ECR and IAM): every valid row reached
    every service, and every control is judged on at least every valid row."""
    assert {row for _, row in REFUSED} <= INVALID
    per_control: dict[str, int] = {}
    for control, _ in seeded:
        per_control[control] = per_control.get(control, 0) + 1
    assert len(per_control) == 11 and min(n for c, n in per_control.items()
                                               if c != "aws-lambda-policy-not-public") >= len(TABLE) - len(INVALID), per_control


def test_backup_vault_rows_through_public_actions() -> None:
    """moto does not implement PutBackupVaultAccessPolicy: the Backup control's reader gets the table here."""
    from checks.aws.backup import DELETE_ACTIONS
    from checks.aws.resource_policy import public_actions

    expected = {PUBLIC: list(DELETE_ACTIONS), PRIVATE: [], UNKNOWN: None}
    got = {row: public_actions(doc(statement(row)), DELETE_ACTIONS) for row in TABLE}
    assert got == {row: expected[v[2]] for row, v in TABLE.items()}
