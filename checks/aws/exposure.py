"""Internet exposure of security groups and network ACLs, computed as address-space coverage.

A port is open to the world when the sources allowed to reach it cover the whole IPv4 (or IPv6)
space, whatever the split: ``0.0.0.0/0`` alone, ``0.0.0.0/1`` + ``128.0.0.0/1``, or many smaller
ranges. For a security group (allow rules only) that is the union of the rules' CIDRs per
protocol and port; for a network ACL the entries are evaluated in rule-number order and every
address must meet an ``allow`` before a ``deny``. Ports are evaluated per elementary interval (the
ranges between the rules' boundaries), so a 0-65535 rule costs as much as a single port.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Union

Net = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]

# Ports always reported in `world_open_ports_*` even when no control asks (for `govscan resources` and
# evidence). Correctness does not depend on this list: every port a control input names is added to it
# (see ports_of_interest), and the controls check that their ports were among those computed.
BASELINE_PORTS = (20, 21, 22, 23, 25, 69, 110, 135, 137, 138, 139, 143, 161, 445, 1433, 1521, 2049, 2375,
                  2376, 3306, 3389, 5432, 5601, 5900, 5985, 5986, 6379, 7199, 8888, 9042, 9092, 9200, 9300,
                  11211, 27017)
FAMILIES = ("ipv4", "ipv6")
WORLD = {"ipv4": "0.0.0.0/0", "ipv6": "::/0"}
PORT_PROTOCOLS = ("tcp", "udp")
_WHOLE: dict[str, Net] = {"ipv4": ipaddress.ip_network("0.0.0.0/0"), "ipv6": ipaddress.ip_network("::/0")}
_ALL_PORTS = (0, 65535)
MAX_RULES = 5000
"""Rules or entries considered per group or ACL (AWS allows at most 1,000 ingress rules per group)."""


@dataclass(frozen=True)
class _Entry:
    """One ingress rule (security group) or entry (network ACL) with a parsed source."""

    index: int
    family: str
    protocol: str
    lo: int | None
    hi: int | None
    net: Net
    allow: bool
    row: dict[str, Any]


def ports_of_interest(inputs: Mapping[str, Any]) -> tuple[int, ...]:
    """The baseline ports plus every port number found in the scan's control inputs.

    Any integer 0-65535 in any input (a list or a scalar) counts: a port list under a name this module
    does not know (a site's own control with `web_ports`) is covered too; an unrelated number only
    costs a few comparisons.
    """
    found = set(BASELINE_PORTS)
    for value in inputs.values():
        for item in value if isinstance(value, (list, tuple)) else (value,):
            if _is_port(item):
                found.add(item)
    return tuple(sorted(found))


def port_inputs(inputs: Mapping[str, Any]) -> dict[str, list[int]]:
    """Input name -> the ports it names, for every list-of-ports input.

    ``inputs`` may hold per-control values as ``<control id>.<name>``; they are merged into ``<name>``
    (the union), so a message built from the result names every port some control asked about.
    """
    out: dict[str, set[int]] = {}
    for key, value in inputs.items():
        if not isinstance(value, (list, tuple)) or not value or not all(_is_port(v) for v in value):
            continue
        out.setdefault(str(key).rsplit(".", 1)[-1], set()).update(value)
    return {name: sorted(ports) for name, ports in sorted(out.items())}


def _is_port(item: Any) -> bool:
    return isinstance(item, int) and not isinstance(item, bool) and 0 <= item <= 65535


def protocol(raw: Any) -> str:
    """AWS protocol as tcp, udp, -1 (all) or the protocol name/number AWS gave."""
    text = str(raw).lower()
    return {"6": "tcp", "17": "udp", "all": "-1"}.get(text, text)


def port_range(proto: str, lo: Any, hi: Any) -> tuple[int | None, int | None]:
    if proto == "-1":
        return _ALL_PORTS
    if proto not in PORT_PROTOCOLS:
        return None, None  # ICMP type/code or a protocol without ports
    # a TCP/UDP rule without a range (or -1) covers every port: read it the wide way
    lo = 0 if lo is None or int(lo) < 0 else int(lo)
    hi = 65535 if hi is None or int(hi) < 0 else int(hi)
    return lo, hi


def _network(cidr: Any) -> Net | None:
    try:
        return ipaddress.ip_network(str(cidr), strict=False)
    except ValueError:
        return None


def _remove(remaining: list[Net], net: Net) -> list[Net]:
    """``remaining`` minus ``net`` (CIDR blocks are either nested or disjoint)."""
    out: list[Net] = []
    for r in remaining:
        if not r.overlaps(net):
            out.append(r)
        elif not net.supernet_of(r):  # type: ignore[arg-type]
            out.extend(r.address_exclude(net))  # type: ignore[arg-type]
    return out


def world_open(cidrs: Iterable[Any]) -> bool | None:
    """Whether the CIDRs together cover every IPv4 or every IPv6 address (``0.0.0.0/0`` alone, or
    ``0.0.0.0/1`` + ``128.0.0.0/1``...); ``None`` when one of them is not an address or a CIDR."""
    nets = [_network(c) if isinstance(c, str) else None for c in cidrs]
    if any(n is None for n in nets):
        return None
    for whole in _WHOLE.values():
        remaining: list[Net] = [whole]
        for net in nets:
            if net is not None and net.version == whole.version:
                remaining = _remove(remaining, net)
        if not remaining:
            return True
    return False


def _reaches_world(entries: Iterable[_Entry], family: str) -> tuple[bool, list[_Entry]]:
    """Whether every address of ``family`` meets an allow (before any deny) among ``entries``.

    ``entries`` are the ones that match one protocol and port, in evaluation order. Returns the
    decision and the allow entries that made it (the ``/0`` ones alone when there are some).
    """
    entries = list(entries)
    if sum(e.net.num_addresses for e in entries if e.allow) < _WHOLE[family].num_addresses:
        return False, []  # the allowed sources are too few to cover the space, whatever their order
    remaining: list[Net] = [_WHOLE[family]]
    used: list[_Entry] = []
    for e in entries:
        if not e.allow:
            if any(r.overlaps(e.net) for r in remaining):  # some address is denied
                return False, []
            continue
        after = _remove(remaining, e.net)
        if len(after) != len(remaining) or after != remaining:
            used.append(e)
        remaining = after
        if not remaining:
            whole = [u for u in used if u.net.prefixlen == 0]
            return True, whole or used
    return False, []


def _intervals(entries: list[_Entry]) -> list[tuple[int, int]]:
    """Elementary port intervals: no rule boundary falls inside one."""
    cuts = {0, 65536}
    for e in entries:
        if e.lo is not None and e.hi is not None:
            cuts.update((e.lo, e.hi + 1))
    edges = sorted(c for c in cuts if 0 <= c <= 65536)
    return [(a, b - 1) for a, b in zip(edges, edges[1:])]


def _matches(e: _Entry, proto: str, port: int | None) -> bool:
    if e.protocol not in (proto, "-1"):
        return False
    return port is None or (e.lo is not None and e.hi is not None and e.lo <= port <= e.hi)


def _evaluate(entries: list[_Entry], ports: tuple[int, ...], ordered: bool) -> dict[str, Any]:
    """``ordered``: entries decide in their order (network ACL); else they only add up (security group),
    and the widest sources are taken first so that the rules named are the ones that suffice."""
    out: dict[str, Any] = {"world_ports_checked": list(ports)}
    if not ordered:
        entries = sorted(entries, key=lambda e: (e.net.prefixlen, e.index))
    listed: set[int] = {e.index for e in entries if e.net.prefixlen == 0}
    for fam in FAMILIES:
        mine = [e for e in entries if e.family == fam]
        union: set[int] = set()
        every: list[str] = []
        for proto in PORT_PROTOCOLS:
            relevant = [e for e in mine if e.protocol in (proto, "-1")]
            open_ranges: list[tuple[int, int]] = []
            for lo, hi in _intervals(relevant):
                ok, used = _reaches_world((e for e in relevant if _matches(e, proto, lo)), fam)
                if ok:
                    open_ranges.append((lo, hi))
                    listed.update(e.index for e in used)
            open_ = [p for p in ports if any(lo <= p <= hi for lo, hi in open_ranges)]
            out[f"world_open_ports_{proto}_{fam}"] = open_
            union.update(open_)
            if sum(hi - lo + 1 for lo, hi in open_ranges) == 65536:
                every.append(proto)
        out[f"world_open_ports_{fam}"] = sorted(union)
        for proto in sorted({e.protocol for e in mine} - {"-1", *PORT_PROTOCOLS}):  # ICMP...
            ok, used = _reaches_world((e for e in mine if _matches(e, proto, None)), fam)
            if ok:
                listed.update(e.index for e in used)
        # every protocol: an all-traffic allow reached before any deny, whatever its protocol
        ok, used = _reaches_world((e for e in mine if e.protocol == "-1" or not e.allow), fam)
        if ok:
            listed.update(e.index for e in used)
        out[f"world_all_ports_{fam}"] = ["all"] if ok else every
        out[f"world_all_traffic_{fam}"] = bool(out[f"world_all_ports_{fam}"])
    out["world_open_rules"] = [e.row for e in sorted(entries, key=lambda e: e.index) if e.index in listed]
    return out


def open_inputs(derived: Mapping[str, Any], inputs: Mapping[str, list[int]]) -> dict[str, dict[str, list[int]]]:
    """Per port input: which of its ports are open to the world, per family (for messages)."""
    return {name: {fam: [p for p in ports if p in set(derived[f"world_open_ports_{fam}"])] for fam in FAMILIES}
            for name, ports in inputs.items()}


def sg_exposure(perms: list[dict[str, Any]], ports: tuple[int, ...] = BASELINE_PORTS) -> dict[str, Any]:
    """World-open ingress of a security group: the rules that make it, and which ``ports`` are open."""
    entries: list[_Entry] = []
    for p in perms:
        proto = protocol(p.get("IpProtocol"))
        lo, hi = port_range(proto, p.get("FromPort"), p.get("ToPort"))
        for ranges_key, cidr_key in (("IpRanges", "CidrIp"), ("Ipv6Ranges", "CidrIpv6")):
            for r in p.get(ranges_key) or []:
                net = _network(r.get(cidr_key))
                if net is not None and len(entries) < MAX_RULES:
                    fam = f"ipv{net.version}"
                    entries.append(_Entry(len(entries), fam, proto, lo, hi, net, True, {
                        "family": fam, "protocol": proto, "from": lo, "to": hi, "cidr": r.get(cidr_key)}))
    return _evaluate(entries, ports, ordered=False)


def acl_exposure(acl_entries: list[dict[str, Any]], ports: tuple[int, ...] = BASELINE_PORTS) -> dict[str, Any]:
    """Which ``ports`` every address reaches through the first matching ingress entry (by rule number)."""
    entries: list[_Entry] = []
    ingress = sorted((e for e in acl_entries if not e.get("Egress")), key=lambda e: e.get("RuleNumber", 0))
    for e in ingress[:MAX_RULES]:
        cidr = e.get("CidrBlock") or e.get("Ipv6CidrBlock")
        net = _network(cidr)
        if net is None:
            continue
        proto = protocol(e.get("Protocol"))
        rng = e.get("PortRange") or {}
        lo, hi = port_range(proto, rng.get("From"), rng.get("To"))
        fam = f"ipv{net.version}"
        entries.append(_Entry(len(entries), fam, proto, lo, hi, net, e.get("RuleAction") == "allow", {
            "family": fam, "protocol": proto, "from": lo, "to": hi, "cidr": cidr,
            "rule": e.get("RuleNumber"), "action": e.get("RuleAction")}))
    return _evaluate(entries, ports, ordered=True)
