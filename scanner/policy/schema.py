"""JSON Schema validation of policy documents, with messages a policy author can act on."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

from scanner.errors import Diagnostic
from scanner.policy.yamlpos import Document
from scanner.suggest import did_you_mean

KINDS = ("Control", "Profile", "Waiver", "Inventory")
_SCHEMA_FILES = {"Control": "control.json", "Profile": "profile.json", "Waiver": "waiver.json"}


@functools.lru_cache(maxsize=None)
def validator(kind: str) -> Any:
    import jsonschema

    text = resources.files("scanner.policy").joinpath("schemas", _SCHEMA_FILES[kind]).read_text()
    schema = json.loads(text)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _describe_type(value: Any) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "list",
            dict: "mapping", type(None): "null"}.get(type(value), type(value).__name__)


def _message(err: Any) -> tuple[tuple[Any, ...], str, bool]:
    """(path, message, points-at-key) for one jsonschema error."""
    path = tuple(err.absolute_path)
    v = err.validator
    if v == "additionalProperties":
        allowed = sorted(err.schema.get("properties", {}))
        extra = [k for k in err.instance if k not in err.schema.get("properties", {})]
        key = extra[0] if extra else "?"
        where = ".".join(str(p) for p in path) or "document"
        return path + (key,), f"unknown key {key!r} in {where}{did_you_mean(str(key), allowed)}", True
    if v == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        where = ".".join(str(p) for p in path) or "document"
        return path, f"missing required key {missing!r} in {where}", False
    if v == "enum":
        options = [str(o) for o in err.validator_value]
        return path, (f"{err.instance!r} is not one of {', '.join(options)}"
                      f"{did_you_mean(str(err.instance), options)}"), False
    if v == "const":
        return path, f"{err.instance!r} must be {err.validator_value!r}", False
    if v == "type":
        want = err.validator_value
        want = " or ".join(want) if isinstance(want, list) else want
        want = {"object": "mapping", "array": "list"}.get(want, want)
        return path, f"expected a {want}, got {_describe_type(err.instance)} {err.instance!r}", False
    if v == "pattern":
        hint = {
            "^[a-z0-9][a-z0-9-]{2,63}$": "lowercase letters, digits and dashes, 3 to 64 characters",
            r"^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$": "a semantic version such as 1.0.0",
            r"^\d{4}-\d{2}-\d{2}$": "a date YYYY-MM-DD",
        }.get(err.validator_value, f"pattern {err.validator_value}")
        return path, f"{err.instance!r} is not valid: expected {hint}", False
    if v == "oneOf":
        # explain with the alternative of the same shape as the instance (a mapping vs a string)
        shaped = [e for e in err.context if e.schema.get("type") in (None, "object" if isinstance(err.instance, dict)
                                                                      else "string")]
        from jsonschema.exceptions import best_match

        inner = best_match(shaped or err.context)
        if inner is not None and inner.validator != "type":
            sub_path, message, is_key = _message(inner)
            return path + sub_path[len(path):] if sub_path[:len(path)] == path else path, message, is_key
        return path, f"{err.instance!r} is not a valid entry here", False
    if v in ("minLength", "minItems"):
        return path, f"{err.instance!r} is too short", False
    if v == "format":
        return path, f"{err.instance!r} is not a valid {err.validator_value}", False
    return path, err.message, False


def validate(doc: Document) -> list[Diagnostic]:
    """Schema problems of one document (kind and apiVersion first)."""
    data = doc.data
    if not isinstance(data, dict):
        return [doc.diag((), f"expected a mapping with apiVersion and kind, got {_describe_type(data)}")]
    api = data.get("apiVersion")
    if api != "govscan/v1":
        if api is None:
            return [doc.diag((), "missing required key 'apiVersion' (expected govscan/v1)")]
        return [doc.diag(("apiVersion",), f"unsupported apiVersion {api!r} (expected govscan/v1)")]
    kind = data.get("kind")
    if kind not in KINDS:
        if kind is None:
            return [doc.diag((), "missing required key 'kind' (Control, Profile, Waiver or Inventory)")]
        return [doc.diag(("kind",), f"unknown kind {kind!r}{did_you_mean(str(kind), KINDS)}")]
    if kind not in _SCHEMA_FILES:
        return []
    out = []
    seen: set[tuple[Any, ...]] = set()
    errors = sorted(validator(kind).iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.validator))
    for err in errors:
        path, message, is_key = _message(err)
        if (path, message) in seen:
            continue
        seen.add((path, message))
        out.append(doc.diag(path, message, key=is_key))
    return out
