"""The scan's memo of AWS answers (checks/aws/api.py ``Api.once``): every call once, compactly kept.

- A value: the first caller gets it; the memo keeps its pickle until a later caller asks, who gets an
  equal copy, shared from then on; a value pickle refuses is kept as it is.
- A failure: every later caller gets the same failure (type, API, code, message, attributes) as a copy
  of its own; the memo keeps no traceback, cause or context (they held the failed call's HTTP exchange).
- Concurrent callers of one key wait for the one call and all get its result.
- On moto: a real listing read by two callers is sent once and both get the same data.
"""

from __future__ import annotations

import gc
import threading
import time
import weakref
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from checks.aws.api import Api, _Stored
from checks.aws.session import ApiFailure, NotRetried


class _Session:
    default_region = "us-east-1"
    gate = None


def _api() -> Api:
    return Api(_Session(), "123456789012", "aws", ThreadPoolExecutor(1))  # type: ignore[arg-type]


def test_a_value_is_kept_pickled_until_asked_again_then_shared() -> None:
    api = _api()
    calls: list[int] = []
    answer = {"Buckets": [{"Name": "a", "Tags": ["x"]}], "Count": 1}

    def fetch() -> Any:
        calls.append(1)
        return answer

    first = api.once(("k",), fetch)
    assert first is answer
    stored = api._memo[("k",)]
    assert isinstance(stored, _Stored) and isinstance(stored.data, bytes) and stored.value is None
    second = api.once(("k",), fetch)
    assert second == answer and second is not answer  # a copy: the first caller's changes do not leak
    assert stored.data is None and stored.value is second
    assert api.once(("k",), fetch) is second
    assert calls == [1]


def test_a_value_pickle_refuses_is_kept_as_it_is() -> None:
    api = _api()
    lock = threading.Lock()
    value = {"lock": lock}
    assert api.once(("k",), lambda: value) is value
    assert api.once(("k",), lambda: {"other": 1}) is value


def test_a_failure_is_kept_without_its_traceback_and_raised_as_a_copy() -> None:
    api = _api()

    class Exchange:  # stands for the HTTP response a failed botocore call holds in its frames
        pass

    holder = {"exchange": Exchange()}
    held = weakref.ref(holder["exchange"])

    def fail() -> Any:
        response = holder.pop("exchange")  # noqa: F841 - a local of the failing frame, as botocore's are
        try:
            raise KeyError("inner")
        except KeyError:
            raise ApiFailure("s3:GetBucketPolicy", "AccessDenied", "denied", lasting=False)  # noqa: B904

    with pytest.raises(ApiFailure) as first:
        api.once(("k",), fail)
    assert first.value.__context__ is not None  # the owner gets the failure as raised
    del first
    gc.collect()
    assert held() is None  # the memo does not keep the failed call's frames alive
    stored = api._memo[("k",)]
    assert isinstance(stored, _Stored) and stored.failure is not None
    assert stored.failure.__traceback__ is None and stored.failure.__context__ is None
    errors = []
    for _ in range(2):
        with pytest.raises(ApiFailure) as later:
            api.once(("k",), lambda: pytest.fail("sent again"))
        errors.append(later.value)
        assert (later.value.api, later.value.code, later.value.detail, str(later.value)) == (
            "s3:GetBucketPolicy", "AccessDenied", "denied", "AccessDenied on s3:GetBucketPolicy")
    assert errors[0] is not errors[1] and errors[0] is not stored.failure


def test_a_not_retried_failure_keeps_its_note_when_copied() -> None:
    api = _api()
    first = ApiFailure("config:DescribeComplianceByConfigRule", "500", lasting=True)

    def fail() -> Any:
        raise NotRetried(first)

    for _ in range(2):
        with pytest.raises(NotRetried) as caught:
            api.once(("k",), fail)
        assert str(caught.value) == ("not retried: config:DescribeComplianceByConfigRule failed earlier in this "
                                     "scan: 500 on config:DescribeComplianceByConfigRule")
        assert caught.value.first is first and caught.value.lasting


def test_concurrent_callers_wait_for_the_one_call() -> None:
    api = _api()
    started = threading.Event()
    calls: list[int] = []

    def slow() -> Any:
        calls.append(1)
        started.set()
        time.sleep(0.3)
        return {"n": [1, 2, 3]}

    with ThreadPoolExecutor(6) as pool:
        owner = pool.submit(api.once, ("k",), slow)
        started.wait(5)
        waiters = [pool.submit(api.once, ("k",), slow) for _ in range(5)]
        results = [owner.result()] + [w.result() for w in waiters]
    assert calls == [1]
    assert all(r == {"n": [1, 2, 3]} for r in results)


def test_a_listing_read_twice_on_moto_is_sent_once(moto: None) -> None:
    import boto3

    from checks.aws.session import AwsSession

    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    ec2.create_security_group(GroupName="memo", Description="memo", VpcId=vpc)
    session = AwsSession(default_region="us-east-1")
    with ThreadPoolExecutor(2) as pool:
        api = Api(session, "123456789012", "aws", pool)
        one = api.list("ec2", "us-east-1", "DescribeSecurityGroups", "SecurityGroups")
        two = api.list("ec2", "us-east-1", "DescribeSecurityGroups", "SecurityGroups")
    assert one == two and "memo" in {g["GroupName"] for g in two}
    assert session.counter.calls["ec2:DescribeSecurityGroups"] == 1
