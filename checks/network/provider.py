"""The ``network`` provider: live nmap scans (``nmap://``) and nmap XML imports (``nmap-xml:``).

Targets:
- ``nmap://192.0.2.0/28``, ``nmap://10.0.0.5,10.0.0.6,web01`` - scanned with nmap in two phases
  (:mod:`checks.network.runner`); scan options (ports, timing, host_timeout, scan_type, udp_ports,
  skip_discovery) come from the inventory entry and ``--input``.
- ``nmap-xml:scan.xml`` - an existing nmap XML file, read without scanning. An inventory entry may
  add ``networks: [CIDR, ...]`` to take only that zone's hosts from a file covering several zones.

Zone variables (``zone``, ``approved_ports``...) stay in ``Target.vars`` so controls' inputs of the
same name resolve from them.
"""

from __future__ import annotations

import ipaddress
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from checks.network import resources as res
from checks.network.runner import ScanError, ScanOptions, is_root, scan, validate_host
from checks.network.xmlparse import NmapRun, parse_file
from scanner.errors import InputFileError, UsageError
from scanner.model import CollectError, Collection, Resource, Target
from scanner.provider import CollectContext, Provider, TargetForm

SCAN_OPTIONS = ("ports", "timing", "host_timeout", "scan_type", "udp_ports", "skip_discovery")
XML_PREFIX = "nmap-xml:"
SCAN_PREFIX = "nmap://"


def _networks(value: Any, spec: str) -> tuple[str, ...]:
    if value in (None, "", []):
        return ()
    items = value if isinstance(value, (list, tuple)) else [value]
    out = []
    for item in items:
        try:
            out.append(str(ipaddress.ip_network(str(item), strict=False)))
        except ValueError as exc:
            raise UsageError(f"{spec}: networks entry {item!r} is not a CIDR ({exc})") from None
    return tuple(out)


def in_networks(address: str, networks: tuple[str, ...]) -> bool:
    if not networks:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(n) for n in networks)


class NetworkProvider(Provider):
    """Hosts and services from nmap: live scans or imported XML."""

    name = "network"
    target_forms = (
        TargetForm("nmap://CIDR-or-hosts", "nmap://192.0.2.0/28", "hosts scanned live with nmap (comma list allowed)"),
        TargetForm("nmap-xml:FILE", "nmap-xml:scan.xml", "an existing nmap XML file, read without scanning"),
    )
    default_profile = "network-baseline"
    resource_modules = ("checks.network.resources",)

    def __init__(self) -> None:
        # parse_target parses nmap-xml files eagerly (bad input must stop the CLI before the scan);
        # collect reuses that parse instead of reading a large file twice.
        self._parsed: dict[tuple[str, int, int], NmapRun] = {}
        self._lock = threading.Lock()

    def commands(self) -> Mapping[str, str]:
        return {"inventory discover": "checks.network.discover:discover"}

    def parse_target(self, spec: str, options: Mapping[str, Any]) -> list[Target] | None:
        if spec.startswith(XML_PREFIX):
            return [self._xml_target(spec, options)]
        if spec.startswith(SCAN_PREFIX):
            return [self._scan_target(spec, options)]
        return None

    @staticmethod
    def _split(options: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        opts = {k: options[k] for k in SCAN_OPTIONS + ("networks",) if k in options}
        # scan options stay in vars too: the engine resolves the controls' inputs of the same name
        # from them (default < profile < inventory < --input) and hands them back in ctx.inputs
        variables = {k: v for k, v in options.items() if k != "networks"}
        zone = options.get("zone") or options.get("group")
        if zone:
            variables["zone"] = str(zone)
        return opts, variables

    def _scan_target(self, spec: str, options: Mapping[str, Any]) -> Target:
        body = spec[len(SCAN_PREFIX):]
        if not body:
            raise UsageError(f"{spec}: give hosts to scan, e.g. nmap://192.0.2.0/28 or nmap://10.0.0.5,10.0.0.6")
        hosts = [validate_host(h) for h in body.split(",") if h.strip()]
        opts, variables = self._split(options)
        ScanOptions.from_inputs(opts)  # bad ports/timing in an inventory: exit 2 before scanning
        address = ",".join(hosts)
        return Target(f"nmap://{address}", self.name, address, str(options.get("name") or ""),
                      opts | {"hosts": hosts}, variables)

    def _xml_target(self, spec: str, options: Mapping[str, Any]) -> Target:
        path = spec[len(XML_PREFIX):]
        if not path:
            raise UsageError(f"{spec}: give the nmap XML file, e.g. nmap-xml:scan.xml")
        opts, variables = self._split(options)
        opts["networks"] = _networks(opts.get("networks"), spec)
        self._load(path)  # raises InputFileError (exit 2) for a missing, broken or foreign file
        zone = variables.get("zone")
        tid = f"{XML_PREFIX}{path}" + (f"#{zone}" if zone else "")
        return Target(tid, self.name, path, str(options.get("name") or ""), opts | {"file": path}, variables)

    def _load(self, path: str) -> NmapRun:
        try:
            st = os.stat(path)
            key = (str(Path(path).resolve()), st.st_mtime_ns, st.st_size)
        except OSError:
            key = None
        with self._lock:
            if key is not None and key in self._parsed:
                return self._parsed[key]
        run = parse_file(path)
        if key is not None:
            with self._lock:
                self._parsed[key] = run
        return run

    def collect(self, target: Target, types: frozenset[str], ctx: CollectContext) -> Collection:
        if "file" in target.options:
            return self._collect_xml(target, types)
        return self._collect_scan(target, types, ctx)

    def _collect_xml(self, target: Target, types: frozenset[str]) -> Collection:
        try:
            run = self._load(str(target.options["file"]))
        except InputFileError as exc:  # changed or vanished since parse_target
            return Collection(fatal=str(exc))
        coll = self._build(run, target, types, "import", file=str(target.options["file"]))
        coll.facts.update({"source": "nmap-xml", "file": target.options["file"]})
        if run.exit == "error":
            for t in types & {res.HOST, res.SERVICE}:
                coll.errors.append(CollectError(t, f"nmap reported an error in this file: {run.errormsg or 'unknown'}"))
        return coll

    def _collect_scan(self, target: Target, types: frozenset[str], ctx: CollectContext) -> Collection:
        merged = dict(target.options)
        merged.update({k: ctx.inputs[k] for k in SCAN_OPTIONS if ctx.inputs.get(k) not in (None, "")})
        try:
            options = ScanOptions.from_inputs(merged)
            jobs = int(ctx.options.get("jobs") or 4)
            run, runs = scan(list(target.options["hosts"]), options, progress=ctx.progress,
                             cancelled=ctx.cancel.is_set, jobs=jobs)
        except (ScanError, UsageError) as exc:
            return Collection(fatal=str(exc))
        coll = self._build(run, target, types, "scan", root=is_root())
        coll.api_calls = runs
        coll.facts.update({"source": "nmap", "ports": options.ports, "timing": f"T{options.timing}"})
        if run.exit == "error":
            coll.fatal = f"nmap failed: {run.errormsg or 'unknown error'}"
        return coll

    def _build(self, run: NmapRun, target: Target, types: frozenset[str], source: str, *,
               file: str | None = None, root: bool = True) -> Collection:
        zone = target.vars.get("zone")
        networks = tuple(target.options.get("networks") or ())
        hosts_out: list[Resource] = []
        services: list[Resource] = []
        coverage = res.Coverage.of(run.scaninfo, run.args)
        lost: list[CollectError] = []
        up = 0
        for host in run.hosts:
            if not in_networks(host["address"], networks):
                continue
            up += host["state"] == "up"
            if res.HOST in types:
                hosts_out.extend(res.NetworkHost.build(host, zone, source, coverage, file=file, root=root))
            why = res.host_error(host, coverage)
            if res.SERVICE in types and why:
                # its services are unknown: the service controls must say so for this host, not
                # report "no TLS service in scope"
                lost.append(CollectError(res.SERVICE, why, host["address"]))
            elif res.SERVICE in types and host["state"] == "up":
                services.extend(res.NetworkService.build(host, zone, source, coverage, file=file))
        coll = Collection(errors=lost)
        unseen = res.unscanned_services(coverage, source)
        if unseen and res.SERVICE in types:
            coll.incomplete[res.SERVICE] = unseen
        if res.HOST in types:
            coll.resources[res.HOST] = hosts_out
        if res.SERVICE in types:
            coll.resources[res.SERVICE] = services
        coll.facts = {"nmap_version": run.version, "hosts": len(hosts_out) if res.HOST in types else None,
                      "hosts_up": up, "services": len(services) if res.SERVICE in types else None,
                      "scanned_protocols": list(coverage.protocols)}
        return coll
