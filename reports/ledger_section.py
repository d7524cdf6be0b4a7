"""The FedRAMP 20x ledger as a section of the HTML report (see :mod:`scanner.ledger`).

Shown only when a control of the scan maps to a KSI. The ledger is computed over the store as of the
scan's seal time, for the controls that scan ran; the class is read from the scan's profile when it
is a shipped ``fedramp-20x-class-*`` profile (a renderer reads the store, not today's policy files),
otherwise Class B's rules apply and the section says so (``govscan status -p PROFILE`` applies a
tailored profile's class).
"""

from __future__ import annotations

import re
from typing import Any

MAX_ROWS = 200
"""Stale or failing validations listed; beyond that the section points to ``govscan status``."""


def context(view: Any) -> dict[str, Any] | None:
    """What the template's ledger section shows, or None when no control of the scan maps to a KSI."""
    from scanner import ledger as _ledger
    from scanner.ksi import FRAMEWORK
    from scanner.ledger_poam import items

    if not any(c.mappings.get(FRAMEWORK) for c in view.controls.values()):
        return None
    found = re.findall(r"(?:^|\+)fedramp-20x-class-([bc])(?=\+|$)", view.scan.get("profile") or "")
    klass = max(found) if found else None
    as_of = _ledger.parse_time(view.scan.get("finished") or view.scan["started"], "scan time")
    controls = {cid: _ledger.ControlInfo.of(c) for cid, c in view.controls.items()}
    led = _ledger.build(view.store, as_of=as_of, controls=controls, klass=klass)
    poam = items(led)
    failing = led.failing
    return {
        "as_of": led.as_of, "klass": klass, "chain_head": led.chain_head, "total": len(led.rows),
        "failing": failing[:MAX_ROWS], "failing_count": len(failing),
        "stale_count": sum(1 for r in led.rows if r.stale),
        "ksis": [{"id": cov.id, "name": cov.name, "state": led.ksi_state(cov, rows), "methods": len(cov.methods),
                  "required": cov.required} for cov, rows in led.ksis if cov.methods],
        "poam_open": sum(1 for i in poam if i.status == "open"), "poam_overdue": sum(1 for i in poam if i.overdue(led.as_of)),
        "max_rows": MAX_ROWS,
    }
