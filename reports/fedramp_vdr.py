"""``fedramp-vdr``: failed and stale validations as a FedRAMP Vulnerability Detail Report.

The JSON follows FedRAMP's ``fedramp-vulnerability-detail-report-schema-2026-06-24.json`` (VER-RPT-VDT):
one ``vulnerabilityDetail`` per POA&M item of the ledger (:mod:`scanner.ledger_poam`) with activity in
the report period: its id, when it was detected (first seen) and by what, a description, the
deadline as ``overdueStatus``, and ``finalDisposition: Fully Mitigated`` once a later scan passed.
govscan does not know internet reachability, exploitability or the Potential Agency Impact a provider
assigns in context, so those optional fields are left out; the severity and the N-rating the deadline
assumed are in ``supplementaryRiskInformation``.

``certificationPackageOverviewUri`` is required by the schema and only the provider knows it:
``--package-uri`` on ``govscan status``, or the environment variable ``GOVSCAN_FEDRAMP_PACKAGE_URI``.
"""

from __future__ import annotations

import json
import os
from typing import IO, Any

from reports.base import Renderer

ENV_URI = "GOVSCAN_FEDRAMP_PACKAGE_URI"


def package_uri(given: str | None) -> str:
    """The certification package overview URI: given, or from the environment; an absolute URI."""
    import urllib.parse

    from scanner.errors import UsageError

    uri = given or os.environ.get(ENV_URI) or ""
    parts = urllib.parse.urlsplit(uri)
    if not uri:
        raise UsageError(f"fedramp-vdr needs the certification package overview URI: --package-uri URI "
                         f"(govscan status), -O package-uri=URI (govscan report/scan) or {ENV_URI}=URI "
                         "(FedRAMP's schema requires certificationPackageOverviewUri)")
    if not parts.scheme or not (parts.netloc or parts.path) or any(c.isspace() for c in uri):
        raise UsageError(f"package URI {uri!r}: expected an absolute URI such as https://example.gov/package")
    return uri


def document(ledger: Any, poam: list[Any], uri: str, period_from: str | None = None) -> dict[str, Any]:
    """The VDR document for ``poam`` items with activity from ``period_from`` (default: the first item,
    or the ledger time) to the ledger's ``as_of``."""
    import scanner

    to = ledger.as_of
    start = period_from or min([i.first_seen for i in poam] + [to])
    vulns = []
    for item in poam:
        if item.first_seen > to or (item.closed is not None and item.closed < start):
            continue
        vulns.append(_detail(item, ledger, scanner.__version__))
    return {"certificationPackageOverviewUri": uri, "reportPeriod": {"from": start, "to": to},
            "vulnerabilities": vulns}


def _detail(item: Any, ledger: Any, version: str) -> dict[str, Any]:
    from scanner.ksi import N_RATING, class_rules

    klass = (ledger.klass or "b").upper()
    what = {"fail": "fails", "error": "could not be evaluated", "notchecked": "was not assessed",
            "stale": "has no validation within its max_age"}[item.reason]
    target = item.target or "(no target)"
    desc = (f"govscan control {item.control} ({item.title}) {what} on {target} since {item.first_seen}; "
            f"{len(item.history)} recorded result{'s' if len(item.history) != 1 else ''}, the latest "
            f"{item.history[-1]['result'] if item.history else 'none'}.")
    detail: dict[str, Any] = {
        "providerTrackingId": item.id,
        "detection": {"detectedAt": item.first_seen,
                      "detectionSource": f"govscan {version} persistent validation (control {item.control})"},
        "vulnerabilityDescription": desc,
        "evaluationCompletedAt": item.first_seen,
        "supplementaryRiskInformation": (
            f"severity {item.severity}, taken as N{N_RATING.get(item.severity, 5)}; deadline "
            f"{item.deadline or 'none (N1)'} from {class_rules(ledger.klass)['remediation_rule']} (Class {klass}, "
            f"internet-reachable likely-exploitable timeframe)"),
    }
    overdue = item.overdue(ledger.as_of)
    detail["overdueStatus"] = ({"isOverdue": True, "explanation": f"deadline {item.deadline} passed while open"}
                               if overdue else {"isOverdue": False})
    if item.closed:
        detail["finalDisposition"] = "Fully Mitigated"
    return detail


class FedrampVdrRenderer(Renderer):
    """The ledger as of the scan rendered (every control that scan ran, every target in the store's
    history), as a FedRAMP Vulnerability Detail Report."""

    name = "fedramp-vdr"
    extension = "json"
    description = "FedRAMP 20x Vulnerability Detail Report (VER-RPT-VDT JSON): failed and stale validations"
    options = {"package-uri": f"the certification package overview URI (default: ${ENV_URI})"}

    def render(self, view: Any, out: IO[str]) -> None:
        from scanner import ledger as _ledger
        from scanner.ledger_poam import items

        uri = package_uri(self.option("package-uri"))
        as_of = _ledger.parse_time(view.scan.get("finished") or view.scan["started"], "scan time")
        controls = {cid: _ledger.ControlInfo.of(c) for cid, c in view.controls.items()}
        led = _ledger.build(view.store, as_of=as_of, controls=controls)
        json.dump(document(led, items(led), uri), out, indent=1, ensure_ascii=False)
        out.write("\n")
