"""Regenerate golden/expected.json from the current parsers and controls (review the diff before committing):
``python tests/host/regen_golden.py``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from golden_support import GOLDEN, evaluate_golden  # noqa: E402


def main() -> None:
    table = {case: {f"{f.control_id} {f.resource_id}": [f.status.value, f.message] for f in evaluate_golden(case)}
             for case in ("compliant", "noncompliant")}
    (GOLDEN / "expected.json").write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
