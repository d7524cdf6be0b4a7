"""Reading the ComplianceAsCode (SSG) Debian 12 datastream: rules, their CIS Debian 12 ids, profiles, checks.

Used by ``bench/host_vs_openscap.py`` (the join on CIS numbers, the judge's audit text) and to write
``tests/data/cis_debian12_v1.1.0.csv`` (``python bench/ssg_datastream.py --write-ids``), the list of valid
CIS Debian Linux 12 Benchmark v1.1.0 ids that tests/host/test_cis_numbers.py checks the controls against.

The datastream is ``/work/shared/data/ssg/ssg-debian12-ds.xml.xz`` (ComplianceAsCode v0.1.81; see the
PROVENANCE.md beside it) unless ``GOVSCAN_SSG_DS`` names another copy (.xml or .xml.xz).
"""

from __future__ import annotations

import argparse
import csv
import lzma
import os
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from xml.etree import ElementTree as ET

ROOT = Path(__file__).resolve().parents[1]
DS_XZ = Path(os.environ.get("GOVSCAN_SSG_DS", "/work/shared/data/ssg/ssg-debian12-ds.xml.xz"))
X = "{http://checklists.nist.gov/xccdf/1.2}"
RULE = "xccdf_org.ssgproject.content_rule_"
PROFILE = "xccdf_org.ssgproject.content_profile_"
CIS_HREF = "https://www.cisecurity.org/benchmark/"
IDS_CSV = ROOT / "tests" / "data" / "cis_debian12_v1.1.0.csv"

#: Level 1 Server recommendations of CIS Debian 12 v1.1.0 that no rule of the datastream carries, with the
#: benchmark's own assessment status. Source: ComplianceAsCode's controls/cis_debian12.yml (the file the
#: datastream's CIS profiles are built from), which lists every recommendation: these have `status: manual`,
#: `planned`, or only `related_rules` there. With the 230 ids the L1 Server profile selects they make 251.
L1_NOT_IN_DATASTREAM: dict[str, str] = {
    **{i: "manual" for i in ("1.1.1.10", "1.2.1.1", "1.2.1.2", "1.2.2.1", "2.1.22", "3.1.1", "4.2.5", "4.3.3",
                             "4.3.7", "4.4.2.3", "4.4.3.3", "6.1.1.2", "6.1.1.3", "6.1.3.5", "6.1.3.6", "6.1.3.8",
                             "7.1.13")},
    # automated in the benchmark; no rule of this datastream carries them (2.3.2.2 and 2.3.3.3 are "implemented
    # in 2.3.1.1" there; 1.5.4 prelink and 1.5.5 apport have no Debian 12 rule in v0.1.81)
    **{i: "automated" for i in ("1.5.4", "1.5.5", "2.3.2.2", "2.3.3.3")},
}
#: Recommendations the benchmark marks (Manual) although ComplianceAsCode checks them with rules.
MANUAL_WITH_RULES = frozenset({"5.3.3.2.3", "5.4.1.2", "6.1.2.1.2"})
#: Level 2 Server recommendations no rule carries: 6.2.3.21 is manual in the benchmark; 1.1.1.7 (squashfs)
#: has only a related rule there ("inherently met" when the kernel builds squashfs in).
L2_NOT_IN_DATASTREAM = {"1.1.1.7": "automated", "6.2.3.21": "manual"}


@dataclass(frozen=True)
class Rule:
    name: str
    """Short name (without the xccdf_org.ssgproject.content_rule_ prefix)."""
    title: str
    cis: tuple[str, ...]
    checks: tuple[str, ...]
    """Check systems: "oval", "ocil", "sce"."""
    description: str
    ocil: str
    """The OCIL question text (what an auditor is told to check), if the rule has one."""


def cis_key(cis_id: str) -> tuple[int, ...]:
    return tuple(int(p) for p in cis_id.split("."))


@cache
def root() -> ET.Element:
    path = DS_XZ
    if not path.exists():
        raise SystemExit(f"{path} not found (set GOVSCAN_SSG_DS to the Debian 12 datastream, .xml or .xml.xz)")
    opener = lzma.open if path.suffix == ".xz" else open
    with opener(path, "rb") as fh:
        return ET.parse(fh).getroot()


def _text(el: ET.Element | None) -> str:
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


@cache
def rules() -> dict[str, Rule]:
    ocil_ns = "{http://scap.nist.gov/schema/ocil/2.0}"
    questions = {q.get("id"): _text(q.find(f"{ocil_ns}question_text")) for q in root().iter(f"{ocil_ns}boolean_question")}
    questionnaire_q = {}
    for qn in root().iter(f"{ocil_ns}questionnaire"):
        ref = qn.find(f"{ocil_ns}actions/{ocil_ns}test_action_ref")
        qn_id = qn.get("id", "")
        if ref is not None:
            questionnaire_q[qn_id] = ref.text or ""
    tests = {t.get("id"): t.get("question_ref") for t in root().iter(f"{ocil_ns}boolean_question_test_action")}
    bench = next(root().iter(f"{X}Benchmark"))
    out = {}
    for r in bench.iter(f"{X}Rule"):
        name = (r.get("id") or "").removeprefix(RULE)
        cis = tuple(e.text or "" for e in r.findall(f"{X}reference") if (e.get("href") or "").startswith(CIS_HREF))
        checks, ocil = [], ""
        for c in r.findall(f"{X}check"):
            system = c.get("system") or ""
            kind = "oval" if "oval" in system else "ocil" if "ocil" in system else "sce" if "sce" in system else system
            checks.append(kind)
            ref = c.find(f"{X}check-content-ref")
            if kind == "ocil" and ref is not None:
                qn = ref.get("name", "")
                ocil = questions.get(tests.get(questionnaire_q.get(qn, ""), ""), "") or ocil
        out[name] = Rule(name, _text(r.find(f"{X}title")), cis, tuple(checks), _text(r.find(f"{X}description")), ocil)
    return out


@cache
def profile_rules(profile: str) -> tuple[str, ...]:
    """Short names of the rules a profile selects (e.g. ``cis_level1_server``)."""
    bench = next(root().iter(f"{X}Benchmark"))
    for p in bench.iter(f"{X}Profile"):
        if p.get("id") == PROFILE + profile:
            return tuple((s.get("idref") or "").removeprefix(RULE) for s in p.findall(f"{X}select")
                         if s.get("selected") == "true")
    raise SystemExit(f"profile {profile} not in {DS_XZ}")


def profile_ids(profile: str) -> dict[str, tuple[str, ...]]:
    """CIS id -> the profile's rules carrying it."""
    out: dict[str, list[str]] = {}
    for name in profile_rules(profile):
        for cis_id in rules()[name].cis:
            out.setdefault(cis_id, []).append(name)
    return {k: tuple(v) for k, v in sorted(out.items(), key=lambda kv: cis_key(kv[0]))}


def write_ids(path: Path = IDS_CSV) -> int:
    """Write the CIS id list (one row per id) that the tests check the controls' mappings against."""
    carried: dict[str, list[str]] = {}
    for r in rules().values():
        for cis_id in r.cis:
            carried.setdefault(cis_id, []).append(r.name)
    l1, l2 = profile_ids("cis_level1_server"), profile_ids("cis_level2_server")
    rows = []
    for cis_id in sorted(set(carried) | set(L1_NOT_IN_DATASTREAM) | set(L2_NOT_IN_DATASTREAM), key=cis_key):
        selected = l1.get(cis_id) or l2.get(cis_id) or ()
        kinds = {k for n in selected for k in rules()[n].checks}
        rows.append({
            "id": cis_id,
            "in_datastream": "yes" if cis_id in carried else "no",
            "l1_server": "yes" if cis_id in l1 or cis_id in L1_NOT_IN_DATASTREAM else "no",
            "l2_server": "yes" if cis_id in l2 or cis_id in l1 or cis_id in L1_NOT_IN_DATASTREAM
            or cis_id in L2_NOT_IN_DATASTREAM else "no",
            "cis_status": "manual" if cis_id in MANUAL_WITH_RULES or (L1_NOT_IN_DATASTREAM | L2_NOT_IN_DATASTREAM)
            .get(cis_id) == "manual" else "automated",
            "ssg_check": "oval" if "oval" in kinds else "ocil-only" if kinds else "none",
            "ssg_rules": " ".join(sorted(carried.get(cis_id, []))),
        })
    with open(path, "w", newline="") as fh:
        fh.write("# CIS Debian Linux 12 Benchmark v1.1.0 ids, written by `python bench/ssg_datastream.py --write-ids`\n"
                 "# from ssg-debian12-ds.xml (ComplianceAsCode v0.1.81): ids its rules carry (in_datastream=yes)\n"
                 "# plus the L1/L2 Server recommendations no rule carries (bench/ssg_datastream.py says why).\n"
                 "# ssg_check: the strongest check among the CIS L1 (else L2) Server profile's rules for the id.\n")
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-ids", action="store_true", help=f"write {IDS_CSV.relative_to(ROOT)}")
    args = parser.parse_args()
    if args.write_ids:
        print(f"{write_ids()} ids -> {IDS_CSV}")
    else:
        l1 = profile_ids("cis_level1_server")
        print(f"{len(rules())} rules; CIS L1 Server profile: {len(profile_rules('cis_level1_server'))} rules, "
              f"{len(l1)} CIS ids", file=sys.stdout)
