"""FedRAMP's Vulnerability Detail Report schema, loaded so that its cross-file ``$ref``s resolve.

Upstream writes ``https://fedramp.gov/schemas/<file>.json/$defs/<name>`` (no ``#``), which a resolver
reads as a path; rewriting ``.json/$defs/`` to ``.json#/$defs/`` in memory and registering each file
under its ``$id`` makes them resolve. The files in tests/data are left byte-for-byte as published.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1] / "data" / "fedramp-20x"
VDR = "fedramp-vulnerability-detail-report-schema-2026-06-24.json"
COMMON = "fedramp-common-definitions-schema-2026-06-24.json"


def _load(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text().replace(".json/$defs/", ".json#/$defs/"))


def validator() -> Any:
    from jsonschema import Draft202012Validator, FormatChecker
    from referencing import Registry, Resource

    schemas = [_load(VDR), _load(COMMON)]
    registry = Registry().with_resources((s["$id"], Resource.from_contents(s)) for s in schemas)
    checker = FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def _datetime(value: object) -> bool:  # RFC 3339 with a zone, without relying on an optional package
        if not isinstance(value, str) or not value.endswith(("Z", "+00:00")) or "T" not in value:
            raise ValueError(f"{value!r} is not an RFC 3339 UTC date-time")
        dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return True

    return Draft202012Validator(schemas[0], registry=registry, format_checker=checker)


def errors(doc: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator().iter_errors(doc)]
