"""OSCAL 1.1.3 component definition of the control library (``govscan policy export -f oscal-component``).

One ``software`` component, govscan, with one control implementation against the NIST SP 800-53
rev5 catalog. Each govscan control is a rule, described in the component's props the way
compliance-trestle reads rules (``Rule_Id``, ``Rule_Description``, ``Check_Id``,
``Check_Description`` sharing a ``rule_set_N`` remark, in trestle's namespace); each NIST control a
govscan control maps to is an implemented requirement naming its rules by ``Rule_Id`` and carrying
govscan's own props (control version, sha256, severity, resource type, provider, STIG ids). The
implemented requirements' descriptions say what is checked and how. UUIDs are uuid5 of the controls'
sha256, so the same library always gives the same document.
"""

from __future__ import annotations

import datetime as _dt
import json
import uuid
from typing import Any, Iterable

from reports.oscal import _control_sort_key, md, nist_ids, prop, text

OSCAL_VERSION = "1.1.3"
RULES_NS = "https://oscal-compass.github.io/compliance-trestle/schemas/oscal/cd"
"""compliance-trestle's namespace for rule props in component definitions."""
CATALOG = "https://raw.githubusercontent.com/usnistgov/oscal-content/main/nist.gov/SP800-53/rev5/json/NIST_SP-800-53_rev5_catalog.json"


def _rule_prop(name: str, value: Any, rule_set: int) -> dict[str, str]:
    return {"name": name, "ns": RULES_NS, "value": text(value), "remarks": f"rule_set_{rule_set:04d}"}


def component_definition(controls: Iterable[Any], *, title: str, version: str,
                         now: str | None = None) -> dict[str, Any]:
    """The component definition of ``controls`` (loaded :class:`scanner.model.Control` objects)."""
    chosen = sorted(controls, key=lambda c: c.id)
    digest = uuid.uuid5(uuid.NAMESPACE_URL, "govscan:cd:" + ",".join(f"{c.id}@{c.sha256}" for c in chosen))

    def uid(*key: Any) -> str:
        return str(uuid.uuid5(digest, "\x1f".join(str(k) for k in key)))

    rule_props: list[dict[str, str]] = []
    by_nist: dict[str, list[Any]] = {}
    for n, c in enumerate(chosen):
        check = json.dumps(c.assert_, sort_keys=True, ensure_ascii=False)
        rule_props += [_rule_prop("Rule_Id", c.id, n), _rule_prop("Rule_Description", c.title, n),
                       _rule_prop("Check_Id", f"{c.id}-check", n),
                       _rule_prop("Check_Description", f"{c.resource}: {check}"[:4000], n)]
        for nid in nist_ids(c.mappings):
            by_nist.setdefault(nid, []).append(c)
    requirements = []
    for nid in sorted(by_nist, key=_control_sort_key):
        cs = by_nist[nid]
        props = []
        for c in cs:
            props.append({"name": "Rule_Id", "ns": RULES_NS, "value": text(c.id)})
            props += [prop("control-version", f"{c.id} {c.version}"), prop("control-sha256", f"{c.id} {c.sha256}"),
                      prop("severity", f"{c.id} {c.severity.value}"), prop("resource-type", f"{c.id} {c.resource}")]
            for e in (c.document or {}).get("stig") or ():
                if isinstance(e, dict):
                    props.append(prop("stig", f"{c.id} {e.get('benchmark')} {e.get('vuln_id')} {e.get('rule_id')}"))
        desc = "\n\n".join(
            f"govscan control `{md(c.id)}` ({md(c.severity.value)}): {md(c.title)}. "
            f"Checks {md(c.resource)} with the {md(c.provider)} provider."
            + (f" {md(c.description)}" if c.description else "") for c in cs)
        requirements.append({"uuid": uid("req", nid), "control-id": nid, "description": desc, "props": props})
    stamp = now or _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    component: dict[str, Any] = {
        "uuid": uid("component", "govscan"), "type": "software", "title": "govscan",
        "description": "govscan security compliance scanner: automated checks of Linux hosts, AWS accounts and "
                       "networks, each check a YAML control mapped to NIST SP 800-53 rev5.",
        "purpose": "Automated assessment of the implemented requirements below.",
        "props": [{"name": "version", "value": text(version)}] + rule_props,
    }
    if requirements:
        component["control-implementations"] = [{
            "uuid": uid("implementation", "nist-800-53-rev5"), "source": CATALOG,
            "description": "NIST SP 800-53 rev5 controls that govscan controls check (their `mappings`).",
            "implemented-requirements": requirements,
        }]
    return {"component-definition": {
        "uuid": uid("component-definition"),
        "metadata": {"title": text(title), "last-modified": stamp, "version": text(version),
                     "oscal-version": OSCAL_VERSION,
                     "props": [prop("controls", len(chosen)), prop("nist-controls", len(requirements))]},
        "components": [component],
    }}
