"""Markdown renderer (reports/text.py, the lead's): attacker text in resource names never becomes markup.

No markdown library is a dependency, so the checks follow GitHub-flavoured markdown's rules directly:
a table row splits on unescaped pipes, links and images need unescaped brackets, raw HTML needs a
literal '<'. Un-escaping each cell must give back exactly the stored text.
"""

from __future__ import annotations

import html
import re

import pytest

from reports.text import MarkdownRenderer, sort_key
from scanfactory import BUCKET_FORMULA, BUCKET_IMG, BUCKET_XSS, XSS_IMG, XSS_SCRIPT, render

_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


@pytest.fixture(scope="module")
def text(factory_view):
    return render(MarkdownRenderer(), factory_view)


def _findings_rows(text):
    body = text.split("## Findings", 1)[1]
    return [line for line in body.splitlines() if line.startswith("| ") and not line.startswith("| status")]


def _cells(line):
    return [c.strip() for c in _UNESCAPED_PIPE.split(line)[1:-1]]


def _unescape(cell):
    return html.unescape(re.sub(r"\\(.)", r"\1", cell))


def test_no_raw_html_or_links(text):
    assert "<" not in text  # no tag can open: every '<' from data became &lt;
    assert not re.search(r"(?<!\\)\[", text.split("## Findings", 1)[1])  # no link or image can start
    assert XSS_SCRIPT not in text and XSS_IMG not in text


def test_every_findings_row_keeps_five_cells_and_round_trips(text, factory_view):
    rows = _findings_rows(text)
    stored = [(f["control_id"], f["resource_id"], f["message"])
              for f in sorted(factory_view.findings(status=["fail", "error", "waived"]), key=sort_key())]
    assert len(rows) == len(stored)
    for line, (control, resource, message) in zip(rows, stored):
        cells = _cells(line)
        assert len(cells) == 5, line
        assert (_unescape(cells[2]), _unescape(cells[3]), _unescape(cells[4])) == (control, resource, message)


def test_hostile_resources_are_listed(text):
    resources = {_unescape(_cells(line)[3]) for line in _findings_rows(text)}
    assert {BUCKET_XSS, BUCKET_IMG, BUCKET_FORMULA} <= resources
