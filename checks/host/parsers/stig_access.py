"""Parser for ``host.stig_access``: the DISA STIG access settings no other host type reports (section
``stig_access`` of checks/host/facts_stig_access.sh, plus the ``pam`` and ``banners`` sections).

Every attribute is read from files; a file that could not be read (or was cut short) makes the attributes it
feeds an error (``attr_errors``), never a value. A file that does not exist gives null (unset), so a control
requiring the setting fails.
"""

from __future__ import annotations

import re
from typing import Any

from checks.host.parsers import NOT_ROOT_HINT, FactError
from checks.host.parsers.common import perms_of, to_int, truncated_reason
from checks.host.parsers.pam import _entries
from checks.host.script import FileChunk, Output, split_files
from scanner.model import Resource

#: PAM stack files -> the key their settings carry (JMESPath identifiers: no `-` or `/`).
PAM_FILES = {"/etc/pam.d/system-auth": "system_auth", "/etc/pam.d/password-auth": "password_auth",
             "/etc/pam.d/common-password": "common_password", "/etc/pam.d/common-auth": "common_auth"}
_HASHES = ("yescrypt", "gost_yescrypt", "sha512", "sha256", "blowfish", "bigcrypt", "md5")
_SPAN = re.compile(r"(\d+(?:\.\d+)?)\s*(us|usec|ms|msec|seconds|second|sec|s|minutes|minute|min|m|hours|hour|hr|h|"
                   r"days|day|d|weeks|week|w)?")
_UNIT = {"us": 1e-6, "usec": 1e-6, "ms": 1e-3, "msec": 1e-3, "": 1, "s": 1, "sec": 1, "second": 1, "seconds": 1,
         "m": 60, "min": 60, "minute": 60, "minutes": 60, "h": 3600, "hr": 3600, "hour": 3600, "hours": 3600,
         "d": 86400, "day": 86400, "days": 86400, "w": 604800, "week": 604800, "weeks": 604800}
_UMASK = re.compile(r"^\s*umask\s+([0-7]{1,4})\s*(?:[;#].*)?$")


def unread_why(c: FileChunk) -> str:
    """Why an unreadable or truncated file of the STIG access sections is unknown (the message of every
    STIG access parser)."""
    return truncated_reason(c.path) if c.state == "truncated" else f"{c.path} not readable: {NOT_ROOT_HINT}"

def normalise_text(text: str) -> str:
    """Whitespace runs as one space, stripped: how the STIG compares banner text."""
    return " ".join(text.split())


def time_span(value: str) -> int | None:
    """A systemd time span (``600``, ``10min``, ``1h 30s``) in whole seconds; None when it is not one."""
    text = value.strip()
    if not text:
        return None
    pos, total = 0, 0.0
    for m in _SPAN.finditer(text):
        if text[pos:m.start()].strip() or not m.group(0):
            return None
        total += float(m.group(1)) * _UNIT[m.group(2) or ""]
        pos = m.end()
    return int(total) if not text[pos:].strip() and pos else None


def _idle_seconds(idle: str | None) -> int | str | None:
    """StopIdleSessionSec= in seconds: infinity (no limit, systemd's default) is 0, which fails a required limit;
    text that is not a time span stays text (a control comparing it is an error, never a pass)."""
    if idle is None or idle == "infinity":
        return None if idle is None else 0
    span = time_span(idle)
    return idle if span is None else span


def _ini(chunks: list[FileChunk], section: str, key: str) -> tuple[str | None, str | None]:
    """The last ``key=`` of ``[section]`` over ``chunks`` in order, and its ``file:line``."""
    value, at = None, None
    for c in chunks:
        current = ""
        for n, raw in enumerate(c.text.split("\n"), 1):
            line = raw.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("[") and line.endswith("]"):
                current = line[1:-1].strip()
            elif current == section and "=" in line:
                k, _, v = line.partition("=")
                if k.strip() == key:
                    value, at = v.strip(), f"{c.path}:{n}"
    return value, at


def _dropins(chunks: list[FileChunk], main: list[str], dirs: tuple[str, ...]) -> list[FileChunk]:
    """systemd's order: the main file(s), then the drop-ins by file name (a name in an earlier directory of
    ``dirs`` hides the same name in a later one)."""
    picked: dict[str, FileChunk] = {}
    for d in reversed(dirs):
        for c in chunks:
            if c.path.startswith(d + "/") and c.path.endswith(".conf") and c.state == "ok":
                picked[c.path.rsplit("/", 1)[1]] = c
    return [c for p in main for c in chunks if c.path == p and c.state == "ok"] + [
        picked[n] for n in sorted(picked)]


def _exec_start(chunks: list[FileChunk], unit: str) -> tuple[str | None, str | None]:
    """The ExecStart a unit runs: its unit file (/etc over /usr/lib, /lib), then the drop-ins (an empty
    ``ExecStart=`` resets the list)."""
    base = next((c for p in (f"/etc/systemd/system/{unit}", f"/usr/lib/systemd/system/{unit}",
                             f"/lib/systemd/system/{unit}") for c in chunks if c.path == p and c.state == "ok"), None)
    files = ([base] if base else []) + _dropins(chunks, [], tuple(f"{d}/{unit}.d" for d in (
        "/etc/systemd/system", "/run/systemd/system", "/usr/lib/systemd/system")))
    value, at = None, None
    for c in files:
        current = ""
        for n, raw in enumerate(c.text.split("\n"), 1):
            line = raw.strip()
            if line.startswith("[") and line.endswith("]"):
                current = line[1:-1].strip()
            elif current == "Service" and line.startswith("ExecStart") and "=" in line:
                k, _, v = line.partition("=")
                if k.strip() == "ExecStart":
                    value, at = (v.strip() or None), f"{c.path}:{n}"
    return value, at


def _umasks(chunk: FileChunk | None) -> list[dict[str, Any]]:
    if chunk is None or chunk.state != "ok":
        return []
    out = []
    for n, raw in enumerate(chunk.text.split("\n"), 1):
        m = _UMASK.match(raw)
        if m:
            mask = int(m.group(1), 8)
            out.append({"file": chunk.path, "line": n, "value": m.group(1), "allows": perms_of(0o777 & ~mask)})
    return out


def _limits(chunks: list[FileChunk]) -> tuple[int | str | None, str | None]:
    """The maxlogins pam_limits applies to every user (``*`` with type hard or -): the last entry in its order
    (limits.conf, then limits.d/*.conf by name)."""
    files = [c for c in chunks if c.path == "/etc/security/limits.conf" and c.state == "ok"]
    files += sorted((c for c in chunks if c.path.startswith("/etc/security/limits.d/") and c.path.endswith(".conf")
                     and c.state == "ok"), key=lambda c: c.path)
    value: int | str | None = None
    at = None
    for c in files:
        for n, raw in enumerate(c.text.split("\n"), 1):
            f = raw.split("#", 1)[0].split()
            if len(f) == 4 and f[0] == "*" and f[1] in ("hard", "-") and f[2] == "maxlogins":
                value, at = to_int(f[3]), f"{c.path}:{n}"
    return value, at


def _pam(out: Output) -> tuple[dict[str, Any], dict[str, str]]:
    sec = out.get("pam")
    names = ("unix_rounds", "unix_hashes", "pwquality_in", "faillock_in", "faildelay")
    if not sec.ok:
        return {}, {a: f"PAM configuration could not be read: {sec.reason()}" for a in names}
    _, chunks = split_files(sec.stdout, out.marker)
    bad = [c for c in chunks if c.path in PAM_FILES and c.state in ("unreadable", "truncated")]
    if bad:
        why = (truncated_reason(bad[0].path) if bad[0].state == "truncated"
               else f"{bad[0].path} not readable: {NOT_ROOT_HINT}")
        return {}, {a: why for a in names}
    rounds: dict[str, Any] = {}
    hashes: dict[str, Any] = {}
    pwq: dict[str, bool] = {}
    faillock: dict[str, bool] = {}
    delay = None
    for c in chunks:
        key = PAM_FILES.get(c.path)
        if key is None or c.state != "ok":
            continue
        entries = _entries(c)
        unix = [e for e in entries if e["type"] == "password" and e["module"] == "pam_unix.so"]
        found = [to_int(a.partition("=")[2]) for e in unix for a in e["args"] if a.startswith("rounds=")]
        rounds[key] = found[-1] if found else None
        hashes[key] = [a for e in unix for a in e["args"] if a in _HASHES]
        pwq[key] = any(e["type"] == "password" and e["module"] == "pam_pwquality.so"
                       and e["control"] in ("required", "requisite") for e in entries)
        fl = [e for e in entries if e["module"] == "pam_faillock.so"]
        faillock[key] = (any(e["type"] == "auth" and "preauth" in e["args"] for e in fl)
                         and any(e["type"] == "auth" and "authfail" in e["args"] for e in fl)
                         and any(e["type"] == "account" for e in fl))
        if key == "common_auth":
            for e in entries:
                if e["type"] == "auth" and e["control"] == "required" and e["module"] == "pam_faildelay.so":
                    delay = next((to_int(a.partition("=")[2]) for a in e["args"] if a.startswith("delay=")), delay)
    return {"unix_rounds": rounds, "unix_hashes": hashes, "pwquality_in": pwq, "faillock_in": faillock,
            "faildelay": delay}, {}


def _banners(out: Output) -> tuple[dict[str, Any], dict[str, str]]:
    sec = out.get("banners")
    keys = {"/etc/issue": "issue_text", "/etc/issue.net": "issue_net_text"}
    if not sec.ok:
        return {}, {a: f"login banners could not be read: {sec.reason()}" for a in keys.values()}
    attrs: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for c in split_files(sec.stdout, out.marker)[1]:
        name = keys.get(c.path)
        if name is None:
            continue
        if c.state == "ok":
            attrs[name] = normalise_text(c.text)
        elif c.state == "missing":
            attrs[name] = None
        else:
            errors[name] = (truncated_reason(c.path) if c.state == "truncated"
                            else f"{c.path} not readable: {NOT_ROOT_HINT}")
    return attrs, errors


_BACKENDS = {"/etc/crypto-policies/back-ends/opensshserver.config": "crypto_policy_sshd",
             "/etc/crypto-policies/back-ends/openssh.config": "crypto_policy_ssh"}


def _backend(chunk: FileChunk | None, keyword: str) -> list[str] | None:
    """The algorithm list of the first uncommented ``Keyword list`` line (OpenSSH keeps the first), or
    ``-oKeyword=list`` (the older opensshserver.config form); None when there is none."""
    if chunk is None or chunk.state != "ok":
        return None
    for raw in chunk.text.split("\n"):
        line = raw.strip()
        if line.startswith("#"):
            continue
        m = re.match(rf"^(?:-o)?{keyword}[\s=]+(\S+)", line, re.IGNORECASE) or re.search(
            rf"-o{keyword}=([^\s']+)", line, re.IGNORECASE)
        if m:
            return [a for a in m.group(1).strip("'\"").split(",") if a]
    return None


#: attribute -> the files it is read from (an unreadable or cut file among them makes it an error)
_FEEDS = {
    "ctrl_alt_del_burst_action": ("/etc/systemd/system.conf", "system.conf.d/"),
    "stop_idle_session_sec": ("/etc/systemd/logind.conf", "logind.conf.d/"),
    "rescue_exec_start": ("rescue.service",), "emergency_exec_start": ("emergency.service",),
    "maxlogins": ("/etc/security/limits.conf", "/etc/security/limits.d/"),
    "libuser_crypt_style": ("/etc/libuser.conf",),
    "crypto_policy_sshd_ciphers": ("/etc/crypto-policies/back-ends/opensshserver.config",),
    "crypto_policy_sshd_macs": ("/etc/crypto-policies/back-ends/opensshserver.config",),
    "crypto_policy_ssh_ciphers": ("/etc/crypto-policies/back-ends/openssh.config",),
    "crypto_policy_ssh_macs": ("/etc/crypto-policies/back-ends/openssh.config",), "csh_umask": ("/etc/csh.cshrc",), "bashrc_umask": ("/etc/bashrc",),
}


def _dotfile_umasks(out: Output) -> tuple[dict[str, Any], dict[str, str]]:
    """``umask`` lines in the dot files of the interactive (not system) accounts."""
    from checks.host.parsers.accounts import parse_users

    sec = out.get("stig_dotfiles")
    if not sec.ok:
        return {}, {"interactive_umask_lines": f"users' dot files could not be read: {sec.reason()}"}
    try:
        system = {r.attrs["name"] for r in parse_users(out) if r.attrs.get("system")}
    except FactError as exc:
        return {}, {"interactive_umask_lines": str(exc)}
    found = []
    for ln in sec.stdout.split("\n"):
        if ln.startswith("GS_LIMIT"):
            return {}, {"interactive_umask_lines": "more than 1000 accounts with a login shell: not evaluated"}
        parts = ln.split("\t")
        if parts[0] == "GS_DENIED" and len(parts) == 3 and parts[1] not in system:
            return {}, {"interactive_umask_lines": f"{parts[2]} (home of {parts[1]}) cannot be read: {NOT_ROOT_HINT}"}
        if len(parts) == 2 and parts[0] not in system:
            where, _, text = parts[1].partition(":")
            line, _, text = text.partition(":")
            found.append({"user": parts[0], "file": where, "line": to_int(line), "text": text.strip()})
    return {"interactive_umask_lines": found}, {}


def parse_stig_access(out: Output) -> list[Resource]:
    """``host.stig_access``: one resource per host (id ``stig_access``)."""
    sec = out.get("stig_access")
    if not sec.ok:
        raise FactError(f"STIG access settings could not be read: {sec.reason()}")
    _, chunks = split_files(sec.stdout, out.marker)
    errors: dict[str, str] = {}
    for c in chunks:
        if c.state not in ("unreadable", "truncated") or c.path.endswith("/"):
            continue
        why = unread_why(c)
        for attr, feeds in _FEEDS.items():
            if any(c.path == f or (f.endswith("/") and f in c.path) or c.path.endswith("/" + f) or f"/{f}.d/" in c.path
                   for f in feeds):
                errors.setdefault(attr, why)
    for c in chunks:  # an unlistable drop-in directory hides what it holds
        if c.path.endswith("/") and c.state == "unreadable":
            for attr, feeds in _FEEDS.items():
                if any(f.rstrip("/") in c.path for f in feeds):
                    errors.setdefault(attr, f"{c.path} cannot be listed: {NOT_ROOT_HINT}")
    links_chunk = next((c for c in chunks if c.path == "links:/etc/systemd/system"), None)
    links = dict(ln.split("\t", 1) for ln in (links_chunk.text if links_chunk else "").split("\n") if "\t" in ln)
    cad = links.get("/etc/systemd/system/ctrl-alt-del.target")
    default = links.get("/etc/systemd/system/default.target")
    sysd = ("/etc/systemd", "/run/systemd", "/usr/local/lib/systemd", "/usr/lib/systemd")
    burst, burst_at = _ini(_dropins(chunks, ["/etc/systemd/system.conf"], tuple(f"{d}/system.conf.d" for d in sysd)),
                           "Manager", "CtrlAltDelBurstAction")
    idle, idle_at = _ini(_dropins(chunks, ["/etc/systemd/logind.conf"], tuple(f"{d}/logind.conf.d" for d in sysd)),
                         "Login", "StopIdleSessionSec")
    rescue, rescue_at = _exec_start(chunks, "rescue.service")
    emergency, emergency_at = _exec_start(chunks, "emergency.service")
    maxlogins, maxlogins_at = _limits(chunks)
    libuser = next((c for c in chunks if c.path == "/etc/libuser.conf"), None)
    crypt, crypt_at = _ini([libuser] if libuser and libuser.state == "ok" else [], "defaults", "crypt_style")
    by_path = {c.path: c for c in chunks}
    attrs: dict[str, Any] = {
        "ctrl_alt_del_link": None if cad is None else ("(not a link)" if cad == "GS_NOT_A_LINK" else cad),
        "ctrl_alt_del_masked": cad == "/dev/null",
        "default_target_link": None if default is None else ("(not a link)" if default == "GS_NOT_A_LINK" else default),
        "default_target": default.rsplit("/", 1)[-1] if default and default != "GS_NOT_A_LINK" else None,
        "ctrl_alt_del_burst_action": burst,
        "stop_idle_session": idle,
        "stop_idle_session_sec": _idle_seconds(idle),
        "rescue_exec_start": rescue, "emergency_exec_start": emergency,
        "maxlogins": maxlogins,
        "libuser_exists": bool(libuser and libuser.state != "missing"),
        "libuser_crypt_style": crypt,
        "csh_umask": _umasks(by_path.get("/etc/csh.cshrc")),
        "cshrc_exists": by_path.get("/etc/csh.cshrc", FileChunk("", "missing")).state != "missing",
        "bashrc_umask": _umasks(by_path.get("/etc/bashrc")),
        "bashrc_exists": by_path.get("/etc/bashrc", FileChunk("", "missing")).state != "missing",
        **{f"{name}_{kw.lower()}": _backend(by_path.get(path), kw)
           for path, name in _BACKENDS.items() for kw in ("Ciphers", "MACs")},
    }
    if links_chunk is None:
        errors.update({a: "the links under /etc/systemd/system were not read" for a in (
            "ctrl_alt_del_link", "ctrl_alt_del_masked", "default_target_link", "default_target")})
    dot, dot_errors = _dotfile_umasks(out)
    attrs.update(dot)
    errors.update(dot_errors)
    pam, pam_errors = _pam(out)
    banners, banner_errors = _banners(out)
    attrs.update(pam)
    attrs.update(banners)
    errors.update(pam_errors)
    errors.update(banner_errors)
    sources = {k: ({"path": at.rsplit(":", 1)[0], "line": int(at.rsplit(":", 1)[1])},)
               for k, at in (("ctrl_alt_del_burst_action", burst_at), ("stop_idle_session_sec", idle_at),
                             ("rescue_exec_start", rescue_at), ("emergency_exec_start", emergency_at),
                             ("maxlogins", maxlogins_at), ("libuser_crypt_style", crypt_at)) if at}
    return [Resource("stig_access", "host.stig_access", attrs, attr_errors=errors, sources=sources)]
