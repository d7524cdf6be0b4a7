"""A validator for OCSF Compliance Finding events (class 2003) built from the OCSF 1.8 schema files.

OCSF publishes no JSON Schema; its source is a set of JSON files (classes, objects, a dictionary).
The project keeps the class and object files the renderer uses (tests/data/ocsf). From them this
module checks, for the event and for the ``compliance``, ``checks[]``, ``finding_info`` and
``remediation`` objects:
- every attribute whose ``requirement`` is ``required`` is present and not null;
- every ``*_id`` attribute that has an ``enum`` holds one of its values, and its sibling caption
  attribute (``status`` for ``status_id``...) equals that value's caption;
- in the four objects, no attribute outside the file's list (they are complete);
Not in the kept files, hence written here from the OCSF 1.8 documentation and marked ``HAND``:
the ``base_event`` requirements (class_uid, category_uid, type_uid, activity_id, severity_id, time,
metadata), its attribute list, metadata's required ``product`` and ``version``, the attribute types
and which attribute holds which object. Types are checked for those listed in ``HAND_TYPES`` only.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

DATA = Path(__file__).resolve().parent.parent / "data" / "ocsf"

# HAND: base_event (OCSF 1.8 events/base_event.json is not kept; these are its documented attributes).
HAND_BASE_REQUIRED = ("activity_id", "category_uid", "class_uid", "metadata", "severity_id", "time", "type_uid")
HAND_BASE_ATTRIBUTES = HAND_BASE_REQUIRED + (
    "activity_name", "category_name", "class_name", "type_name", "severity", "message", "status", "status_code",
    "status_detail", "status_id", "count", "duration", "end_time", "start_time", "timezone_offset", "raw_data",
    "unmapped", "observables", "enrichments", "api", "actor", "cloud",
)
HAND_BASE_SEVERITY = {0: "Unknown", 1: "Informational", 2: "Low", 3: "Medium", 4: "High", 5: "Critical",
                      6: "Fatal", 99: "Other"}
HAND_METADATA_REQUIRED = ("product", "version")
HAND_TYPES: dict[str, type | tuple[type, ...]] = {
    "activity_id": int, "category_uid": int, "class_uid": int, "type_uid": int, "severity_id": int,
    "status_id": int, "time": int, "created_time": int, "message": str, "status": str, "severity": str,
    "uid": str, "title": str, "desc": str, "name": str, "control": str, "status_code": str,
    "standards": list, "requirements": list, "status_details": list, "checks": list, "types": list,
    "resources": list, "version": str,
}
# HAND: which attribute of which owner holds which kept object (from the OCSF dictionary).
HAND_OBJECTS = {("event", "compliance"): "compliance", ("event", "finding_info"): "finding_info",
                ("event", "remediation"): "remediation", ("compliance", "checks"): "check"}


@lru_cache(maxsize=None)
def _load(name: str) -> dict[str, Any]:
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


def class_attributes() -> dict[str, Any]:
    """compliance_finding's attributes merged over its parent ``finding`` (child wins)."""
    merged: dict[str, Any] = {}
    for name in ("finding", "compliance_finding"):
        for key, spec in _load(name)["attributes"].items():
            if key.startswith("$"):
                continue
            merged[key] = {**merged.get(key, {}), **spec}
    return merged


# check.severity is "the severity level as defined in the source document" (check.json), not a caption.
CAPTION_EXEMPT = {("check", "severity")}


def _check_enums(where: str, obj: Mapping[str, Any], attrs: Mapping[str, Any], errors: list[str],
                 kind: str = "event") -> None:
    for key, spec in attrs.items():
        enum = spec.get("enum")
        if not enum or key not in obj:
            continue
        allowed = {int(k): v["caption"] for k, v in enum.items()}
        value = obj[key]
        if value not in allowed:
            errors.append(f"{where}.{key}: {value!r} not in {sorted(allowed)}")
            continue
        base = key[:-3] if key.endswith("_id") else None
        for caption_key in ((base, base + "_name") if base else ()):
            if (kind, caption_key) in CAPTION_EXEMPT or caption_key not in obj or value == 99:
                continue
            if obj[caption_key] != allowed[value]:
                errors.append(f"{where}.{caption_key}: {obj[caption_key]!r} is not the caption of {key}={value} "
                              f"({allowed[value]!r})")


def _check_types(where: str, obj: Mapping[str, Any], errors: list[str]) -> None:
    for key, value in obj.items():
        want = HAND_TYPES.get(key)
        if want is not None and value is not None and (not isinstance(value, want) or isinstance(value, bool)):
            errors.append(f"{where}.{key}: expected {getattr(want, '__name__', want)}, got {type(value).__name__}")


def _check_object(where: str, kind: str, obj: Any, errors: list[str]) -> None:
    if not isinstance(obj, Mapping):
        errors.append(f"{where}: expected an object, got {type(obj).__name__}")
        return
    attrs = _load(kind)["attributes"]
    for key, spec in attrs.items():
        if spec.get("requirement") == "required" and obj.get(key) is None:
            errors.append(f"{where}.{key}: required by {kind}")
    for key in obj:
        if key not in attrs:
            errors.append(f"{where}.{key}: not an attribute of {kind}")
    _check_enums(where, obj, attrs, errors, kind)
    _check_types(where, obj, errors)
    for (owner, key), sub in HAND_OBJECTS.items():
        if owner == kind and key in obj:
            for i, item in enumerate(obj[key] if isinstance(obj[key], list) else [obj[key]]):
                _check_object(f"{where}.{key}[{i}]", sub, item, errors)


def validate_event(event: Mapping[str, Any]) -> list[str]:
    """Problems found in one event ([] when it passes every check this module makes)."""
    errors: list[str] = []
    attrs = class_attributes()
    for key, spec in attrs.items():
        if spec.get("requirement") == "required" and event.get(key) is None:
            errors.append(f"event.{key}: required by compliance_finding")
    for key in HAND_BASE_REQUIRED:
        if event.get(key) is None:
            errors.append(f"event.{key}: required by base_event")
    for key in event:
        if key not in attrs and key not in HAND_BASE_ATTRIBUTES:
            errors.append(f"event.{key}: not an attribute of compliance_finding")
    _check_enums("event", event, {k: v for k, v in attrs.items() if k != "severity_id"}, errors)
    _check_enums("event", event, {"severity_id": {"enum": {str(k): {"caption": v} for k, v in HAND_BASE_SEVERITY.items()}}},
                 errors)
    _check_types("event", event, errors)
    klass = _load("compliance_finding")
    category_uid = 2  # HAND: the "findings" category of OCSF 1.x
    if event.get("category_uid") != category_uid or klass.get("category", "findings") != "findings":
        errors.append(f"event.category_uid: {event.get('category_uid')!r}, expected {category_uid}")
    class_uid = category_uid * 1000 + klass["uid"]
    if event.get("class_uid") != class_uid:
        errors.append(f"event.class_uid: {event.get('class_uid')!r}, expected {class_uid}")
    if isinstance(event.get("activity_id"), int) and event.get("type_uid") != class_uid * 100 + event["activity_id"]:
        errors.append(f"event.type_uid: {event.get('type_uid')!r}, expected class_uid * 100 + activity_id")
    meta = event.get("metadata")
    if isinstance(meta, Mapping):
        errors += [f"event.metadata.{k}: required by metadata" for k in HAND_METADATA_REQUIRED if meta.get(k) is None]
    for (owner, key), kind in HAND_OBJECTS.items():
        if owner == "event" and key in event:
            _check_object(f"event.{key}", kind, event[key], errors)
    return errors
