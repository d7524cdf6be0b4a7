"""Parser for host.listening (sockets listening for connections, from ss or /proc/net)."""

from __future__ import annotations

import ipaddress
import re
import socket
import struct

from checks.host.parsers import FactError
from checks.host.parsers.common import preamble, require, truncated_reason
from checks.host.script import Output, split_files
from scanner.model import Resource

_PROC = re.compile(r'users:\(\("([^"]*)",pid=(\d+)')


def parse_listening(out: Output) -> list[Resource]:
    """``host.listening``: one resource per listening socket, id ``<proto>:<address>:<port>``."""
    text = require(out.get("listening"), "listening sockets")
    notes, lines = preamble(text)
    socks: dict[str, dict] = {}
    if notes.get("GS_TOOL") == "proc":
        _, chunks = split_files("\n".join(lines), out.marker)
        cut = [c.path for c in chunks if c.state == "truncated"]
        if cut:
            raise FactError(f"listening sockets could not be read: {truncated_reason(cut[0])}")
        if not any(c.state == "ok" for c in chunks):
            raise FactError("listening sockets could not be read: no ss and no /proc/net")
        for c in chunks:
            proto = c.path.rsplit("/", 1)[-1].rstrip("6")
            for entry in _proc_net(c.text, proto, c.path.endswith("6")):
                socks[_sid(entry)] = entry
    else:
        for line in lines:
            f = line.split()
            if len(f) < 5 or f[0] not in ("tcp", "udp") or f[1] not in ("LISTEN", "UNCONN"):
                continue
            addr, _, port = f[4].rpartition(":")
            addr = addr.split("%", 1)[0].strip("[]")
            m = _PROC.search(line)
            entry = _entry(f[0], addr,
                           int(port) if port.isdigit() else 0, m.group(1) if m else None,
                           int(m.group(2)) if m else None)
            socks[_sid(entry)] = entry
    return [Resource(sid, "host.listening", socks[sid]) for sid in sorted(socks)]


def _entry(proto: str, addr: str, port: int, process: str | None, pid: int | None) -> dict:
    try:
        loopback = ipaddress.ip_address(addr).is_loopback
    except ValueError:
        loopback = False
    return {"protocol": proto, "address": addr, "port": port, "process": process, "pid": pid,
            "loopback_only": loopback}


def _sid(e: dict) -> str:
    return f"{e['protocol']}:{e['address']}:{e['port']}"


def _proc_net(text: str, proto: str, v6: bool) -> list[dict]:
    out = []
    for line in text.split("\n")[1:]:
        f = line.split()
        if len(f) < 4:
            continue
        # TCP state 0A is LISTEN; an unconnected UDP socket is 07.
        if (proto == "tcp" and f[3] != "0A") or (proto == "udp" and f[3] != "07"):
            continue
        hexaddr, hexport = f[1].split(":")
        raw = bytes.fromhex(hexaddr)
        if v6:
            addr = socket.inet_ntop(socket.AF_INET6, b"".join(struct.pack("<I", w) for w in struct.unpack(">4I", raw)))
        else:
            addr = socket.inet_ntop(socket.AF_INET, struct.pack("<I", struct.unpack(">I", raw)[0]))
        out.append(_entry(proto, addr, int(hexport, 16), None, None))
    return out
