"""``govscan policy export -f oscal-component``: an OSCAL 1.1.3 component definition of the control
library, valid against the official schema and loaded by compliance-trestle."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema_rs
import pytest

from stigscan import ROOT, govscan

SCHEMA = ROOT / "tests" / "data" / "oscal" / "oscal_component_schema.json"
RULES_NS = "https://oscal-compass.github.io/compliance-trestle/schemas/oscal/cd"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cd")
    out = {}
    for name, args in (("all", []), ("linux", ["-p", "linux-baseline"])):
        r = govscan("policy", "export", "-f", "oscal-component", *args, "-o", str(folder / f"{name}.json"))
        assert r.returncode == 0, r.stderr
        out[name] = (folder / f"{name}.json", r.stderr)
    listed = govscan("policy", "list", "--json", "-p", "linux-baseline")
    out["linux-controls"] = [json.loads(line) for line in listed.stdout.splitlines()]
    return out


def test_valid_against_the_official_1_1_3_schema(exported):
    validator = jsonschema_rs.validator_for(json.loads(SCHEMA.read_text()))
    for name in ("all", "linux"):
        doc = json.loads(exported[name][0].read_text())
        assert [e.message for e in validator.iter_errors(doc)] == [], name
        assert doc["component-definition"]["metadata"]["oscal-version"] == "1.1.3"
    bad = json.loads(exported["all"][0].read_text())
    del bad["component-definition"]["components"][0]["type"]
    assert ['"type" is a required property'] == [e.message for e in validator.iter_errors(bad)]


def test_each_control_is_a_rule_of_the_nist_requirements_it_maps_to(exported):
    doc = json.loads(exported["linux"][0].read_text())["component-definition"]
    [component] = doc["components"]
    rule_ids = [p["value"] for p in component["props"] if p["name"] == "Rule_Id" and p.get("ns") == RULES_NS]
    controls = exported["linux-controls"]
    assert sorted(rule_ids) == sorted(c["id"] for c in controls) and len(rule_ids) >= 188
    [impl] = component["control-implementations"]
    reqs = {r["control-id"]: r for r in impl["implemented-requirements"]}
    # every NIST id a control maps to is a requirement naming the control as a rule, and no other
    expected: dict[str, set[str]] = {}
    for c in controls:
        for nid in c["mappings"].get("nist-800-53-rev5", []):
            expected.setdefault(nid, set()).add(c["id"])
    assert {nid: {p["value"] for p in r["props"] if p["name"] == "Rule_Id"} for nid, r in reqs.items()} == expected
    root_login = reqs["ac-6.2"]
    assert "host-sshd-no-root-login" in root_login["description"]
    values = {p["value"] for p in root_login["props"] if p.get("ns") == "urn:govscan:oscal"}
    assert "host-sshd-no-root-login host.sshd" in values
    # the check (resource type and assert condition) is the rule's Check_Description, same rule set
    by_set: dict[str, dict[str, str]] = {}
    for p in component["props"]:
        if p.get("remarks", "").startswith("rule_set_"):
            by_set.setdefault(p["remarks"], {})[p["name"]] = p["value"]
    rule = next(s for s in by_set.values() if s["Rule_Id"] == "host-sshd-no-root-login")
    assert rule["Check_Description"].startswith('host.sshd: {"key": "permitrootlogin", "op": "in"')
    assert rule["Rule_Description"] == "SSH daemon does not permit direct root login"
    stig = {p["value"] for r in reqs.values() for p in r["props"] if p["name"] == "stig"}
    assert "host-sshd-use-pam ubuntu-22.04 V-260534 SV-260534r958510_rule" in stig


def test_loaded_by_compliance_trestle(exported):
    from trestle.oscal.component import ComponentDefinition

    cd = ComponentDefinition.oscal_read(Path(exported["all"][0]))
    [component] = cd.components
    reqs = component.control_implementations[0].implemented_requirements
    assert component.title == "govscan" and component.type.root == "software"
    assert len(reqs) == len(json.loads(exported["all"][0].read_text())["component-definition"]["components"][0]
                            ["control-implementations"][0]["implemented-requirements"])
    from scanner.policy import load

    shipped = len(load([]).controls)  # wrote FILE (oscal-component, N controls): every shipped control
    assert f"(oscal-component, {shipped} controls)" in exported["all"][1]


def test_same_library_same_document_except_the_time(tmp_path):
    a, b = (json.loads(govscan("policy", "export", "-p", "network-baseline").stdout) for _ in range(2))
    for d in (a, b):
        d["component-definition"]["metadata"].pop("last-modified")
    assert a == b


def test_unknown_profile_is_a_usage_error(tmp_path):
    r = govscan("policy", "export", "-p", "no-such-profile", "-o", str(tmp_path / "x.json"))
    assert r.returncode == 2 and "no-such-profile" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "x.json").exists()
