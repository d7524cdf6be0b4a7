"""The ``json`` renderer: the whole scan as one JSON document (streamed, finding by finding)."""

from __future__ import annotations

import json
from typing import IO, Any

from reports.base import Renderer


class JsonRenderer(Renderer):
    """``{"scan": ..., "targets": [...], "controls": [...], "waivers": [...], "exclusions": [...], "findings": [...]}``."""

    name = "json"
    extension = "json"
    description = "JSON: scan, targets, controls, waivers, exclusions and findings with evidence"

    def render(self, view: Any, out: IO[str]) -> None:
        dump = lambda o: json.dumps(o, ensure_ascii=False, sort_keys=True, default=str)  # noqa: E731
        controls = [c.columns() for c in view.controls.values()]
        documents = {ident: json.loads(text) for ident, _sha, text in view.documents("waivers")}
        head = {
            "scan": {k: v for k, v in view.scan.items() if k not in ("pid", "hostname")},
            "counts": view.counts(),
            "targets": [{k: v for k, v in t.items() if k != "scan_id"} for t in view.targets],
            "controls": controls,
            "waivers": [{**w.columns(), "document": documents.get(w.id)} for w in view.waivers],
            "exclusions": [{k: v for k, v in e.items() if k != "scan_id"} for e in view.exclusions],
        }
        text = dump(head)
        out.write(text[:-1] + ', "findings": [')
        first = True
        for f in view.findings():
            row = {k: v for k, v in f.items() if k not in ("scan_id",)}
            evidence = view.evidence(f.evidence_sha256)
            row["evidence"] = dict(evidence) if evidence is not None else None
            out.write(("\n" if first else ",\n") + dump(row))
            first = False
        out.write("\n]}\n")
