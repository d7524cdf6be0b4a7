"""boto3 sessions for one scan: credentials, assume-role chains, clients and call accounting.

Everything here is built per scan and per target; nothing is created at import time and boto3 is
imported inside functions so that ``govscan --help`` never pays for it.
"""

from __future__ import annotations

import hashlib
import re
import threading
import weakref
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

# Adaptive retries: client-side rate limiting plus exponential back-off on throttling. botocore's
# ``max_attempts`` counts retries: a throttled call is sent up to 7 times.
DEFAULT_MAX_ATTEMPTS = 6
# Every other error the SDK retries (HTTP 5xx, request timeouts, dropped connections) is sent at most
# this many times in all, the AWS SDKs' standard-mode default: such an error rarely clears within
# seconds, and each retry waits up to twice as long as the one before (7 attempts: 25 s on average).
TRANSIENT_ATTEMPTS = 3
# Error codes meaning "this operation does not exist here": the answer cannot change within a scan.
UNAVAILABLE_CODES = frozenset({"NotImplemented", "UnknownOperationException", "UnknownOperation", "InvalidAction"})
# Status codes moto and AWS use for "this operation is not implemented here": retrying cannot help.
NOT_IMPLEMENTED_STATUS = (500, 501)
_XML_CODE = re.compile(r"<Code>([A-Za-z0-9.]{1,64})</Code>")
_NOT_IMPLEMENTED_HINTS = ("not implemented", "notimplemented", "not yet implemented", "not been implemented")


class ApiFailure(Exception):
    """An AWS API call failed in a way the scan must report (never a pass).

    ``api`` is the IAM action style name (``s3:GetBucketPolicy``), ``code`` the AWS error code
    (``AccessDenied``, ``Throttling``, ``NotImplemented``...).
    """

    note = ""
    """Text before the failure in messages (see :class:`NotRetried`)."""

    def __init__(self, api: str, code: str, detail: str = "", endpoint: str = "", lasting: bool = False):
        self.api = api
        self.code = code
        self.detail = detail
        self.endpoint = endpoint
        """The URL that could not be reached (connection failures only)."""
        self.lasting = lasting
        """The operation is not implemented here, or failed with an internal server error (HTTP 500/501,
        not throttling) through its retries: calling it again in the same scan, for another resource,
        would fail the same way."""
        super().__init__(f"{code} on {api}" + (f" at {endpoint}" if endpoint else ""))


class NotRetried(ApiFailure):
    """A call not sent: the same operation, in the same service and region, failed earlier in this scan
    with a :attr:`~ApiFailure.lasting` failure. Never a pass: the data it would have read is an error."""

    def __init__(self, first: ApiFailure):
        super().__init__(first.api, first.code, first.detail, first.endpoint, first.lasting)
        self.first = first
        self.note = f"not retried: {first.api} failed earlier in this scan: "
        self.args = (f"{self.note}{first}",)

    def __str__(self) -> str:
        return str(self.args[0])


class AssumeRoleFailure(ApiFailure):
    """``sts:AssumeRole`` failed for one hop of a chain: the message names the role (and so its account)."""

    def __init__(self, failure: ApiFailure, role_arn: str):
        super().__init__(failure.api, failure.code, failure.detail, failure.endpoint)
        self.role_arn = role_arn
        self.args = (f"{failure} for {role_arn}",)

    def __str__(self) -> str:
        return str(self.args[0])


class NotImplementedResponse(Exception):
    """Raised from a botocore ``needs-retry`` hook to stop back-off on a 500/501 'not implemented'."""

    def __init__(self, status: int):
        self.status = status
        super().__init__(f"HTTP {status}")


@dataclass(frozen=True)
class RoleHop:
    """One ``sts:AssumeRole`` step of a chain."""

    role_arn: str
    external_id: str | None = None
    session_name: str = "govscan"


@dataclass
class CallCounter:
    """Counts API calls (one per operation invocation, not per HTTP retry) through botocore events.

    ``calls`` counts per API name; ``distinct`` per exact request (endpoint URL and body), so a
    request sent twice in a scan shows up in :meth:`repeated`.
    """

    calls: Counter[str] = field(default_factory=Counter)
    distinct: Counter[tuple[str, bytes]] = field(default_factory=Counter)
    attempts: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def before_call(self, model: Any = None, params: Any = None, **_: Any) -> None:
        name = f"{iam_prefix(model.service_model)}:{model.name}" if model is not None else "?"
        params = params or {}
        body = params.get("body", b"")
        body = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
        # the request as a digest: the scan keeps one per call (bodies are up to KBs each)
        request = (name, hashlib.blake2b(f"{params.get('url', '')}?{params.get('query_string', '')}\0{body}"
                                         .encode("utf-8", "surrogatepass"), digest_size=16).digest())
        with self._lock:
            self.calls[name] += 1
            self.distinct[request] += 1

    def before_send(self, **_: Any) -> None:
        with self._lock:
            self.attempts += 1

    @property
    def total(self) -> int:
        """Every API call made so far."""
        return sum(self.calls.values())

    def repeated(self) -> list[str]:
        """API names of requests sent more than once (identical endpoint and body)."""
        return sorted({name for (name, _), n in self.distinct.items() if n > 1})


def _stop_on_not_implemented(response: Any = None, **_: Any) -> None:
    """``needs-retry`` hook: a 500/501 that says 'not implemented' will not change, so fail now.

    Registered first, it raises before the adaptive retry handler can schedule a back-off; the
    exception propagates out of the client call and the collector reports ``NotImplemented``.
    """
    if not response:
        return None
    http = response[0]
    status = getattr(http, "status_code", 0)
    if status not in NOT_IMPLEMENTED_STATUS:
        return None
    parsed = response[1] if len(response) > 1 else {}
    code = str((parsed or {}).get("Error", {}).get("Code", "")).lower()
    body = (getattr(http, "content", b"") or b"")[:2000].decode("utf-8", "replace").lower()
    if status == 501 or code in ("notimplemented", "501") or any(h in body for h in _NOT_IMPLEMENTED_HINTS):
        raise NotImplementedResponse(status)
    return None


def _transient_budget(response: Any = None, attempts: int = 0, caught_exception: Any = None, operation: Any = None,
                      request_dict: Any = None, **_: Any) -> None:
    """``needs-retry`` hook: give up on an error that is not throttling after :data:`TRANSIENT_ATTEMPTS`.

    botocore's own classifiers decide (the same ones adaptive mode uses): a throttling error, or an
    answer the SDK would not retry at all, is left to botocore; a transient one (HTTP 5xx, a request
    timeout, a dropped connection) that has been sent ``TRANSIENT_ATTEMPTS`` times fails now, raised
    as botocore raises it once its attempts are spent.
    """
    if attempts < TRANSIENT_ATTEMPTS or operation is None or (response is None and caught_exception is None):
        return None
    from botocore.exceptions import ClientError
    from botocore.retries.standard import (
        ModeledRetryableChecker,
        RetryEventAdapter,
        ThrottlingErrorDetector,
        TransientRetryableChecker,
    )

    adapter = RetryEventAdapter()
    context = adapter.create_retry_context(response=response, attempts=attempts, caught_exception=caught_exception,
                                           operation=operation, request_dict=request_dict or {"context": {}})
    if ThrottlingErrorDetector(adapter).is_throttling_error_from_context(context):
        return None
    if not (TransientRetryableChecker().is_retryable(context) or ModeledRetryableChecker().is_retryable(context)):
        return None
    if caught_exception is not None:
        raise caught_exception
    parsed = response[1] if len(response) > 1 and isinstance(response[1], dict) else {}
    parsed.setdefault("ResponseMetadata", {}).update(MaxAttemptsReached=True, RetryAttempts=attempts - 1)
    raise ClientError(parsed, operation.name)


# client -> {operation: paginator}; weak so a finished scan's clients can be freed
_PAGINATORS: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()
_PAGINATOR_LOCK = threading.Lock()
_LOADER: Any = None
_LOADER_LOCK = threading.Lock()


def new_session(**kwargs: Any) -> Any:
    """A boto3 Session sharing one botocore data loader with every other session of the process.

    Parsing service models is the dominant cost of creating clients (about 3 s for the dozen
    services a scan uses); each account and assumed role needs its own session, but never its own
    copy of the models. The loader keeps of each model only what govscan reads (:mod:`checks.aws.models`).
    """
    global _LOADER
    import boto3
    import botocore.session

    from checks.aws.models import ModelLoader

    with _LOADER_LOCK:
        if _LOADER is None:
            _LOADER = ModelLoader()
    core = botocore.session.get_session()
    core.register_component("data_loader", _LOADER)
    return boto3.Session(botocore_session=core, **kwargs)


class AwsSession:
    """One authenticated boto3 session plus a thread-safe cache of configured clients."""

    def __init__(
        self,
        profile: str | None = None,
        chain: Sequence[RoleHop] = (),
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        pool_size: int = 10,
        default_region: str | None = None,
        concurrency: int | None = None,
    ):
        self.counter = CallCounter()
        # At most `concurrency` API requests of this account in flight (retries and back-off included):
        # AWS throttles per account and API, so an Organization's accounts each get their own gate.
        self.gate: threading.BoundedSemaphore | None = threading.BoundedSemaphore(concurrency) if concurrency else None
        self.max_attempts = max_attempts
        self.pool_size = pool_size
        self.profile = profile
        base = new_session(profile_name=profile) if profile else new_session()
        # the first configured region, else the profile's (or AWS_DEFAULT_REGION), else us-east-1
        self.default_region: str = default_region or base.region_name or "us-east-1"
        self._hook(base)
        self.session = base
        for hop in chain:
            self.session = self._assume(self.session, hop)
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def _hook(self, session: Any) -> None:
        # Hooks on the session are copied into every client created from it afterwards.
        session.events.register("before-call", self.counter.before_call)
        session.events.register("before-send", self.counter.before_send)
        session.events.register_first("needs-retry", _stop_on_not_implemented)
        session.events.register_first("needs-retry", _transient_budget)
        session.events.register("before-sign.s3-control", _account_host_off_override)

    def _config(self) -> Any:
        from botocore.config import Config

        return Config(
            retries={"mode": "adaptive", "max_attempts": self.max_attempts},
            max_pool_connections=self.pool_size,
            connect_timeout=10,
            read_timeout=60,
        )

    def _assume(self, session: Any, hop: RoleHop) -> Any:
        params: dict[str, Any] = {"RoleArn": hop.role_arn, "RoleSessionName": hop.session_name}
        if hop.external_id:
            params["ExternalId"] = hop.external_id
        sts = session.client("sts", region_name=self.default_region, config=self._config())
        try:
            creds = call(sts, "AssumeRole", **params)["Credentials"]
        except ApiFailure as failure:  # name the role: in an Organization, which account failed
            raise AssumeRoleFailure(failure, hop.role_arn) from None
        # Only the credentials change: the next session reads the same profile, so its settings
        # (use_fips_endpoint, use_dualstack_endpoint, endpoint_url, ca_bundle, region...) hold on
        # every hop, as the environment's do. Explicit keys take precedence over the profile's.
        nxt = new_session(
            profile_name=self.profile,
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name=self.default_region,
        )
        self._hook(nxt)
        return nxt

    def client(self, service: str, region: str | None = None) -> Any:
        """A cached client for ``service`` in ``region`` (global services use the default region)."""
        key = (service, region or self.default_region)
        cli = self._clients.get(key)  # every call asks: no lock once the client exists
        if cli is None:
            with self._lock:
                cli = self._clients.get(key)
                if cli is None:
                    cli = self.session.client(service, region_name=key[1], config=self._config())
                    self._clients[key] = cli
        return cli


def iam_prefix(model: Any) -> str:
    """The service's IAM action prefix: its endpoint prefix, unless that is a host name (ECR's ``api.ecr``
    signs, and is authorised, as ``ecr``)."""
    prefix = str(model.endpoint_prefix)
    return str(model.signing_name) if "." in prefix else prefix


def api_name(client: Any, operation: str) -> str:
    """IAM-action style name of a call: ``s3:GetBucketPolicy``."""
    return f"{iam_prefix(client.meta.service_model)}:{operation}"


def call(client: Any, operation: str, **params: Any) -> Any:
    """Call ``operation`` (CamelCase) and turn every failure into :class:`ApiFailure`."""
    from botocore import xform_name

    try:
        return getattr(client, xform_name(operation))(**params)
    except Exception as exc:  # classified below; anything unexpected is re-raised
        raise _classify(client, operation, exc) from None


def paginate(client: Any, operation: str, **params: Any) -> list[dict[str, Any]]:
    """Every page of a listing, through the botocore paginator when the operation has one."""
    from botocore import xform_name

    snake = xform_name(operation)
    if not client.can_paginate(snake):
        return [call(client, operation, **params)]
    try:
        return list(_paginator(client, snake).paginate(**params))
    except Exception as exc:
        raise _classify(client, operation, exc) from None


def _paginator(client: Any, snake: str) -> Any:
    """The client's paginator for ``snake``, built once (botocore builds a new class per request)."""
    with _PAGINATOR_LOCK:
        per = _PAGINATORS.setdefault(client, {})
        if snake not in per:
            per[snake] = client.get_paginator(snake)
        return per[snake]


def _classify(client: Any, operation: str, exc: Exception) -> Exception:
    """The :class:`ApiFailure` for a failed call (API name + AWS error code); bugs pass through."""
    from botocore.exceptions import BotoCoreError, ClientError

    api = api_name(client, operation)
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "")
        code = str(err.get("Code") or status or "Error")
        if code.isdigit():  # an error body in another protocol (XML for a JSON API): take its code
            found = _XML_CODE.search(str(err.get("Message", "")))
            code = found.group(1) if found else code
        if code in ("404", "500", "501") and "implemented" in str(err.get("Message", "")).lower():
            code = "NotImplemented"
        # 500/501 through the retries: the server fails this operation (moto: an action it lacks).
        # 502-504 (gateway, unavailable) are temporary by definition, and throttling is never lasting.
        lasting = code in UNAVAILABLE_CODES or (status in (500, 501) and not _throttling(exc.response))
        return ApiFailure(api, code, str(err.get("Message", ""))[:200], lasting=lasting)
    if isinstance(exc, NotImplementedResponse):
        return ApiFailure(api, "NotImplemented", f"HTTP {exc.status}", lasting=True)
    if isinstance(exc, NotImplementedError):  # moto in-process raises this for unimplemented features
        return ApiFailure(api, "NotImplemented", lasting=True)
    if isinstance(exc, BotoCoreError):
        url = getattr(exc, "kwargs", {}).get("endpoint_url")  # connection, timeout and TLS failures
        if url:  # the exception's own text repeats the URL as given, user:password included
            return ApiFailure(api, type(exc).__name__, f"cannot reach {_safe_url(url)}", _safe_url(url))
        return ApiFailure(api, type(exc).__name__, str(exc)[:200])
    return exc


def _throttling(parsed: Any) -> bool:
    """Whether an error answer is throttling, by botocore's list of throttling codes."""
    from botocore.retries.standard import RetryContext, ThrottledRetryableChecker

    return bool(ThrottledRetryableChecker().is_retryable(RetryContext(attempt_number=1, parsed_response=parsed)))


def _safe_url(url: str) -> str:
    """An endpoint URL fit for a message: no user:password, no query, at most 200 characters."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(str(url))
        host = parts.hostname or ""
        netloc = (f"[{host}]" if ":" in host else host) + (f":{parts.port}" if parts.port else "")
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))[:200]
    except ValueError:
        return "(an unparsable endpoint URL)"


def _account_host_off_override(request: Any = None, **_: Any) -> None:
    """``before-sign`` hook of S3 Control: keep the request on an endpoint override's own host.

    S3 Control sends each request to ``<AccountId>.<endpoint host>`` (the account id also goes in the
    ``x-amz-account-id`` header). Under an endpoint override whose host is an IP address or a
    single-label name (an emulator on 127.0.0.1, ``localhost``, a container name) that name can never
    resolve, so every S3 Control call failed; the request then goes to the host itself, the account
    named by the header. AWS host names, and DNS names with sub-domains (VPC interface endpoints
    carry a wildcard record), are left as the SDK built them. Runs before signing, so the signature
    covers the host actually used.
    """
    import ipaddress
    from urllib.parse import urlsplit, urlunsplit

    if request is None:
        return
    account = request.headers.get("x-amz-account-id")
    if isinstance(account, bytes):
        account = account.decode("ascii", "replace")
    parts = urlsplit(request.url)
    host = parts.hostname or ""
    if not account or not host.startswith(f"{account}."):
        return
    rest = host[len(account) + 1:]
    try:
        ipaddress.ip_address(rest)
    except ValueError:
        if "." in rest:
            return
    netloc = parts.netloc.split(".", 1)[1] if "@" not in parts.netloc else parts.netloc.replace(f"{account}.", "", 1)
    request.url = urlunsplit(parts._replace(netloc=netloc))


def parse_chain(options: Mapping[str, Any]) -> list[RoleHop]:
    """The assume-role chain from inventory options (``role_chain`` list, then ``role_arn``)."""
    hops = [
        RoleHop(h["role_arn"], h.get("external_id"), h.get("session_name") or "govscan")
        for h in options.get("role_chain") or []
    ]
    if options.get("role_arn"):
        hops.append(RoleHop(options["role_arn"], options.get("external_id"),
                            options.get("session_name") or "govscan"))
    return hops
