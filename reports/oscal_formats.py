"""The OSCAL report formats: assessment plan (``oscal-ap``), assessment results (``oscal-ar``), POA&M
(``oscal-poam``), each a complete document that resolves its own references where it is written.

Options (``-O NAME=VALUE``, unscoped reaches all three): ``system-id`` (the system's identifier, e.g.
a FedRAMP id ``F01234567``; default: a uuid derived from the scanned targets), ``system-id-type`` (its
identifier-type URI; default FedRAMP's for a non-uuid id), ``ssp`` (href of the system security plan,
imported by the plan and the POA&M). ``evidence-pack`` is set by ``govscan evidence pack``: the AR then
imports ``assessment-plan.json`` and links ``evidence/<sha256>.json``, which the pack holds beside it.
"""

from __future__ import annotations

from typing import IO, Any, Callable, ClassVar

from reports.base import Renderer
from reports.oscal import OSCAL_VERSION, OscalBuilder, builder, dump, for_version
from scanner.store import ScanView

OPTIONS = {
    "system-id": "identifier of the assessed system (e.g. a FedRAMP id); default: a uuid of the scanned targets",
    "system-id-type": "identifier-type URI of system-id (default: FedRAMP's, or RFC 4122 for a uuid)",
    "ssp": "href of the system security plan the assessment plan and POA&M import",
    "evidence-pack": "true inside an evidence pack: reference assessment-plan.json and evidence/ beside the file",
}


class _OscalRenderer(Renderer):
    options = OPTIONS
    extension = "json"
    oscal_version = OSCAL_VERSION
    """``--oscal-version`` (1.1.3, or 1.1.2 for importers that still require it)."""
    document: ClassVar[Callable[[OscalBuilder], dict[str, Any]]]
    """The builder's method that makes this format's document."""

    def check_options(self) -> None:
        self.flag("evidence-pack")

    def builder(self, view: ScanView) -> OscalBuilder:
        return builder(view, system_id=self.option("system-id"), system_id_type=self.option("system-id-type"),
                       ssp_href=self.option("ssp"), in_pack=self.flag("evidence-pack"))

    def render(self, view: ScanView, out: IO) -> None:
        dump(for_version(type(self).document(self.builder(view)), self.oscal_version), out)


class AssessmentPlanRenderer(_OscalRenderer):
    """OSCAL 1.1.3 assessment plan: the controls and targets the scan was set to assess."""

    name, description, document = "oscal-ap", "OSCAL 1.1.3 assessment plan", OscalBuilder.assessment_plan


class AssessmentResultsRenderer(_OscalRenderer):
    """OSCAL 1.1.3 assessment results (the plan embedded in back-matter, or beside it in a pack)."""

    name, description, document = "oscal-ar", "OSCAL 1.1.3 assessment results", OscalBuilder.assessment_results


class PoamRenderer(_OscalRenderer):
    """OSCAL 1.1.3 plan of action and milestones: open failures, approved deviations, what was not assessed."""

    name, description, document = "oscal-poam", "OSCAL 1.1.3 POA&M", OscalBuilder.poam
