"""STIG Viewer 2 checklists (``-f ckl``, XML) from a real scan, read back by MITRE's SAF CLI
(``saf convert ckl2hdf``) and parsed with lxml."""

from __future__ import annotations

import json
import zipfile

import pytest
from lxml import etree

from stigscan import LOCAL, ROOT, SHIPPED, govscan, node_bin, real_scan, saf

XSD = ROOT / "tests" / "data" / "ckl" / "U_Checklist_Schema_V2.xsd"

CKL_STATUS = {"pass": "NotAFinding", "fail": "Open", "waived": "Open", "notapplicable": "Not_Applicable"}


@pytest.fixture(scope="module")
def ckl(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ckl-scan")
    db, down = real_scan(folder)
    r = govscan("report", "--db", str(db), "-f", "ckl", "-o", str(folder / "checklists.zip"))
    assert r.returncode == 0, r.stderr
    with zipfile.ZipFile(folder / "checklists.zip") as zf:
        names = sorted(zf.namelist())
        zf.extractall(folder)
    assert [n.rsplit(".", 1)[1] for n in names] == ["ckl", "ckl"]
    return folder, [folder / n for n in names]


def _vulns(path):
    root = etree.parse(str(path)).getroot()
    out = {}
    for v in root.iter("VULN"):
        data = {}
        for sd in v.findall("STIG_DATA"):
            data.setdefault(sd.findtext("VULN_ATTRIBUTE"), []).append(sd.findtext("ATTRIBUTE_DATA") or "")
        out[data["Vuln_Num"][0]] = (data, v.findtext("STATUS"), v.findtext("FINDING_DETAILS") or "",
                                    v.findtext("COMMENTS") or "")
    return root, out


def test_ckl_xml_statuses_and_escaping(ckl):
    _folder, (local, down) = ckl
    root, vulns = _vulns(local)
    assert [e.tag for e in root] == ["ASSET", "STIGS"]
    assert root.findtext("ASSET/ASSET_TYPE") == "Computing" and root.findtext("ASSET/ROLE") == "None"
    for control, (vuln, status) in LOCAL.items():
        data, got, details, _ = vulns[vuln]
        assert got == CKL_STATUS[status], control
        assert data["Rule_ID"] == [f"S{vuln}r1_rule"] and data["CCI_REF"] == ["CCI-000366"]
        assert control in details
    assert "root has UID 0 <&>" in vulns["V-999002"][2]  # escaped in the file, intact when read
    assert "<script>alert(1)</script>" in vulns["V-999003"][3] and "WVR-STIG-1" in vulns["V-999003"][3]
    for vuln, stig_id in SHIPPED.items():
        assert vulns[vuln][0]["Rule_Ver"] == [stig_id]
    _root, unreachable = _vulns(down)
    assert {v[1] for v in unreachable.values()} == {"Not_Reviewed"}


def test_valid_against_the_checklist_schema_2_5(ckl):
    _folder, paths = ckl
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    for path in paths:
        assert schema.validate(etree.parse(str(path))), (path, [str(e) for e in schema.error_log])
    bad = etree.parse(str(paths[0]))
    bad.find(".//STATUS").text = "Passed"
    assert not schema.validate(bad) and "Passed" in str(schema.error_log)


@pytest.fixture(scope="module")
def saf_hdf(ckl):
    if node_bin("saf") is None:
        pytest.skip("MITRE SAF CLI not installed (tests/run.sh installs npm @mitre/saf)")
    folder, paths = ckl
    out = []
    for path in paths:
        target = path.with_suffix(".hdf.json")
        r = saf("convert", "ckl2hdf", "-i", str(path), "-o", str(target), cwd=folder)
        # saf exits 0 even when it rejects a checklist: the converted file is the proof
        assert target.exists(), r.stdout + r.stderr
        out.append(json.loads(target.read_text()))
    return out


def test_saf_reads_the_ckl(saf_hdf):
    local, down = saf_hdf
    # the shipped sshd/sysctl controls carry rules of both STIGs (policies/stig/mapping.json)
    [profile] = [p for p in local["profiles"] if p["name"] == "CAN_Ubuntu_22-04_LTS_STIG"]
    controls = {c["id"]: c for c in profile["controls"]}
    # + V-260528: host-sshd-client-alive-interval carries it through policies/stig/mapping.json, V-260529:
    # host-sshd-no-x11-forwarding through policies/stig/mapping-access.json
    assert set(controls) == {v for v, _ in LOCAL.values()} | set(SHIPPED) | {"V-260528", "V-260529"}
    status = {cid: [r["status"] for r in c["results"]] for cid, c in controls.items()}
    assert status["V-999001"] == ["passed"]
    assert status["V-999002"] == ["failed"] and status["V-999003"] == ["failed"]
    assert controls["V-999004"]["impact"] == 0  # Not_Applicable
    assert controls["V-999002"]["impact"] == 0.7 and controls["V-999003"]["impact"] == 0.3
    assert controls["V-999001"]["tags"]["rid"] == "SV-999001r1_rule"
    assert controls["V-999001"]["tags"]["cci"] == ["CCI-000366"]
    assert controls["V-260526"]["tags"]["stig_id"] == "UBTU-22-255025"
    down_status = {c["id"]: [r["status"] for r in c["results"]] for c in down["profiles"][0]["controls"]}
    assert set(map(tuple, down_status.values())) == {("skipped",)}  # Not_Reviewed: never passed
