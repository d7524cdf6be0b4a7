"""The fact script is facts.sh + every facts_*.sh + run_sections.sh in one shell: a section function defined in two
files would silently be the later one, and the other area's parser would read output it does not expect."""

import collections
import re
from pathlib import Path

from checks.host.provider import HostProvider

HOST = Path(__file__).resolve().parents[2] / "checks" / "host"
DEFINITION = re.compile(r"^sec_([a-z0-9_]+)\(\)\s*\{", re.M)


def defined() -> collections.Counter[str]:
    return collections.Counter(m.group(1) for path in sorted(HOST.glob("facts*.sh"))
                               for m in DEFINITION.finditer(path.read_text()))


def test_every_section_is_defined_once():
    sections = defined()
    assert sections, "no section found: the pattern no longer matches the scripts"
    assert [name for name, n in sections.items() if n > 1] == []


def test_every_section_a_type_reads_is_defined():
    sections = defined()
    missing = {(kind.name, name) for kind in HostProvider().kinds() for name in getattr(kind, "sections", ()) or ()
               if name not in sections}
    assert missing == set()
    assert len(sections) > 40
