"""sshd keyword values as ``sshd -T`` prints them, and OpenSSH's documented defaults.

Used where ``sshd -T`` did not say: the keywords of ``Match`` blocks (``sshd -T`` without ``-C``
applies none), and the whole configuration when ``sshd -T`` cannot run (``Missing privilege separation
directory: /run/sshd`` on a host where sshd never ran; no root). :func:`normalise` turns a
configuration line's words into the value ``sshd -T`` would print (``prohibit-password`` ->
``without-password``, ``2m`` -> ``120``, ``debug`` -> ``DEBUG1``, ``+aes128-cbc`` -> the default list
plus aes128-cbc); :func:`defaults` gives sshd_config(5)'s defaults for an OpenSSH version. A keyword
outside these tables is never guessed: the caller reports it as unread.
"""

from __future__ import annotations

import fnmatch
import re

_FLAGS = frozenset({
    "passwordauthentication", "permitemptypasswords", "hostbasedauthentication", "ignoreuserknownhosts",
    "hostbasedusesnamefrompacketonly", "pubkeyauthentication", "kerberosauthentication", "kerberosorlocalpasswd",
    "kerberosticketcleanup", "gssapiauthentication", "gssapicleanupcredentials", "gssapistrictacceptorcheck",
    "kbdinteractiveauthentication", "printmotd", "printlastlog", "x11forwarding", "x11uselocalhost", "permittty",
    "permituserrc", "strictmodes", "tcpkeepalive", "usedns", "allowagentforwarding", "disableforwarding",
    "streamlocalbindunlink", "exposeauthinfo", "usepam",
})
_ENUMS: dict[str, dict[str, str]] = {
    # sshd -T prints the first name of a value in its table: prohibit-password shows as without-password
    "permitrootlogin": {"yes": "yes", "no": "no", "without-password": "without-password",
                        "prohibit-password": "without-password", "forced-commands-only": "forced-commands-only"},
    "ignorerhosts": {"yes": "yes", "no": "no", "shosts-only": "shosts-only"},
    "allowtcpforwarding": {"yes": "yes", "all": "yes", "no": "no", "local": "local", "remote": "remote"},
    "allowstreamlocalforwarding": {"yes": "yes", "all": "yes", "no": "no", "local": "local", "remote": "remote"},
    "gatewayports": {"yes": "yes", "no": "no", "clientspecified": "clientspecified"},
    "compression": {"yes": "yes", "delayed": "yes", "no": "no"},
    "permittunnel": {"yes": "yes", "no": "no", "point-to-point": "point-to-point", "ethernet": "ethernet"},
    "addressfamily": {"any": "any", "inet": "inet", "inet6": "inet6"},
    "fingerprinthash": {"md5": "MD5", "sha256": "SHA256"},
    "loglevel": {"quiet": "SILENT", "fatal": "FATAL", "error": "ERROR", "info": "INFO", "verbose": "VERBOSE",
                 "debug": "DEBUG", "debug1": "DEBUG", "debug2": "DEBUG2", "debug3": "DEBUG3"},
    "syslogfacility": {f: f.upper() for f in ("daemon", "user", "auth", "authpriv", "local0", "local1", "local2",
                                               "local3", "local4", "local5", "local6", "local7")},
}
_INTS = frozenset({"maxauthtries", "maxsessions", "clientalivecountmax", "x11displayoffset", "requiredrsasize"})
_TIMES = frozenset({"logingracetime", "clientaliveinterval"})
#: Keywords whose first word is printed as written (paths, commands, "none").
_WORDS = frozenset({"banner", "chrootdirectory", "pidfile", "xauthlocation", "versionaddendum", "modulifile",
                    "authorizedprincipalsfile", "authorizedkeyscommanduser", "authorizedprincipalscommanduser",
                    "trustedusercakeys", "revokedkeys", "hostkeyagent", "securitykeyprovider"})
#: Keywords printed as the whole line (commands with arguments, pattern lists).
_LINES = frozenset({"forcecommand", "authorizedkeyscommand", "authorizedprincipalscommand", "permituserenvironment"})
ALGORITHMS = frozenset({"ciphers", "macs", "kexalgorithms"})
ALIASES = {"challengeresponseauthentication": "kbdinteractiveauthentication", "keepalive": "tcpkeepalive",
           "pubkeyacceptedkeytypes": "pubkeyacceptedalgorithms",
           "hostbasedacceptedkeytypes": "hostbasedacceptedalgorithms"}

SUPPORTED = _FLAGS | frozenset(_ENUMS) | _INTS | _TIMES | _WORDS | _LINES | ALGORITHMS | {"maxstartups"}
"""Keywords whose value this module reproduces exactly as ``sshd -T`` prints it."""

_TIME_RE = re.compile(r"^(?:\d+[sSmMhHdDwW]?)+$")
_TIME_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

CIPHERS = ("chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,"
           "aes256-gcm@openssh.com")
MACS = ("umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,"
        "hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,"
        "hmac-sha2-256,hmac-sha2-512,hmac-sha1")
KEX = ("sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,"
       "ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,"
       "diffie-hellman-group18-sha512,diffie-hellman-group14-sha256")

OLDEST, NEWEST = (7, 4), (9, 8)
"""The OpenSSH versions whose defaults below are known (sshd_config(5) and myproposal.h of each release)."""

_DEFAULTS = {
    "permitrootlogin": "without-password", "maxauthtries": "6", "maxsessions": "10", "clientaliveinterval": "0",
    "clientalivecountmax": "3", "logingracetime": "120", "permitemptypasswords": "no",
    "hostbasedauthentication": "no", "ignorerhosts": "yes", "ignoreuserknownhosts": "no",
    "hostbasedusesnamefrompacketonly": "no", "pubkeyauthentication": "yes", "passwordauthentication": "yes",
    "kbdinteractiveauthentication": "yes", "kerberosauthentication": "no", "gssapiauthentication": "no",
    "loglevel": "INFO", "syslogfacility": "AUTH", "banner": "none", "disableforwarding": "no",
    "x11forwarding": "no", "x11uselocalhost": "yes", "x11displayoffset": "10", "allowtcpforwarding": "yes",
    "allowagentforwarding": "yes", "allowstreamlocalforwarding": "yes", "gatewayports": "no", "permittunnel": "no",
    "maxstartups": "10:30:100", "permituserenvironment": "no", "permituserrc": "yes", "permittty": "yes",
    "usepam": "no", "strictmodes": "yes", "printlastlog": "yes", "printmotd": "yes", "tcpkeepalive": "yes",
    "compression": "yes", "usedns": "no", "fingerprinthash": "SHA256", "streamlocalbindunlink": "no",
    "chrootdirectory": "none", "forcecommand": "none", "ciphers": CIPHERS, "macs": MACS,
    "kerberosorlocalpasswd": "yes", "kerberosticketcleanup": "yes", "gssapicleanupcredentials": "yes",
    "gssapistrictacceptorcheck": "yes", "hostkeyagent": "none",
    "versionaddendum": "none", "authorizedprincipalsfile": "none", "authorizedkeyscommand": "none",
    "authorizedkeyscommanduser": "none", "authorizedprincipalscommand": "none",
    "authorizedprincipalscommanduser": "none", "trustedusercakeys": "none", "revokedkeys": "none",
}
"""Upstream defaults, the same from OpenSSH 7.4 through 9.8 (keywords absent before a release are below)."""


def parse_version(text: str) -> tuple[int, int] | None:
    """``OpenSSH_9.2p1 Debian-2+deb12u3, OpenSSL ...`` -> ``(9, 2)``."""
    m = re.search(r"OpenSSH_(\d+)\.(\d+)", text or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


def defaults(version: tuple[int, int] | None) -> dict[str, str]:
    """OpenSSH's documented defaults for ``version`` as ``sshd -T`` prints them; {} for a version not known."""
    if version is None or not OLDEST <= version <= NEWEST:
        return {}
    out = dict(_DEFAULTS)
    if version >= (8, 2):
        out["securitykeyprovider"] = "internal"
    if version >= (8, 5):
        out["kexalgorithms"] = KEX
        out["exposeauthinfo"] = "no"
    if version >= (9, 1):
        out["requiredrsasize"] = "1024"
    return out


def normalise(keyword: str, args: tuple[str, ...], base: str | None = None) -> str:
    """The value ``sshd -T`` prints for ``Keyword args...``; ValueError when it cannot be reproduced.

    ``base`` is the default an algorithm list with ``+``, ``-`` or ``^`` modifies.
    """
    if not args:
        raise ValueError("no value")
    first = args[0]
    low = first.lower()
    if keyword in _FLAGS:
        if low not in ("yes", "no"):
            raise ValueError(f"{first!r} is not yes or no")
        return low
    if keyword in _ENUMS:
        if low not in _ENUMS[keyword]:
            raise ValueError(f"{first!r} is not one of {', '.join(sorted(_ENUMS[keyword]))}")
        return _ENUMS[keyword][low]
    if keyword in _INTS:
        if not re.fullmatch(r"-?\d+", first):
            raise ValueError(f"{first!r} is not a number")
        return str(int(first))
    if keyword in _TIMES:
        if not _TIME_RE.match(first):
            raise ValueError(f"{first!r} is not a time (e.g. 60, 2m, 1h30m)")
        return str(sum(int(n) * _TIME_UNITS[u.lower()] for n, u in re.findall(r"(\d+)([sSmMhHdDwW]?)", first)))
    if keyword == "maxstartups":
        parts = first.split(":")
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            return ":".join(str(int(p)) for p in parts)
        if len(parts) == 1 and first.isdigit():
            return f"{int(first)}:30:{int(first)}"
        raise ValueError(f"{first!r} is not start:rate:full")
    if keyword in _WORDS:
        return first
    if keyword in _LINES:
        return " ".join(args)
    if keyword in ALGORITHMS:
        return _algorithms(first, base)
    raise ValueError("govscan does not interpret this keyword without sshd -T")


def _algorithms(value: str, base: str | None) -> str:
    """kex_assemble_names: a list, or ``+list`` appended to / ``-patterns`` removed from / ``^list`` before the default."""
    if value[:1] not in ("+", "-", "^"):
        return value
    if base is None:
        raise ValueError(f"{value!r} modifies the default list, which is not known for this OpenSSH version")
    names = [n for n in base.split(",") if n]
    given = [n for n in value[1:].split(",") if n]
    if value[0] == "+":
        return ",".join(names + [n for n in given if n not in names])
    if value[0] == "^":
        return ",".join(given + [n for n in names if n not in given])
    return ",".join(n for n in names if not any(fnmatch.fnmatchcase(n, p) for p in given))
