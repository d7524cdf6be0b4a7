"""DISA STIG profiles (stig-ubuntu2204, stig-rhel9) over the host controls.

The catalogues policies/stig/<benchmark>.json are the ComplianceAsCode datastreams' stig profiles
(bench/stig_datastream.py re-derives them here); policies/stig/mapping.json names existing controls and rules;
the loader attaches the STIG ids of every rule whose ComplianceAsCode rules all have a control, never those
of a pair the review found weaker; a scan with the STIG profile gives a checklist with the right Vuln IDs and
statuses; ``govscan policy list -p`` prints the coverage.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from scanner.policy import stig
from scanner.policy.loader import collect, load
from scanner.policy.tailor import select

ROOT = Path(__file__).resolve().parents[2]
SSG = Path("/work/shared/data/ssg")
BENCHES = ("ubuntu-22.04", "rhel-9")


def govscan(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from scanner.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)


@pytest.fixture(scope="module")
def pset():
    return load()


def test_catalogue_counts_and_sample():
    u, r = stig.catalogue("ubuntu-22.04"), stig.catalogue("rhel-9")
    assert (len(u), len(r)) == (188, 440)
    assert u["V-260526"] == {"rule_id": "SV-260526r991591_rule", "stig_id": "UBTU-22-255025", "severity": "CAT I",
                             "srg": ["SRG-OS-000106-GPOS-00053", "SRG-OS-000480-GPOS-00227",
                                     "SRG-OS-000480-GPOS-00229"],
                             "cac_rules": ["sshd_disable_empty_passwords", "sshd_do_not_permit_user_env"],
                             "title": u["V-260526"]["title"]}
    assert r["V-257984"]["stig_id"] == "RHEL-09-255040" and r["V-257984"]["severity"] == "CAT I"


@pytest.mark.skipif(not (SSG / "ssg-rhel9-ds.xml.xz").exists(), reason="ComplianceAsCode datastreams not here")
@pytest.mark.parametrize("bench", BENCHES)
def test_catalogue_is_the_datastream(bench):
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import stig_datastream
    finally:
        sys.path.pop(0)
    shipped = json.loads((ROOT / "policies" / "stig" / f"{bench}.json").read_text())
    assert stig_datastream.build(bench) == shipped
    assert shipped["selected_rules"] == {"ubuntu-22.04": 230, "rhel-9": 488}[bench]


@pytest.mark.parametrize("bench", BENCHES)
def test_every_stig_id_is_well_formed(bench):
    prefix = {"ubuntu-22.04": r"UBTU-22-\d{6}", "rhel-9": r"RHEL-09-\d{6}"}[bench]
    known = stig._cis_rules()
    for vuln, rule in stig.catalogue(bench).items():
        assert re.fullmatch(r"V-\d{6}", vuln)
        assert rule["rule_id"] == f"SV-{vuln[2:]}r" + rule["rule_id"].split("r", 1)[1]
        assert re.fullmatch(r"SV-\d{6}r\d+_rule", rule["rule_id"])
        assert re.fullmatch(prefix, rule["stig_id"])
        assert rule["severity"] in ("CAT I", "CAT II", "CAT III", "")
        assert rule["cac_rules"] and set(rule["cac_rules"]) <= known


def test_mapping_names_existing_controls_and_rules(pset):
    assert not list(stig.check_mapping(pset.controls))
    assert set(stig.mapping()) <= set(pset.controls)


def test_mapping_lint_rejects_unknown_control_and_rule(monkeypatch):
    real = stig.mapping()
    monkeypatch.setattr(stig, "mapping", lambda: {**real, "host-no-such-control": ("sshd_enable_pam",),
                                                  "host-sshd-use-pam": ("sshd_no_such_rule",)})
    messages = [d.message for d in collect() .diagnostics if "STIG mapping" in d.message]
    assert "STIG mapping names unknown control 'host-no-such-control'" in messages
    assert "STIG mapping of 'host-sshd-use-pam' names unknown ComplianceAsCode rule 'sshd_no_such_rule'" in messages


def test_weaker_pairs_carry_no_stig(pset):
    """PASS_MAX_DAYS <= 365 is not the STIGs' 60; TMOUT 900 is Ubuntu's but not RHEL 9's 600."""
    assert not stig.entries(pset.controls["host-login-defs-pass-max-days"].document)
    assert not stig.entries(pset.controls["host-pam-faillock-deny"].document)
    timeout = {e["benchmark"]: e["vuln_id"] for e in stig.entries(pset.controls["host-shell-timeout"].document)}
    assert timeout == {"ubuntu-22.04": "V-260554"}


def test_attached_entries_and_partners(pset):
    pam = stig.entries(pset.controls["host-sshd-use-pam"].document)
    assert [(e["benchmark"], e["vuln_id"], e["stig_id"], e["severity"]) for e in pam] == [
        ("ubuntu-22.04", "V-260534", "UBTU-22-255065", "CAT II"), ("rhel-9", "V-257986", "RHEL-09-255050", "CAT II")]
    empty = {e["benchmark"]: e for e in stig.entries(pset.controls["host-sshd-no-empty-passwords"].document)}
    assert empty["ubuntu-22.04"]["shared_with"] == ["host-sshd-no-user-environment"]
    # a STIG rule needing a ComplianceAsCode rule no control implements is attached to no control
    assert "V-260484" not in stig.attachments("ubuntu-22.04")  # encrypt_partitions


def test_profile_selects_mapped_controls_and_not_assessed_rules(pset):
    sel = select(pset, ["stig-ubuntu2204"])
    assert sel.stig == "ubuntu-22.04"
    assert "host-sshd-use-pam" in sel.controls and "host-login-defs-pass-max-days" not in sel.controls
    na = sel.controls["stig-ubuntu-22-04-v-260484"]
    assert na.not_assessed and na.document["stig"][0]["stig_id"] == "UBTU-22-231010"
    real = [c for c in sel.controls.values() if not c.not_assessed]
    assert all(any(e["benchmark"] == "ubuntu-22.04" for e in stig.entries(c.document)) for c in real)
    cov = stig.coverage("ubuntu-22.04", sel.controls.values())
    assert sum(t for _, t in cov.by_cat.values()) == 188
    assert len(cov.not_covered) + sum(c for c, _ in cov.by_cat.values()) == 188


@pytest.mark.parametrize("profile, bench, total", [("stig-ubuntu2204", "ubuntu-22.04", 188), ("stig-rhel9", "rhel-9", 440)])
def test_policy_list_prints_coverage(profile, bench, total, pset):
    cov = stig.coverage(bench, select(pset, [profile]).controls.values()).as_dict()
    run = govscan("policy", "list", "-p", profile)
    assert run.returncode == 0, run.stderr
    line = next(x for x in run.stdout.splitlines() if x.startswith(f"STIG {bench}:"))
    assert line.startswith(f"STIG {bench}: {total} rules: {cov['covered']} covered by a control, "
                           f"{total - cov['covered']} not covered")
    for cat in ("CAT I", "CAT II", "CAT III"):
        assert f"{cat}: {cov['by_cat'][cat]['covered']}/{cov['by_cat'][cat]['total']}" in line
    js = [json.loads(x) for x in govscan("policy", "list", "-p", profile, "--json").stdout.splitlines()]
    assert {"stig": bench, "rules": total, "covered": cov["covered"]}.items() <= js[-1].items()


def test_cklb_of_a_stig_scan_on_a_debian_tree(debian_trees, tmp_path, pset):
    """-p stig-ubuntu2204 on the hardened and the minimal debootstrap trees: each Vuln ID of the checklist has the
    status its controls' findings give; rules no control implements are Not_Reviewed; no RHEL 9 rule appears."""
    sel = select(pset, ["stig-ubuntu2204"])
    for name, tree in (("hardened", debian_trees.hardened), ("minimal", debian_trees.minimal)):
        db = tmp_path / f"{name}.db"
        run = govscan("scan", f"rootfs:{tree}", "--db", str(db), "-q", "--gate", "none", "-p", "stig-ubuntu2204")
        assert run.returncode == 0, run.stderr
        found = [json.loads(x) for x in govscan("findings", "--db", str(db), "--json").stdout.splitlines() if x]
        by_control: dict[str, set[str]] = {}
        for f in found:
            by_control.setdefault(f["control_id"], set()).add(f["status"])
        rep = govscan("report", "--db", str(db), "-f", "cklb")
        assert rep.returncode == 0, rep.stderr
        doc = json.loads(rep.stdout)
        assert [s["stig_id"] for s in doc["stigs"]] == ["CAN_Ubuntu_22-04_LTS_STIG"]
        rules = {r["group_id"]: r for r in doc["stigs"][0]["rules"]}
        assert set(rules) == {v for v, r in stig.catalogue("ubuntu-22.04").items() if r["severity"]}
        for vuln in stig.coverage("ubuntu-22.04", sel.controls.values()).not_covered:
            if stig.catalogue("ubuntu-22.04")[vuln]["severity"]:
                assert rules[vuln]["status"] == "not_reviewed", (name, vuln)
        for vuln, partners in stig.attachments("ubuntu-22.04").items():
            statuses = set().union(*(by_control.get(c, set()) for c in partners))
            want = ("open" if statuses & {"fail", "waived"} else
                    "not_reviewed" if not statuses or statuses - {"pass", "notapplicable"} or
                    any(c not in by_control for c in partners) else
                    "not_a_finding" if "pass" in statuses else "not_applicable")
            assert rules[vuln]["status"] == want, (name, vuln, statuses)
        # the claim is checked on real data: the empty-password rule passes on the hardened tree, whose
        # /etc/shadow has no empty password field
        if name == "hardened":
            assert by_control["host-shadow-no-empty-password"] == {"pass"}
            assert rules["V-260571"]["status"] == "not_a_finding"


def coverage_table() -> str:
    """The Markdown table docs/host.md shows: per STIG and CAT, rules a control implements / rules."""
    pset = load()
    lines = ["| STIG | CAT I | CAT II | CAT III | no CAT in the datastream | all |", "|---|---:|---:|---:|---:|---:|"]
    for profile, bench in (("stig-ubuntu2204", "ubuntu-22.04"), ("stig-rhel9", "rhel-9")):
        cov = stig.coverage(bench, select(pset, [profile]).controls.values())
        cells = [cov.by_cat.get(k, (0, 0)) for k in ("CAT I", "CAT II", "CAT III", "unknown")]
        done, total = sum(c for c, _ in cells), sum(t for _, t in cells)
        lines.append(f"| {stig.benchmarks()[bench]['title']} ({profile}) | "
                     + " | ".join(f"{c} / {t}" for c, t in cells) + f" | **{done} / {total}** |")
    return "\n".join(lines)


def test_docs_coverage_table_is_current():
    text = (ROOT / "docs" / "host.md").read_text()
    block = text.split("<!-- stig-coverage:start -->\n", 1)[1].split("\n<!-- stig-coverage:end -->", 1)[0]
    assert block == coverage_table(), "docs/host.md: paste tests.host.test_stig.coverage_table()"


STRICT = ["stig-login-defs-pass-max-days", "stig-login-defs-inactive", "stig-login-defs-encrypt-method",
          "stig-pam-pwquality-minlen", "stig-pam-pwquality-difok", "stig-shell-timeout"]


def _strict_statuses(tmp_path: Path, files: dict[str, str]) -> dict[str, tuple[str, str]]:
    import hostfs
    from cis_b_support import collect as collect_tree
    from cis_b_support import make_tree
    from golden_support import TARGET

    from scanner.evaluate import evaluate_control

    if hostfs.usable() is not None:
        pytest.skip(str(hostfs.usable()))
    coll = collect_tree(make_tree(tmp_path / "tree", files, ("libpam-pwquality",)),
                        ["host.login_defs", "host.pam", "host.shell"])
    controls = load().controls
    out = {}
    for cid in STRICT:
        [f] = evaluate_control(controls[cid], TARGET, coll)
        out[cid] = (f.status.value, f.message)
    return out


def test_stig_values_pass_on_a_stig_configured_tree(tmp_path):
    got = _strict_statuses(tmp_path, {
        "/etc/login.defs": "PASS_MAX_DAYS 60\nPASS_MIN_DAYS 1\nENCRYPT_METHOD SHA512\nUMASK 077\n",
        "/etc/default/useradd": "INACTIVE=35\n",
        "/etc/pam.d/common-password": "password requisite pam_pwquality.so retry=3\n"
                                      "password [success=1 default=ignore] pam_unix.so obscure use_authtok sha512\n",
        "/etc/security/pwquality.conf": "minlen = 15\ndifok = 8\n",
        "/etc/profile.d/99-stig.sh": "TMOUT=600\nreadonly TMOUT\nexport TMOUT\n"})
    assert {c: s for c, (s, _) in got.items()} == {c: "pass" for c in STRICT}, got


def test_cis_values_fail_the_stig_values(tmp_path):
    """The CIS values (365 days, INACTIVE 45, YESCRYPT, minlen 14, difok 2, TMOUT 900) pass the host-* controls
    and fail the STIG ones."""
    got = _strict_statuses(tmp_path, {
        "/etc/login.defs": "PASS_MAX_DAYS 365\nPASS_MIN_DAYS 1\nENCRYPT_METHOD YESCRYPT\nUMASK 027\n",
        "/etc/default/useradd": "INACTIVE=45\n",
        "/etc/pam.d/common-password": "password requisite pam_pwquality.so retry=3\n"
                                      "password [success=1 default=ignore] pam_unix.so obscure use_authtok yescrypt\n",
        "/etc/security/pwquality.conf": "minlen = 14\ndifok = 2\n",
        "/etc/profile.d/60-cis.sh": "TMOUT=900\nreadonly TMOUT\nexport TMOUT\n"})
    assert {c: s for c, (s, _) in got.items()} == {c: "fail" for c in STRICT}, got
    assert got["stig-login-defs-pass-max-days"][1] == "PASS_MAX_DAYS is 365 (required: 1 to 60)"


def test_never_expiring_password_fails(tmp_path):
    got = _strict_statuses(tmp_path, {"/etc/login.defs": "PASS_MAX_DAYS -1\n"})
    assert got["stig-login-defs-pass-max-days"] == ("fail", "PASS_MAX_DAYS is -1 (required: 1 to 60)")
    assert got["stig-login-defs-encrypt-method"][0] == "fail"  # unset: not SHA512


def test_stig_value_controls_and_requires_partners(pset):
    def vulns(cid):
        return {e["benchmark"]: e["vuln_id"] for e in stig.entries(pset.controls[cid].document)}
    assert vulns("stig-login-defs-pass-max-days") == {"ubuntu-22.04": "V-260546", "rhel-9": "V-258041"}
    assert vulns("stig-shell-timeout") == {"rhel-9": "V-258068"}  # Ubuntu's 900 s is host-shell-timeout's
    # without auditd the audit rule controls do not apply: host-audit-installed joins their rules and fails them
    assert "host-audit-installed" in stig.attachments("ubuntu-22.04")["V-260605"]  # chacl
    assert "host-pam-pwquality-enabled" in stig.attachments("ubuntu-22.04")["V-260565"]  # minlen 15
    # a control notapplicable where the STIG requires what is missing is not mapped
    assert "host-rsyslog-enabled" not in {c for by in stig.attachments("ubuntu-22.04").values() for c in by}
    assert "stig-login-defs-pass-max-days" not in select(pset, ["linux-baseline"]).controls


def test_hdf_tags_prefer_the_profile_stig():
    from reports.hdf import _tags

    from scanner.store_view import ControlRecord

    row = ControlRecord.from_row({"id": "c", "title": "c", "severity": "high", "mappings": {}, "document": {"stig": [
        {"benchmark": "ubuntu-22.04", "vuln_id": "V-260534", "rule_id": "SV-260534r958510_rule", "stig_id": "UBTU-22-255065"},
        {"benchmark": "rhel-9", "vuln_id": "V-257986", "rule_id": "SV-257986r1045032_rule", "stig_id": "RHEL-09-255050"}]}})
    assert _tags(row)["gid"] == "V-260534"
    assert (_tags(row, {"rhel-9"})["gid"], _tags(row, {"rhel-9"})["stig_id"]) == ("V-257986", "RHEL-09-255050")


def test_cklb_of_a_stig_rhel9_scan_on_a_rhel_tree(tmp_path):
    """-p stig-rhel9 on the hardened RHEL 9 shaped tree (tests/host/rhel_tree.py): the checklist is the RHEL 9 STIG
    only, each covered rule with the worst status of its controls, the others Not_Reviewed."""
    import rhel_tree

    tree = rhel_tree.build("hardened", tmp_path / "tree")
    db = tmp_path / "rhel.db"
    run = govscan("scan", f"rootfs:{tree}", "--db", str(db), "-q", "--gate", "none", "-p", "stig-rhel9")
    assert run.returncode == 0, run.stderr
    found = [json.loads(x) for x in govscan("findings", "--db", str(db), "--json").stdout.splitlines() if x]
    by_control: dict[str, set[str]] = {}
    for f in found:
        by_control.setdefault(f["control_id"], set()).add(f["status"])
    doc = json.loads(govscan("report", "--db", str(db), "-f", "cklb").stdout)
    assert [s["stig_id"] for s in doc["stigs"]] == ["RHEL_9_STIG"]
    rules = {r["group_id"]: r["status"] for r in doc["stigs"][0]["rules"]}
    assert set(rules) == {v for v, r in stig.catalogue("rhel-9").items() if r["severity"]}
    for vuln, partners in stig.attachments("rhel-9").items():
        statuses = set().union(*(by_control.get(c, set()) for c in partners))
        if statuses & {"fail", "waived"}:
            assert rules[vuln] == "open", vuln
        elif "pass" in statuses and statuses <= {"pass", "notapplicable"} and all(c in by_control for c in partners):
            assert rules[vuln] == "not_a_finding", vuln
        else:
            assert rules[vuln] in ("not_reviewed", "not_applicable"), (vuln, statuses)
    assert rules["V-258041"] == ("not_a_finding" if by_control["stig-login-defs-pass-max-days"] == {"pass"} else "open")
    assert all(rules[v] == "not_reviewed" for v in stig.coverage("rhel-9", []).not_covered
               if v not in stig.attachments("rhel-9") and stig.catalogue("rhel-9")[v]["severity"])
