"""Safe, streaming parser for nmap's XML output (``nmap -oX``), any nmap version from 4.x to 7.x.

The parser turns each ``<host>`` into a plain dict as soon as it is complete and drops the element,
so a 10,000-host file is read in bounded memory. Safety: nmap files start with ``<!DOCTYPE
nmaprun>``, which is allowed, but any entity declaration (internal or external) is refused and
external entities are never fetched, so a hostile "nmap file" cannot expand or read anything.

Every problem is an :class:`~scanner.errors.InputFileError` naming ``file:line:col``.

Limits (a hostile or corrupt file is refused quickly, exit 2, never a RecursionError or minutes of
parsing): :data:`MAX_FILE_BYTES` per file, :data:`MAX_DEPTH` nested elements, :data:`MAX_TOKEN_BYTES`
for one start tag with its attributes or one text run (the bytes between two ``<``), and
:data:`MAX_HOSTS` ``<host>`` elements. Required fields a verdict depends on (a host's ``<status>`` and
``<address>``, a port's ``portid``, ``protocol`` and ``<state>``) that are missing make that host an
error (``problems``), never a pass; a file without nmap's closing ``<runstats><finished/>`` is refused.
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
MAX_FILE_BYTES = 1 << 30
"""1 GiB: a 10,000-host scan with every script is about 100 MB."""
MAX_DEPTH = 64
"""Nested elements; nmap's deepest (script tables) are about 10."""
MAX_TOKEN_BYTES = 1 << 20
"""1 MiB between two ``<``: one start tag with all its attributes, or one text run."""
MAX_HOSTS = 65536
"""``<host>`` elements per file: the most addresses one live target scans (a /16)."""
LINE = "{govscan}line"
"""Attribute key the parser adds to host and port elements: the line they start on (cannot clash
with an XML attribute name, which never contains braces)."""
_LINED = frozenset({"host", "port", "ports"})


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


def _line(elem: ET.Element | None) -> int | None:
    return _int(elem.get(LINE)) if elem is not None else None


_PROTOCOLS = frozenset({"tcp", "udp", "sctp", "ip"})


def host_dict(elem: ET.Element, source: str = "<nmap>") -> dict[str, Any]:
    """One ``<host>`` element as the dict the resource builders read.

    ``problems`` lists the required fields that are missing (``file:line: what``): the builders make
    such a host an error for every control, because its state or port table cannot be trusted.
    """
    line = _line(elem)
    problems: list[str] = []

    def problem(at: int | None, what: str) -> None:
        problems.append(f"{source}:{at or line or 0}: {what}")

    status = elem.find("status")
    if status is None or not status.get("state"):
        problem(line, "<host> without <status state=...>: whether the host is up is unknown")
    addresses = {a.get("addrtype", "ipv4"): a.get("addr", "") for a in elem.findall("address") if a.get("addr")}
    address = addresses.get("ipv4") or addresses.get("ipv6") or next(iter(addresses.values()), "")
    if not address:
        problem(line, "<host> without <address addr=...>: the host cannot be identified")
        address = f"(host at line {line or 0})"
    hostnames = [h.get("name", "") for h in elem.findall("hostnames/hostname") if h.get("name")]
    ports: list[dict[str, Any]] = []
    extraports: list[dict[str, Any]] = []
    for p in elem.findall("ports/port"):
        pline = _line(p)
        state = p.find("state")
        svc = p.find("service")
        portid = _int(p.get("portid"))
        protocol = p.get("protocol") or ""
        if portid is None or not 0 <= portid <= 65535:
            problem(pline, f"<port> without a valid portid (found {p.get('portid')!r})")
            portid = None
        if protocol not in _PROTOCOLS:
            problem(pline, f"<port> without a valid protocol (found {p.get('protocol')!r})")
        if state is None or not state.get("state"):
            problem(pline, f"port {portid}/{protocol or '?'} without <state state=...>: whether it is open is unknown")
        service: dict[str, Any] | None = None
        if svc is not None:
            service = {k: svc.get(k) for k in ("name", "product", "version", "extrainfo", "tunnel",
                                               "method", "conf", "ostype")}
            service["conf"] = _int(service["conf"])
            service["cpe"] = [c.text or "" for c in svc.findall("cpe")]
        ports.append({
            "portid": portid,
            "protocol": protocol or "tcp",
            "state": state.get("state") or "unknown" if state is not None else "unknown",
            "reason": state.get("reason", "") if state is not None else "",
            "service": service,
            "scripts": {s.get("id", ""): _script(s) for s in p.findall("script")},
            "line": pline,
        })
    for ep in elem.findall("ports/extraports"):
        extraports.append({"state": ep.get("state", ""), "count": _int(ep.get("count"))})
    ports_elem = elem.find("ports")
    return {
        "address": address,
        "addresses": addresses,
        "hostnames": hostnames,
        "state": status.get("state") or "unknown" if status is not None else "unknown",
        "reason": status.get("reason", "") if status is not None else "",
        "ports": ports,
        "extraports": extraports,
        "hostscripts": {s.get("id", ""): _script(s) for s in elem.findall("hostscript/script")},
        # nmap gave up on the host (--host-timeout): its port table is missing or partial
        "timedout": elem.get("timedout") == "true",
        # no <ports> at all means no port results (a scanned host whose ports are all closed or
        # filtered still gets <ports><extraports .../></ports>)
        "has_ports": ports_elem is not None,
        "starttime": _int(elem.get("starttime")),
        "endtime": _int(elem.get("endtime")),
        "line": line,
        "ports_line": _line(ports_elem),
        "problems": problems,
    }


class _Guard:
    """Checks raw bytes before expat sees them: file size and the longest run without ``<``.

    expat only calls back once a whole start tag (with every attribute) or text run is read, so a
    200 MB attribute would be buffered and re-scanned for minutes before any handler could refuse
    it; counting the bytes between two ``<`` here stops it after :data:`MAX_TOKEN_BYTES`.
    """

    def __init__(self, source: str):
        self.source = source
        self.total = 0
        self.run = 0
        self.line, self.col = 1, 1            # position of the next byte
        self.run_at = (1, 1)                  # where the current run started (its '<')

    def _pos(self, chunk: bytes, i: int) -> tuple[int, int]:
        nl = chunk.rfind(b"\n", 0, i)
        return self.line + chunk.count(b"\n", 0, i), (i - nl if nl >= 0 else self.col + i)

    def feed(self, chunk: bytes) -> None:
        self.total += len(chunk)
        if self.total > MAX_FILE_BYTES:
            raise InputFileError(self.source, f"larger than {MAX_FILE_BYTES} bytes, the most govscan reads from "
                                 "one nmap XML file: split the scan", *self._pos(chunk, 0))
        first = chunk.find(b"<")
        if first < 0:
            self.run += len(chunk)
        else:
            self.run += first
            if self.run <= MAX_TOKEN_BYTES:
                last = chunk.rfind(b"<")
                self.run_at = self._pos(chunk, last)
                self.run = len(chunk) - last - 1
        if self.run > MAX_TOKEN_BYTES:
            raise InputFileError(self.source, f"more than {MAX_TOKEN_BYTES} bytes in one tag or text (an attribute "
                                 "value or text nmap never writes): refusing a possible resource-exhaustion attack",
                                 *self.run_at)
        self.line, self.col = self._pos(chunk, len(chunk))


class _Builder:
    """TreeBuilder target that hands each finished ``<host>`` to a callback and forgets it."""

    def __init__(self, run: NmapRun, on_host: Callable[[dict[str, Any]], None], where: Callable[[], tuple[int, int]]):
        self.tb = ET.TreeBuilder()
        self.run, self.on_host, self.where = run, on_host, where
        self.depth = 0
        self.hosts_started = 0
        self.root_end = (0, 0)
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
        elif tag == "host" and self.depth == 1:
            self.hosts_started += 1
            if self.hosts_started > MAX_HOSTS:
                raise _Refused(f"more than {MAX_HOSTS} <host> elements: split the scan into several "
                               "files (or targets with networks:)", self.where())
        if self.depth >= MAX_DEPTH:
            raise _Refused(f"elements nested more than {MAX_DEPTH} deep: not nmap output "
                           "(refusing a possible resource-exhaustion attack)", self.where())
        if tag in _LINED:
            attrs = {**attrs, LINE: str(self.where()[0])}
        self.depth += 1
        elem = self.tb.start(tag, attrs)
        if self.depth == 1:
            self.root = elem

    def end(self, tag: str) -> None:
        elem = self.tb.end(tag)
        self.depth -= 1
        if self.depth == 0:
            self.root_end = self.where()
        if tag == "host" and self.depth == 1 and self.root is not None:
            self.run.host_count += 1
            self.on_host(host_dict(elem, self.run.source))
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
    guard = _Guard(source)
    try:
        for whole in chunks:
            for at in range(0, len(whole), CHUNK):  # the guard assumes chunks of at most CHUNK bytes
                chunk = whole[at:at + CHUNK]
                guard.feed(chunk)
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
    if not run.finished:
        raise InputFileError(source, "not complete nmap output: no <runstats><finished/> before </nmaprun> "
                             "(nmap writes it at the end of every run; was the file cut or edited?)", *builder.root_end)
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
        size = p.stat().st_size
    except OSError as exc:
        raise InputFileError(str(p), f"cannot read nmap XML: {exc.strerror}") from None
    if size > MAX_FILE_BYTES:  # refused before reading a byte (the guard also counts, for pipes)
        raise InputFileError(str(p), f"{size} bytes is larger than {MAX_FILE_BYTES} bytes, the most govscan reads "
                             "from one nmap XML file: split the scan", 1, 1)
    hosts: list[dict[str, Any]] = []
    try:
        run = iter_parse(_read_chunks(p), str(p), on_host or hosts.append)
    except OSError as exc:
        raise InputFileError(str(p), f"cannot read nmap XML: {exc.strerror}") from None
    if on_host is None:
        run.hosts = hosts
    return run
