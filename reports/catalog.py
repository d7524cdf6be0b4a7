"""Helpers the report renderers share: framework catalogs, labels, fingerprints, evidence text.

Only the standard library is imported here, so any renderer may use it without cost.
"""

from __future__ import annotations

import functools
import hashlib
import json
from typing import Any, Mapping

from policies import FRAMEWORKS

NIST = "nist-800-53-rev5"
FEDRAMP = "fedramp-rev5"

#: Display names of the framework keys used in control ``mappings``.
FRAMEWORK_LABELS = {
    NIST: "NIST SP 800-53 Rev. 5",
    FEDRAMP: "FedRAMP Rev. 5",
    "cis-aws-3.0": "CIS AWS Foundations Benchmark 3.0",
    "cis-debian-12": "CIS Debian Linux 12 Benchmark",
    "cce": "Common Configuration Enumeration",
    "stig": "DISA STIG",
}

#: Result statuses in the order reports list them.
STATUSES = ("fail", "error", "waived", "pass", "notapplicable", "notchecked")
#: Severities from most to least severe.
SEVERITIES = ("critical", "high", "medium", "low", "info")
SEVERITY_RANK = {s: 4 - i for i, s in enumerate(SEVERITIES)}


def framework_label(key: str) -> str:
    """Human name of a mapping key (the key itself when unknown)."""
    return FRAMEWORK_LABELS.get(key, key)


@functools.lru_cache(maxsize=None)
def nist_catalog() -> dict[str, Any]:
    """The NIST SP 800-53 rev5 catalog: ``{"families": {ac: title}, "controls": {id: {title, family}}}``."""
    with open(FRAMEWORKS / "nist-800-53-rev5.json", encoding="utf-8") as fh:
        return json.load(fh)


@functools.lru_cache(maxsize=None)
def fedramp_baselines() -> dict[str, frozenset[str]]:
    """FedRAMP rev5 baselines (low, moderate, high) as sets of NIST control ids."""
    out: dict[str, frozenset[str]] = {}
    for level in ("low", "moderate", "high"):
        path = FRAMEWORKS / f"fedramp-rev5-{level}.json"
        if path.exists():
            with open(path, encoding="utf-8") as fh:
                out[level] = frozenset(json.load(fh)["ids"])
    return out


def nist_family(control_id: str) -> str:
    """``ac-6.2`` -> ``ac``."""
    return control_id.split("-", 1)[0].lower()


def nist_display(control_id: str) -> str:
    """OSCAL id to the form printed in SP 800-53: ``ac-6.2`` -> ``AC-6(2)``."""
    base, _, enh = control_id.partition(".")
    return base.upper() + (f"({enh})" if enh else "")


def fingerprint(control_id: str, target_id: str, resource_id: str) -> str:
    """A finding's identity across scans: the same control on the same resource of the same target."""
    return hashlib.sha256("\x00".join((control_id, target_id, resource_id)).encode("utf-8")).hexdigest()


def evidence_text(evidence: Mapping[str, Any] | None) -> tuple[str, str]:
    """``(expected, found)`` as short display strings from a finding's evidence JSON."""
    if not evidence:
        return "", ""
    expected = evidence.get("expected") or ""
    found = evidence.get("found")
    if found is None or found == "":
        found = evidence.get("error") or ""
    if not isinstance(expected, str):
        expected = json.dumps(expected, ensure_ascii=False, sort_keys=True)
    if not isinstance(found, str):
        found = json.dumps(found, ensure_ascii=False, sort_keys=True)
    return expected, found
