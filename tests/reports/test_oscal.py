"""OSCAL assessment plan, assessment results and POA&M: official-schema validity, the DESIGN.md
result mapping, waivers (active and expired), hostile text and golden files."""

from __future__ import annotations

import copy
import io
import json
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from scanfactory import BUCKET_IMG, BUCKET_LAPSED, BUCKET_XSS, XSS_SCRIPT, new_scan, normalise

import scanner
from reports.oscal import documents
from reports.oscal_formats import AssessmentResultsRenderer, PoamRenderer
from scanner import registry
from scanner.store import ScanView

SCHEMAS = Path(__file__).parent.parent / "data" / "oscal"
GOLDEN = Path(__file__).parent / "golden" / "oscal"
SCHEMA_OF = {"assessment-plan.json": "oscal_assessment-plan_schema.json",
             "assessment-results.json": "oscal_assessment-results_schema.json",
             "poam.json": "oscal_poam_schema.json"}


@pytest.fixture(scope="module")
def validators() -> dict[str, Any]:
    return {name: jsonschema_rs.validator_for(json.loads((SCHEMAS / schema).read_text()))
            for name, schema in SCHEMA_OF.items()}


@pytest.fixture(scope="module")
def docs(factory_view: ScanView) -> dict[str, dict[str, Any]]:  # as a standalone -f oscal-* file
    return dict(documents(factory_view, in_pack=False))


def _errors(validator: Any, doc: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.instance_path))}: {e.message[:200]}" for e in validator.iter_errors(doc)]


def _result(docs: dict[str, Any]) -> dict[str, Any]:
    return docs["assessment-results.json"]["assessment-results"]["results"][0]


def _props(obj: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p["value"] for p in obj.get("props", [])}


def test_every_document_is_valid_against_its_official_schema(docs, validators):
    for name, doc in docs.items():
        assert _errors(validators[name], doc) == [], name


def test_registered_renderers_write_the_same_valid_documents(factory_view, docs, validators):
    for fmt, name in (("oscal-ar", "assessment-results.json"), ("oscal-poam", "poam.json")):
        out = io.StringIO()
        registry.report(fmt)().render(factory_view, out)
        assert json.loads(out.getvalue()) == docs[name]
    assert registry.report("oscal-ar") is AssessmentResultsRenderer
    assert registry.report("oscal-poam") is PoamRenderer


def test_the_validator_rejects_what_the_schema_forbids(docs, validators):
    """The schema check is not vacuous: a line break in a prop, a bad state and a bad uuid fail."""
    v = validators["assessment-results.json"]
    for mutate in (lambda r: r["observations"][0]["props"][0].update(value="a\nb"),
                   lambda r: r["findings"][0]["target"]["status"].update(state="pass"),
                   lambda r: r.update(uuid="not-a-uuid"),
                   lambda r: r.update(start="2024-13-01T00:00:00Z")):
        doc = copy.deepcopy(docs["assessment-results.json"])
        mutate(doc["assessment-results"]["results"][0])
        assert _errors(v, doc), mutate


def test_one_observation_per_finding_carrying_its_evidence(factory_view, docs):
    obs = _result(docs)["observations"]
    rows = list(factory_view.findings())
    assert len(obs) == len(rows)
    for o, row in zip(obs, rows):
        p = _props(o)
        assert (p["control-id"], p["result"], p["target"]) == (row["control_id"], row["status"], row["target_id"])
        if row["evidence_sha256"]:
            # standalone: no link to a file that is not there; the sha256 and where to find it instead
            assert "href" not in o["relevant-evidence"][0]
            assert _props(o["relevant-evidence"][0])["sha256"] == row["evidence_sha256"]
            assert row["evidence_sha256"] in o["relevant-evidence"][0]["description"]
        else:
            assert "relevant-evidence" not in o
    xss = next(o for o in obs if _props(o)["resource"] == BUCKET_XSS)
    assert "found: (missing)" in xss["description"]
    lapsed = next(o for o in obs if _props(o)["resource"] == BUCKET_LAPSED)
    assert (_props(lapsed)["waiver"], _props(lapsed)["waiver-state"]) == ("WVR-2025-003", "expired")


def test_in_an_evidence_pack_the_documents_link_the_files_beside_them(factory_view):
    packed = dict(documents(factory_view, in_pack=True))
    ar = packed["assessment-results.json"]["assessment-results"]
    assert ar["import-ap"]["href"] == "assessment-plan.json" and "back-matter" not in ar
    hrefs = {e["href"] for o in ar["results"][0]["observations"] for e in o.get("relevant-evidence", [])}
    shas = {r["evidence_sha256"] for r in factory_view.findings() if r["evidence_sha256"]}
    assert hrefs == {f"evidence/{sha}.json" for sha in shas}


def test_standalone_results_embed_the_plan_they_import(docs):
    import base64

    ar = docs["assessment-results.json"]["assessment-results"]
    href = ar["import-ap"]["href"]
    assert href.startswith("#")
    (res,) = [r for r in ar["back-matter"]["resources"] if r["uuid"] == href[1:]]
    assert json.loads(base64.b64decode(res["base64"]["value"])) == docs["assessment-plan.json"]


def test_findings_per_nist_objective_follow_the_design_mapping(docs):
    found = {f["target"]["target-id"]: f for f in _result(docs)["findings"]}
    state = {k: (f["target"]["status"]["state"], f["target"]["status"]["reason"]) for k, f in found.items()}
    assert all(f["target"]["type"] == "objective-id" for f in found.values())
    assert state["sc-28_obj"] == ("not-satisfied", "fail")       # s3 fails + waived
    assert state["ia-2.1_obj"] == ("satisfied", "pass")          # root MFA passes
    assert state["au-2_obj"] == ("not-satisfied", "other")       # auditd: error only
    assert state["cm-7_obj"] == ("not-satisfied", "fail")        # telnet listening
    assert state["cm-6_obj"] == ("not-satisfied", "fail")        # sshd fail; /tmp notapplicable
    assert "si-4_obj" not in state                               # notchecked only: observation only
    assert {p["value"] for p in found["cm-6_obj"]["props"]} == {"host-sshd-no-root-login", "host-tmp-noexec"}
    reviewed = _result(docs)["reviewed-controls"]["control-selections"][0]["include-controls"]
    assert [c["control-id"] for c in reviewed] == [
        "ac-6.2", "au-2", "au-12", "cm-6", "cm-7", "ia-2.1", "ia-2.5", "sc-8", "sc-28", "sc-28.1", "si-4"]


def test_risks_open_for_failures_and_deviation_approved_for_waivers(docs):
    result = _result(docs)
    risks = {(_props(r)["control-id"], _props(r).get("waiver")): r for r in result["risks"]}
    assert set(risks) == {("aws-s3-encryption-at-rest", None), ("aws-s3-encryption-at-rest", "WVR-2026-014"),
                          ("host-sshd-no-root-login", None), ("net-no-cleartext-admin-services", None)}
    waived = risks[("aws-s3-encryption-at-rest", "WVR-2026-014")]
    assert waived["status"] == "deviation-approved"
    assert waived["deadline"] == "2099-02-28T23:59:59Z"
    open_s3 = risks[("aws-s3-encryption-at-rest", None)]
    assert open_s3["status"] == "open"
    assert "WVR-2025-003 (expired 2025-06-30)" in open_s3["statement"]
    assert len(open_s3["related-observations"]) == 4   # BAD, XSS, FORMULA, LAPSED
    obs = {o["uuid"]: o for o in result["observations"]}
    assert [_props(obs[r["observation-uuid"]])["resource"] for r in waived["related-observations"]] == [BUCKET_IMG]
    sc28 = next(f for f in result["findings"] if f["target"]["target-id"] == "sc-28_obj")
    assert {r["risk-uuid"] for r in sc28["related-risks"]} == {open_s3["uuid"], waived["uuid"]}


def test_poam_lists_open_failures_and_waived_deviations_with_poam_id(docs):
    poam = docs["poam.json"]["plan-of-action-and-milestones"]
    items = {(_props(i)["control-id"], _props(i).get("waiver")): i for i in poam["poam-items"] if i.get("props")}
    # the factory scan has 2 error and 1 notchecked results: the POA&M says they were not assessed
    (unassessed,) = [i for i in poam["poam-items"] if not i.get("props")]
    assert unassessed["title"] == "3 results could not be evaluated"
    assert poam["system-id"]["identifier-type"] == "https://ietf.org/rfc/rfc4122"
    assert set(items) == {("aws-s3-encryption-at-rest", None), ("aws-s3-encryption-at-rest", "WVR-2026-014"),
                          ("host-sshd-no-root-login", None), ("net-no-cleartext-admin-services", None)}
    assert _props(items[("aws-s3-encryption-at-rest", "WVR-2026-014")])["poam-id"] == "V-2026-0042"
    assert "poam-id" not in _props(items[("host-sshd-no-root-login", None)])
    risk_ids = {r["uuid"] for r in poam["risks"]}
    assert all(i["related-risks"][0]["risk-uuid"] in risk_ids for i in items.values())
    obs_ids = {o["uuid"] for o in poam["observations"]}
    # exactly the observations the items relate, each once (the POA&M carries no other finding)
    related = [r["observation-uuid"] for i in items.values() for r in i["related-observations"]]
    assert len(poam["observations"]) == len(obs_ids) == len(related) == len(set(related))
    assert set(related) == obs_ids
    assert {_props(o)["result"] for o in poam["observations"]} == {"fail", "waived"}


def test_renderers_stream_the_same_bytes_json_would_write(factory_view):
    """The streamed AR and POA&M are byte for byte what one json.dumps of the whole document writes."""
    from reports.jsonstream import materialise
    from reports.oscal import builder

    b = builder(factory_view, in_pack=False)
    for doc in (b.assessment_results(), b.poam(), b.assessment_plan()):
        out = io.StringIO()
        from reports.oscal import dump

        dump(doc, out)
        assert out.getvalue() == json.dumps(materialise(doc), ensure_ascii=False) + "\n"


def test_observations_are_read_while_written_not_held(factory_view, monkeypatch):
    """The builder keeps no observation: the AR's observations come from a second read of the store,
    pulled by the writer, and a finding stored after the first pass is not half-referenced."""
    from reports.oscal import OscalBuilder, dump

    b = OscalBuilder(factory_view, in_pack=False)
    assert not any(isinstance(v, list) and v and isinstance(v[0], dict) and "observation-uuid" in str(v[0])
                   for v in vars(b).values())
    reads = []
    real = factory_view.findings

    def counting(**kw):
        reads.append(kw)
        return real(**kw)

    monkeypatch.setattr(factory_view, "findings", counting)
    doc = b.assessment_results()
    assert reads == []  # building the skeleton reads nothing
    dump(doc, io.StringIO())
    assert reads == [{"status": None}]
    last = b._last_id
    b._last_id = last - 1  # as if the last finding arrived after the first pass: it is left out
    out = io.StringIO()
    dump(b.assessment_results(), out)
    uuids = {o["uuid"] for o in json.loads(out.getvalue())["assessment-results"]["results"][0]["observations"]}
    assert b.uid("observation", last) not in uuids and b.uid("observation", last - 1) in uuids


def _strings(node: Any, key: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _strings(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from _strings(v, key)
    elif isinstance(node, str):
        yield key, node


def test_hostile_text_is_escaped_for_markup_and_tokens(docs):
    text = json.dumps(docs, ensure_ascii=False)
    assert "\x1b" not in text and "\u202e" not in text         # ANSI / RTL override shown as \u escapes
    assert "\\u001b[31m" in text and "\\u202e" in text
    for key, value in _strings(docs):
        if key in ("title", "description", "statement", "remarks"):  # Markdown markup fields
            assert re.search(r"(?<!\\)<", value) is None, (key, value)
    props = [v for k, v in _strings(_result(docs)["observations"]) if XSS_SCRIPT in v]
    assert f"arn:aws:s3:::{XSS_SCRIPT}" in props               # a prop keeps the exact resource id


def test_uuids_are_deterministic_per_scan(factory_view, tmp_path):
    first = AssessmentResultsRenderer()
    a, b = io.StringIO(), io.StringIO()
    first.render(factory_view, a)
    AssessmentResultsRenderer().render(factory_view, b)
    assert a.getvalue() == b.getvalue()
    ids = re.findall(r'"uuid": "([0-9a-f-]{36})"', a.getvalue())
    assert ids and all(uuid.UUID(i).version == 5 for i in ids)
    other = io.StringIO()
    AssessmentResultsRenderer().render(new_scan(tmp_path), other)    # another scan: other uuids
    assert not set(ids) & set(re.findall(r'"uuid": "([0-9a-f-]{36})"', other.getvalue()))


def test_a_clean_scan_still_yields_valid_documents(tmp_path, validators):
    from scanner.model import ScanStatus
    from scanner.store import Store

    store = Store(tmp_path / "empty.db")
    sid = store.begin_scan(profile="p", profile_sha256="0" * 64, tool_version="0")
    store.finish_scan(sid, ScanStatus.COMPLETE)
    docs = dict(documents(store.view(sid)))
    for name, doc in docs.items():
        assert _errors(validators[name], doc) == [], name
    # a scan that assessed nothing never says "No open items"
    assert [i["title"] for i in docs["poam.json"]["plan-of-action-and-milestones"]["poam-items"]] == [
        "Nothing was assessed"]


def test_poam_of_a_scan_whose_every_result_passed_says_no_open_items(tmp_path, validators):
    from scanner.model import Finding, ScanStatus, Severity, Status
    from scanner.store import Store

    store = Store(tmp_path / "clean.db")
    sid = store.begin_scan(profile="p", profile_sha256="0" * 64, tool_version="0")
    store.add_findings(sid, [Finding("c1", "local:h", "sshd", "host.sshd", Status.PASS, Severity.HIGH, "ok", {})])
    store.finish_scan(sid, ScanStatus.COMPLETE)
    poam = dict(documents(store.view(sid)))["poam.json"]
    assert _errors(validators["poam.json"], poam) == []
    assert [i["title"] for i in poam["plan-of-action-and-milestones"]["poam-items"]] == ["No open items"]


def _golden_text(doc: dict[str, Any], view: ScanView) -> str:
    doc = json.loads(json.dumps(doc))
    for res in (doc.get("assessment-results") or {}).get("back-matter", {}).get("resources", []):
        res["base64"]["value"] = "BASE64-OF-THE-ASSESSMENT-PLAN"  # checked by test_standalone_results_embed...
    text = normalise(json.dumps(doc, indent=2, ensure_ascii=False), view)
    seen: dict[str, str] = {}
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}",
                  lambda m: seen.setdefault(m.group(0), f"UUID-{len(seen) + 1}"), text)
    text = re.sub(r'"scan-\d+"', '"VERSION"', text)
    text = text.replace(f'"value": "{scanner.__version__}"', '"value": "TOOL-VERSION"')
    return text + "\n"


@pytest.mark.parametrize("name", sorted(SCHEMA_OF))
def test_golden(name, docs, factory_view):
    got = _golden_text(docs[name], factory_view)
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(got, encoding="utf-8")
        if not os.environ.get("UPDATE_GOLDEN"):
            pytest.fail(f"{path} was missing and has been written; check it in")
    assert got == path.read_text(encoding="utf-8")
