"""Run nmap (through python-nmap) in two phases and return parsed hosts.

Phase 1: host discovery, port scan and version detection (``-sV``) over the requested ports.
Phase 2: the slow scripts only where they apply, per host: ``ssl-enum-ciphers`` + ``ssl-cert`` on TLS
ports, ``ssh2-enum-algos`` + ``sshv1`` on SSH ports, ``http-title`` on plain HTTP ports. Scripts are
forced with ``+`` because nmap's own port rules would skip services on unusual ports. The structured
results come from nmap's XML, parsed by :mod:`checks.network.xmlparse`.

Only the given targets are ever passed to nmap, and every option is validated first so nothing a
user or inventory writes can become an extra nmap argument.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from checks.network import scripts as sc
from checks.network.xmlparse import NmapRun, parse_bytes
from scanner.errors import UsageError

# Every TCP port: "only approved ports are open" can only be shown on a full scan (under 2 s on
# loopback; a firewalled host that drops probes is the slow case, bounded by host_timeout).
DEFAULT_PORTS = "1-65535"
MAX_ADDRESSES = 65536
_PORTS = re.compile(r"^(?:[TU]:)?\d{1,5}(?:-\d{1,5})?(?:,(?:[TU]:)?\d{1,5}(?:-\d{1,5})?)*$")
_TIMEOUT = re.compile(r"^\d{1,6}(?:ms|s|m|h)?$")
_HOSTNAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*\.?$")
NMAP_MISSING = "nmap not found: install it (apt-get install nmap)"


class ScanError(Exception):
    """nmap could not run or reported a fatal problem; the message is for the user."""


def validate_host(spec: str) -> str:
    """An address, CIDR or host name nmap may scan; raise UsageError for anything else."""
    s = spec.strip()
    try:
        return str(ipaddress.ip_address(s))
    except ValueError:
        pass
    if "/" in s:
        try:
            net = ipaddress.ip_network(s, strict=False)
        except ValueError:
            raise UsageError(f"nmap target {spec!r}: expected an IP address, a CIDR (192.0.2.0/28) "
                             "or a host name") from None
        if net.num_addresses > MAX_ADDRESSES:
            raise UsageError(f"nmap target {spec!r}: {net.num_addresses} addresses is more than the "
                             f"{MAX_ADDRESSES} govscan scans in one target; split it")
        return str(net)
    if _HOSTNAME.match(s):
        return s
    raise UsageError(f"nmap target {spec!r}: expected an IP address, a CIDR (192.0.2.0/28) or a host name")


@dataclass(frozen=True)
class ScanOptions:
    """What a live scan does; every field is validated by :meth:`from_inputs`."""

    ports: str = DEFAULT_PORTS
    timing: int = 4
    host_timeout: str = "5m"
    scan_type: str = "auto"
    udp_ports: str = ""
    skip_discovery: bool = False

    @classmethod
    def from_inputs(cls, inputs: Mapping[str, Any]) -> ScanOptions:
        """Read ``ports``, ``timing``, ``host_timeout``, ``scan_type``, ``udp_ports``, ``skip_discovery``."""
        def pick(name: str, default: Any) -> Any:
            value = inputs.get(name)
            return default if value in (None, "") else value

        ports = pick("ports", DEFAULT_PORTS)
        if isinstance(ports, (list, tuple)):
            ports = ",".join(str(p) for p in ports)
        ports = str(ports).replace(" ", "")
        udp = pick("udp_ports", "")
        if isinstance(udp, (list, tuple)):
            udp = ",".join(str(p) for p in udp)
        udp = str(udp).replace(" ", "")
        for name, value in (("ports", ports), ("udp_ports", udp)):
            if value and (not _PORTS.match(value) or any(int(n) > 65535 for n in re.findall(r"\d+", value))):
                raise UsageError(f"{name}={value!r}: expected port numbers and ranges such as 22,80,8000-8100")
        timing = str(pick("timing", 4)).upper().removeprefix("T")
        if timing not in {"0", "1", "2", "3", "4", "5"}:
            raise UsageError(f"timing={inputs.get('timing')!r}: expected a timing template 0-5 (nmap -T0 .. -T5)")
        host_timeout = str(pick("host_timeout", "5m"))
        if not _TIMEOUT.match(host_timeout):
            raise UsageError(f"host_timeout={host_timeout!r}: expected a duration such as 300s, 5m or 1h")
        scan_type = str(pick("scan_type", "auto"))
        if scan_type not in ("auto", "syn", "connect"):
            raise UsageError(f"scan_type={scan_type!r}: expected auto, syn or connect")
        return cls(ports, int(timing), host_timeout, scan_type, udp, bool(pick("skip_discovery", False)))

    def tcp_flag(self, is_root: bool) -> str:
        """``-sS`` (needs root) or ``-sT``; raises ScanError for a SYN scan without privileges."""
        if self.scan_type == "syn" and not is_root:
            raise ScanError("a SYN scan (scan_type=syn, nmap -sS) needs root privileges: run as root "
                            "or use scan_type=connect")
        if self.scan_type == "connect" or not is_root:
            return "-sT"
        return "-sS"

    def common(self, is_root: bool) -> list[str]:
        args = [self.tcp_flag(is_root), f"-T{self.timing}", "--host-timeout", self.host_timeout, "-n"]
        if self.udp_ports and not is_root:
            raise ScanError("a UDP scan (udp_ports) needs root privileges: run as root or leave udp_ports empty")
        return args


def nmap_path() -> str | None:
    return shutil.which("nmap")


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def run_nmap(hosts: list[str], ports: str, args: list[str], source: str) -> NmapRun:
    """One nmap run through python-nmap; the XML it printed, parsed. Raises ScanError."""
    import nmap  # heavy-ish and optional at import time: only when scanning

    try:
        scanner = nmap.PortScanner()
    except nmap.PortScannerError:
        raise ScanError(NMAP_MISSING) from None
    try:
        scanner.scan(hosts=" ".join(hosts), ports=ports, arguments=" ".join(args))
    except nmap.PortScannerError as exc:
        text = str(exc).strip().strip("'\"").replace("\\n", "\n")
        if "root privileges" in text or "requires root" in text:
            raise ScanError(f"nmap needs root privileges for this scan: {text.splitlines()[0]}") from None
        raise ScanError(f"nmap failed: {text.splitlines()[0] if text else 'no output'}") from None
    xml = scanner.get_nmap_last_output()
    if isinstance(xml, str):
        xml = xml.encode()
    try:
        return parse_bytes(xml, source)
    except Exception as exc:  # InputFileError: nmap itself wrote something unparsable
        raise ScanError(f"nmap output could not be parsed: {exc}") from None


def _merge_scripts(into: dict[str, Any], run: NmapRun) -> None:
    by_port = {(p["portid"], p["protocol"]): p for p in into["ports"]}
    for host in run.hosts:
        for p in host["ports"]:
            target = by_port.get((p["portid"], p["protocol"]))
            if target is not None:
                target["scripts"].update(p["scripts"])


def _fail_scripts(host: dict[str, Any], names: str, ports: list[int], message: str) -> None:
    for p in host["ports"]:
        if p["portid"] in ports and p["protocol"] == "tcp":
            for sid in names.replace("+", "").split(","):
                p["scripts"][sid] = {"id": sid, "output": f"ERROR: {message}", "data": None}


def _phase2_jobs(host: dict[str, Any]) -> list[tuple[str, list[int]]]:
    """(scripts, ports) pairs for one host: each script family only on the ports it applies to."""
    families: dict[tuple[str, ...], list[int]] = {sc.TLS_SCRIPTS: [], sc.SSH_SCRIPTS: [], sc.HTTP_SCRIPTS: []}
    for p in host["ports"]:
        if p["state"] != "open" or p["protocol"] != "tcp":
            continue
        svc = p["service"]
        if sc.is_tls(svc):
            families[sc.TLS_SCRIPTS].append(p["portid"])
        elif sc.is_ssh(svc):
            families[sc.SSH_SCRIPTS].append(p["portid"])
        elif sc.is_http(svc):
            families[sc.HTTP_SCRIPTS].append(p["portid"])
    return [(",".join("+" + s for s in names), ports) for names, ports in families.items() if ports]


def scan(hosts: list[str], options: ScanOptions, *, progress: Callable[[str], None] = lambda m: None,
         cancelled: Callable[[], bool] = lambda: False, jobs: int = 4, scripts: bool = True) -> tuple[NmapRun, int]:
    """Scan ``hosts`` in two phases; return the phase-1 run (scripts merged in) and nmap run count.

    ``scripts=False`` stops after phase 1 (discovery, ports, versions), as ``inventory discover`` does.
    """
    if nmap_path() is None:
        raise ScanError(NMAP_MISSING)
    root = is_root()
    common = options.common(root)
    phase1 = common + ["-sV"] + (["-Pn"] if options.skip_discovery else [])
    ports = options.ports
    if options.udp_ports:
        phase1.append("-sU")
        ports = f"T:{ports.replace('T:', '')},U:{options.udp_ports.replace('U:', '')}"
    progress(f"nmap: discovery, ports and versions on {' '.join(hosts)}")
    run = run_nmap(hosts, ports, phase1, "nmap")
    runs = 1
    jobs_list = [(h, names, ports_) for h in run.hosts if h["state"] == "up" for names, ports_ in _phase2_jobs(h)]
    if jobs_list and scripts and not cancelled():
        progress(f"nmap: {len(jobs_list)} script run(s) on TLS, SSH and HTTP ports")

        def one(job: tuple[dict[str, Any], str, list[int]]) -> NmapRun | str:
            host, names, pts = job
            try:
                result = run_nmap([host["address"]], ",".join(map(str, pts)),
                                  common + ["-Pn", "--script", names], "nmap")
            except ScanError as exc:  # recorded on the ports as a script error, never a pass
                return str(exc)
            if any(h.get("timedout") for h in result.hosts):
                return f"nmap host timeout after {options.host_timeout} during the script run"
            return result

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            for (host, names, pts), result in zip(jobs_list, pool.map(one, jobs_list)):
                runs += 1
                if isinstance(result, str):
                    _fail_scripts(host, names, pts, result)
                else:
                    _merge_scripts(host, result)
    return run, runs
