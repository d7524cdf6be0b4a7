"""Parser for host.apt: APT sources trusted without a signature, and options accepting unauthenticated packages.

A one-line source (``deb [trusted=yes] http://...``) or a deb822 ``Trusted: yes`` makes apt install that
repository's packages without checking a signature; ``APT::Get::AllowUnauthenticated``,
``Acquire::AllowInsecureRepositories`` and ``Acquire::AllowDowngradeToInsecureRepositories`` set true do the same
for every source. Files that do not exist add nothing (no source is the compliant state); a file that could not
be read makes the type an error.
"""

from __future__ import annotations

import re

from checks.host.parsers import FactError
from checks.host.parsers.common import require
from checks.host.parsers.firewall import unread_reason
from checks.host.script import Output, split_files
from scanner.model import Resource

_INSECURE = re.compile(r"\b(APT::Get::AllowUnauthenticated|Acquire::AllowInsecureRepositories|"
                       r"Acquire::AllowDowngradeToInsecureRepositories|AllowUnauthenticated|AllowInsecureRepositories|"
                       r"AllowDowngradeToInsecureRepositories)\b\s*\"?(true|yes|1|on)\"?", re.I)


def parse_apt(out: Output) -> list[Resource]:
    _, chunks = split_files(require(out.get("apt"), "APT configuration"), out.marker)
    unsigned: list[str] = []
    insecure: list[str] = []
    sources: dict[str, tuple[dict[str, object], ...]] = {}
    for c in chunks:
        if c.state not in ("ok", "missing"):
            raise FactError(f"APT configuration: {unread_reason(c, c.path.rstrip('/'))}")
        if c.state != "ok" or c.path.endswith("/"):
            continue
        for n, raw in enumerate(c.text.split("\n"), 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            where = {"path": c.path, "line": n}
            if c.path.endswith(".list") or c.path == "/etc/apt/sources.list":
                m = re.match(r"deb(-src)?\s+\[([^\]]*)\]", line)
                if m and re.search(r"(^|\s)trusted=(yes|true)(\s|$)", m.group(2), re.I):
                    unsigned.append(f"{c.path}:{n}: {line[:120]}")
                    sources["unsigned_sources"] = (*sources.get("unsigned_sources", ()), where)
            elif c.path.endswith(".sources"):
                if re.match(r"Trusted\s*:\s*(yes|true)\s*$", line, re.I):
                    unsigned.append(f"{c.path}:{n}: {line[:120]}")
                    sources["unsigned_sources"] = (*sources.get("unsigned_sources", ()), where)
            elif _INSECURE.search(line):
                insecure.append(f"{c.path}:{n}: {line[:120]}")
                sources["insecure_options"] = (*sources.get("insecure_options", ()), where)
    return [Resource("apt", "host.apt", {"unsigned_sources": unsigned, "insecure_options": insecure}, sources=sources)]
