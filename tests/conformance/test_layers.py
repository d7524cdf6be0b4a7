"""Imports run down the layers: nothing in ``scanner/`` outside the CLI imports ``reports`` or
``checks`` (providers and renderers are found through entry points, never imported by name)."""

from __future__ import annotations

import ast
from pathlib import Path

SCANNER = Path(__file__).resolve().parents[2] / "scanner"
UPPER = ("reports", "checks")


def _imports(path: Path) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module))
    return out


def test_the_library_never_imports_a_renderer_or_a_provider():
    bad = [f"{path.relative_to(SCANNER.parent)}:{line}: imports {name}"
           for path in sorted(SCANNER.rglob("*.py")) if "cli" not in path.relative_to(SCANNER).parts[:1]
           for line, name in _imports(path) if name.split(".")[0] in UPPER]
    assert bad == []


def test_the_check_sees_imports_inside_functions(tmp_path):
    sample = tmp_path / "m.py"
    sample.write_text("def f():\n    from reports.oscal import x\n    import checks.host\n")
    assert _imports(sample) == [(2, "reports.oscal"), (3, "checks.host")]
