"""The CIS Debian 12 v1.1.0 Level 1 and Level 2 Server profiles.

- their id lists are the benchmark levels' ids of policies/frameworks/cis-debian-12-v1.1.0.json, which is
  tests/data/cis_debian12_v1.1.0.csv in the package (so it works after a non-editable install);
- each manual recommendation is a finding ``notchecked`` with "manual recommendation: not assessed by
  govscan" on every target (through the CLI, in the store), never a pass;
- ``govscan policy list -p`` prints how many recommendations are automated and covered, manual, not covered;
- the lint rejects a manual id that is not a manual recommendation of the level, and an unknown CIS id.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from scanner.policy.benchmark import MANUAL_REASON, coverage, level_ids, recommendations
from scanner.policy.loader import load
from scanner.policy.tailor import select
from scanner.store import Store

ROOT = Path(__file__).resolve().parents[2]
PROFILES = ROOT / "policies" / "profiles"


def govscan(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from scanner.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=300, cwd=cwd)


def test_framework_json_is_the_csv():
    with open(ROOT / "tests" / "data" / "cis_debian12_v1.1.0.csv", newline="") as fh:
        rows = {r["id"]: r for r in csv.DictReader(line for line in fh if not line.startswith("#"))}
    recs = recommendations("cis-debian-12-v1.1.0")["recommendations"]
    assert sorted(recs) == sorted(rows)
    for i, r in rows.items():
        assert recs[i]["assessment"] == r["cis_status"]
        assert recs[i]["levels"] == [lv for lv, col in (("l1-server", "l1_server"), ("l2-server", "l2_server"))
                                     if r[col] == "yes"]
    assert len(level_ids("cis-debian-12-v1.1.0", "l1-server")) == 251


def test_profile_id_lists_are_the_levels():
    l1 = yaml.safe_load((PROFILES / "cis-debian12-l1-server.yaml").read_text())
    l2 = yaml.safe_load((PROFILES / "cis-debian12-l2-server.yaml").read_text())
    recs = recommendations("cis-debian-12-v1.1.0")["recommendations"]
    l1_ids = level_ids("cis-debian-12-v1.1.0", "l1-server")
    l2_only = [i for i in level_ids("cis-debian-12-v1.1.0", "l2-server") if i not in l1_ids]
    assert l1["select"]["include"] == [{"mapping": "cis-debian-12", "ids": l1_ids}]
    assert l2["select"]["include"] == [{"mapping": "cis-debian-12", "ids": l2_only}]
    assert l2["extends"] == ["cis-debian12-l1-server"]
    # manual recommendations a control checks are not listed (one verdict per id: the control's)
    checked = {"5.3.3.2.3", "5.4.1.2"}
    assert l1["benchmark"]["manual"] == [i for i in l1_ids if recs[i]["assessment"] == "manual" and i not in checked]
    assert l2["benchmark"]["manual"] == [i for i in l2_only if recs[i]["assessment"] == "manual" and i not in checked]


def test_l2_selection_is_l1_plus_the_level_2_only_controls():
    pset = load([ROOT / "policies" / "controls" / "host", PROFILES / "cis-debian12-l1-server.yaml",
                 PROFILES / "cis-debian12-l2-server.yaml"], builtin=False)
    l1, l2 = select(pset, ["cis-debian12-l1-server"]), select(pset, ["cis-debian12-l2-server"])
    assert set(l1.controls) < set(l2.controls)
    assert "host-kmod-overlayfs" in l2.controls and "host-kmod-overlayfs" not in l1.controls  # 1.1.1.6 is Level 2
    assert l1.manual == ("1.1.1.10", "1.2.1.1", "1.2.1.2", "1.2.2.1", "2.1.22", "3.1.1", "4.2.5", "4.3.3", "4.3.7",
                         "4.4.2.3", "4.4.3.3", "6.1.1.2", "6.1.1.3", "6.1.2.1.2", "6.1.3.5", "6.1.3.6",
                         "6.1.3.8", "7.1.13")
    assert l2.manual == (*l1.manual, "6.2.3.21")
    manual = l1.controls["cis-debian-12-manual-1-2-1-1"]
    assert manual.not_assessed == MANUAL_REASON and manual.mappings == {"cis-debian-12": ("1.2.1.1",)}
    cov = coverage(*l1.benchmark, l1.controls.values(), l1.manual)
    assert (cov.total, cov.automated, len(cov.manual), cov.manual_unlisted) == (251, 232, 18, ())
    assert (cov.manual_checked, cov.manual_twice) == (("5.3.3.2.3",), ())
    cov2 = coverage(*l2.benchmark, l2.controls.values(), l2.manual)
    assert (cov2.manual_unlisted, cov2.manual_checked, cov2.manual_twice) == ((), ("5.3.3.2.3", "5.4.1.2"), ())
    # section 4 (host firewall): every automated Level 1 recommendation is carried by a control
    assert not [i for i in cov.automated_uncovered if i.split(".")[0] in ("1", "2", "3", "4")], cov.automated_uncovered


def test_manual_recommendations_are_reported_notchecked_through_the_cli(tmp_path):
    db = tmp_path / "s.db"
    res = govscan("scan", "--db", str(db), "-p", "cis-debian12-l1-server", "-c", "cis-debian-12-manual-*",
                  "-c", "host-fw-single-utility", cwd=tmp_path)
    assert res.returncode in (0, 1), res.stderr
    assert "not assessed" in (res.stdout + res.stderr).lower()
    store = Store(str(db), create=False)
    try:
        rows = [r for r in store.view().findings() if r["control_id"].startswith("cis-debian-12-manual-")]
    finally:
        store.close()
    assert len(rows) == 18
    assert {r["status"] for r in rows} == {"notchecked"}
    one = next(r for r in rows if r["control_id"] == "cis-debian-12-manual-4-3-7")
    assert one["message"].endswith(": not checked: CIS Debian Linux 12 Benchmark v1.1.0 recommendation 4.3.7: "
                                   "manual recommendation: not assessed by govscan")


def test_policy_list_prints_the_coverage_of_each_profile():
    res = govscan("policy", "list", "-p", "cis-debian12-l1-server")
    assert res.returncode == 0, res.stderr
    line = next(ln for ln in res.stdout.splitlines() if ln.startswith("cis-debian-12-v1.1.0 l1-server: "))
    assert line.startswith("cis-debian-12-v1.1.0 l1-server: 251 recommendations: 232 automated, ")
    assert line.endswith("; 18 manual (reported notchecked: manual recommendation: not assessed by govscan); "
                         "1 manual checked by a control")
    res = govscan("policy", "list", "-p", "cis-debian12-l2-server", "--json")
    cov = [json.loads(ln) for ln in res.stdout.splitlines() if '"benchmark"' in ln][0]
    assert (cov["level"], cov["recommendations"], cov["automated"], cov["manual"]) == ("l2-server", 312, 291, 19)
    assert (cov["manual_checked"], cov["manual_twice"]) == (["5.3.3.2.3", "5.4.1.2"], [])
    assert cov["automated_covered"] + len(cov["automated_not_covered"]) == 291


def test_lint_rejects_wrong_manual_ids_and_unknown_cis_numbers(tmp_path):
    (tmp_path / "p.yaml").write_text(
        "apiVersion: govscan/v1\nkind: Profile\nmetadata: {id: my-cis, title: mine}\n"
        "benchmark: {framework: cis-debian-12-v1.1.0, level: l1-server, manual: ['4.3.8', '9.9', '6.2.3.21']}\n"
        "select: {include: ['host-fw-*']}\n")
    (tmp_path / "c.yaml").write_text((ROOT / "policies/controls/host/network.yaml").read_text()
                                     .replace("host-net-no-wireless", "my-wireless").replace("[3.1.2]", "[3.1.99]"))
    res = govscan("policy", "lint", str(tmp_path))
    assert res.returncode == 2
    assert "p.yaml:4:" in res.stderr
    assert "cis-debian-12-v1.1.0 4.3.8 is an automated recommendation: select a control for it, not 'manual'" in res.stderr
    assert "cis-debian-12-v1.1.0 has no recommendation '9.9'" in res.stderr
    assert "cis-debian-12-v1.1.0 6.2.3.21 is not a l1-server recommendation" in res.stderr
    assert "unknown CIS Debian Linux 12 v1.1.0 recommendation '3.1.99'" in res.stderr


@pytest.mark.parametrize("profile", ["cis-debian12-l1-server", "cis-debian12-l2-server"])
def test_one_verdict_per_cis_id(tmp_path, profile):
    """No CIS id gets both the manual stand-in's notchecked and a control's verdict (5.3.3.2.3 and 5.4.1.2 did)."""
    db = tmp_path / "s.db"
    extra = ["-c", "host-login-defs-pass-min-days"] if profile == "cis-debian12-l2-server" else []
    res = govscan("scan", "local", "--db", str(db), "-p", profile, "-c", "cis-debian-12-manual-*",
                  "-c", "host-pam-pwquality-minclass", *extra, cwd=tmp_path)
    assert res.returncode in (0, 1), res.stderr
    store = Store(str(db), create=False)
    try:
        rows = list(store.view().findings())
    finally:
        store.close()
    manual = {r["control_id"] for r in rows if r["control_id"].startswith("cis-debian-12-manual-")}
    checked = {r["control_id"] for r in rows} - manual
    assert "cis-debian-12-manual-5-3-3-2-3" not in manual and "cis-debian-12-manual-5-4-1-2" not in manual
    assert "host-pam-pwquality-minclass" in checked
    assert ("host-login-defs-pass-min-days" in checked) == (profile == "cis-debian12-l2-server")
