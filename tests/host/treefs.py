"""Small filesystem trees for ``rootfs:`` tests, and the CLI run on them.

A tree maps absolute paths to content: text, ``"-> target"`` for a symbolic link, or ``("text", 0o600)``
with a mode, ``"/"`` for an empty directory. :func:`build` writes it under a directory; :func:`govscan` runs the real CLI (as uid 65534
when asked, through tests/reports/realscan.py) and :func:`findings` reads the stored findings back through
``govscan findings --json``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def _realscan() -> Any:
    if "realscan" in sys.modules:
        return sys.modules["realscan"]
    spec = importlib.util.spec_from_file_location("realscan", REPO / "tests" / "reports" / "realscan.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["realscan"] = mod
    spec.loader.exec_module(mod)
    return mod


def build(tree: Mapping[str, Any], root: Path) -> Path:
    """Write ``tree`` under ``root`` (directories 0755, files 0644 unless a mode is given)."""
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)
    modes: dict[Path, int] = {}
    for path, content in tree.items():
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        mode = None
        if isinstance(content, tuple):
            content, mode = content
        if content.startswith("-> "):
            os.symlink(content[3:], target)
            continue
        if content == "/":  # a directory
            target.mkdir(exist_ok=True)
        else:
            target.write_text(content)
        if mode is not None:
            modes[target] = mode
    for d, _, files in os.walk(root):
        os.chmod(d, 0o755)
        for f in files:
            p = os.path.join(d, f)
            if not os.path.islink(p):
                os.chmod(p, 0o644)
    for p, mode in modes.items():
        p.chmod(mode)
    return root


def govscan(args: list[str], cwd: Path, *, as_nobody: bool = False) -> Any:
    """The CLI run in a subprocess (``.returncode``, ``.stdout``, ``.stderr``)."""
    return _realscan().govscan(args, cwd, as_nobody=as_nobody)


def findings(db: Path, cwd: Path) -> list[dict[str, Any]]:
    run = govscan(["findings", "--db", str(db), "--json"], cwd)
    assert run.returncode == 0, run.stderr
    return [json.loads(line) for line in run.stdout.splitlines() if line.strip()]


def by_control(rows: list[dict[str, Any]]) -> dict[str, list[tuple[str, str, str]]]:
    """control -> sorted [(resource, status, message)]."""
    out: dict[str, list[tuple[str, str, str]]] = {}
    for f in rows:
        out.setdefault(f["control_id"], []).append((f["resource_id"], f["status"], f["message"]))
    return {k: sorted(v) for k, v in out.items()}
