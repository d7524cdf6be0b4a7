"""Executors: where per-target work runs, behind the ``concurrent.futures`` seam.

The default is a thread pool (the work is network-bound). Other executors (a Dask cluster's
``concurrent.futures`` client, for instance) register under ``govscan.executors`` and are built by a
factory taking ``jobs`` and returning a ``concurrent.futures.Executor``.
"""

from __future__ import annotations

import concurrent.futures


class ThreadExecutorFactory:
    """Builds a thread pool of ``jobs`` workers."""

    def __call__(self, jobs: int) -> concurrent.futures.Executor:
        return concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="govscan")


def make(name: str, jobs: int) -> concurrent.futures.Executor:
    """The executor registered as ``name`` (``threads`` by default)."""
    from scanner import registry

    factory = registry.load(registry.EXECUTORS, name)
    return factory()(jobs)
