"""Executors: where per-target work runs, behind the ``concurrent.futures`` seam.

``--executor`` names one:

- ``threads`` (default): a thread pool in this process. Workers collect (network-bound); this process
  evaluates.
- ``processes``: a local process pool, so one big machine uses all its cores. Each process collects
  **and** evaluates whole targets; only findings come back.
- ``dask://HOST:PORT`` or ``tls://HOST:PORT``: a Dask distributed cluster (``pip install
  'govscan[dask]'``), with mutual TLS for ``tls://``; see ``docs/scale.md``.

An executor plugin registers a factory under ``govscan.executors``: called as ``factory(jobs)``
(``factory(jobs, address=..., options=...)`` for a ``scheme://address`` spec), it returns a
``concurrent.futures.Executor``. An executor whose ``remote`` attribute is true runs
:func:`scanner.remote.scan_target` tasks and must offer ``share(obj)`` (send an object to every
worker once; the returned reference is passed to tasks).
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
from typing import Any, Mapping

from scanner.errors import UsageError

#: URL schemes that name a Dask scheduler address
DASK_SCHEMES = ("dask", "tls", "tcp")


class ThreadExecutorFactory:
    """Builds a thread pool of ``jobs`` workers."""

    def __call__(self, jobs: int) -> concurrent.futures.Executor:
        return concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="govscan")


class _ProcessPool(concurrent.futures.ProcessPoolExecutor):
    """A local process pool that collects and evaluates whole targets."""

    remote = True

    def share(self, obj: Any) -> Any:
        return obj  # pickled with each task; the processes are local


class ProcessExecutorFactory:
    """Builds a pool of ``jobs`` processes (started fresh, never forked from a threaded parent)."""

    def __call__(self, jobs: int) -> concurrent.futures.Executor:
        return _ProcessPool(max_workers=max(1, jobs), mp_context=multiprocessing.get_context("spawn"))


def split(spec: str) -> tuple[str, str | None]:
    """``threads`` -> ("threads", None); ``tls://h:8786`` -> ("dask", "tls://h:8786")."""
    scheme, sep, _ = spec.partition("://")
    if not sep:
        return spec, None
    if scheme in DASK_SCHEMES:
        return "dask", spec
    return scheme, spec


def make(spec: str, jobs: int, options: Mapping[str, Any] | None = None) -> concurrent.futures.Executor:
    """The executor named by ``spec`` (a registered name, or ``scheme://address``)."""
    from scanner import registry

    name, address = split(spec)
    try:
        factory = registry.load(registry.EXECUTORS, name)
    except UsageError:
        if name == "dask":
            raise UsageError(f"--executor {spec}: the Dask executor is not installed; "
                             "install it with: pip install 'govscan[dask]'") from None
        raise
    if address is None:
        return factory()(jobs)
    return factory()(jobs, address=address, options=dict(options or {}))
