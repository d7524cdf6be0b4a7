"""Retry budget and failed operations not sent again (issue 11: govscan waited on retried failures).

Measured on a seeded moto server (bench/aws_waits.py): two calls moto's server answers with a bare
HTTP 500 were each sent 7 times with back-off (17 to 33 s), the whole scan's critical path. Now an
error that is not throttling is sent at most TRANSIENT_ATTEMPTS (3) times, throttling keeps the
adaptive retries, and an operation that failed for good (not implemented, or a server error through
its retries) is not sent again in the scan: the later reads are `error` naming the first failure.
Requests are counted by the servers that receive them: a loopback HTTP server answering fixed
errors, and moto_server's request log.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from .test_endpoint import base_env, free_port, moto_server_in

REGION = "us-east-1"
HTML_500 = b"<!doctype html>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>\n"


class Answers:
    """A loopback HTTP server: ``answer(n)`` gives (status, content type, body) for the n-th request."""

    def __init__(self, answer: Callable[[int], tuple[int, str, bytes]]):
        self.requests: list[str] = []
        lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with lock:
                    outer.requests.append(f"{self.headers.get('X-Amz-Target', '')} {body.decode('utf-8', 'replace')}")
                    n = len(outer.requests)
                status, ctype, payload = answer(n)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Answers]]:
    started: list[Answers] = []

    def start(answer: Callable[[int], tuple[int, str, bytes]]) -> Answers:
        srv = Answers(answer)
        started.append(srv)
        monkeypatch.setenv("AWS_ENDPOINT_URL", srv.url)
        return srv

    yield start
    for srv in started:
        srv.close()


def api_on(max_attempts: int = 6) -> tuple[Any, ThreadPoolExecutor]:
    from checks.aws.api import Api
    from checks.aws.session import AwsSession

    pool = ThreadPoolExecutor(2)
    return Api(AwsSession(max_attempts=max_attempts, default_region=REGION), "123456789012", "aws", pool), pool


def test_a_server_error_is_sent_three_times_and_the_operation_not_again(answers: Callable[..., Answers]) -> None:
    from checks.aws.runner import _describe
    from checks.aws.session import ApiFailure, NotRetried

    denied = json.dumps({"__type": "AccessDeniedException", "message": "no"}).encode()
    srv = answers(lambda n: (500, "text/html", HTML_500) if n <= 3 else (400, "application/x-amz-json-1.1", denied))
    api, pool = api_on()
    with pool:
        with pytest.raises(ApiFailure) as first:
            api.call("kms", REGION, "DescribeKey", KeyId="key-a")
        assert (first.value.code, first.value.api, first.value.lasting) == ("500", "kms:DescribeKey", True)
        assert len(srv.requests) == 3  # 3 attempts (it was 7: DEFAULT_MAX_ATTEMPTS retries)
        # another key: the same operation in the same region is not sent again
        with pytest.raises(NotRetried) as again:
            api.call("kms", REGION, "DescribeKey", KeyId="key-b")
        assert len(srv.requests) == 3
        assert str(again.value) == "not retried: kms:DescribeKey failed earlier in this scan: 500 on kms:DescribeKey"
        assert again.value.code == "500" and again.value.first is first.value
        assert _describe(again.value, REGION) == ("not retried: kms:DescribeKey failed earlier in this scan: "
                                                  "500 on kms:DescribeKey in us-east-1")
        # another operation, and the same one in another region, are asked
        with pytest.raises(ApiFailure) as other:
            api.call("kms", REGION, "GetKeyPolicy", KeyId="key-a", PolicyName="default")
        assert other.value.code == "AccessDeniedException" and len(srv.requests) == 4
        assert all("DescribeKey" in r for r in srv.requests[:3]) and "GetKeyPolicy" in srv.requests[3]
        with pytest.raises(ApiFailure) as west:
            api.call("kms", "us-west-2", "DescribeKey", KeyId="key-a")
        assert west.value.code == "AccessDeniedException" and len(srv.requests) == 5


def test_throttling_keeps_every_adaptive_retry_and_is_asked_again(answers: Callable[..., Answers]) -> None:
    """Throttling is not a lasting failure: all max_attempts retries, and the next key is still read."""
    from checks.aws.session import ApiFailure

    throttled = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
    key = json.dumps({"KeyMetadata": {"KeyId": "key-b", "AWSAccountId": "123456789012"}}).encode()
    srv = answers(lambda n: (400, "application/x-amz-json-1.1", throttled) if n <= 4
                  else (200, "application/x-amz-json-1.1", key))
    api, pool = api_on(max_attempts=3)
    with pool:
        with pytest.raises(ApiFailure) as first:
            api.call("kms", REGION, "DescribeKey", KeyId="key-a")
        assert (first.value.code, first.value.lasting) == ("ThrottlingException", False)
        assert len(srv.requests) == 4  # 1 + max_attempts: more than the 3 a server error gets
        assert api.call("kms", REGION, "DescribeKey", KeyId="key-b")["KeyMetadata"]["KeyId"] == "key-b"
        assert len(srv.requests) == 5


def test_a_503_is_sent_three_times_but_not_lasting(answers: Callable[..., Answers]) -> None:
    """ServiceUnavailable is temporary by definition: 3 attempts, and the next key is still asked."""
    from checks.aws.session import ApiFailure

    unavailable = json.dumps({"__type": "ServiceUnavailableException", "message": "try later"}).encode()
    key = json.dumps({"KeyMetadata": {"KeyId": "key-b", "AWSAccountId": "123456789012"}}).encode()
    srv = answers(lambda n: (503, "application/x-amz-json-1.1", unavailable) if n <= 3
                  else (200, "application/x-amz-json-1.1", key))
    api, pool = api_on()
    with pool:
        with pytest.raises(ApiFailure) as first:
            api.call("kms", REGION, "DescribeKey", KeyId="key-a")
        assert (first.value.code, first.value.lasting, len(srv.requests)) == ("ServiceUnavailableException", False, 3)
        assert api.call("kms", REGION, "DescribeKey", KeyId="key-b")["KeyMetadata"]["KeyId"] == "key-b"
        assert len(srv.requests) == 4


def test_an_unreachable_endpoint_is_tried_three_times(monkeypatch: pytest.MonkeyPatch) -> None:
    from checks.aws.session import ApiFailure, AwsSession, call

    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")  # nothing listens
    session = AwsSession(default_region=REGION)
    with pytest.raises(ApiFailure) as failure:
        call(session.client("sts"), "GetCallerIdentity")
    assert failure.value.code == "EndpointConnectionError" and not failure.value.lasting
    assert session.counter.attempts == 3  # it was 7


def test_a_not_implemented_operation_is_not_sent_again(moto: None) -> None:
    """moto in-process does not implement wafv2:ListResourcesForWebACL: asked for one web ACL only."""
    import boto3

    from checks.aws.session import ApiFailure, NotRetried

    waf = boto3.client("wafv2", region_name=REGION)
    arns = [waf.create_web_acl(Name=f"acl-{i}", Scope="REGIONAL", DefaultAction={"Allow": {}}, VisibilityConfig={
        "SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": f"m{i}"})["Summary"]["ARN"]
        for i in range(3)]
    api, pool = api_on()
    with pool:
        with pytest.raises(ApiFailure) as first:
            api.call("wafv2", REGION, "ListResourcesForWebACL", WebACLArn=arns[0], ResourceType="API_GATEWAY")
        assert str(first.value) == "NotImplemented on wafv2:ListResourcesForWebACL" and first.value.lasting
        for arn in arns[1:]:
            with pytest.raises(NotRetried) as again:
                api.call("wafv2", REGION, "ListResourcesForWebACL", WebACLArn=arn, ResourceType="API_GATEWAY")
            assert str(again.value) == ("not retried: wafv2:ListResourcesForWebACL failed earlier in this scan: "
                                        "NotImplemented on wafv2:ListResourcesForWebACL")
        assert api.session.counter.calls["wafv2:ListResourcesForWebACL"] == 1
        # an answer that is only about one resource (not found) is no reason to stop asking
        for arn in arns:
            assert api.get("wafv2", REGION, "GetLoggingConfiguration", absent=("WAFNonexistentItemException",),
                           ResourceArn=arn) is None
        assert api.session.counter.calls["wafv2:GetLoggingConfiguration"] == 3


@pytest.fixture(scope="module")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A moto_server on loopback: (endpoint, its request log)."""
    with moto_server_in(tmp_path_factory.mktemp("moto")) as started:
        yield started


def govscan(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scanner", *args], capture_output=True, text=True, env=env,
                          timeout=300)


def test_moto_server_bare_500s_are_errors_after_three_attempts(moto_server: tuple[str, Path],
                                                                tmp_path: Path) -> None:
    """moto_server answers DescribeComplianceByConfigRule and ListAnalyzers with a bare HTTP 500 (not
    implemented): 3 requests each (it was 7 each, 17 s of back-off per call), both controls `error`."""
    endpoint, log = moto_server
    env = dict(base_env(tmp_path), AWS_ENDPOINT_URL=endpoint)
    db = tmp_path / "scan.db"
    before = log.read_text().count('" 500 -')
    proc = govscan(env, "scan", f"aws:///{REGION}", "--db", str(db), "--gate", "none",
                   "-c", "aws-config-rules-compliant", "-c", "aws-accessanalyzer-enabled")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    served = [line for line in log.read_text().splitlines() if '" 500 -' in line]
    assert len(served) - before == 6, served  # 3 POST / (config), 3 GET /analyzer
    rows = [json.loads(line) for line in govscan(env, "findings", "--db", str(db), "--json").stdout.splitlines()]
    got = {f["control_id"]: (f["status"], f["message"]) for f in rows}
    assert got["aws-config-rules-compliant"][0] == "error"
    assert "500 on config:DescribeComplianceByConfigRule in us-east-1" in got["aws-config-rules-compliant"][1]
    assert got["aws-accessanalyzer-enabled"][0] == "error"
    assert "500 on access-analyzer:ListAnalyzers in us-east-1" in got["aws-accessanalyzer-enabled"][1]
