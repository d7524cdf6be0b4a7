"""The call layer collectors use: memoised, concurrent-safe AWS reads for one target.

Several resource types read the same API (the default security group check and the security group
listing both need ``DescribeSecurityGroups``; the trail collector reads the trail bucket's logging
that the bucket collector also reads). Every call goes through :class:`Api`, which runs it once per
scan and hands the result (or the failure) to every later caller, also across threads: the first
caller runs it, concurrent callers wait for that one result. So no API call is repeated in a scan.
"""

from __future__ import annotations

import builtins
import json
import pickle
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable, Iterable, Mapping, TypeVar

from checks.aws.session import ApiFailure, AwsSession, NotRetried, call, paginate

T = TypeVar("T")
R = TypeVar("R")


class Api:
    """Memoised AWS reads for one target (account) within one scan."""

    def __init__(self, session: AwsSession, account: str, partition: str, fanout: ThreadPoolExecutor,
                 regions: Iterable[str] = ()):
        self.session = session
        self.account = account
        self.partition = partition
        self.regions = tuple(regions)
        """The regions this scan covers."""
        self.inputs: Mapping[str, Any] = {}
        """The selected controls' resolved inputs (merged by name) plus ``--input`` values."""
        self.attributes: Mapping[str, frozenset[str]] | None = None
        """Resource type -> attribute paths the selected controls read; ``None``: collect everything."""
        self._roots: dict[str, frozenset[str]] = {}
        self._fanout = fanout
        self._memo: dict[tuple[str, ...], Future[_Stored] | _Stored] = {}
        self._lasting: dict[tuple[str, str, str], ApiFailure] = {}
        """(service, region, operation) -> its first lasting failure in this scan."""
        self._lock = threading.Lock()

    def wants(self, rtype: str, *feeds: str) -> bool:
        """Whether a selected control (or waiver) reads one of the top-level attributes ``feeds``.

        Collectors skip a sub-read when nobody reads what it feeds (nor what is derived from it);
        an attribute left out that way is absent from the resource, never a default. Unknown
        needs (no attribute map, or a type it does not list) mean: read everything.
        """
        if self.attributes is None or rtype not in self.attributes:
            return True
        roots = self._roots.get(rtype)
        if roots is None:  # "Encryption.Rules[0].X" is fed by the read that fills "Encryption"
            roots = frozenset(p.split(".")[0].split("[")[0] for p in self.attributes[rtype])
            self._roots[rtype] = roots
        return any(f in roots for f in feeds)

    def once(self, key: tuple[str, ...], fn: Callable[[], Any]) -> Any:
        """Run ``fn`` once for ``key`` per scan; later and concurrent callers get its result.

        The first caller gets the value itself; the memo keeps a compact copy (:class:`_Stored`) that each
        later caller gets afresh, and a failure without the traceback that would hold its HTTP exchange.
        """
        with self._lock:
            entry = self._memo.get(key)
            if entry is None:
                pending: Future[_Stored] = Future()
                self._memo[key] = pending
        if entry is None:
            try:
                value = fn()
            except BaseException as exc:  # the failure is memoised too: it is not retried per caller
                self._settle(key, pending, _Stored(failure=_copy_failure(exc)))
                raise
            self._settle(key, pending, _Stored.of(value))
            return value
        if isinstance(entry, Future):  # another thread is running it: wait for its result
            entry = entry.result()
        return entry.get()

    def _settle(self, key: tuple[str, ...], pending: Future[_Stored], stored: _Stored) -> None:
        with self._lock:
            self._memo[key] = stored
        pending.set_result(stored)

    def call(self, service: str, region: str | None, operation: str, **params: Any) -> Any:
        """One API call, run at most once per scan; raises :class:`ApiFailure`."""
        region = region or self.session.default_region
        key = ("call", service, region, operation, json.dumps(params, sort_keys=True, default=str))
        return self.once(key, lambda: _bare(self._send(call, service, region, operation, params)))

    def get(self, service: str, region: str | None, operation: str, absent: tuple[str, ...] = (),
            **params: Any) -> Any:
        """Like :meth:`call`, but ``None`` when the error code means "not configured" (``absent``)."""
        try:
            return self.call(service, region, operation, **params)
        except ApiFailure as failure:
            if failure.code in absent:
                return None
            raise

    def pages(self, service: str, region: str | None, operation: str, **params: Any) -> builtins.list[Any]:
        """Every page of a paginated listing, run at most once per scan; raises :class:`ApiFailure`."""
        region = region or self.session.default_region
        key = ("pages", service, region, operation, json.dumps(params, sort_keys=True, default=str))
        return self.once(key, lambda: [_bare(page) for page in self._send(paginate, service, region, operation, params)])

    def _send(self, fn: Callable[..., R], service: str, region: str, operation: str, params: dict[str, Any]) -> R:
        """``fn(client, operation, **params)``, unless the operation already failed for good in this scan.

        An operation that is not implemented (or answered a server error through all its retries) fails
        the same way for the next resource: that call is not sent, and its data is an error that names
        the first failure (:class:`NotRetried`), never a value.
        """
        op = (service, region, operation)
        first = self._lasting.get(op)
        if first is not None:
            raise NotRetried(first)
        try:
            return self._gated(fn, self.session.client(service, region), operation, **params)
        except ApiFailure as failure:
            if failure.lasting:
                with self._lock:
                    self._lasting.setdefault(op, failure)
            raise

    def _gated(self, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        """``fn(*args)`` within the account's cap on requests in flight (``concurrency``), if any."""
        gate = self.session.gate
        if gate is None:
            return fn(*args, **kwargs)
        with gate:
            return fn(*args, **kwargs)

    def list(self, service: str, region: str | None, operation: str, result_key: str,
             **params: Any) -> list[Any]:
        """The items under ``result_key`` of every page of a listing (see :meth:`pages`)."""
        return [item for page in self.pages(service, region, operation, **params)
                for item in page.get(result_key) or []]

    def fan_out(self, fn: Callable[[T], R], items: Iterable[T]) -> builtins.list[R]:
        """``[fn(item) ...]`` run concurrently on the per-resource pool, results in item order.

        Used for per-resource sub-calls (nine reads per bucket...). Fan-out work never fans out
        again, so the pool cannot deadlock waiting on itself.
        """
        futures = [self._fanout.submit(fn, item) for item in items]
        return [f.result() for f in futures]

    def arn(self, service: str, region: str | None, resource: str) -> str:
        """An ARN in this account's partition."""
        return f"arn:{self.partition}:{service}:{region or ''}:{self.account}:{resource}"


def _bare(response: Any) -> Any:
    """A response without its ``ResponseMetadata`` (request id, HTTP headers): no collector reads it,
    and the memo would keep one per call of the scan (about 1 KB each)."""
    if isinstance(response, dict):
        response.pop("ResponseMetadata", None)
    return response


class _Stored:
    """One memoised result: a value, or a failure re-raised as a copy.

    A value is kept as its pickle (a few times smaller than the objects) until a later caller asks for
    it; it is then kept as objects again, shared by every later caller, as a response read by several
    collectors (a listing) is read again and again. Most responses are read once, and stay pickled.
    The pickles are made and read in this process from values botocore parsed; nothing is read back
    from anywhere else. A value that cannot be pickled is kept as it is.
    """

    __slots__ = ("data", "value", "failure")

    def __init__(self, data: bytes | None = None, value: Any = None, failure: BaseException | None = None):
        self.data = data
        self.value = value
        self.failure = failure

    @classmethod
    def of(cls, value: Any) -> _Stored:
        try:
            return cls(data=pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
            return cls(value=value)

    def get(self) -> Any:
        if self.failure is not None:
            raise _copy_failure(self.failure)
        data = self.data
        if data is not None:  # the first read again: objects from now on (concurrent first reads each unpickle)
            self.value = pickle.loads(data)  # noqa: S301 - this process's own pickle of a parsed response
            self.data = None
        return self.value


def _copy_failure(exc: BaseException) -> BaseException:
    """A new exception of the same type, arguments and attributes, without traceback, cause or context:
    what a later caller needs, not the frames of the failed call, which hold its whole HTTP exchange."""
    clone = type(exc).__new__(type(exc))
    clone.args = exc.args
    clone.__dict__.update(vars(exc))
    return clone
