"""The ``stig`` key of a control: DISA STIG rule identity (Vuln ID, Rule ID, STIG ID, CCIs, CAT).

The schema checks each entry's shape; this module checks what it cannot: the benchmark is one
govscan knows (``policies/stig-benchmarks.json``), the Vuln ID is the number of the Rule ID (DISA's
numbering since the SV- rule ids), a control names a benchmark once, and every control naming the
same Vuln ID of a benchmark agrees on its Rule ID, STIG ID and severity (several controls may each
check part of one STIG rule, each naming the others in ``shared_with``: a checklist then reports the
worst of them, and Not Reviewed when one of them did not run).
The ``shared_with`` partners exist and check the same Vuln ID.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any, Iterator

from scanner.errors import Diagnostic

_SV = re.compile(r"^SV-(\d+)r\d+_rule$")


@functools.lru_cache(maxsize=None)
def benchmarks() -> dict[str, dict[str, str]]:
    """Known STIG benchmarks: key -> {title, stig_id, version, release, source}."""
    import policies

    data = json.loads((policies.ROOT / "stig-benchmarks.json").read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


def entries(document: Any) -> list[dict[str, Any]]:
    """The well-formed ``stig`` entries of a control document (plain data; [] when absent)."""
    raw = (document or {}).get("stig") if isinstance(document, dict) else None
    return [e for e in raw if isinstance(e, dict)] if isinstance(raw, list) else []


def check(pset: Any) -> Iterator[Diagnostic]:
    """Problems with the ``stig`` entries of every control of ``pset``."""
    from scanner.suggest import did_you_mean

    known = benchmarks()
    seen: dict[tuple[str, str], tuple[tuple[str, str, str], str]] = {}
    for (kind, ident), doc in sorted(pset.documents.items()):
        if kind != "Control":
            continue
        named: set[str] = set()
        for n, e in enumerate(entries(doc.data)):
            bench, vuln, rule = e.get("benchmark", ""), e.get("vuln_id", ""), e.get("rule_id", "")
            if bench not in known:
                yield doc.diag(("stig", n, "benchmark"),
                               f"unknown STIG benchmark {bench!r}{did_you_mean(str(bench), known)}")
            if bench in named:
                yield doc.diag(("stig", n, "benchmark"), f"STIG benchmark {bench!r} named twice")
            named.add(bench)
            m = _SV.match(str(rule))
            if m and vuln != f"V-{m.group(1)}":
                yield doc.diag(("stig", n, "vuln_id"), f"Vuln ID {vuln!r} does not match Rule ID {rule!r} "
                               f"(expected 'V-{m.group(1)}')")
            for k, other in enumerate(e.get("shared_with") or ()):
                partner = pset.documents.get(("Control", other))
                if partner is None or not any(p.get("vuln_id") == vuln and p.get("benchmark") == bench
                                              for p in entries(partner.data)):
                    yield doc.diag(("stig", n, "shared_with", k),
                                   f"shared_with names {other!r}, which is not a control checking {vuln} of {bench}")
            identity = (str(rule), str(e.get("stig_id")), str(e.get("severity")))
            first = seen.setdefault((bench, vuln), (identity, ident))
            if first[0] != identity:
                yield doc.diag(("stig", n), f"{vuln} of {bench} is {first[0][0]} {first[0][1]} {first[0][2]} "
                               f"in control {first[1]!r}, but {rule} {identity[1]} {identity[2]} here")
