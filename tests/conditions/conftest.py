"""Helpers for the condition-language tests: evaluate one leaf on a one-key document."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from scanner.conditions import Outcome, evaluate

#: The reference instant of the age-days-* operators in these tests.
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)

_MISSING = object()


def run_leaf(op: str, actual: Any = _MISSING, value: Any = _MISSING, inputs: dict | None = None,
             **extra: Any) -> Outcome:
    """Evaluate ``{key: k, op, value, **extra}`` on ``{"k": actual}`` (``{}`` when actual is omitted)."""
    cond: dict[str, Any] = {"key": "k", "op": op, **extra}
    if value is not _MISSING:
        cond["value"] = value
    doc = {} if actual is _MISSING else {"k": actual}
    return evaluate(cond, doc, inputs or {}, now=NOW)


@pytest.fixture
def now() -> datetime:
    """The reference instant of the age-days-* operators."""
    return NOW


@pytest.fixture
def leaf():
    """The :func:`run_leaf` helper."""
    return run_leaf
