"""Parser for ``host.stig_auth``: smart card authentication (pam_pkcs11, SSSD) and who may use sudo for everything,
as the DISA STIGs check them (section ``stig_auth`` of checks/host/facts_stig_access.sh, with ``pam`` and ``sudo``).

SSSD reads /etc/sssd/sssd.conf, then /etc/sssd/conf.d/*.conf in name order, a later file overriding a key of the
same section. A file that could not be read makes the attributes it feeds an error; a missing file or setting is
null or empty, so a control requiring it fails.
"""

from __future__ import annotations

import re
from typing import Any

from checks.host.parsers import NOT_ROOT_HINT
from checks.host.parsers.common import to_int
from checks.host.parsers.pam import _entries
from checks.host.parsers.stig_access import unread_why
from checks.host.script import FileChunk, Output, split_files
from scanner.model import Resource

_ALL_ALL = re.compile(r"^\s*ALL\s+ALL\s*=\s*\(ALL(?:\s*:\s*ALL)?\)\s+ALL\s*$")
_SSSD_ATTRS = ("sssd_conf_exists", "sssd_services", "sssd_certificate_verification", "sssd_pam_cert_auth",
               "sssd_offline_credentials_expiration", "sssd_domain_certificate_verification",
               "sssd_ldap_user_certificate", "sssd_certmap_rules")


def _sections(chunks: list[FileChunk]) -> dict[str, dict[str, str]]:
    """INI sections -> keys -> values over ``chunks`` in order (a later value wins)."""
    out: dict[str, dict[str, str]] = {}
    for c in chunks:
        current = None
        for raw in c.text.split("\n"):
            line = raw.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("[") and line.endswith("]"):
                current = line[1:-1].strip()
                out.setdefault(current, {})
            elif current is not None and "=" in line:
                k, _, v = line.partition("=")
                out[current][k.strip()] = v.strip()
    return out


def _sssd(chunks: list[FileChunk]) -> tuple[dict[str, Any], dict[str, str]]:
    files = [c for c in chunks if c.path == "/etc/sssd/sssd.conf"]
    files += sorted((c for c in chunks if c.path.startswith("/etc/sssd/conf.d/") and c.path.endswith(".conf")),
                    key=lambda c: c.path)
    bad = next((c for c in files if c.state in ("unreadable", "truncated")), None)
    listing = next((c for c in chunks if c.path == "/etc/sssd/conf.d/" and c.state == "unreadable"), None)
    if bad or listing:
        why = unread_why(bad) if bad else f"/etc/sssd/conf.d cannot be listed: {NOT_ROOT_HINT}"
        return {}, {a: why for a in _SSSD_ATTRS}
    sec = _sections([c for c in files if c.state == "ok"])
    main, pam = sec.get("sssd", {}), sec.get("pam", {})
    return {
        "sssd_conf_exists": any(c.state == "ok" for c in files),
        "sssd_services": [s.strip() for s in main.get("services", "").split(",") if s.strip()],
        "sssd_certificate_verification": main.get("certificate_verification"),
        "sssd_pam_cert_auth": pam["pam_cert_auth"].lower() if "pam_cert_auth" in pam else None,
        "sssd_offline_credentials_expiration": to_int(pam.get("offline_credentials_expiration")),
        "sssd_domain_certificate_verification": [v["certificate_verification"] for n, v in sorted(sec.items())
                                                 if n.startswith("domain/") and "certificate_verification" in v],
        "sssd_ldap_user_certificate": [v["ldap_user_certificate"] for _, v in sorted(sec.items())
                                       if "ldap_user_certificate" in v],
        "sssd_certmap_rules": sorted(n for n, v in sec.items() if re.fullmatch(r"certmap/.+/.+", n)),
    }, {}


def _pkcs11(chunks: list[FileChunk]) -> tuple[dict[str, Any], dict[str, str]]:
    conf = next((c for c in chunks if c.path == "/etc/pam_pkcs11/pam_pkcs11.conf"), None)
    names = ("pkcs11_conf_exists", "pkcs11_cert_policies")
    if conf is None or conf.state in ("unreadable", "truncated"):
        return {}, {a: unread_why(conf) if conf else "pam_pkcs11.conf was not read" for a in names}
    policies = []
    for n, raw in enumerate(conf.text.split("\n") if conf.state == "ok" else (), 1):
        m = re.match(r"^\s*cert_policy\s*=\s*(.*?)\s*;?\s*(?:#.*)?$", raw)
        if m:
            policies.append({"line": n, "value": m.group(1),
                             "items": [i.strip() for i in m.group(1).split(",") if i.strip()]})
    return {"pkcs11_conf_exists": conf.state == "ok", "pkcs11_cert_policies": policies}, {}


def _pam_modules(out: Output, auth: list[FileChunk]) -> tuple[dict[str, Any], dict[str, str]]:
    sec = out.get("pam")
    names = ("pkcs11_in_common_auth", "system_auth_sss_cert_auth", "smartcard_auth_allow_missing_name")
    chunks = split_files(sec.stdout, out.marker)[1] if sec.ok else []
    wanted = {c.path: c for c in [*chunks, *auth]
              if c.path in ("/etc/pam.d/common-auth", "/etc/pam.d/system-auth", "/etc/pam.d/smartcard-auth")}
    bad = next((c for c in wanted.values() if c.state in ("unreadable", "truncated")), None)
    if not sec.ok or bad:
        why = unread_why(bad) if bad else f"PAM configuration could not be read: {sec.reason()}"
        return {}, {a: why for a in names}

    def auth_lines(path: str, module: str) -> list[dict[str, Any]]:
        c = wanted.get(path)
        return [e for e in (_entries(c) if c and c.state == "ok" else []) if e["type"] == "auth"
                and e["module"] == module]

    return {
        "pkcs11_in_common_auth": any(e["control"].startswith("[")
                                     for e in auth_lines("/etc/pam.d/common-auth", "pam_pkcs11.so")),
        "system_auth_sss_cert_auth": any({"try_cert_auth", "require_cert_auth"} & set(e["args"])
                                         for e in auth_lines("/etc/pam.d/system-auth", "pam_sss.so")),
        "smartcard_auth_allow_missing_name": any("allow_missing_name" in e["args"]
                                                 for e in auth_lines("/etc/pam.d/smartcard-auth", "pam_sss.so")),
    }, {}


def _sudo(out: Output) -> tuple[dict[str, Any], dict[str, str]]:
    sec = out.get("sudo")
    if not sec.ok:
        return {}, {"sudo_all_all": f"sudoers could not be read: {sec.reason()}"}
    found = []
    for c in split_files(sec.stdout, out.marker)[1]:
        if not (c.path == "/etc/sudoers" or c.path.startswith("/etc/sudoers.d/")) or c.path.endswith("/"):
            continue
        if c.state in ("unreadable", "truncated"):
            return {}, {"sudo_all_all": unread_why(c)}
        for n, raw in enumerate(c.text.split("\n"), 1):
            if _ALL_ALL.match(raw):
                found.append({"file": c.path, "line": n, "text": raw.strip()})
    return {"sudo_all_all": found}, {}


def parse_stig_auth(out: Output) -> list[Resource]:
    """``host.stig_auth``: one resource per host (id ``stig_auth``)."""
    sec = out.get("stig_auth")
    chunks = split_files(sec.stdout, out.marker)[1] if sec.ok else []
    attrs: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if sec.ok:
        parts = [_sssd(chunks), _pkcs11(chunks)]
    else:
        why = f"smart card configuration could not be read: {sec.reason()}"
        parts = [({}, {a: why for a in (*_SSSD_ATTRS, "pkcs11_conf_exists", "pkcs11_cert_policies")})]
    parts += [_pam_modules(out, [c for c in chunks if c.path == "/etc/pam.d/smartcard-auth"]), _sudo(out)]
    if not sec.ok:
        parts[-2][1]["smartcard_auth_allow_missing_name"] = f"smart card configuration could not be read: {sec.reason()}"
        parts[-2][0].pop("smartcard_auth_allow_missing_name", None)
    for a, e in parts:
        attrs.update(a)
        errors.update(e)
    return [Resource("stig_auth", "host.stig_auth", attrs, attr_errors=errors)]
