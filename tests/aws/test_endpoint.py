"""The documented endpoint override works: a real moto_server on 127.0.0.1, only AWS_ENDPOINT_URL set.

Before: S3 Control sends every request to ``<account>.<endpoint host>``, which cannot resolve for
127.0.0.1, so each ``s3-control:GetPublicAccessBlock`` failed (122 errors, exit 1) unless an HTTP
proxy was set up. Every scan here runs the CLI as a user does, in a subprocess, without a proxy.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from .conftest import MOTO_MISSING
from .moto_gaps import without_moto_gaps

ACCOUNT = "123456789012"
REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def base_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy",
                                                                    "https_proxy", "MOTO_"))}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=REGION,
               AWS_CONFIG_FILE=str(tmp / "none-config"), AWS_SHARED_CREDENTIALS_FILE=str(tmp / "none-creds"),
               NO_PROXY="*")
    return env


@contextlib.contextmanager
def moto_server_in(tmp: Path) -> Iterator[tuple[str, Path]]:
    """A moto_server on a free loopback port, logging its requests under ``tmp``: (endpoint, log path).
    Skips the test when moto_server is not installed."""
    exe = shutil.which("moto_server")
    if exe is None:
        pytest.skip("moto_server (moto[server]) is not installed")
    port, log_path = free_port(), tmp / "moto.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen([exe, "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT,
                                env=dict(base_env(tmp), MOTO_EC2_LOAD_DEFAULT_AMIS="false"))
        try:
            for _ in range(150):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
            else:
                pytest.fail("moto_server did not start")
            yield f"http://127.0.0.1:{port}", log_path
        finally:
            proc.terminate()
            proc.wait(10)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with moto_server_in(tmp_path_factory.mktemp("moto")) as (endpoint, _):
        yield endpoint


def seed(endpoint: str) -> None:
    import boto3

    kw: dict[str, Any] = dict(endpoint_url=endpoint, region_name=REGION, aws_access_key_id="testing",
                              aws_secret_access_key="testing")
    s3 = boto3.client("s3", **kw)
    s3.create_bucket(Bucket="endpoint-bucket")
    s3.put_public_access_block(Bucket="endpoint-bucket", PublicAccessBlockConfiguration={
        k: True for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")})
    control = boto3.client("s3control", **kw)

    def to_server(request: Any = None, **_: Any) -> None:  # seeding only: the host the server listens on
        request.url = request.url.replace(f"//{ACCOUNT}.", "//", 1)

    control.meta.events.register("before-sign.s3-control", to_server)
    control.put_public_access_block(AccountId=ACCOUNT, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": False})


def govscan(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scanner", *args], capture_output=True, text=True, env=env,
                          timeout=300)


def test_scan_through_aws_endpoint_url_reads_s3_control(server: str, tmp_path: Path) -> None:
    seed(server)
    env = dict(base_env(tmp_path), AWS_ENDPOINT_URL=server)
    db = tmp_path / "scan.db"
    proc = govscan(env, "scan", f"aws:///{REGION}", "--db", str(db), "-p", "aws-foundations", "--gate", "none")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = govscan(env, "findings", "--db", str(db), "--json")
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    found = {(f["control_id"], f["resource_id"]): (f["status"], f["message"]) for f in rows}
    acct = f"arn:aws:::{ACCOUNT}"
    status, message = found[("aws-s3-account-public-access-block", acct)]
    assert status == "fail" and message.startswith(f"Account {ACCOUNT} does not block S3 public access (")
    assert '"RestrictPublicBuckets":false' in message
    # effective_public_access_blocked needed the account block too: read, so the bucket decides
    assert found[("aws-s3-bucket-public-access-block", "arn:aws:s3:::endpoint-bucket")][0] == "pass"
    # the whole profile, S3 Control included, reads without one error (but what moto does not serve)
    assert [f["message"] for f in without_moto_gaps(rows)
            if f["status"] == "error" and f["resource_type"] not in MOTO_MISSING] == []


def test_unreachable_endpoint_is_named_in_the_error(tmp_path: Path) -> None:
    closed = free_port()  # nothing listens here
    env = dict(base_env(tmp_path), AWS_ENDPOINT_URL=f"http://127.0.0.1:{closed}")
    db, inv = tmp_path / "scan.db", tmp_path / "inventory.yaml"
    inv.write_text(f"apiVersion: govscan/v1\nkind: Inventory\n"
                   f"targets:\n  - {{target: 'aws:///{REGION}', max_attempts: 1}}\n")  # no retry back-off
    proc = govscan(env, "scan", "-i", str(inv), "--db", str(db), "-p", "aws-foundations",
                   "-c", "aws-s3-account-public-access-block")
    assert proc.returncode == 3, proc.stdout + proc.stderr  # the only target could not be scanned
    assert (f"cannot authenticate: EndpointConnectionError on sts:GetCallerIdentity at http://127.0.0.1:{closed}/"
            in proc.stdout + proc.stderr)
    assert "Traceback" not in proc.stderr


def test_profile_endpoint_url_holds_after_assume_role(server: str, tmp_path: Path) -> None:
    """A profile's endpoint_url (no AWS_ENDPOINT_URL) is kept by the session of the assumed role."""
    cfg = tmp_path / "config"
    cfg.write_text(f"[profile emu]\nregion = {REGION}\nendpoint_url = {server}\n"
                   "aws_access_key_id = testing\naws_secret_access_key = testing\n")
    env = dict(base_env(tmp_path), AWS_CONFIG_FILE=str(cfg))
    env.pop("AWS_ACCESS_KEY_ID"), env.pop("AWS_SECRET_ACCESS_KEY")
    inv = tmp_path / "inventory.yaml"
    inv.write_text("apiVersion: govscan/v1\nkind: Inventory\ntargets:\n"
                   f"  - {{target: 'aws://emu/{REGION}', role_arn: 'arn:aws:iam::210987654321:role/Audit',"
                   " max_attempts: 1}\n")
    db = tmp_path / "scan.db"
    proc = govscan(env, "scan", "-i", str(inv), "--db", str(db), "-p", "aws-foundations",
                   "-c", "aws-s3-account-public-access-block", "--gate", "none")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = govscan(env, "findings", "--db", str(db), "--json")
    found = [(f["target_id"], f["control_id"], f["resource_id"], f["status"]) for f in map(json.loads, out.stdout.splitlines())]
    # the role's account was scanned, on the emulator: its account-level block is not configured
    assert found == [(f"aws://210987654321/{REGION}", "aws-s3-account-public-access-block",
                      "arn:aws:::210987654321", "fail")]


@pytest.mark.parametrize("url,expected", [
    (f"http://{ACCOUNT}.127.0.0.1:5000/v20180820/x", "http://127.0.0.1:5000/v20180820/x"),
    (f"http://{ACCOUNT}.localhost:4566/v20180820/x", "http://localhost:4566/v20180820/x"),
    # AWS itself, and DNS names with sub-domains (VPC interface endpoints have a wildcard record)
    (f"https://{ACCOUNT}.s3-control.us-east-1.amazonaws.com/v20180820/x", None),
    (f"https://{ACCOUNT}.control.vpce-0a1b.s3.us-east-1.vpce.amazonaws.com/v20180820/x", None),
    ("http://999999999999.127.0.0.1:5000/v20180820/x", None),  # not the account the header names
])
def test_s3_control_stays_on_an_override_host_that_cannot_have_sub_domains(url: str, expected: str | None) -> None:
    from botocore.awsrequest import AWSRequest

    from checks.aws.session import _account_host_off_override

    request = AWSRequest(method="GET", url=url, headers={"x-amz-account-id": ACCOUNT})
    _account_host_off_override(request=request)
    assert request.url == (expected or url)


def test_connection_failures_name_the_endpoint_without_credentials() -> None:
    import boto3
    from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError

    from checks.aws.runner import _describe
    from checks.aws.session import _classify

    client = boto3.client("s3control", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="y")
    exc = EndpointConnectionError(endpoint_url=f"http://user:secret@{ACCOUNT}.emulator.internal:4566/v20180820/x?a=b")
    failure = _classify(client, "GetPublicAccessBlock", exc)
    assert str(failure) == (f"EndpointConnectionError on s3-control:GetPublicAccessBlock at "
                            f"http://{ACCOUNT}.emulator.internal:4566/v20180820/x")
    assert _describe(failure, REGION) == (f"EndpointConnectionError on s3-control:GetPublicAccessBlock in {REGION} at "
                                          f"http://{ACCOUNT}.emulator.internal:4566/v20180820/x")
    assert "secret" not in failure.detail and "secret" not in str(failure)
    slow = _classify(client, "GetPublicAccessBlock", ConnectTimeoutError(endpoint_url="https://[::1]:8443/"))
    assert str(slow) == "ConnectTimeoutError on s3-control:GetPublicAccessBlock at https://[::1]:8443/"
