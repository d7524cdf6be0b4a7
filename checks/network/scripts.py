"""Turn nmap NSE script results into the structured attributes controls read.

``ssl-enum-ciphers`` / ``ssl-cert`` -> ``tls``, ``ssh2-enum-algos`` / ``sshv1`` and the version
banner -> ``ssh``, ``http-title`` -> ``http``. nmap 6.4x and later write structured tables into the
XML; older versions only wrote text, which is parsed as a fallback (their grades were the words
``strong`` / ``weak`` / ``broken``, mapped to A / C / F).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

TLS_SCRIPTS = ("ssl-enum-ciphers", "ssl-cert")
SSH_SCRIPTS = ("ssh2-enum-algos", "sshv1")
HTTP_SCRIPTS = ("http-title",)

# Service names nmap gives TLS-wrapped protocols when -sV did not run (port table names).
TLS_SERVICE_NAMES = frozenset({
    "https", "ssl", "imaps", "pop3s", "smtps", "ldaps", "ftps", "ftps-data", "nntps", "ircs",
    "https-alt", "xmpp-client-ssl", "submissions", "sips", "ms-sql-s", "dot",
})
_GRADE_WORDS = {"strong": "A", "weak": "C", "broken": "F", "unknown": "F"}
_GRADES = "ABCDEF"
_VERSION = re.compile(r"^(SSLv[23]|TLSv1(\.[0-3])?)$")


def is_tls(service: Mapping[str, Any] | None) -> bool:
    """True if the port speaks TLS (nmap saw a TLS tunnel, or the port's service is a TLS one)."""
    if not service:
        return False
    return service.get("tunnel") == "ssl" or (service.get("name") or "") in TLS_SERVICE_NAMES


def is_ssh(service: Mapping[str, Any] | None) -> bool:
    return service is not None and (service.get("name") or "") == "ssh"


def is_http(service: Mapping[str, Any] | None) -> bool:
    """Plain (not TLS) HTTP: the ports whose redirect to HTTPS is worth probing."""
    name = (service or {}).get("name") or ""
    return name.startswith("http") and name not in TLS_SERVICE_NAMES and not is_tls(service)


def script_error(script: Mapping[str, Any] | None) -> str | None:
    """The error text when a script failed (nmap writes ``ERROR: ...`` as its output)."""
    if not script:
        return None
    out = (script.get("output") or "").strip()
    if out.startswith("ERROR") or out.startswith("Script execution failed"):
        return out.splitlines()[0][:300]
    return None


def _grade(value: str | None) -> str | None:
    if not value:
        return None
    v = value.strip()
    return v.upper() if v.upper() in _GRADES else _GRADE_WORDS.get(v.lower())


def _worst(grades: list[str]) -> str | None:
    known = [g for g in grades if g in _GRADES]
    return max(known) if known else None


def _ciphers_from_text(output: str) -> dict[str, list[dict[str, Any]]]:
    """Old nmap text output: ``  TLSv1.0:`` headers, then ``      NAME (kex) - A`` lines."""
    versions: dict[str, list[dict[str, Any]]] = {}
    current: str | None = None
    in_ciphers = False
    for line in output.splitlines():
        stripped = line.strip().rstrip(":").strip()
        if _VERSION.match(stripped):
            current, in_ciphers = stripped, False
            versions[current] = []
        elif stripped == "ciphers" and current:
            in_ciphers = True
        elif in_ciphers and current and re.match(r"^(TLS|SSL)_\w+", stripped):
            m = re.match(r"^(\S+)(?:\s+\(([^)]*)\))?\s+-\s+(\w+)", stripped)
            if m:
                versions[current].append({"name": m.group(1), "kex_info": m.group(2), "grade": _grade(m.group(3))})
        elif stripped and not line.startswith("      "):
            in_ciphers = False
    return versions


def tls_info(scripts: Mapping[str, Any], now: dt.datetime | None = None) -> dict[str, Any] | None:
    """``tls`` attribute from ``ssl-enum-ciphers`` and ``ssl-cert``; None when neither ran."""
    enum, cert = scripts.get("ssl-enum-ciphers"), scripts.get("ssl-cert")
    if enum is None and cert is None:
        return None
    # versions/ciphers stay None (not []) when enumeration failed: "offers nothing" would be a lie
    out: dict[str, Any] = {"versions": None, "ciphers": None, "least_grade": None, "warnings": [], "cert": None}
    if enum is not None and not script_error(enum):
        data = enum.get("data")
        per_version: dict[str, list[dict[str, Any]]] = {}
        if isinstance(data, dict):
            for version, table in data.items():
                if not _VERSION.match(version) or not isinstance(table, dict):
                    continue
                ciphers = table.get("ciphers") or []
                per_version[version] = [{"name": c.get("name"), "kex_info": c.get("kex_info"),
                                         "grade": _grade(c.get("strength"))}
                                        for c in ciphers if isinstance(c, dict)]
                warnings = table.get("warnings") or []
                out["warnings"].extend(f"{version}: {w}" for w in warnings if isinstance(w, str))
            least = _grade(data.get("least strength"))
        else:
            per_version = _ciphers_from_text(enum.get("output") or "")
            m = re.search(r"least strength:\s*(\w+)", enum.get("output") or "")
            least = _grade(m.group(1)) if m else None
        out["versions"] = sorted(per_version)
        out["ciphers"] = [dict(c, version=v) for v, cs in per_version.items() for c in cs]
        out["least_grade"] = least or _worst([c["grade"] for c in out["ciphers"] if c["grade"]])
    if cert is not None and not script_error(cert):
        out["cert"] = cert_info(cert, now)
    if out["versions"] is None and out["cert"] is None:
        return None
    return out


def _dn(table: Any) -> str:
    if isinstance(table, dict):
        return "/".join(f"{k}={v}" for k, v in table.items() if isinstance(v, str))
    return ""


def _when(text: str | None) -> dt.datetime | None:
    """nmap writes ``2027-11-21T16:36:46`` (7.x) or ``2027-11-21 16:36:46`` (6.x); always UTC."""
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text.strip().replace(" ", "T"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def cert_info(script: Mapping[str, Any], now: dt.datetime | None = None) -> dict[str, Any]:
    """Certificate facts from ``ssl-cert``: subject, issuer, validity, self-signed, expired."""
    now = now or dt.datetime.now(dt.timezone.utc)
    data = script.get("data")
    if isinstance(data, dict):
        subject, issuer = data.get("subject") or {}, data.get("issuer") or {}
        validity = data.get("validity") or {}
        pubkey = data.get("pubkey") or {}
        not_before, not_after = validity.get("notBefore"), validity.get("notAfter")
        sig_algo, key_type, key_bits = data.get("sig_algo"), pubkey.get("type"), pubkey.get("bits")
        subject_s, issuer_s = _dn(subject), _dn(issuer)
    else:  # old text output
        text = script.get("output") or ""

        def field(name: str) -> str | None:
            m = re.search(rf"^{name}:\s*(.+)$", text, re.MULTILINE)
            return m.group(1).strip() if m else None

        subject_s, issuer_s = field("Subject") or "", field("Issuer") or ""
        not_before, not_after = field("Not valid before"), field("Not valid after")
        sig_algo, key_type, key_bits = field("Signature Algorithm"), field("Public Key type"), field("Public Key bits")
    expires = _when(not_after)
    return {
        "subject": subject_s,
        "issuer": issuer_s,
        "self_signed": bool(subject_s) and subject_s == issuer_s,
        "not_before": not_before,
        "not_after": not_after,
        "expired": (expires < now) if expires else None,
        "days_left": (expires - now).days if expires else None,
        "sig_algo": sig_algo,
        "key_type": key_type,
        "key_bits": int(str(key_bits)) if str(key_bits or "").isdigit() else None,
    }


_SSH_KEYS = {"kex": "kex_algorithms", "host_keys": "server_host_key_algorithms",
             "ciphers": "encryption_algorithms", "macs": "mac_algorithms", "compression": "compression_algorithms"}


def _algos_from_text(output: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    current = None
    for line in output.splitlines():
        m = re.match(r"^\s{2}(\w+):?\s*(?:\(\d+\))?\s*$", line)  # "kex_algorithms: (4)" or "kex_algorithms (4)"
        if m and not line.startswith("      "):
            current = m.group(1)
            out[current] = []
        elif current and line.strip():
            out[current].append(line.strip())
    return out


def ssh_protocols(service: Mapping[str, Any] | None, sshv1: Mapping[str, Any] | None) -> list[str]:
    """Protocol versions from the banner (``protocol 2.0`` / ``1.99``) and the ``sshv1`` script."""
    versions: set[str] = set()
    m = re.search(r"protocol (\d\.\d+)", (service or {}).get("extrainfo") or "")
    if m:
        versions.update({"1.99": {"1", "2"}, "2.0": {"2"}}.get(m.group(1), {m.group(1).split(".")[0]}))
    if sshv1 is not None and "supports SSHv1" in (sshv1.get("output") or ""):
        versions.add("1")
    return sorted(versions)


def ssh_info(scripts: Mapping[str, Any], service: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """``ssh`` attribute from ``ssh2-enum-algos`` (+ banner); None when the script did not run."""
    algos = scripts.get("ssh2-enum-algos")
    if algos is None or script_error(algos):
        return None
    data = algos.get("data")
    table = data if isinstance(data, dict) else _algos_from_text(algos.get("output") or "")
    out: dict[str, Any] = {k: [a for a in (table.get(src) or []) if isinstance(a, str)] for k, src in _SSH_KEYS.items()}
    out["protocol_versions"] = ssh_protocols(service, scripts.get("sshv1"))
    return out


def http_info(scripts: Mapping[str, Any], service: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """``http`` attribute from ``http-title``: title, where it redirects, whether that is HTTPS."""
    title = scripts.get("http-title")
    if title is None or script_error(title):
        return None
    data = title.get("data") if isinstance(title.get("data"), dict) else {}
    redirect = data.get("redirect_url")
    if redirect is None:
        m = re.search(r"Did not follow redirect to (\S+)", title.get("output") or "")
        redirect = m.group(1) if m else None
    return {
        "title": data.get("title") if data else (None if redirect else (title.get("output") or "").strip()),
        "redirect_url": redirect,
        "redirects_to_https": bool(redirect and redirect.lower().startswith("https://")),
        "served_over_tls": is_tls(service),
    }
