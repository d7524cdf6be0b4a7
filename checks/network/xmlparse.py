"""Safe, streaming parser for nmap's XML output (``nmap -oX``), any nmap version from 4.x to 7.x.

The parser turns each ``<host>`` into a plain dict as soon as it is complete and drops the element,
so a 10,000-host file is read in bounded memory. Safety: nmap files start with ``<!DOCTYPE
nmaprun>``, which is allowed, but any entity declaration (internal or external) is refused and
external entities are never fetched, so a hostile "nmap file" cannot expand or read anything.

Every problem is an :class:`~scanner.errors.InputFileError` naming ``file:line:col``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.parsers import expat

from scanner.errors import InputFileError

CHUNK = 1 << 16


@dataclass
class NmapRun:
    """The run-level facts of one nmap XML file plus its hosts (when collected)."""

    source: str
    version: str = ""
    args: str = ""
    start: int | None = None
    xmloutputversion: str = ""
    finished: bool = False
    exit: str = ""
    """``success`` or ``error`` (nmap 7.x writes it on ``<finished>``)."""
    errormsg: str = ""
    scaninfo: list[dict[str, Any]] = field(default_factory=list)
    """One ``{type, protocol, numservices, services}`` per ``<scaninfo>``: what the port scan covered."""
    hosts: list[dict[str, Any]] = field(default_factory=list)
    host_count: int = 0


class _Refused(Exception):
    """Raised from expat handlers to stop on a forbidden construct, with where it was found."""

    def __init__(self, message: str, where: tuple[int, int]):
        super().__init__(message)
        self.line, self.col = where


def _script(elem: ET.Element) -> dict[str, Any]:
    """``<script id output>`` with its structured ``<table>``/``<elem>`` children as plain data."""
    data = _table(elem) if len(elem) else None
    return {"id": elem.get("id", ""), "output": elem.get("output", ""), "data": data}


def _table(elem: ET.Element) -> Any:
    """A ``<table>``: a dict when its children are keyed, else a list (nmap never mixes them)."""
    children = [c for c in elem if c.tag in ("table", "elem")]
    if not children:
        return None
    if any(c.get("key") is not None for c in children):
        out: dict[str, Any] = {}
        for i, c in enumerate(children):
            out[c.get("key") or str(i)] = _table(c) if c.tag == "table" else (c.text or "")
        return out
    return [_table(c) if c.tag == "table" else (c.text or "") for c in children]


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def host_dict(elem: ET.Element) -> dict[str, Any]:
    """One ``<host>`` element as the dict the resource builders read."""
    status = elem.find("status")
    addresses = {a.get("addrtype", "ipv4"): a.get("addr", "") for a in elem.findall("address")}
    address = addresses.get("ipv4") or addresses.get("ipv6") or next(iter(addresses.values()), "")
    hostnames = [h.get("name", "") for h in elem.findall("hostnames/hostname") if h.get("name")]
    ports: list[dict[str, Any]] = []
    extraports: list[dict[str, Any]] = []
    for p in elem.findall("ports/port"):
        state = p.find("state")
        svc = p.find("service")
        service: dict[str, Any] | None = None
        if svc is not None:
            service = {k: svc.get(k) for k in ("name", "product", "version", "extrainfo", "tunnel",
                                               "method", "conf", "ostype")}
            service["conf"] = _int(service["conf"])
            service["cpe"] = [c.text or "" for c in svc.findall("cpe")]
        ports.append({
            "portid": _int(p.get("portid")),
            "protocol": p.get("protocol", "tcp"),
            "state": state.get("state", "unknown") if state is not None else "unknown",
            "reason": state.get("reason", "") if state is not None else "",
            "service": service,
            "scripts": {s.get("id", ""): _script(s) for s in p.findall("script")},
        })
    for ep in elem.findall("ports/extraports"):
        extraports.append({"state": ep.get("state", ""), "count": _int(ep.get("count"))})
    return {
        "address": address,
        "addresses": addresses,
        "hostnames": hostnames,
        "state": status.get("state", "unknown") if status is not None else "unknown",
        "reason": status.get("reason", "") if status is not None else "",
        "ports": ports,
        "extraports": extraports,
        "hostscripts": {s.get("id", ""): _script(s) for s in elem.findall("hostscript/script")},
        # nmap gave up on the host (--host-timeout): its port table is missing or partial
        "timedout": elem.get("timedout") == "true",
        # no <ports> at all means no port results (a scanned host whose ports are all closed or
        # filtered still gets <ports><extraports .../></ports>)
        "has_ports": elem.find("ports") is not None,
        "starttime": _int(elem.get("starttime")),
        "endtime": _int(elem.get("endtime")),
    }


class _Builder:
    """TreeBuilder target that hands each finished ``<host>`` to a callback and forgets it."""

    def __init__(self, run: NmapRun, on_host: Callable[[dict[str, Any]], None], where: Callable[[], tuple[int, int]]):
        self.tb = ET.TreeBuilder()
        self.run, self.on_host, self.where = run, on_host, where
        self.depth = 0
        self.root_seen = False
        self.root: ET.Element | None = None

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if self.depth == 0:
            if self.root_seen:
                raise _Refused("more than one root element", self.where())
            self.root_seen = True
            if tag != "nmaprun":
                raise _Refused(f"not an nmap XML file: root element is <{tag}>, expected <nmaprun>", self.where())
            self.run.version = attrs.get("version", "")
            self.run.args = attrs.get("args", "")
            self.run.start = _int(attrs.get("start"))
            self.run.xmloutputversion = attrs.get("xmloutputversion", "")
        elif tag == "scaninfo" and self.depth == 1:
            self.run.scaninfo.append({"type": attrs.get("type", ""), "protocol": attrs.get("protocol", ""),
                                      "numservices": _int(attrs.get("numservices")),
                                      "services": attrs.get("services", "")})
        elif tag == "finished" and self.depth == 2:
            self.run.finished = True
            self.run.exit = attrs.get("exit", "success")
            self.run.errormsg = attrs.get("errormsg", "")
        self.depth += 1
        elem = self.tb.start(tag, attrs)
        if self.depth == 1:
            self.root = elem

    def end(self, tag: str) -> None:
        elem = self.tb.end(tag)
        self.depth -= 1
        if tag == "host" and self.depth == 1 and self.root is not None:
            self.run.host_count += 1
            self.on_host(host_dict(elem))
            self.root.remove(elem)  # bounded memory: the dict is all we keep
        elif self.depth == 1 and self.root is not None:
            self.root.remove(elem)

    def data(self, text: str) -> None:
        self.tb.data(text)

    def close(self) -> None:
        self.tb.close()


def iter_parse(chunks: Iterable[bytes], source: str, on_host: Callable[[dict[str, Any]], None]) -> NmapRun:
    """Parse nmap XML from byte chunks, calling ``on_host`` per host; return the run facts.

    Raises :class:`InputFileError` for unparsable, truncated, hostile or non-nmap input.
    """
    run = NmapRun(source)
    # expat directly (ElementTree's C parser hides it) so the entity handlers can be hooked
    raw = expat.ParserCreate()
    builder = _Builder(run, on_host, lambda: (raw.CurrentLineNumber, raw.CurrentColumnNumber + 1))
    raw.buffer_text = True
    raw.StartElementHandler = builder.start
    raw.EndElementHandler = builder.end
    raw.CharacterDataHandler = builder.data

    def forbid(*_args: Any) -> None:
        raise _Refused("entity declarations are not allowed in nmap XML "
                       "(refusing a possible entity-expansion or external-entity attack)", builder.where())

    raw.EntityDeclHandler = forbid  # type: ignore[assignment]
    raw.UnparsedEntityDeclHandler = forbid
    raw.ExternalEntityRefHandler = forbid  # type: ignore[assignment]
    raw.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    seen = False
    at_end = False
    try:
        for chunk in chunks:
            if chunk:
                seen = seen or bool(chunk.strip())
                raw.Parse(chunk, False)
        if not seen:
            raise InputFileError(source, "empty file: expected nmap XML output (nmap -oX)", 1, 1)
        at_end = True  # an error now means the data stopped short, not that it was wrong
        raw.Parse(b"", True)
    except _Refused as exc:
        raise InputFileError(source, str(exc), exc.line, exc.col) from None
    except expat.ExpatError as exc:
        msg = expat.ErrorString(exc.code)
        if at_end and builder.root_seen:
            msg = "truncated nmap XML: the file ends before </nmaprun> (was the scan interrupted?)"
        elif not builder.root_seen:
            msg = f"not nmap XML ({msg}): expected nmap XML output (nmap -oX)"
        else:
            msg = f"malformed XML: {msg}"
        raise InputFileError(source, msg, exc.lineno, exc.offset + 1) from None
    if not builder.root_seen:
        raise InputFileError(source, "no XML element found: expected nmap XML output (nmap -oX)", 1, 1)
    return run


def parse_bytes(data: bytes, source: str = "<nmap>") -> NmapRun:
    """Parse a whole nmap XML document held in memory (e.g. python-nmap's last output)."""
    run_hosts: list[dict[str, Any]] = []
    run = iter_parse([data], source, run_hosts.append)
    run.hosts = run_hosts
    return run


def _read_chunks(path: Path) -> Iterable[bytes]:
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(CHUNK)
            if not chunk:
                return
            yield chunk


def parse_file(path: str | Path, on_host: Callable[[dict[str, Any]], None] | None = None) -> NmapRun:
    """Parse an nmap XML file; hosts go to ``on_host`` or, without one, into ``NmapRun.hosts``."""
    p = Path(path)
    if p.is_dir():
        raise InputFileError(str(p), "is a directory, expected an nmap XML file")
    try:
        p.stat()
    except OSError as exc:
        raise InputFileError(str(p), f"cannot read nmap XML: {exc.strerror}") from None
    hosts: list[dict[str, Any]] = []
    try:
        run = iter_parse(_read_chunks(p), str(p), on_host or hosts.append)
    except OSError as exc:
        raise InputFileError(str(p), f"cannot read nmap XML: {exc.strerror}") from None
    if on_host is None:
        run.hosts = hosts
    return run
