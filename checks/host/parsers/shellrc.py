"""Parsers for host.shell (TMOUT and umask in shell start-up files, /etc/shells) and host.root_path."""

from __future__ import annotations

import re
from typing import Any

from checks.host.parsers import NOT_ROOT_HINT, FactError
from checks.host.parsers.common import perms_of, preamble, require, truncated_reason
from checks.host.parsers.statlines import id_names, parse_stat_lines
from checks.host.script import FileChunk, Output, split_files
from scanner.model import Resource

#: Files whose umask/TMOUT apply to every user's shell (CIS 5.4.3.2, 5.4.3.3).
SYSTEM_RC = ("/etc/profile", "/etc/bash.bashrc", "/etc/bashrc")
ROOT_RC = ("/root/.bash_profile", "/root/.bash_login", "/root/.profile", "/root/.bashrc")
_UMASK = re.compile(r"(?:^|[;\s])umask\s+(?:-S\s+)?([0-7]{3,4}|[ugoa]*=[rwx]*(?:,[ugoa]*=[rwx]*)*)\b")
_TMOUT_SET = re.compile(r"(?:^|[;\s])(?:(readonly|export|declare\s+-\w+|typeset\s+-\w+)\s+)?TMOUT=[\"']?(\d+)")
_TMOUT_RO = re.compile(r"(?:^|[;\s])(?:readonly\s+(?:\w+\s+)*TMOUT\b|(?:declare|typeset)\s+-\w*r\w*\s+TMOUT\b)")
_TMOUT_EX = re.compile(r"(?:^|[;\s])(?:export\s+(?:\w+\s+)*TMOUT\b|(?:declare|typeset)\s+-\w*x\w*\s+TMOUT\b)")


def umask_value(text: str) -> int | None:
    """``027`` -> 0o027; ``u=rwx,g=rx,o=`` -> 0o027 (the bits the umask removes); None if unreadable."""
    if text.isdigit():
        return int(text, 8) & 0o777
    mask = 0o777
    for part in text.split(","):
        who, _, what = part.partition("=")
        allowed = sum(b for c, b in (("r", 4), ("w", 2), ("x", 1)) if c in what)
        for w, shift in (("u", 6), ("g", 3), ("o", 0)):
            if not who or "a" in who or w in who:
                mask = (mask & ~(7 << shift)) | ((7 - allowed) << shift)
    return mask


def _code(line: str) -> str:
    return line.split("#", 1)[0] if not line.lstrip().startswith("#") else ""


def _umasks(c: FileChunk, *, login_defs: bool = False) -> list[dict[str, Any]]:
    out = []
    for n, raw in enumerate(c.text.split("\n"), 1):
        line = _code(raw)
        if login_defs:
            m = re.match(r"^\s*UMASK\s+([0-7]{3,4})\b", line)
        elif "pam_umask" in line:
            m = re.search(r"\bumask=([0-7]{3,4})\b", line)
        else:
            m = _UMASK.search(line)
        if m:
            v = umask_value(m.group(1))
            if v is not None:
                out.append({"file": c.path, "line": n, "value": f"{v:04o}", "allows": perms_of(0o777 & ~v)})
    return out


def _chunks(out: Output, section: str, what: str) -> dict[str, FileChunk]:
    _, chunks = split_files(require(out.get(section), what), out.marker)
    return {c.path: c for c in chunks}


def parse_shell(out: Output) -> list[Resource]:
    """``host.shell``: one resource (id ``shell``)."""
    files = _chunks(out, "shellrc", "shell start-up files")
    lost: dict[str, str] = {}
    system = [c for p, c in files.items() if p in SYSTEM_RC or (p.startswith("/etc/profile.d/") and "*" not in p)]
    system += [c for p, c in files.items() if p.startswith("/etc/pam.d/common-session")]
    logindefs = _chunks(out, "login_defs", "/etc/login.defs").get("/etc/login.defs")
    if logindefs is not None:
        system.append(logindefs)
    bad = [c for c in system if c.state in ("unreadable", "truncated")]
    if "/etc/profile.d/" in files and files["/etc/profile.d/"].state == "unreadable":
        bad.append(files["/etc/profile.d/"])
    if bad:
        why = "; ".join(truncated_reason(c.path) if c.state == "truncated" else f"{c.path} not readable ({NOT_ROOT_HINT})"
                        for c in bad)
        lost.update({a: why for a in ("umask_settings", "tmout_settings", "tmout_readonly", "tmout_exported")})
    umasks: list[dict[str, Any]] = []
    tmouts: list[dict[str, Any]] = []
    ro = ex = False
    for c in system:
        if c.state != "ok":
            continue
        umasks += _umasks(c, login_defs=c.path == "/etc/login.defs")
        if c.path == "/etc/login.defs" or c.path.startswith("/etc/pam.d/"):
            continue
        for n, raw in enumerate(c.text.split("\n"), 1):
            line = _code(raw)
            for m in _TMOUT_SET.finditer(line):
                tmouts.append({"file": c.path, "line": n, "value": int(m.group(2))})
            ro = ro or bool(_TMOUT_RO.search(line)) or bool(re.search(r"(?:^|[;\s])readonly\s+TMOUT=", line))
            ex = ex or bool(_TMOUT_EX.search(line)) or bool(re.search(r"(?:^|[;\s])export\s+TMOUT=", line))
    root_rc = [files[p] for p in ROOT_RC if p in files]
    root_bad = [c for c in root_rc if c.state in ("unreadable", "truncated")]
    if root_bad:
        lost["root_umask_settings"] = "; ".join(
            truncated_reason(c.path) if c.state == "truncated" else f"{c.path} not readable ({NOT_ROOT_HINT})"
            for c in root_bad)
    root_umasks = [u for c in root_rc if c.state == "ok" for u in _umasks(c)]
    shells = files.get("/etc/shells")
    attrs: dict[str, Any] = {
        "umask_settings": umasks, "root_umask_settings": root_umasks, "tmout_settings": tmouts,
        "tmout_readonly": ro, "tmout_exported": ex, "shells_exists": shells is not None and shells.state != "missing",
    }
    if shells is None or shells.state in ("unreadable", "truncated"):
        lost["shells"] = lost["nologin_shells"] = f"/etc/shells not readable ({NOT_ROOT_HINT})"
    else:
        listed = [ln.strip() for ln in shells.text.split("\n") if ln.strip() and not ln.strip().startswith("#")]
        attrs["shells"] = listed
        attrs["nologin_shells"] = [s for s in listed if "nologin" in s.rsplit("/", 1)[-1]]
    sources = {"umask_settings": tuple({"path": u["file"], "line": u["line"]} for u in umasks[:20]),
               "tmout_settings": tuple({"path": t["file"], "line": t["line"]} for t in tmouts[:20]),
               "root_umask_settings": tuple({"path": u["file"], "line": u["line"]} for u in root_umasks[:20])}
    return [Resource("shell", "host.shell", attrs, attr_errors=lost, sources={k: v for k, v in sources.items() if v})]


def parse_root_path(out: Output) -> list[Resource]:
    """``host.root_path``: the PATH root's login shell sets and each directory in it (id ``root_path``)."""
    sec = out.get("root_path")
    if sec.rc == 1 and "Permission denied" in sec.stderr:
        raise FactError(f"root's PATH could not be read: {NOT_ROOT_HINT}")
    notes, lines = preamble(require(sec, "root's PATH"))
    path = notes.get("GS_PATH")
    if path is None:
        raise FactError("root's PATH could not be read: the login shell printed none")
    entries = path.split(":")
    st = parse_stat_lines(lines, id_names(out))
    if st.problems:
        raise FactError("root's PATH directories could not be examined: " + "; ".join(st.problems[:3]))
    by = {e["path"]: e for e in st.entries}
    dirs = []
    for d in entries:
        e = by.get(d)
        dirs.append({"dir": d, "exists": e is not None, "type": e["type"] if e else None,
                     "owner": e["owner"] if e else None, "perms": e["perms"] if e else []})
    attrs = {
        "path": path, "dirs": dirs,
        "empty_entries": any(d == "" for d in entries), "relative_entries": [d for d in entries if d and not d.startswith("/")],
        "not_directories": [d["dir"] for d in dirs if d["dir"].startswith("/") and d["type"] != "directory"],
        "not_root_owned": [d["dir"] for d in dirs if d["exists"] and d["owner"] != "root"],
        "group_or_world_writable": [d["dir"] for d in dirs if {"gw", "ow"} & set(d["perms"])],
    }
    return [Resource("root_path", "host.root_path", attrs)]
