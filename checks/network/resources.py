"""The network resource types and how parsed nmap hosts become resources.

``network.host`` is one scanned address with its port table; ``network.service`` is one open port
with what nmap learned about it (version, TLS, SSH, HTTP). Ids are stable across scans: the address,
and ``<address>:<port>/<proto>``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from checks.network import scripts as sc
from checks.network.coverage import (  # noqa: F401  (re-exported: the provider and tests use res.*)
    ALL_PORTS,
    Coverage,
    PortCoverage,
    format_ranges,
    parse_ranges,
    unscanned_services,
)
from scanner.model import Resource
from scanner.provider import Attribute
from scanner.resource_types import Identity, ResourceKind, resources

HOST = "network.host"
SERVICE = "network.service"

_PORT_ATTRS = (
    Attribute("ports[].portid", "integer", "Port number."),
    Attribute("ports[].protocol", "string", "tcp or udp."),
    Attribute("ports[].state", "string", "open, closed, filtered, open|filtered, unfiltered."),
    Attribute("ports[].reason", "string", "Why nmap decided the state (syn-ack, conn-refused, no-response...)."),
    Attribute("ports[].service.name", "string", "Service name (probed with -sV, else nmap's port table)."),
    Attribute("ports[].service.product", "string", "Product from version detection."),
    Attribute("ports[].service.version", "string", "Product version from version detection."),
    Attribute("ports[].service.extrainfo", "string", "Extra version info (e.g. 'protocol 2.0')."),
    Attribute("ports[].service.tunnel", "string", "'ssl' when the service is wrapped in TLS."),
    Attribute("ports[].display", "string", "How messages name the port: '8080/tcp (http)'."),
)




class NetworkKind(ResourceKind):
    """A network resource type, built from one parsed nmap ``<host>``."""

    commands: ClassVar[tuple[str, ...]] = ()
    """The nmap runs behind it (shown by ``govscan resources``)."""
    scripts: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    """NSE script id -> the attribute paths its output fills (lost when the script fails)."""

    @classmethod
    def collected_with(cls) -> tuple[str, ...]:
        return cls.commands

    @staticmethod
    def build(host: Mapping[str, Any], zone: str | None, source: str, coverage: Coverage | None = None, *,
              file: str | None = None, root: bool = True) -> list[Resource]:
        raise NotImplementedError


def _svc(service: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if service is None:
        return None
    return {k: service.get(k) for k in ("name", "product", "version", "extrainfo", "tunnel")}


def host_error(host: Mapping[str, Any], cov: Coverage) -> str | None:
    """Why this host's port results cannot be trusted (so every control on it is ``error``), or None.

    An absent port table must never read as "nothing exposed": a host nmap gave up on, or a live
    host with no ``<ports>`` element, has unknown ports, not zero open ports. Nor may a host whose
    required fields are missing (``problems`` from the parser) be judged on what is left.
    """
    problems = host.get("problems") or ()
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        return "invalid nmap output: " + "; ".join(problems[:3]) + more
    if host.get("timedout"):
        after = cov.host_timeout
        if not after and host.get("starttime") is not None and host.get("endtime") is not None:
            after = f"{host['endtime'] - host['starttime']}s"
        return f"nmap host timeout after {after or 'the --host-timeout limit'}: results incomplete (raise host_timeout)"
    if host.get("state") == "up" and not host.get("has_ports", True):
        if cov.port_scan:
            return "nmap reported no port table for this host although a port scan ran: results incomplete"
        return "no port scan in this nmap output (host discovery only, nmap -sn): ports were not checked"
    return None


_PORT_LISTS = ("ports", "open_ports", "open_tcp_ports", "udp_ports", "extraports")


def _sources(host: Mapping[str, Any], file: str | None) -> dict[str, tuple[dict[str, Any], ...]]:
    """Where the host's attributes are in the nmap XML: the <host> line, and the open ports' lines."""
    if not file or not host.get("line"):
        return {}
    at = ({"path": file, "line": host["line"]},)
    open_lines = tuple({"path": file, "line": p["line"]} for p in host["ports"] if p["state"] == "open" and p.get("line"))
    table = open_lines or ({"path": file, "line": host.get("ports_line") or host["line"]},)
    out: dict[str, tuple[dict[str, Any], ...]] = {a: at for a in ("address", "addresses", "hostnames", "state", "status",
                                                                   "timed_out")}
    out.update({a: table for a in _PORT_LISTS})
    return out


def host_resource(host: Mapping[str, Any], zone: str | None, source: str,
                  coverage: Coverage | None = None, *, file: str | None = None, root: bool = True) -> Resource:
    """The ``network.host`` resource of one parsed ``<host>``."""
    cov = coverage or Coverage()
    ports = [{k: p[k] for k in ("portid", "protocol", "state", "reason")} | {"service": _svc(p["service"])}
             | {"display": _display(p)} for p in host["ports"]]
    open_ports = [p for p in host["ports"] if p["state"] == "open"]
    attrs = {
        "address": host["address"],
        "addresses": dict(host["addresses"]),
        "hostnames": list(host["hostnames"]),
        "state": host["state"],
        "status": {"state": host["state"], "reason": host["reason"]},
        "ports": ports,
        "open_ports": sorted({p["portid"] for p in open_ports if p["portid"] is not None}),
        "open_tcp_ports": sorted({p["portid"] for p in open_ports if p["protocol"] == "tcp" and p["portid"] is not None}),
        "extraports": list(host["extraports"]),
        "udp_ports": [p for p in ports if p["protocol"] == "udp"],
        "zone": zone,
        "source": source,
        "timed_out": bool(host.get("timedout")),
        "scanned_protocols": list(cov.protocols),
        "scanned_tcp_ports": cov.ports("tcp"),
        "scanned_tcp_port_count": cov.count("tcp"),
        "scanned_udp_ports": cov.ports("udp"),
        "scanned_udp_port_count": cov.count("udp"),
        "udp_scanned": "udp" in cov.protocols,
    }
    # the port lists hold only what nmap scanned: a control passes on them only when the ports it is
    # about were scanned (scanner.coverage); unscanned UDP that nobody asked for is notchecked
    partial = {
        "ports": PortCoverage(cov, source, root),
        "open_ports": PortCoverage(cov, source, root),
        "open_tcp_ports": PortCoverage(cov, source, root, ("tcp",)),
        "udp_ports": PortCoverage(cov, source, root, ("udp",)),
    }
    return Resource(host["address"], HOST, attrs, error=host_error(host, cov), coverage=partial,
                    sources=_sources(host, file))


def _display(port: Mapping[str, Any]) -> str:
    """``8080/tcp (http-proxy)``: how a message names a port."""
    name = (port.get("service") or {}).get("name")
    return f"{port['portid']}/{port['protocol']}" + (f" ({name})" if name else "")


def _missing(port: Mapping[str, Any], wanted: Iterable[str], source: str) -> dict[str, str]:
    """Script id -> why its result is missing, for scripts this service needed."""
    out: dict[str, str] = {}
    for sid in wanted:
        script = port["scripts"].get(sid)
        err = sc.script_error(script)
        if err:
            out[sid] = err
        elif script is None and sid != "sshv1":  # sshv1 prints nothing when v1 is off
            out[sid] = ("did not run" if source == "scan"
                        else "not in the nmap XML (scan with --script " + sid + " to check this)")
    return out


def service_resources(host: Mapping[str, Any], zone: str | None, source: str,
                      now: dt.datetime | None = None, *, file: str | None = None) -> list[Resource]:
    """One ``network.service`` resource per open port of a parsed ``<host>``."""
    out: list[Resource] = []
    for p in host["ports"]:
        if p["state"] != "open" or p["portid"] is None:
            continue
        service = p["service"] or {}
        tls, ssh, http = sc.is_tls(service), sc.is_ssh(service), sc.is_http(service)
        wanted = (sc.TLS_SCRIPTS if tls else ()) + (sc.SSH_SCRIPTS if ssh else ()) + (sc.HTTP_SCRIPTS if http else ())
        attrs = {
            "host": host["address"],
            "hostnames": list(host["hostnames"]),
            "port": p["portid"],
            "protocol": p["protocol"],
            "state": p["state"],
            "service": service.get("name"),
            "product": service.get("product"),
            "version": service.get("version"),
            "extrainfo": service.get("extrainfo"),
            "tunnel": service.get("tunnel"),
            "cpe": list(service.get("cpe") or []),
            "zone": zone,
            "is_tls": tls,
            "is_ssh": ssh,
            "is_http": http,
            "tls": sc.tls_info(p["scripts"], now),
            "ssh": sc.ssh_info(p["scripts"], service),
            "http": sc.http_info(p["scripts"], service),
            "script_errors": _missing(p, wanted, source),
        }
        at = ({"path": file, "line": p["line"]},) if file and p.get("line") else ()
        out.append(Resource(f"{host['address']}:{p['portid']}/{p['protocol']}", SERVICE, attrs,
                            attr_errors=_lost_attributes(attrs["script_errors"]),
                            sources={a: at for a in attrs} if at else {}))
    return out


def _lost_attributes(script_errors: Mapping[str, str]) -> dict[str, str]:
    """Attribute path -> reason, for what a failed or missing script would have filled in."""
    out: dict[str, str] = {}
    for sid, why in script_errors.items():
        for attr in NetworkService.scripts.get(sid, ("http",) if sid.startswith("http") else ()):
            out.setdefault(attr, f"nmap script {sid}: {why}")
    return out


@resources.register(HOST)
class NetworkHost(NetworkKind):
    description = "One address nmap scanned (or an nmap XML file listed), with its port table."
    attributes = (
            Attribute("address", "string", "IPv4 (or IPv6) address; the resource id."),
            Attribute("addresses", "map", "All addresses by type (ipv4, ipv6, mac)."),
            Attribute("hostnames", "list", "Names nmap resolved or was given."),
            Attribute("state", "string", "up, down or unknown."),
            Attribute("status.state", "string", "Same as state (nmap's <status> element)."),
            Attribute("status.reason", "string", "Why nmap decided the host state."),
            Attribute("ports", "list", "Every port nmap reported (open, closed, filtered)."),
            *_PORT_ATTRS,
            Attribute("open_ports", "list", "Open port numbers (tcp and udp), sorted."),
            Attribute("open_tcp_ports", "list", "Open TCP port numbers, sorted."),
            Attribute("extraports", "list", "Ports nmap summarised ({state, count})."),
            Attribute("udp_ports", "list", "The UDP entries of ports. Port lists hold only the ports scanned: a control "
                      "reading ports nmap did not scan is error (notchecked when UDP was not requested)."),
            Attribute("zone", "string", "Network zone from the inventory (group name or 'zone' variable)."),
            Attribute("source", "string", "'scan' (live nmap) or 'import' (nmap XML file)."),
            Attribute("timed_out", "boolean", "nmap gave up on the host (--host-timeout); the host is an error."),
            Attribute("scanned_protocols", "list", "Protocols the port scan covered (nmap <scaninfo>): tcp, udp, sctp."),
            Attribute("scanned_tcp_ports", "string", "TCP ports scanned, in nmap range syntax; null if TCP was not scanned."),
            Attribute("scanned_tcp_port_count", "integer", "How many TCP ports were scanned."),
            Attribute("scanned_udp_ports", "string", "UDP ports scanned, in nmap range syntax; null if UDP was not scanned."),
            Attribute("scanned_udp_port_count", "integer", "How many UDP ports were scanned."),
            Attribute("udp_scanned", "boolean", "The scan covered UDP (nmap -sU)."),
        )
    commands = ("nmap -sn", "nmap -sS|-sT -sV")
    identity = Identity(id="the address", host="address")

    @staticmethod
    def build(host: Mapping[str, Any], zone: str | None, source: str, coverage: Coverage | None = None, *,
              file: str | None = None, root: bool = True) -> list[Resource]:
        return [host_resource(host, zone, source, coverage, file=file, root=root)]


@resources.register(SERVICE)
class NetworkService(NetworkKind):
    description = "One open port on a host and what nmap learned about it: version, TLS, SSH, HTTP."
    attributes = (
            Attribute("host", "string", "Address of the host."),
            Attribute("hostnames", "list", "Names of the host."),
            Attribute("port", "integer", "Port number."),
            Attribute("protocol", "string", "tcp or udp."),
            Attribute("state", "string", "Port state (services are made for open ports)."),
            Attribute("service", "string", "Service name (ssh, http, ftp, ...)."),
            Attribute("product", "string", "Product from version detection."),
            Attribute("version", "string", "Product version."),
            Attribute("extrainfo", "string", "Extra version info."),
            Attribute("tunnel", "string", "'ssl' when wrapped in TLS."),
            Attribute("cpe", "list", "CPE names from version detection."),
            Attribute("zone", "string", "Network zone from the inventory."),
            Attribute("is_tls", "boolean", "The service speaks TLS."),
            Attribute("is_ssh", "boolean", "The service is SSH."),
            Attribute("is_http", "boolean", "The service is plain (not TLS) HTTP."),
            Attribute("tls", "map", "ssl-enum-ciphers + ssl-cert results; null when not enumerated."),
            Attribute("tls.versions", "list", "Protocol versions offered (SSLv3, TLSv1.0 ... TLSv1.3)."),
            Attribute("tls.ciphers", "list", "Cipher suites offered: {name, grade (A-F), version, kex_info}."),
            Attribute("tls.least_grade", "string", "Worst cipher grade offered (A best, F worst)."),
            Attribute("tls.warnings", "list", "ssl-enum-ciphers warnings, prefixed by version."),
            Attribute("tls.cert", "map", "Leaf certificate: subject, issuer, self_signed, not_before, "
                      "not_after, expired, days_left, sig_algo, key_type, key_bits."),
            Attribute("ssh", "map", "ssh2-enum-algos results; null when not enumerated."),
            Attribute("ssh.kex", "list", "Key exchange algorithms offered."),
            Attribute("ssh.ciphers", "list", "Encryption algorithms offered."),
            Attribute("ssh.macs", "list", "MAC algorithms offered."),
            Attribute("ssh.host_keys", "list", "Host key algorithms offered."),
            Attribute("ssh.compression", "list", "Compression algorithms offered."),
            Attribute("ssh.protocol_versions", "list", "SSH protocol versions ('1', '2') from banner and sshv1."),
            Attribute("http", "map", "http-title results for plain HTTP; null when not probed."),
            Attribute("http.redirects_to_https", "boolean", "The root URL redirects to an https:// URL."),
            Attribute("http.redirect_url", "string", "Where the root URL redirects."),
            Attribute("http.title", "string", "Page title when not redirected."),
            Attribute("http.served_over_tls", "boolean", "The probed service is wrapped in TLS (HTTPS)."),
            Attribute("script_errors", "map", "NSE script id -> error, for scripts that failed or did not run."),
        )
    commands = ("nmap -sV", "nmap --script ssl-enum-ciphers,ssl-cert", "nmap --script ssh2-enum-algos,sshv1",
                "nmap --script http-title")
    identity = Identity(id="`<address>:<port>/<proto>`", host="host")
    scripts = {
        "ssl-enum-ciphers": ("tls.versions", "tls.ciphers", "tls.least_grade"),
        "ssl-cert": ("tls.cert",),
        "ssh2-enum-algos": ("ssh",),
        "sshv1": ("ssh.protocol_versions",),
        "http-title": ("http",),
    }

    @staticmethod
    def build(host: Mapping[str, Any], zone: str | None, source: str, coverage: Coverage | None = None, *,
              file: str | None = None, root: bool = True) -> list[Resource]:
        return service_resources(host, zone, source, file=file)
