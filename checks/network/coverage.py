"""What an nmap port scan covered, and the port tables as partial lists (scanner.coverage).

``Coverage`` reads nmap's ``<scaninfo services="...">`` ranges per protocol; ``PortCoverage`` answers
the evaluator's question "were the ports this control is about scanned?" with ``error`` (scanned
protocol, missing ports: named with how to scan them) or ``notchecked`` (a protocol nobody asked for).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from scanner.coverage import Gap
from scanner.model import Status

ALL_PORTS = (1, 65535)
_PROTO_NAMES = {"tcp": "TCP", "udp": "UDP", "sctp": "SCTP"}
_NMAP_FLAG = {"tcp": "T", "udp": "U", "sctp": "S"}


def parse_ranges(text: str) -> tuple[tuple[int, int], ...]:
    """nmap port ranges (``1-1000,1433,5900-5906``) as merged, sorted (low, high) pairs.

    A token that is not a port or range covers nothing (never everything): fail closed.
    """
    spans: list[tuple[int, int]] = []
    for token in (text or "").replace(" ", "").split(","):
        lo, dash, hi = token.partition("-")
        if not lo.isdigit() or (dash and not hi.isdigit()):
            continue
        a, b = int(lo), int(hi) if dash else int(lo)
        if a <= b <= 65535:
            spans.append((a, b))
    merged: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return tuple(merged)


def format_ranges(spans: Iterable[tuple[int, int]]) -> str:
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def _spans(ports: Iterable[int]) -> tuple[tuple[int, int], ...]:
    return parse_ranges(",".join(str(p) for p in ports))


def _covers(spans: Sequence[tuple[int, int]], port: int) -> bool:
    return any(a <= port <= b for a, b in spans)


@dataclass(frozen=True)
class Coverage:
    """What the port scan of one nmap run covered, from its ``<scaninfo>`` elements and arguments."""

    protocols: tuple[str, ...] = ()
    spans: Mapping[str, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    """Protocol -> scanned ports as merged (low, high) ranges."""
    host_timeout: str = ""

    @classmethod
    def of(cls, scaninfo: Sequence[Mapping[str, Any]], args: str) -> Coverage:
        """Merge the run's ``<scaninfo>`` rows (``-sS -sA`` gives two tcp rows) per protocol."""
        texts: dict[str, list[str]] = {}
        for info in scaninfo:
            proto = str(info.get("protocol") or "")
            if proto:
                texts.setdefault(proto, []).append(str(info.get("services") or ""))
        m = _HOST_TIMEOUT.search(args or "")
        return cls(tuple(sorted(texts)), {k: parse_ranges(",".join(v)) for k, v in texts.items()},
                   m.group(1) if m else "")

    @property
    def port_scan(self) -> bool:
        """A port scan ran (nmap -sn, host discovery only, writes no ``<scaninfo>``)."""
        return bool(self.protocols)

    def ports(self, proto: str) -> str | None:
        """Scanned ports of ``proto`` in nmap range syntax; None when the protocol was not scanned."""
        return format_ranges(self.spans[proto]) if proto in self.spans else None

    def count(self, proto: str) -> int:
        return sum(b - a + 1 for a, b in self.spans.get(proto, ()))


_HOST_TIMEOUT = re.compile(r"--host[-_]timeout[= ](\S+)")


@dataclass(frozen=True)
class PortCoverage:
    """The :class:`scanner.coverage.ListCoverage` of a port table (``ports``, ``open_ports``...).

    ``only`` restricts the list to some protocols (``udp_ports`` holds UDP entries only). A protocol
    the scan did not cover at all was not asked for (live: no ``udp_ports`` input; import: no
    ``<scaninfo>`` for it): ``notchecked``. A protocol that was scanned, but not on the ports a
    control is about, is an ``error`` naming those ports and how to scan them.
    """

    cov: Coverage
    source: str
    """``scan`` (live nmap run by govscan) or ``import`` (an nmap XML file)."""
    root: bool = True
    only: tuple[str, ...] = ()
    fields: tuple[str, ...] = ("protocol", "portid")

    def _hint(self, proto: str, ports: str) -> str:
        if self.source == "import":
            flag = "-sU " if proto == "udp" else ""
            return f"scan with nmap {flag}-p {_NMAP_FLAG.get(proto, 'T')}:{ports}"
        name = "udp_ports" if proto == "udp" else "ports"
        hint = f"add them to the input {name} (--input {name}=...)" if ports != "1-65535" else \
            f"scan every port (--input {name}=1-65535, the default)"
        return hint

    def _not_requested(self, proto: str, ports: str) -> Gap:
        label = _PROTO_NAMES.get(proto, proto.upper())
        plural = "," in ports or "-" in ports
        what = f"{label} port{'s' if plural else ''} {ports} {'were' if plural else 'was'} not assessed"
        if self.source == "import":
            how = (f"scan with nmap -sU -p U:{ports} (as root)" if proto == "udp" else
                   f"scan with nmap -p {_NMAP_FLAG.get(proto, 'T')}:{ports}")
            return Gap(Status.NOTCHECKED, f"not checked: this nmap XML has no {label} scan, so {what}; {how}")
        if proto == "udp":
            how = (f"set --input udp_ports={ports} to scan it (nmap -sU)" if self.root else
                   f"set --input udp_ports={ports} and run as root (a UDP scan, nmap -sU, needs root)")
            return Gap(Status.NOTCHECKED, f"not checked: UDP was not scanned (not requested), so {what}; {how}")
        return Gap(Status.NOTCHECKED, f"not checked: {label} was not scanned, so {what}")

    def gap(self, wanted: Mapping[str, frozenset[Any] | None]) -> Gap | None:
        protos = wanted.get("protocol")
        chosen = sorted(p for p in (protos if protos is not None else ("tcp", "udp")) if p in _PROTO_NAMES)
        if self.only:
            chosen = [p for p in chosen if p in self.only]
        nums = wanted.get("portid")
        ports: list[int] | None = None
        if nums is not None:
            ports = sorted({int(n) for n in nums if isinstance(n, int) or (isinstance(n, str) and n.isdigit())})
        found: list[Gap] = []
        for proto in chosen:
            label = _PROTO_NAMES[proto]
            need = format_ranges(_spans(ports)) if ports is not None else "1-65535"
            if not need:
                continue
            if not self.cov.port_scan:
                found.append(Gap(Status.ERROR, "the nmap output does not say which ports were scanned (no "
                                               f"<scaninfo>), so {label} ports {need} cannot be shown closed"))
                continue
            spans = self.cov.spans.get(proto)
            if spans is None:
                found.append(self._not_requested(proto, need))
                continue
            if ports is None:
                if not any(a <= ALL_PORTS[0] and b >= ALL_PORTS[1] for a, b in spans):
                    found.append(Gap(Status.ERROR, f"only {self.cov.count(proto)} of 65535 {label} ports were scanned "
                                                   f"({_short(self.cov.ports(proto) or '')}); this control is about every "
                                                   f"{label} port: {self._hint(proto, '1-65535')}"))
                continue
            missing = [p for p in ports if not _covers(spans, p)]
            if missing:
                text = format_ranges(_spans(missing))
                found.append(Gap(Status.ERROR, f"{label} port{'s' if len(missing) > 1 else ''} {text} "
                                               f"{'were' if len(missing) > 1 else 'was'} not scanned (scanned: "
                                               f"{_short(self.cov.ports(proto) or '')}): {self._hint(proto, text)}"))
        errors = [g for g in found if g.status is Status.ERROR]
        return (errors or found)[0] if found else None


def unscanned_services(cov: Coverage, source: str) -> str | None:
    """Why services may exist that were not seen (a partial TCP scan), or None after a full one."""
    if not cov.port_scan or any(a <= ALL_PORTS[0] and b >= ALL_PORTS[1] for a, b in cov.spans.get("tcp", ())):
        return None  # no port scan at all is a host error already
    how = "scan with nmap -p-" if source == "import" else "scan every port (--input ports=1-65535, the default)"
    return (f"only {cov.count('tcp')} of 65535 TCP ports were scanned ({_short(cov.ports('tcp') or '')}), so services "
            f"on the others were not seen: {how}")


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(",", 1)[0] + ",..."
