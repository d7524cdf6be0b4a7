"""Parser for host.pam: password quality, lockout, history and hashing from the PAM stacks."""

from __future__ import annotations

from typing import Any

from checks.host.parsers import NOT_ROOT_HINT, FactError
from checks.host.parsers.common import config_lines, int_or_none, require, to_int, truncated_reason
from checks.host.script import FileChunk, Output, split_files
from scanner.model import Resource

_STACK_FILES = {
    # Debian/Ubuntu: one file per management group; RHEL family: system-auth and password-auth hold all.
    "/etc/pam.d/common-password": "debian", "/etc/pam.d/common-auth": "debian",
    "/etc/pam.d/common-account": "debian", "/etc/pam.d/common-session": "debian",
    "/etc/pam.d/system-auth": "rhel", "/etc/pam.d/password-auth": "rhel",
}
#: The attributes each configuration file feeds (a truncated file makes only these an error).
_CONF_ATTRS = {"/etc/security/pwquality.conf": ("pwquality",), "/etc/security/faillock.conf": ("faillock",),
               "/etc/security/pwhistory.conf": ("pwhistory_enabled", "pwhistory_remember", "pwhistory")}
_HASHES = ("yescrypt", "gost_yescrypt", "sha512", "sha256", "blowfish", "bigcrypt", "md5")


def _entries(chunk: FileChunk) -> list[dict[str, Any]]:
    out = []
    for line in config_lines(chunk.text):
        if line.startswith("@"):
            continue
        # The control may be a bracketed list with spaces: [success=1 default=ignore].
        words: list[str]
        if "[" in line and "]" in line:
            head, _, after = line.partition("[")
            inner, _, tail = after.partition("]")
            ptype, control, words = head.strip(), f"[{inner}]", tail.split()
        else:
            f = line.split()
            ptype, control, words = (f[0], f[1], f[2:]) if len(f) >= 3 else ("", "", [])
        rest = words
        if not rest:
            continue
        module = rest[0].rsplit("/", 1)[-1]
        out.append({"file": chunk.path, "type": ptype.lstrip("-"), "control": control, "module": module,
                    "args": rest[1:]})
    return out


def _args_map(args: list[str]) -> dict[str, Any]:
    m: dict[str, Any] = {}
    for a in args:
        k, sep, v = a.partition("=")
        m[k] = to_int(v) if sep else True
    return m


def _conf(chunk: FileChunk) -> dict[str, Any]:
    m: dict[str, Any] = {}
    for line in config_lines(chunk.text):
        k, sep, v = line.partition("=")
        m[k.strip()] = to_int(v.strip()) if sep else True
    return m


def parse_pam(out: Output) -> list[Resource]:
    """``host.pam``: one resource per host (id ``pam``)."""
    _, chunks = split_files(require(out.get("pam"), "PAM configuration"), out.marker)
    unreadable = [c.path for c in chunks if c.state == "unreadable"]
    if unreadable:
        raise FactError(f"{', '.join(unreadable)} not readable: {NOT_ROOT_HINT}")
    lost: dict[str, str] = {}
    for c in chunks:
        if c.state != "truncated":
            continue
        if c.path in _STACK_FILES:  # a partial stack could miss the very module a control looks for
            raise FactError(truncated_reason(c.path))
        conf = "/etc/security/pwquality.conf" if c.path.startswith("/etc/security/pwquality.conf") else c.path
        for attr in _CONF_ATTRS.get(conf, ()):
            lost.setdefault(attr, truncated_reason(c.path))
    links = next((c for c in chunks if c.path == "links:/etc/pam.d"), None)
    chunks = [c for c in chunks if c is not links]
    present = [c for c in chunks if c.state == "ok"]
    layouts = {_STACK_FILES[c.path] for c in present if c.path in _STACK_FILES}
    if not layouts:
        raise FactError("PAM configuration not found: neither /etc/pam.d/common-password nor /etc/pam.d/system-auth")
    layout = "debian" if "debian" in layouts else "rhel"
    stack = [e for c in present if _STACK_FILES.get(c.path) == layout for e in _entries(c)]
    by_type: dict[str, list[dict[str, Any]]] = {"auth": [], "account": [], "password": [], "session": []}
    for e in stack:
        by_type.setdefault(e["type"], []).append(e)

    def mods(ptype: str, *names: str) -> list[dict[str, Any]]:
        return [e for e in by_type.get(ptype, []) if e["module"] in names]

    pwquality: dict[str, Any] = {}
    faillock: dict[str, Any] = {}
    pwhistory: dict[str, Any] = {}
    for c in present:
        if c.path.startswith("/etc/security/pwquality.conf"):
            pwquality.update(_conf(c))
        elif c.path == "/etc/security/faillock.conf":
            faillock.update(_conf(c))
        elif c.path == "/etc/security/pwhistory.conf":
            pwhistory.update(_conf(c))
    # Module arguments override the configuration files.
    for e in mods("password", "pam_pwquality.so", "pam_cracklib.so"):
        pwquality.update(_args_map(e["args"]))
    for e in mods("auth", "pam_faillock.so") + mods("account", "pam_faillock.so"):
        faillock.update({k: v for k, v in _args_map(e["args"]).items()
                         if k not in ("preauth", "authfail", "authsucc")})
    for e in mods("password", "pam_pwhistory.so"):
        pwhistory.update(_args_map(e["args"]))
    unix_pw = mods("password", "pam_unix.so")
    remember = pwhistory.get("remember") if mods("password", "pam_pwhistory.so") else None
    if remember is None:
        remember = next((_args_map(e["args"]).get("remember") for e in unix_pw
                         if "remember" in _args_map(e["args"])), None)
    hashing = next((a for e in unix_pw for a in e["args"] if a in _HASHES), None)
    attrs: dict[str, Any] = {
        "layout": layout,
        "files": [c.path for c in present],
        **by_type,
        "pwquality_enabled": bool(mods("password", "pam_pwquality.so", "pam_cracklib.so")),
        "pwquality": pwquality,
        "faillock_enabled": bool(mods("auth", "pam_faillock.so", "pam_tally2.so")),
        "faillock": faillock,
        "pwhistory_enabled": bool(mods("password", "pam_pwhistory.so")) or remember is not None,
        "pwhistory_remember": int_or_none(str(remember)) if remember is not None else None,
        "pwhistory": pwhistory,
        "unix_hashing": hashing,
        "nullok": any("nullok" in e["args"] for e in mods("auth", "pam_unix.so") + unix_pw),
    }
    attrs.update(_authselect(chunks, links, lost))
    return [Resource("pam", "host.pam", attrs, attr_errors=lost)]


def _authselect(chunks: list[FileChunk], links: FileChunk | None, lost: dict[str, str]) -> dict[str, Any]:
    """authselect(8): the selected profile and features (/etc/authselect/authselect.conf: the profile id on the
    first line, one feature a line), and whether system-auth and password-auth are its links."""
    conf = next((c for c in chunks if c.path == "/etc/authselect/authselect.conf"), None)
    out: dict[str, Any] = {}
    if conf is None:  # output of a fact script older than authselect support: not read
        return out
    if conf.state == "truncated":
        lost.update({a: truncated_reason(conf.path) for a in ("authselect_profile", "authselect_features")})
    else:
        words = config_lines(conf.text) if conf.state == "ok" else []
        out["authselect_profile"] = words[0] if words else None
        out["authselect_features"] = words[1:]
    if links is not None:
        targets = dict(ln.split("\t", 1) for ln in links.text.split("\n") if "\t" in ln)
        out["authselect_managed"] = all(targets.get(f"/etc/pam.d/{n}", "").startswith("/etc/authselect/")
                                        for n in ("system-auth", "password-auth"))
    return out
