"""Write the DISA STIG rule catalogues govscan ships (policies/stig/<benchmark>.json) from ComplianceAsCode.

Rerun: ``python bench/stig_datastream.py`` (reads ``/work/shared/data/ssg/ssg-ubuntu2204-ds.xml.xz`` and
``ssg-rhel9-ds.xml.xz``, or the directory ``GOVSCAN_SSG_DIR`` names; ``--check`` compares instead of writing).

For every rule the datastream's ``stig`` profile selects, the rule's DISA references give the STIG rule it
implements: the Rule ID (``SV-NNNNNNrNNNNNN_rule``, whose number is the Vuln ID ``V-NNNNNN``), the STIG ID
(``UBTU-22-...``, ``RHEL-09-...``) and the SRG ids; the XCCDF severity gives the CAT (high: CAT I, medium:
CAT II, low: CAT III). Several ComplianceAsCode rules may implement one STIG rule (all of them must hold);
the catalogue is keyed by Vuln ID and lists them. Only identities and a short title are copied, no rule text.
The datastreams carry no CCI; the SRG ids are kept instead (a CCI list can be added to a control inline).
The profile's variable values (``refine-value``) are kept too: the mapping review compares them with the
values the govscan controls require (policies/stig/mapping.json).
"""

from __future__ import annotations

import argparse
import json
import lzma
import os
import re
import sys
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

ROOT = Path(__file__).resolve().parents[1]
SSG_DIR = Path(os.environ.get("GOVSCAN_SSG_DIR", "/work/shared/data/ssg"))
X = "{http://checklists.nist.gov/xccdf/1.2}"
RULE = "xccdf_org.ssgproject.content_rule_"
VALUE = "xccdf_org.ssgproject.content_value_"
PROFILE = "xccdf_org.ssgproject.content_profile_stig"
#: benchmark key (policies/stig-benchmarks.json) -> (datastream file, STIG ID prefix)
BENCHMARKS = {"ubuntu-22.04": ("ssg-ubuntu2204-ds.xml.xz", "UBTU-22-"), "rhel-9": ("ssg-rhel9-ds.xml.xz", "RHEL-09-")}
CAT = {"high": "CAT I", "medium": "CAT II", "low": "CAT III"}
SV = re.compile(r"^SV-(\d+)r\d+_rule$")
SRG = re.compile(r"^SRG-[A-Z]+-\d+-[A-Z]+-\d+$")


def parse(path: Path) -> ET.Element:
    with (lzma.open(path, "rb") if path.suffix == ".xz" else open(path, "rb")) as fh:
        return ET.parse(fh).getroot()


def catalogue(root: ET.Element, prefix: str) -> dict[str, Any]:
    """The STIG profile of one datastream as govscan's catalogue (see the module doc)."""
    bench = next(root.iter(f"{X}Benchmark"))
    prof = next(p for p in bench.iter(f"{X}Profile") if p.get("id") == PROFILE)
    selected = {(s.get("idref") or "").removeprefix(RULE) for s in prof.findall(f"{X}select")
                if s.get("selected") == "true"}
    rules: dict[str, dict[str, Any]] = {}
    unidentified: list[str] = []
    for r in bench.iter(f"{X}Rule"):
        name = (r.get("id") or "").removeprefix(RULE)
        if name not in selected:
            continue
        refs = [(e.text or "").strip() for e in r.findall(f"{X}reference") if "cyber.mil" in (e.get("href") or "")]
        # a rule implementing several STIG rules (8 RHEL 9 GNOME rules) lists their SV and STIG ids without
        # saying which goes with which: they are paired in numeric order (DISA numbers both in sequence)
        svs = sorted((t for t in refs if SV.match(t)), key=lambda t: int(SV.match(t).group(1)))  # type: ignore[union-attr]
        stig_ids = sorted(t for t in refs if t.startswith(prefix))
        if not svs or not stig_ids:
            unidentified.append(name)
            continue
        severity = CAT.get(r.get("severity") or "", "")
        t = r.find(f"{X}title")
        title = " ".join("".join(t.itertext()).split()) if t is not None else ""
        for n, sv in enumerate(svs):
            stig_id = stig_ids[n] if len(stig_ids) == len(svs) else stig_ids[0]
            vuln = "V-" + SV.match(sv).group(1)  # type: ignore[union-attr]
            entry = rules.setdefault(vuln, {"rule_id": sv, "stig_id": stig_id, "severity": severity,
                                            "srg": [], "cac_rules": [], "title": title})
            if entry["rule_id"] != sv:
                raise SystemExit(f"{vuln}: two rule ids {entry['rule_id']} {sv}")
            entry["cac_rules"] = sorted({*entry["cac_rules"], name})
            entry["srg"] = sorted({*entry["srg"], *(t for t in refs if SRG.match(t))})
            if CAT_RANK.get(severity, 0) > CAT_RANK.get(entry["severity"], 0):
                entry["severity"] = severity  # the rules of one STIG rule disagree: the STIG's worst
    values = {(v.get("idref") or "").removeprefix(VALUE): v.get("selector") or ""
              for v in prof.findall(f"{X}refine-value")}
    return {"profile": " ".join((prof.findtext(f"{X}title") or "").split()),
            "selected_rules": len(selected), "unidentified_rules": sorted(unidentified),
            "values": dict(sorted(values.items())),
            "rules": dict(sorted(rules.items(), key=lambda kv: int(kv[0][2:])))}


CAT_RANK = {"CAT III": 1, "CAT II": 2, "CAT I": 3}


def build(key: str) -> dict[str, Any]:
    fname, prefix = BENCHMARKS[key]
    path = SSG_DIR / fname
    if not path.exists():
        raise SystemExit(f"{path} not found (set GOVSCAN_SSG_DIR to the directory of the SSG datastreams)")
    data = catalogue(parse(path), prefix)
    return {"_comment": f"Written by `python bench/stig_datastream.py` from {fname} (profile {PROFILE}); "
                        "identities only: see bench/stig_datastream.py.", "benchmark": key, **data}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="compare with the shipped catalogues, write nothing")
    args = ap.parse_args(argv)
    stale = 0
    for key in BENCHMARKS:
        out = ROOT / "policies" / "stig" / f"{key}.json"
        text = json.dumps(build(key), indent=1, sort_keys=False) + "\n"
        if args.check:
            if not out.exists() or out.read_text(encoding="utf-8") != text:
                print(f"{out}: differs from the datastream", file=sys.stderr)
                stale += 1
            continue
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        print(f"{out}: {len(json.loads(text)['rules'])} STIG rules")
    names: set[str] = set()
    for fname in ("ssg-debian12-ds.xml.xz", *(f for f, _ in BENCHMARKS.values())):
        bench = next(parse(SSG_DIR / fname).iter(f"{X}Benchmark"))
        names.update((r.get("id") or "").removeprefix(RULE) for r in bench.iter(f"{X}Rule"))
    out = ROOT / "policies" / "stig" / "cac-rules.json"
    text = json.dumps({"_comment": "Every rule id of the Debian 12, Ubuntu 22.04 and RHEL 9 datastreams "
                                   "(bench/stig_datastream.py): what policies/stig/mapping.json may name.",
                       "rules": sorted(names)}, indent=0) + "\n"
    if args.check:
        stale += out.read_text(encoding="utf-8") != text if out.exists() else 1
    else:
        out.write_text(text, encoding="utf-8")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
