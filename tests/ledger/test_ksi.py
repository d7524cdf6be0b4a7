"""FedRAMP 20x KSIs as a framework: the shipped extract matches FedRAMP's rules file, every shipped
mapping names a real KSI that shares a NIST control with the control, the lint rejects unknown KSI ids,
and `govscan policy list -p fedramp-20x-class-*` prints the KSI coverage against the class's number."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import policies
from scanner.policy import load

RULES = Path(__file__).resolve().parents[1] / "data" / "fedramp-20x" / "fedramp-consolidated-rules.json"
SHIPPED = json.loads((policies.FRAMEWORKS / "fedramp-20x.json").read_text())


def govscan(*args, **kw):
    return subprocess.run([sys.executable, "-m", "scanner", *args], capture_output=True, text=True, **kw)


def test_extract_is_fedramps_rules_file():
    raw = RULES.read_bytes()
    rules = json.loads(raw)
    assert SHIPPED["source_sha256"] == hashlib.sha256(raw).hexdigest()
    assert SHIPPED["version"] == rules["info"]["version"] == "2026.07.14.01"
    ksis = {kid: k for th in rules["KSI"].values() for kid, k in th["indicators"].items()}
    assert len(ksis) == 46 and sorted(ksis) == SHIPPED["ids"]
    for kid, k in ksis.items():
        assert SHIPPED["ksis"][kid]["controls"] == k.get("controls", []), kid
        assert SHIPPED["ksis"][kid]["name"] == k["name"]
    vvk = rules["FRR"]["FRC"]["data"]["20x"]["CSX"]["FRC-CSX-VVK"]["varies_by_class"]
    mvx = rules["FRR"]["VDR"]["data"]["20x"]["TFR"]["VDR-TFR-MVX"]["varies_by_class"]
    pvr = rules["FRR"]["VDR"]["data"]["all"]["TFR"]["VDR-TFR-PVR"]["varies_by_class"]
    for klass, methods, days in (("b", 1, 7), ("c", 2, 3)):
        shipped = SHIPPED["classes"][klass]
        assert f"at least {methods} automated method" in vvk[klass]["statement"]
        assert shipped["automated_methods"] == methods
        assert mvx[klass]["timeframe_type"] == "days" and mvx[klass]["timeframe_num"] == days == shipped["max_age_days"]
        for n, cols in pvr[klass]["pain_timeframes"].items():
            for col, frame in cols.items():
                assert shipped["remediation"][n][col]["timeframe_num"] == frame["timeframe_num"]


def _base(cid: str) -> str:
    return cid.split(".")[0]


def test_every_shipped_ksi_mapping_is_real_and_shares_a_nist_control():
    """The mapping rule (docs/fedramp-20x.md): a control maps to a KSI only if one of its NIST SP 800-53
    controls (or their base control) is in the KSI's own list, or the KSI lists none."""
    controls = load([]).controls
    mapped = {cid: c for cid, c in controls.items() if c.mappings.get("fedramp-20x")}
    assert len(mapped) > 150
    for cid, c in mapped.items():
        nist = {_base(x) for x in c.mappings["nist-800-53-rev5"]}
        for ksi in c.mappings["fedramp-20x"]:
            listed = SHIPPED["ksis"][ksi]["controls"]
            assert not listed or nist & {_base(x) for x in listed}, (cid, ksi)
    assert controls["net-only-approved-ports"].mappings["fedramp-20x"] == ("KSI-CNA-MAT", "KSI-CNA-RNT")
    assert "fedramp-20x" not in controls["host-banner-issue-net-set"].mappings  # ac-8 is in no KSI


BAD = """\
apiVersion: govscan/v1
kind: Control
metadata: {id: bad-ksi-ctl, version: 1.0.0, title: bad KSI ids, severity: low}
mappings:
  fedramp-20x: [ksi-cna-rnt, KSI-CNA-XXX]
target: {provider: host, resource: host.os}
max_age: 3 days
assert: {key: uid, op: ge, value: 0}
"""


def test_lint_rejects_unknown_ksi_ids_and_bad_max_age(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD)
    proc = govscan("policy", "lint", "--no-builtin", str(path))
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert (f"{path}:7:10: '3 days' is not valid: expected a duration such as 3d or 12h (days or hours)"
            in proc.stderr)
    path.write_text(BAD.replace("max_age: 3 days", "max_age: 3d"))
    proc = govscan("policy", "lint", "--no-builtin", str(path))
    assert proc.returncode == 2
    assert (f"{path}:5:17: unknown FedRAMP 20x KSI id 'ksi-cna-rnt' (did you mean 'KSI-CNA-RNT'? "
            "KSI ids are upper case)") in proc.stderr
    assert f"{path}:5:30: unknown FedRAMP 20x KSI id 'KSI-CNA-XXX'" in proc.stderr


def _coverage(profile: str) -> dict[str, tuple[int, int, str]]:
    proc = govscan("policy", "list", "-p", profile)
    assert proc.returncode == 0, proc.stderr
    rows = re.findall(r"^  (KSI-[A-Z]{3}-[A-Z0-9]{3})\s+(\d+)/(\d+)\s+(ok|short|none)\s", proc.stdout, re.M)
    return {k: (int(have), int(need), mark) for k, have, need, mark in rows}


def test_policy_list_prints_ksi_coverage_against_the_class():
    c = _coverage("fedramp-20x-class-c")
    b = _coverage("fedramp-20x-class-b")
    assert sorted(c) == sorted(b) == SHIPPED["ids"]
    assert {need for _, need, _ in c.values()} == {2} and {need for _, need, _ in b.values()} == {1}
    controls = load([]).controls
    for ksi, (have, need, mark) in c.items():
        expected = sorted(cid for cid, ctl in controls.items() if ksi in ctl.mappings.get("fedramp-20x", ()))
        assert have == len(expected), ksi
        assert mark == ("none" if not have else "ok" if have >= need else "short"), ksi
    assert c["KSI-CED-RAT"] == (0, 2, "none")  # training: nothing a scanner can read
    # a KSI with a single control is short for class C (needs 2) and ok for class B (needs 1)
    single = sorted(k for k, (have, _, _) in c.items() if have == 1)
    assert single and c[single[0]] == (1, 2, "short") and b[single[0]] == (1, 1, "ok")
    assert c["KSI-CNA-RNT"][2] == "ok"
