"""Facts that were not read, or checks that did not run, never pass and are never "not applicable".

- UID_MIN from an unreadable /etc/login.defs and a host clock that could not be read are attribute
  errors (not the default 1000, not "last change is in the past");
- with the filesystem walk off, the walk controls are ``notchecked`` with the reason, and the scan
  summary, the gate, the OSCAL results and the HTML coverage count them as not assessed;
- on a host without cron, the cron controls are ``notapplicable`` naming why; when whether cron is
  installed cannot be known (package list unreadable), they are ``error``.

The fact script is the real one, run on this machine (in a private mount namespace where a test needs
its own /etc/login.defs or a broken ``date``), and the CLI is run as a user would run it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import hostfs
import pytest
from golden_support import GOLDEN, MARKER, TARGET, baseline

from checks.host.provider import HostProvider
from checks.host.script import build_script, parse_output
from checks.host.transport import LocalTransport
from scanner.evaluate import evaluate_control
from scanner.gate import decide
from scanner.provider import CollectContext
from scanner.store import Store

NOBODY = 65534
WALK = ["host-file-no-unowned", "host-file-world-writable", "host-file-world-writable-dirs-sticky"]
WALK_OFF = "filesystem: not checked: the filesystem walk is off (run with --input filesystem_walk=true to check)"
CRON_ABSENT = ("cron is not installed: no cron package (cron, cronie, systemd-cron, bcron, fcron, dcron) and no "
               "cron daemon (cron, crond, fcron, bcron-start) on PATH")
needs_ns = pytest.mark.skipif(hostfs.usable() is not None or shutil.which("setpriv") is None,
                              reason="needs root, unshare and setpriv")


def cron_present() -> bool:
    if any(shutil.which(b, path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
           for b in ("cron", "crond", "fcron", "bcron-start")):
        return True
    res = subprocess.run(["dpkg-query", "-W", "-f", "${db:Status-Abbrev}", "cron", "cronie", "systemd-cron"],
                         capture_output=True, text=True, check=False) if shutil.which("dpkg-query") else None
    return res is None or "ii" in res.stdout


def govscan(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from scanner.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=300)


def rows(db: Path) -> dict[str, list[tuple[str, str, str]]]:
    store = Store(str(db), create=False)
    try:
        out: dict[str, list[tuple[str, str, str]]] = {}
        for r in store.view().findings():
            out.setdefault(r["control_id"], []).append((r["status"], r["resource_id"], r["message"]))
        return out
    finally:
        store.close()


def evaluate(coll, *ids):
    sel = baseline()
    return {cid: [(f.status.value, f.resource_id, f.message)
                  for f in evaluate_control(sel.controls[cid], TARGET, coll, sel.inputs.get(cid))] for cid in ids}


# --- the filesystem walk off: notchecked ------------------------------------------------------------------


def test_walk_off_is_notchecked_with_the_reason():
    p = HostProvider()
    target = p.parse_target("local", {})[0]
    coll = p.collect(target, frozenset({"host.os", "host.filesystem"}), CollectContext(inputs={}))
    assert evaluate(coll, *WALK) == {cid: [("notchecked", "filesystem", WALK_OFF)] for cid in WALK}


def test_walk_on_still_decides():
    golden = parse_output((GOLDEN / "noncompliant.out").read_text(), MARKER)
    coll = HostProvider.parse(golden, ["host.os", "host.filesystem"], walk=True, walk_timeout=300)
    assert evaluate(coll, "host-file-world-writable")["host-file-world-writable"] == [
        ("fail", "filesystem", "1 world-writable files, e.g. /srv/share/report.csv")]


@pytest.fixture(scope="module")
def walk_off_scan(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("walk-off")
    db = tmp / "scan.db"
    res = govscan("scan", "local", *(a for cid in [*WALK, "host-file-passwd"] for a in ("-c", cid)), "--db", str(db))
    return db, res, tmp


def test_cli_walk_off_counts_not_assessed_in_summary_and_gate(walk_off_scan):
    db, res, _ = walk_off_scan
    got = rows(db)
    assert {cid: got[cid] for cid in WALK} == {cid: [("notchecked", "filesystem", WALK_OFF)] for cid in WALK}
    assert got["host-file-passwd"][0][0] == "pass"
    assert res.returncode == 0, res.stdout + res.stderr
    out = res.stdout + res.stderr
    assert "notchecked" in out.split("Not assessed")[0]  # the status table has its row
    assert "Not assessed: 3 findings notchecked (a check that did not run is not a pass): " \
           "govscan findings --status notchecked" in out
    assert "Gate PASSED: no unwaived failure at or above high; 3 findings not assessed (notchecked)" in out
    # the scan list counts them too
    listing = govscan("scans", "--db", str(db))
    header, row = listing.stdout.splitlines()[:2]
    assert header.split()[4:9] == ["fail", "error", "pass", "notchecked", "profile"]
    assert row.split()[4:8] == ["0", "0", "1", "3"]


def test_oscal_and_html_coverage_never_count_notchecked_as_satisfied(walk_off_scan):
    db, _, tmp = walk_off_scan
    out = tmp / "ar.json"
    res = govscan("report", "--db", str(db), "-f", "oscal-ar", "-o", str(out))
    assert res.returncode == 0, res.stderr
    findings = {f["target"]["target-id"]: f["target"]["status"]
                for f in json.loads(out.read_text())["assessment-results"]["results"][0]["findings"]}
    # ac-3 and cm-6: host-file-passwd passes, the walk controls were not assessed -> not satisfied
    assert findings["ac-3_obj"] == {"state": "not-satisfied", "reason": "other"}
    assert findings["cm-6_obj"] == {"state": "not-satisfied", "reason": "other"}
    from reports.coverage import _id_states, collect

    store = Store(str(db), create=False)
    try:
        results, _, _ = collect(store.view(), max_rows=10)
    finally:
        store.close()
    assert results["host-file-world-writable"].state == "notchecked"
    assert _id_states(results.values(), "nist-800-53-rev5")["ac-3"] == "notchecked"


def test_gate_counts_notchecked_and_can_fail_on_it():
    found = [{"status": "pass", "severity": "low", "control_id": "a", "n": 4},
             {"status": "notchecked", "severity": "medium", "control_id": "b", "n": 1}]
    assert decide(found, {"fail_on_severity": "low"}).reason == (
        "no unwaived failure at or above low; 1 finding not assessed (notchecked)")
    strict = decide(found, {"fail_on_severity": "low", "fail_on_notchecked": True})
    assert (strict.passed, strict.reason) == (False, "1 finding not assessed (notchecked)")


def test_profile_gate_accepts_fail_on_notchecked(tmp_path):
    prof = tmp_path / "p.yaml"
    prof.write_text("apiVersion: govscan/v1\nkind: Profile\nmetadata: {id: strict-walk, version: 1.0.0, "
                    "title: Strict}\nselect: {include: [host-file-world-writable]}\n"
                    "gate: {fail_on_notchecked: true}\n")
    res = govscan("scan", "local", "--policies", str(prof), "-p", "strict-walk", "--db", str(tmp_path / "s.db"))
    assert res.returncode == 1, res.stdout + res.stderr
    assert "Gate FAILED: 1 finding not assessed (notchecked)" in res.stdout + res.stderr


# --- facts computed from data that could not be read ------------------------------------------------------


@pytest.fixture
def scratch() -> Iterator[Path]:
    base = Path(tempfile.mkdtemp(prefix="gs-unread-"))
    base.chmod(0o755)
    try:
        yield base
    finally:
        shutil.rmtree(base)


@needs_ns
def test_unreadable_login_defs_makes_system_unread_not_uid_1000(scratch):
    defs = scratch / "login.defs"
    defs.write_text("UID_MIN 5000\n")  # were it read, every account below 5000 would be a system account
    defs.chmod(0o600)
    script, marker = build_script(["os", "passwd", "group", "login_defs"])
    out = parse_output(hostfs.run_script({"/etc/login.defs": defs}, script, user=NOBODY), marker)
    coll = HostProvider.parse(out, ["host.os", "host.users"])
    why = "UID_MIN unknown: /etc/login.defs not readable (run as root or with sudo)"
    users = coll.resources["host.users"]
    assert users and all(u.attr_errors == {"system": why} for u in users)
    got = evaluate(coll, "host-user-system-no-shell")["host-user-system-no-shell"]
    assert got and got == [("error", u.id, f"{u.id}: system could not be read: {why}") for u in users]
    # controls that do not read `system` still decide
    assert {s for s, _, _ in evaluate(coll, "host-user-uid0-root-only")["host-user-uid0-root-only"]} == {"pass"}
    # readable: the file's UID_MIN is used
    defs.chmod(0o644)
    out = parse_output(hostfs.run_script({"/etc/login.defs": defs}, script, user=NOBODY), marker)
    users = {u.id: u for u in HostProvider.parse(out, ["host.users"]).resources["host.users"]}
    assert users["user:root"].attr_errors == {} and users["user:root"].attrs["system"] is True


@needs_ns
def test_missing_host_clock_makes_password_dates_unread(scratch):
    date = scratch / "date"
    date.write_text("#!/bin/sh\necho 'date: cannot read the clock' >&2\nexit 1\n")
    date.chmod(0o755)
    script, marker = build_script(["os", "shadow", "passwd", "login_defs", "shellrc"])
    out = parse_output(hostfs.run_script({"/usr/bin/date": date}, script), marker)
    coll = HostProvider.parse(out, ["host.os", "host.shadow"])
    why = "the host's clock could not be read (date +%s printed no number)"
    shadow = coll.resources["host.shadow"]
    assert shadow and all(r.attr_errors == {"days_since_change": why, "last_change_in_future": why} for r in shadow)
    got = evaluate(coll, "host-shadow-change-in-past")["host-shadow-change-in-past"]
    assert got == [("error", r.id, f"{r.id}: last_change_in_future could not be read: {why}") for r in shadow]


# --- cron not installed: notapplicable with the reason; unknown: error -------------------------------------


@pytest.mark.skipif(cron_present(), reason="cron is installed on this machine")
def test_cron_controls_not_applicable_without_cron_real_script():
    p = HostProvider()
    target = p.parse_target("local", {})[0]
    coll = p.collect(target, frozenset({"host.os", "host.files", "host.services", "host.packages"}),
                     CollectContext(inputs={}))
    assert [e for e in coll.errors if e.resource_type != "host.services"] == []
    got = evaluate(coll, "host-file-cron-d", "host-file-cron-allow-exists")
    exists = os.path.exists("/etc/cron.d")
    assert got["host-file-cron-d"] == [("notapplicable", "/etc/cron.d",
                                        f"/etc/cron.d: not applicable (exists: {str(exists).lower()}; {CRON_ABSENT})")]
    assert got["host-file-cron-allow-exists"] == [
        ("notapplicable", "/etc/cron.allow", f"/etc/cron.allow: not applicable ({CRON_ABSENT})")]
    if "host.services" in coll.resources:
        assert evaluate(coll, "host-svc-cron-enabled")["host-svc-cron-enabled"] == [
            ("notapplicable", "services", f"services: not applicable ({CRON_ABSENT})")]


@pytest.mark.skipif(cron_present(), reason="cron is installed on this machine")
def test_cli_cron_controls_not_applicable_without_cron(tmp_path):
    db = tmp_path / "cron.db"
    res = govscan("scan", "local", "-c", "host-file-cron-*", "-c", "host-file-crontab", "--db", str(db), "--gate", "none")
    assert res.returncode == 0, res.stdout + res.stderr
    got = rows(db)
    assert set(got) == {"host-file-cron-allow-exists", "host-file-cron-d", "host-file-cron-daily",
                        "host-file-cron-hourly", "host-file-cron-monthly", "host-file-cron-weekly", "host-file-crontab"}
    for cid, found in got.items():
        assert [(s, m.endswith(f"{CRON_ABSENT})")) for s, _, m in found] == [("notapplicable", True)], (cid, found)


def _without_cron(packages_ok: bool):
    """The non-compliant golden host with cron removed; its package list readable or not."""
    text = (GOLDEN / "noncompliant.out").read_text()
    start, end = text.index(f"{MARKER} BEGIN cron\n"), text.index(f"{MARKER} END cron rc=0\n")
    text = text[:start] + f"{MARKER} BEGIN cron\n\n{MARKER} STDERR cron\n\n" + text[end:]
    text = text.replace("cron\t3.0pl1-162\tii \n", "")
    if not packages_ok:
        start = text.index(f"{MARKER} BEGIN packages\n")
        end = text.index(f"{MARKER} END packages rc=0\n") + len(f"{MARKER} END packages rc=0\n")
        text = (text[:start] + f"{MARKER} BEGIN packages\n\n{MARKER} STDERR packages\nno dpkg-query or rpm found\n"
                f"{MARKER} END packages rc=127\n" + text[end:])
    out = parse_output(text, MARKER)
    return HostProvider.parse(out, ["host.os", "host.files", "host.services"])


def test_cron_absent_vs_unknown():
    coll = _without_cron(packages_ok=True)
    assert evaluate(coll, "host-svc-cron-enabled", "host-file-cron-d") == {
        "host-svc-cron-enabled": [("notapplicable", "services", f"services: not applicable ({CRON_ABSENT})")],
        "host-file-cron-d": [("notapplicable", "/etc/cron.d", f"/etc/cron.d: not applicable (exists: true; {CRON_ABSENT})")]}
    coll = _without_cron(packages_ok=False)
    why = ("whether cron is installed is unknown: installed packages could not be read: packages: exit code 127: "
           "no dpkg-query or rpm found")
    assert evaluate(coll, "host-svc-cron-enabled", "host-file-cron-d") == {
        "host-svc-cron-enabled": [("error", "services", f"services: cron_installed could not be read: {why}")],
        "host-file-cron-d": [("error", "/etc/cron.d", f"/etc/cron.d: cron_installed could not be read: {why}")]}
    # a cron binary on PATH is enough even when the package list cannot be read
    text = (GOLDEN / "noncompliant.out").read_text()
    start = text.index(f"{MARKER} BEGIN packages\n")
    end = text.index(f"{MARKER} END packages rc=0\n") + len(f"{MARKER} END packages rc=0\n")
    text = text[:start] + f"{MARKER} BEGIN packages\n\n{MARKER} STDERR packages\n\n{MARKER} END packages rc=127\n" + text[end:]
    coll = HostProvider.parse(parse_output(text, MARKER), ["host.os", "host.services"])
    assert evaluate(coll, "host-svc-cron-enabled")["host-svc-cron-enabled"][0][0] == "fail"


def test_cron_section_prints_the_daemons_found():
    script, marker = build_script(["cron"])
    sec = parse_output(LocalTransport().run_script(script, 20).stdout.decode(), marker).get("cron")
    assert sec.rc == 0
    path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    want = [f"bin {shutil.which(b, path=path)}" for b in ("cron", "crond", "fcron", "bcron-start") if shutil.which(b, path=path)]
    assert [ln for ln in sec.stdout.split("\n") if ln] == want


def test_attr_notchecked_only_touches_controls_that_read_it_and_errors_win():
    import dataclasses

    from scanner.model import Collection, Resource

    base = baseline().controls["host-file-world-writable"]
    res = Resource("filesystem", "host.filesystem", {"walked": False, "unowned_files_count": 0},
                   attr_errors={"ungrouped_files_count": "find failed"},
                   attr_notchecked={"world_writable_files_count": "walk off",
                                    "world_writable_files": "walk off", "ungrouped_files_count": "walk off"})
    coll = Collection(resources={"host.filesystem": [res]}, facts={"platform": "linux"})

    def run(assert_):
        ctl = dataclasses.replace(base, assert_=assert_, result={})
        return [(f.status.value, f.message) for f in evaluate_control(ctl, TARGET, coll)]

    assert run({"key": "world_writable_files_count", "op": "eq", "value": 0}) == [
        ("notchecked", "filesystem: not checked: walk off")]
    assert run({"key": "unowned_files_count", "op": "eq", "value": 0}) == [("pass", "filesystem: " + base.title)]
    assert run({"key": "ungrouped_files_count", "op": "eq", "value": 0}) == [
        ("error", "filesystem: ungrouped_files_count could not be read: find failed")]
    # a scope that reads a not-collected attribute cannot decide either
    ctl = dataclasses.replace(base, scope_where={"key": "world_writable_files", "op": "empty"}, result={},
                              assert_={"key": "unowned_files_count", "op": "eq", "value": 0})
    assert [(f.status.value, f.message) for f in evaluate_control(ctl, TARGET, coll)] == [
        ("notchecked", "filesystem: not checked: walk off")]
