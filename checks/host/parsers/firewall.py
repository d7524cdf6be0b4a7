"""Parser for host.firewall: ufw, nftables and iptables, their configuration files and live rulesets.

CIS Debian 12 v1.1.0 section 4: exactly one firewall utility in use (4.1.1), then the section of that
utility: ufw (4.2.x), nftables (4.3.x) or iptables (4.4.x). The configuration files are read through the
fact script's ``fw_files`` section (works on a file tree); the live rulesets (``nft list ruleset``,
``iptables-save``, ``ufw status``) and the listening sockets come from runtime-only sections. Whatever
could not be read is an attribute error for the attributes it feeds, never an empty, passing ruleset.
"""

from __future__ import annotations

import re
from typing import Any

from checks.host.parsers import NOT_ROOT_HINT, FactError
from checks.host.parsers import nft
from checks.host.parsers.common import truncated_reason
from checks.host.script import FileChunk, Output, split_files
from scanner.model import Resource

_DENY = ("DROP", "REJECT")


def _chunks(out: Output, name: str) -> tuple[dict[str, FileChunk], str | None]:
    sec = out.get(name)
    if not sec.ok:
        return {}, f"{name} could not be read: {sec.reason()}"
    return {c.path: c for c in split_files(sec.stdout, out.marker)[1]}, None


def unread_reason(c: FileChunk | None, path: str) -> str | None:
    """Why a file frame means the file's content is unknown (not sent, unreadable, truncated), or None."""
    if c is None:
        return f"{path} was not read"
    if c.state == "truncated":
        return truncated_reason(path)
    if c.state == "unreadable":
        return f"{path} could not be read ({NOT_ROOT_HINT})"
    return None


def _keyvals(text: str) -> dict[str, tuple[str, int]]:
    out: dict[str, tuple[str, int]] = {}
    for n, raw in enumerate(text.split("\n"), 1):
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        k, _, v = line.partition("=")
        out[k.strip()] = (v.strip().strip('"').strip("'"), n)
    return out


def iptables_save(text: str, v6: bool) -> dict[str, Any]:
    """The filter table of ``iptables-save`` output (or rules.v4/v6): chain policies, loopback rules, ports."""
    policies: dict[str, str] = {}
    rules: list[list[str]] = []
    table = None
    for n, raw in enumerate(text.split("\n"), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("*"):
            table = line[1:]
        elif line == "COMMIT":
            table = None
        elif table == "filter" and line.startswith(":"):
            f = line[1:].split()
            if len(f) < 2:
                raise ValueError(f"line {n}: chain line without a policy")
            policies[f[0]] = f[1]
        elif table == "filter" and line.startswith("-A "):
            rules.append(line.split())
        elif table is None:
            raise ValueError(f"line {n}: {line[:40]!r} outside a table (not iptables-save format)")
    if table is not None:
        raise ValueError(f"table *{table} has no COMMIT")
    text_rules = [" ".join(r) for r in rules]
    lo_net = r"::1(/128)?" if v6 else r"127\.0\.0\.0/8"
    need = {"-A INPUT -i lo -j ACCEPT": r"^-A INPUT( .*)? -i lo( .*)? -j ACCEPT\b",
            "-A OUTPUT -o lo -j ACCEPT": r"^-A OUTPUT( .*)? -o lo( .*)? -j ACCEPT\b",
            f"-A INPUT -s {'::1' if v6 else '127.0.0.0/8'} -j DROP": rf"^-A INPUT( .*)? -s {lo_net}( .*)? -j DROP\b"}
    ports: set[str] = set()
    for r in rules:
        if r[1] != "INPUT":
            continue
        proto = r[r.index("-p") + 1] if "-p" in r[:-1] else "all"
        for opt in ("--dport", "--dports", "--destination-port", "--destination-ports"):
            if opt in r[:-1]:
                for p in r[r.index(opt) + 1].split(","):
                    ports.update(_port_keys(proto, p))
    return {
        "policies": policies,
        "policies_not_deny": [c for c in ("INPUT", "FORWARD", "OUTPUT") if policies.get(c) not in _DENY],
        "loopback_missing": [k for k, rx in need.items() if not any(re.search(rx, t) for t in text_rules)],
        "ports_with_rules": sorted(ports),
    }


def _port_keys(proto: str, spec: str) -> list[str]:
    """``tcp`` + ``22`` -> ``["tcp/22"]``; ranges ``8000:8010`` expand (at most 1024 ports); proto all: both."""
    protos = ("tcp", "udp") if proto in ("all", "any") else (proto,)
    lo, _, hi = spec.partition(":")
    if not lo.isdigit() or (hi and not hi.isdigit()):
        return []
    first, last = int(lo), int(hi or lo)
    if last - first > 1024:
        last = first + 1024
    return [f"{p}/{n}" for p in protos for n in range(first, last + 1)]


def ufw_tuples(text: str) -> list[dict[str, str]]:
    """The ``### tuple ###`` lines ufw writes for each user rule: action proto dport dst sport src [apps] dir."""
    out = []
    for raw in text.split("\n"):
        if not raw.startswith("### tuple ###"):
            continue
        f = raw[len("### tuple ###"):].split()
        if len(f) < 7:
            raise ValueError(f"ufw rule tuple with {len(f)} fields: {raw[:60]!r}")
        out.append({"action": f[0], "proto": f[1], "dport": f[2], "dst": f[3], "sport": f[4], "src": f[5],
                    "direction": f[-1]})
    return out


def _ufw(files: dict[str, FileChunk], attrs: dict[str, Any], lost: dict[str, str],
         sources: dict[str, tuple[dict[str, Any], ...]]) -> None:
    conf = files.get("/etc/ufw/ufw.conf")
    why = unread_reason(conf, "/etc/ufw/ufw.conf")
    if why:
        lost["ufw_conf_enabled"] = why
    else:
        assert conf is not None
        kv = _keyvals(conf.text)
        attrs["ufw_conf_enabled"] = kv.get("ENABLED", ("no", 0))[0].lower() == "yes"
        if "ENABLED" in kv:
            sources["ufw_conf_enabled"] = ({"path": conf.path, "line": kv["ENABLED"][1]},)
    default = files.get("/etc/default/ufw")
    why = unread_reason(default, "/etc/default/ufw")
    if why or default is None or default.state == "missing":
        lost["ufw_default"] = lost["ufw_ipv6"] = why or "/etc/default/ufw does not exist: ufw's default policies are unknown"
    else:
        kv = _keyvals(default.text)
        attrs["ufw_default"] = {d: kv.get(f"DEFAULT_{d.upper()}_POLICY", ("", 0))[0].upper() or None
                                for d in ("input", "output", "forward")}
        attrs["ufw_default_not_deny"] = [d for d, v in attrs["ufw_default"].items() if v not in _DENY]
        attrs["ufw_ipv6"] = kv.get("IPV6", ("yes", 0))[0].lower() == "yes"
        sources["ufw_default"] = tuple({"path": default.path, "line": kv[k][1]} for k in
                                       ("DEFAULT_INPUT_POLICY", "DEFAULT_OUTPUT_POLICY", "DEFAULT_FORWARD_POLICY") if k in kv)
    rules: dict[str, list[dict[str, str]]] = {}
    before: dict[str, str] = {}
    for path in ("/etc/ufw/user.rules", "/etc/ufw/user6.rules", "/etc/ufw/before.rules", "/etc/ufw/before6.rules"):
        c = files.get(path)
        why = unread_reason(c, path)
        if why:
            lost["ufw_loopback_missing"] = lost["ufw_rule_ports"] = why
            return
        assert c is not None
        if path.startswith("/etc/ufw/user"):
            try:
                rules[path] = ufw_tuples(c.text)
            except ValueError as exc:
                lost["ufw_loopback_missing"] = lost["ufw_rule_ports"] = f"{path}: {exc}"
                return
        else:
            before[path] = c.text
    v4, v6 = rules["/etc/ufw/user.rules"], rules["/etc/ufw/user6.rules"]
    allin = [t for t in v4 + v6 if t["direction"] == "in_lo" and t["action"].startswith("allow")]
    allout = [t for t in v4 + v6 if t["direction"] == "out_lo" and t["action"].startswith("allow")]
    deny4 = [t for t in v4 if t["src"] == "127.0.0.0/8" and t["direction"] == "in" and t["action"].startswith(("deny", "reject"))]
    deny6 = [t for t in v6 if t["src"] in ("::1", "::1/128") and t["direction"] == "in" and t["action"].startswith(("deny", "reject"))]
    b4 = before.get("/etc/ufw/before.rules", "")
    missing = []
    if not allin and not re.search(r"^-A ufw-before-input -i lo -j ACCEPT\s*$", b4, re.M):
        missing.append("allow in on lo")
    if not allout and not re.search(r"^-A ufw-before-output -o lo -j ACCEPT\s*$", b4, re.M):
        missing.append("allow out on lo")
    if not deny4:
        missing.append("deny in from 127.0.0.0/8")
    if not deny6 and attrs.get("ufw_ipv6", True):
        missing.append("deny in from ::1")
    attrs["ufw_loopback_missing"] = missing
    ports: set[str] = set()
    for t in v4 + v6:
        if t["direction"].startswith("in"):
            for p in t["dport"].split(","):
                ports.update(_port_keys(t["proto"], p) if p != "any" else [])
    attrs["ufw_rule_ports"] = sorted(ports)


def _ruleset_attrs(name: str, text: str | None, why: str | None, parse: Any, attrs: dict[str, Any],
                   lost: dict[str, str]) -> None:
    if why is not None:
        lost[name] = why
        return
    try:
        attrs[name] = parse(text or "")
    except (ValueError, nft.NftError) as exc:
        lost[name] = f"{name}: could not be parsed: {exc}"


def parse_firewall(out: Output) -> list[Resource]:
    """``host.firewall``: one resource per host, id ``firewall``."""
    from checks.host.parsers.system import parse_packages, parse_services

    attrs: dict[str, Any] = {}
    lost: dict[str, str] = {}
    sources: dict[str, tuple[dict[str, Any], ...]] = {}
    installed = parse_packages(out)[0].attrs["installed"]  # FactError: the whole type is an error
    for key, pkg in (("ufw_installed", "ufw"), ("nftables_installed", "nftables"), ("iptables_installed", "iptables"),
                     ("iptables_persistent_installed", "iptables-persistent")):
        attrs[key] = pkg in installed
    units = {u["name"]: u for u in parse_services(out)[0].attrs["units"]}

    def on(unit: str) -> bool:
        u = units.get(unit) or {}
        return bool(u.get("enabled_any") or u.get("running"))

    attrs["ufw_service_enabled"] = (units.get("ufw.service") or {}).get("enabled") in ("enabled", "enabled-runtime")
    attrs["nftables_service_enabled"] = (units.get("nftables.service") or {}).get("enabled") in ("enabled", "enabled-runtime")
    files, why = _chunks(out, "fw_files")
    if why:
        raise FactError(f"firewall configuration: {why}")
    _ufw(files, attrs, lost, sources)
    live, lwhy = _chunks(out, "fw_live")
    ipv6 = _ipv6(live.get("live:ipv6")) if lwhy is None else None
    attrs["ipv6_enabled"] = ipv6
    in_use = []
    if attrs["ufw_installed"] and (on("ufw.service") or attrs.get("ufw_conf_enabled")):
        in_use.append("ufw")
    if attrs["nftables_installed"] and on("nftables.service"):
        in_use.append("nftables")
    if on("netfilter-persistent.service") or on("iptables.service") or on("ip6tables.service"):
        in_use.append("iptables")
    attrs["in_use"] = in_use
    # the sections that apply: those of the utilities in use, or (none in use) of every one installed
    attrs["applies"] = in_use or [u for u, k in (("ufw", "ufw_installed"), ("nftables", "nftables_installed"),
                                                 ("iptables", "iptables_persistent_installed")) if attrs[k]]
    # nftables: the configuration (nftables.conf with its includes) and the live ruleset
    conf = files.get("/etc/nftables.conf")
    cwhy = unread_reason(conf, "/etc/nftables.conf")
    if cwhy is None and "nft-include-limit" in files:
        cwhy = ("/etc/nftables.conf: its includes nest deeper than 8 levels or name more than 64 files: "
                "not followed further, so the configured ruleset is unknown")
    text = None
    if cwhy is None and conf is not None:
        parts = [conf.text]
        for path, c in files.items():
            if path.startswith("include:") or path == "nft-include-limit":
                continue
            if c is not conf and not path.startswith(("/etc/ufw/", "/etc/default/ufw", "/etc/iptables/")):
                cwhy = cwhy or unread_reason(c, path) or (f"{path} (included by /etc/nftables.conf) does not exist"
                                                  if c.state == "missing" else None)
                parts.append(c.text)
        text = "\n".join(parts)
    _ruleset_attrs("nft_conf", text, cwhy, lambda t: nft.analyse(nft.parse(t), None), attrs, lost)
    lv = _live(live, lwhy, "nft")
    _ruleset_attrs("nft_live", lv[0], lv[1], lambda t: nft.analyse(nft.parse(t), ipv6), attrs, lost)
    for name, tool, path, v6 in (("ipt", "iptables-save", "/etc/iptables/rules.v4", False),
                                 ("ip6t", "ip6tables-save", "/etc/iptables/rules.v6", True)):
        lv = _live(live, lwhy, tool)
        _ruleset_attrs(f"{name}_live", lv[0], lv[1], lambda t, v=v6: iptables_save(t, v), attrs, lost)
        fc = files.get(path)
        fwhy = unread_reason(fc, path)  # a missing rules file restores nothing: parsed as empty, it fails the checks
        _ruleset_attrs(f"{name}_conf", fc.text if fc else None, fwhy, lambda t, v=v6: iptables_save(t, v), attrs, lost)
    lv = _live(live, lwhy, "ufw")
    if lv[1]:
        lost["ufw_status_active"] = lv[1]
    else:
        attrs["ufw_status_active"] = bool(re.match(r"Status: active\b", (lv[0] or "").strip()))
    _open_ports(out, attrs, lost)
    # the attributes of a utility whose section does not apply are not reported (its controls are not
    # applicable): an unreadable live ruleset of a utility not in use is no error
    for util, prefixes in _UTIL_ATTRS.items():
        if util not in attrs["applies"]:
            for a in [a for a in (*attrs, *lost) if a.startswith(prefixes)]:
                attrs.pop(a, None)
                lost.pop(a, None)
    return [Resource("firewall", "host.firewall", attrs, attr_errors=lost, sources=sources)]


#: attribute prefixes only one utility's controls read
_UTIL_ATTRS = {"ufw": ("ufw_status_active", "ufw_default", "ufw_loopback", "ufw_rule_ports", "ufw_unruled", "ufw_ipv6"),
               "nftables": ("nft_",), "iptables": ("ipt_", "ip6t_")}


def _ipv6(c: FileChunk | None) -> bool | None:
    if c is None:
        return None
    kv = _keyvals(c.text)
    if kv.get("if_inet6", ("", 0))[0] == "0":
        return False
    return kv.get("disable_ipv6", ("", 0))[0] != "1"


def _live(live: dict[str, FileChunk], why: str | None, tool: str) -> tuple[str | None, str | None]:
    """The output of a live command, or why it is unknown (runtime only)."""
    if why:
        return None, why
    c = live.get(f"live:{tool}")
    if c is None or c.state == "missing":
        return None, f"{tool} is not installed: the live ruleset could not be read"
    rc, _, text = c.text.partition("\n")
    if rc != "GS_RC=0":
        first = text.strip().split("\n", 1)[0][:200]
        return None, f"{tool} failed ({rc[6:] or '?'}): {first}" + (f" ({NOT_ROOT_HINT})" if "ermission" in first else "")
    return text, None


def _open_ports(out: Output, attrs: dict[str, Any], lost: dict[str, str]) -> None:
    """Listening sockets not bound to loopback (runtime only), and those no rule of each utility names."""
    from checks.host.parsers.net import parse_listening

    try:
        socks = [r.attrs for r in parse_listening(out)]
    except FactError as exc:
        for a in ("open_ports", "ufw_unruled_ports", "ipt_unruled_ports", "ip6t_unruled_ports"):
            lost[a] = str(exc)
        return
    open4: set[str] = set()
    open6: set[str] = set()
    for s in socks:
        if s["loopback_only"] or not s["port"]:
            continue
        key = f"{s['protocol']}/{s['port']}"
        addr = str(s["address"])
        if ":" in addr:
            open6.add(key)
        elif addr == "*":
            open4.add(key)
            open6.add(key)
        else:
            open4.add(key)
    attrs["open_ports"] = sorted(open4 | open6)
    for name, ruled, ports in (("ufw", attrs.get("ufw_rule_ports"), open4 | open6),
                               ("ipt", (attrs.get("ipt_live") or {}).get("ports_with_rules"), open4),
                               ("ip6t", (attrs.get("ip6t_live") or {}).get("ports_with_rules"), open6)):
        src = "ufw_rule_ports" if name == "ufw" else f"{name}_live"
        if ruled is None:
            lost[f"{name}_unruled_ports"] = lost.get(src, f"{src} is unknown")
        else:
            attrs[f"{name}_unruled_ports"] = sorted(ports - set(ruled))
