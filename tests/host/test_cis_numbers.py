"""Every CIS Debian 12 number a shipped host control carries is a real CIS Debian Linux 12 Benchmark v1.1.0 id,
and the right one.

The list of valid ids (tests/data/cis_debian12_v1.1.0.csv) was written from the ComplianceAsCode Debian 12
datastream by ``python bench/ssg_datastream.py --write-ids``: the ids its rules carry as CIS benchmark
references, plus the few recommendations no rule carries (named, with the reason, in that script). Each row
lists the SSG rules carrying the id; :data:`SAME_AS` pairs each mapped control with the SSG rule that checks
the same thing, so a control that carries a wrong but existing number (7.2.8 for "system accounts have no
login shell", which is "no duplicate group names") fails here.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from pathlib import Path

import pytest
import yaml

from scanner.policy.loader import load
from scanner.policy.stig import mapping as stig_mapping

ROOT = Path(__file__).resolve().parents[2]
IDS = ROOT / "tests" / "data" / "cis_debian12_v1.1.0.csv"
FRAMEWORK = "cis-debian-12"

#: control -> the SSG rule (datastream short name) checking the same thing; "" where no rule of the datastream
#: carries the control's CIS id (the csv row says in_datastream=no). Reviewed by hand against each rule's title.
#: The table lives in policies/stig/mapping.json (one source of truth: the STIG profiles use it too); the first
#: rule of each control is the one of its CIS number.
#: A host control without a CIS Debian 12 number (RHEL family: host-dnf-gpgcheck, ...) may be in the STIG mapping
#: too (policies/stig/mapping-<area>.json); it has no CIS Debian id to check here.
_NO_DEBIAN_ID = {d["metadata"]["id"] for path in sorted((ROOT / "policies" / "controls" / "host").glob("*.yaml"))
                 for d in yaml.safe_load_all(path.read_text()) if d and FRAMEWORK not in (d.get("mappings") or {})}
SAME_AS: dict[str, str] = {c: (rules[0] if rules else "") for c, rules in stig_mapping().items()
                            if not c.startswith("stig-") and c not in _NO_DEBIAN_ID}  # stig-*: STIG values


@cache
def ids() -> dict[str, dict[str, str]]:
    with open(IDS, newline="") as fh:
        return {row["id"]: row for row in csv.DictReader(line for line in fh if not line.startswith("#"))}


@cache
def mapped() -> dict[str, tuple[str, ...]]:
    """control id -> its cis-debian-12 ids, for every shipped host control, through the project's loader."""
    pset = load([ROOT / "policies" / "controls" / "host"], builtin=False)
    assert not pset.errors, pset.errors
    return {cid: c.mappings[FRAMEWORK] for cid, c in pset.controls.items() if FRAMEWORK in c.mappings}


def test_id_list_is_cis_debian12_v110() -> None:
    rows = ids()
    l1 = [r for r in rows.values() if r["l1_server"] == "yes"]
    assert len(l1) == 251  # the benchmark's Level 1 Server recommendations
    assert sum(r["in_datastream"] == "yes" for r in l1) == 230  # the ids the SSG L1 Server profile selects
    assert all(re.fullmatch(r"[1-7](\.\d+){1,4}", i) for i in rows)
    assert rows["5.4.2.7"]["ssg_rules"] == "no_shelllogin_for_systemaccounts"
    assert rows["7.2.8"]["ssg_rules"] == "group_unique_name"


def test_every_cis_id_of_the_controls_exists() -> None:
    bad = {cid: [i for i in cis if i not in ids()] for cid, cis in mapped().items()}
    assert not {k: v for k, v in bad.items() if v}, "CIS Debian 12 v1.1.0 has no such recommendation"


def test_every_mapped_control_is_reviewed() -> None:
    assert sorted(mapped()) == sorted(SAME_AS), "add the control to SAME_AS with the SSG rule it matches"


@pytest.mark.parametrize("control", sorted(SAME_AS))
def test_cis_id_is_the_one_of_the_same_check(control: str) -> None:
    cis = mapped()[control]
    rule = SAME_AS[control]
    if rule:
        carrying = [i for i in cis if rule in ids()[i]["ssg_rules"].split()]
        assert carrying, f"{control} carries {list(cis)}, but the SSG rule {rule} is under " + \
            str([i for i, row in ids().items() if rule in row["ssg_rules"].split()])
    else:
        assert all(ids()[i]["in_datastream"] == "no" for i in cis)


def test_system_accounts_without_shell_is_5_4_2_7() -> None:
    assert mapped()["host-user-system-no-shell"] == ("5.4.2.7",)
    assert "host-user-system-no-shell" not in [c for c, cis in mapped().items() if "7.2.8" in cis]


COVERAGE_ROWS = (
    ("automated", "oval", "Automated; the SSG datastream checks it (OVAL)"),
    ("automated", "ocil-only", "Automated; the SSG datastream asks an auditor (OCIL only)"),
    ("automated", "none", "Automated; no check in the SSG datastream (no rule, or a rule without one)"),
    ("manual", "oval", "Manual; the SSG datastream checks it anyway (OVAL)"),
    ("manual", "none", "Manual; no check in the SSG datastream"),
)


def coverage_table(level: str = "l1_server") -> str:
    """The Markdown table docs/host.md shows: recommendations of a level, and how many a control carries."""
    rows = [r for r in ids().values() if r[level] == "yes"]
    carried = {i for cis in mapped().values() for i in cis}
    lines = ["| CIS Debian 12 v1.1.0 Level 1 Server | recommendations | carried by a govscan control |",
             "|---|---:|---:|"]
    for status, check, label in COVERAGE_ROWS:
        group = [r for r in rows if (r["cis_status"], r["ssg_check"]) == (status, check)]
        lines.append(f"| {label} | {len(group)} | {sum(r['id'] in carried for r in group)} |")
    lines.append(f"| **All** | **{len(rows)}** | **{sum(r['id'] in carried for r in rows)}** |")
    return "\n".join(lines)


SECTIONS = {"1": "Initial setup", "2": "Services", "3": "Network", "4": "Host based firewall", "5": "Access control",
            "6": "Logging and auditing", "7": "System maintenance"}


def section_table() -> str:
    """Per CIS section and level: automated recommendations carried by a control / automated, manual (reported
    notchecked by the CIS profiles), automated not yet carried (docs/host.md)."""
    carried = {i for cis in mapped().values() for i in cis}
    lines = ["| CIS Debian 12 v1.1.0 section | L1 Server: automated carried / automated | L1 manual | L1 not yet "
             "carried | L2 Server: automated carried / automated | L2 manual | L2 not yet carried |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    total: list[int] = [0] * 8
    for sec, name in SECTIONS.items():
        cells: list[int] = []
        for level in ("l1_server", "l2_server"):
            rows = [r for r in ids().values() if r[level] == "yes" and r["id"].split(".")[0] == sec]
            auto = [r["id"] for r in rows if r["cis_status"] == "automated"]
            cells += [sum(i in carried for i in auto), len(auto), sum(r["cis_status"] == "manual" for r in rows),
                      sum(i not in carried for i in auto)]
        total = [a + b for a, b in zip(total, cells)]
        lines.append(f"| {sec} {name} | {cells[0]} / {cells[1]} | {cells[2]} | {cells[3]} | {cells[4]} / {cells[5]} | "
                     f"{cells[6]} | {cells[7]} |")
    lines.append(f"| **All** | **{total[0]} / {total[1]}** | **{total[2]}** | **{total[3]}** | **{total[4]} / {total[5]}** "
                 f"| **{total[6]}** | **{total[7]}** |")
    return "\n".join(lines)


def test_docs_section_table_is_current() -> None:
    text = (ROOT / "docs" / "host.md").read_text()
    block = text.split("<!-- cis-sections:start -->\n", 1)[1].split("\n<!-- cis-sections:end -->", 1)[0]
    assert block == section_table(), "docs/host.md: paste tests.host.test_cis_numbers.section_table()"


def test_sections_1_to_4_automated_recommendations_are_all_carried() -> None:
    """Every automated Level 1 and Level 2 Server recommendation of sections 1-4 is carried by a control."""
    carried = {i for cis in mapped().values() for i in cis}
    missing = [i for i, r in ids().items() if i.split(".")[0] in "1234" and r["cis_status"] == "automated"
               and "yes" in (r["l1_server"], r["l2_server"]) and i not in carried]
    assert missing == []


def test_docs_coverage_table_is_current() -> None:
    text = (ROOT / "docs" / "host.md").read_text()
    block = text.split("<!-- cis-coverage:start -->\n", 1)[1].split("\n<!-- cis-coverage:end -->", 1)[0]
    assert block == coverage_table(), "docs/host.md: paste tests.host.test_cis_numbers.coverage_table()"
