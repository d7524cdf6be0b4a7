"""Parsers for the RHEL family types: host.crypto_policy, host.selinux, host.firewalld, host.dnf, host.grub.

Each reads files (``gs_cat`` frames) as the RHEL 9 documentation lays them out; a file that exists but
could not be read, or is over the read limit, makes the attributes it feeds an error, never a default.
``*_at`` attributes and ``Resource.sources`` give the ``file:line`` a value was read from.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

from checks.host.parsers import NOT_ROOT_HINT
from checks.host.parsers.common import require, truncated_reason
from checks.host.script import FileChunk, Output, split_files
from scanner.model import Resource

Sources = dict[str, tuple[dict[str, Any], ...]]


def _chunks(out: Output, section: str, what: str) -> dict[str, FileChunk]:
    _, chunks = split_files(require(out.get(section), what), out.marker)
    return {c.path: c for c in chunks}


def _unread(c: FileChunk | None) -> str | None:
    """Why a file that exists was not read, or None (read, or missing)."""
    if c is None or c.state in ("ok", "missing"):
        return None
    if c.state == "truncated":
        return truncated_reason(c.path)
    return f"{c.path} could not be read ({NOT_ROOT_HINT})"


def _assignments(c: FileChunk) -> list[tuple[str, str, int]]:
    """``KEY=value`` lines (shell-style quoting, ``#`` comments): [(key, value, line)]."""
    out = []
    for n, raw in enumerate(c.text.split("\n"), start=1):
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        try:
            words = shlex.split(value, comments=True)
        except ValueError:
            words = [value.strip()]
        out.append((key.strip(), " ".join(words), n))
    return out


def parse_crypto_policy(out: Output) -> list[Resource]:
    """``host.crypto_policy``: /etc/crypto-policies/config (``POLICY[:MODULE...]``) and sshd's opt-out."""
    files = _chunks(out, "crypto_policy", "crypto-policies configuration")
    attrs: dict[str, Any] = {}
    lost: dict[str, str] = {}
    sources: Sources = {}
    conf = files.get("/etc/crypto-policies/config")
    why = _unread(conf)
    if why:
        lost.update({a: why for a in ("configured", "policy", "base", "modules", "policy_at")})
    else:
        attrs["configured"] = conf is not None and conf.state == "ok"
        lines = [(n, ln.split("#", 1)[0].strip()) for n, ln in enumerate(conf.text.split("\n"), 1)] if conf else []
        lines = [(n, ln) for n, ln in lines if ln]
        if lines:
            n, policy = lines[0]
            base, *mods = policy.split(":")
            attrs.update(policy=policy, base=base.upper(), modules=[m.upper() for m in mods],
                         policy_at=f"{conf.path}:{n}")  # type: ignore[union-attr]
            sources.update({a: ({"path": "/etc/crypto-policies/config", "line": n},) for a in ("policy", "base")})
    sysconfig = files.get("/etc/sysconfig/sshd")
    why = _unread(sysconfig)
    if why:
        lost["sshd_override"] = lost["sshd_override_at"] = why
    else:
        found = [(v, n) for k, v, n in _assignments(sysconfig) if k == "CRYPTO_POLICY"] if sysconfig else []
        attrs["sshd_override"] = bool(found)
        if found:
            attrs["sshd_override_at"] = f"/etc/sysconfig/sshd:{found[-1][1]}"
            sources["sshd_override"] = ({"path": "/etc/sysconfig/sshd", "line": found[-1][1]},)
    fips = files.get("/proc/sys/crypto/fips_enabled")
    if fips is not None:
        if fips.state == "ok":
            attrs["fips_enabled"] = fips.text.strip() == "1"
        elif fips.state == "missing":
            attrs["fips_enabled"] = False  # a kernel without the FIPS switch does not run in FIPS mode
        else:
            lost["fips_enabled"] = _unread(fips) or "unread"
    return [Resource("crypto-policy", "host.crypto_policy", attrs, attr_errors=lost, sources=sources)]


_CMDLINE_OFF = re.compile(r"(?<![\w.-])(selinux=0|enforcing=0)(?![\w.-])")


def parse_selinux(out: Output) -> list[Resource]:
    """``host.selinux``: /etc/selinux/config, what the kernel command line is configured with, the running mode."""
    sec = out.get("selinux")
    _, chunks = split_files(require(sec, "SELinux configuration"), out.marker)
    files = {c.path: c for c in chunks}
    attrs: dict[str, Any] = {}
    lost: dict[str, str] = {}
    sources: Sources = {}
    conf = files.get("/etc/selinux/config")
    why = _unread(conf)
    if why:
        lost.update({a: why for a in ("config_exists", "mode", "policy_type")})
    else:
        attrs["config_exists"] = conf is not None and conf.state == "ok"
        for key, attr in (("SELINUX", "mode"), ("SELINUXTYPE", "policy_type")):
            found = [(v, n) for k, v, n in _assignments(conf) if k == key] if conf else []
            if found:
                attrs[attr] = found[-1][0].lower()
                attrs[f"{attr}_at"] = f"/etc/selinux/config:{found[-1][1]}"
                sources[attr] = ({"path": "/etc/selinux/config", "line": found[-1][1]},)
    # every configured kernel command line: a `selinux=0` or `enforcing=0` there overrides the config file
    disabling: list[str] = []
    cmdline_lost = None
    for c in chunks:
        if c.path in ("/etc/selinux/config", "/sys/fs/selinux/enforce") or c.path.endswith("/"):
            if c.path.endswith("/"):
                cmdline_lost = cmdline_lost or _unread(c)
            continue
        cmdline_lost = cmdline_lost or _unread(c)
        for n, line in enumerate(c.text.split("\n"), start=1):
            stripped = line.strip()
            if stripped.startswith("#"):
                continue
            if (c.path == "/etc/default/grub" and not stripped.startswith("GRUB_CMDLINE_LINUX")) or (
                    c.path.startswith("/boot/loader/entries/") and not stripped.startswith("options")) or (
                    c.path == "/boot/grub2/grubenv" and not stripped.startswith("kernelopts=")):
                continue
            for m in _CMDLINE_OFF.finditer(stripped):
                disabling.append(f"{c.path}:{n}: {m.group(1)}")
    if cmdline_lost:
        lost["bootloader_disables"] = cmdline_lost
    else:
        attrs["bootloader_disables"] = disabling
    enforce = files.get("/sys/fs/selinux/enforce")
    if enforce is not None:
        if enforce.state == "ok":
            attrs["current_mode"] = "enforcing" if enforce.text.strip() == "1" else "permissive"
        elif enforce.state == "missing":
            attrs["current_mode"] = "disabled"  # no selinuxfs: SELinux is not running
        else:
            lost["current_mode"] = _unread(enforce) or "unread"
    return [Resource("selinux", "host.selinux", attrs, attr_errors=lost, sources=sources)]


def parse_firewalld(out: Output) -> list[Resource]:
    """``host.firewalld``: /etc/firewalld/firewalld.conf (``DefaultZone``; firewalld's default is public)."""
    conf = _chunks(out, "firewalld", "firewalld configuration").get("/etc/firewalld/firewalld.conf")
    why = _unread(conf)
    if why:
        return [Resource("firewalld", "host.firewalld", {},
                         attr_errors={a: why for a in ("config_exists", "default_zone", "default_zone_at")})]
    attrs: dict[str, Any] = {"config_exists": conf is not None and conf.state == "ok"}
    sources: Sources = {}
    found = [(v, n) for k, v, n in _assignments(conf) if k == "DefaultZone"] if conf else []
    if found and found[-1][0]:
        attrs["default_zone"] = found[-1][0]
        attrs["default_zone_at"] = f"/etc/firewalld/firewalld.conf:{found[-1][1]}"
        sources["default_zone"] = ({"path": "/etc/firewalld/firewalld.conf", "line": found[-1][1]},)
    elif attrs["config_exists"]:
        attrs["default_zone"] = "public"  # firewalld.conf(5): DefaultZone defaults to public
        attrs["default_zone_at"] = "firewalld's built-in default (DefaultZone not set)"
    return [Resource("firewalld", "host.firewalld", attrs, sources=sources)]


_TRUE = {"1", "yes", "true", "on"}
_FALSE = {"0", "no", "false", "off"}


def _ini(c: FileChunk) -> list[tuple[str, str, str, int]]:
    """[(section, key lower-case, value, line)] of an ini file (dnf.conf, *.repo)."""
    out = []
    section = ""
    for n, raw in enumerate(c.text.split("\n"), start=1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            continue
        key, sep, value = line.partition("=")
        if sep:
            out.append((section, key.strip().lower(), value.strip(), n))
    return out


def _flag(value: str) -> int | str:
    v = value.lower()
    return 1 if v in _TRUE else 0 if v in _FALSE else value


def parse_dnf(out: Output) -> list[Resource]:
    """``host.dnf``: ``gpgcheck`` of dnf.conf's [main] (or yum.conf), and of every repository of
    /etc/yum.repos.d/*.repo (its own value, else [main]'s; dnf.conf(5): False when neither sets it)."""
    sec = out.get("dnf")
    _, chunks = split_files(require(sec, "dnf configuration"), out.marker)
    files = {c.path: c for c in chunks}
    lost: dict[str, str] = {}
    attrs: dict[str, Any] = {}
    sources: Sources = {}
    main = files.get("/etc/dnf/dnf.conf")
    if main is None or main.state == "missing":
        main = files.get("/etc/yum.conf")  # yum (RHEL 7) or a dnf without dnf.conf
    why = _unread(main)
    main_value: int | str | None = None
    if why:
        lost.update({a: why for a in ("conf", "gpgcheck", "gpgcheck_at", "repos")})
    else:
        read = main if main is not None and main.state == "ok" else None
        attrs["conf"] = read.path if read else None
        found = [(v, n) for s, k, v, n in _ini(read) if s == "main" and k == "gpgcheck"] if read else []
        if read and found:
            main_value = _flag(found[-1][0])
            attrs["gpgcheck"] = main_value
            attrs["gpgcheck_at"] = f"{read.path}:{found[-1][1]}"
            sources["gpgcheck"] = ({"path": read.path, "line": found[-1][1]},)
    repos: list[dict[str, Any]] = []
    for c in chunks:
        if not c.path.startswith("/etc/yum.repos.d/"):
            continue
        why = _unread(c)
        if why:
            lost["repos"] = why
            continue
        if c.state != "ok":
            continue  # the pattern matched no file
        by_repo: dict[str, dict[str, Any]] = {}
        for section, key, value, n in _ini(c):
            repo = by_repo.setdefault(section, {"id": section, "file": c.path, "line": n, "enabled": 1,
                                                "gpgcheck": None, "gpgcheck_set": False})
            if key == "enabled":
                repo["enabled"] = _flag(value)
            elif key == "gpgcheck":
                repo.update(gpgcheck=_flag(value), gpgcheck_set=True, line=n)
        for repo in by_repo.values():
            if not repo["gpgcheck_set"]:
                repo["gpgcheck"] = main_value if main_value is not None else 0
            repos.append(repo)
    if "repos" not in lost:
        attrs["repos"] = repos
        sources["repos"] = tuple({"path": r["file"], "line": r["line"]} for r in repos if r["gpgcheck"] != 1)
        if not sources["repos"]:
            del sources["repos"]
    return [Resource("dnf", "host.dnf", attrs, attr_errors=lost, sources=sources)]


_PBKDF2 = re.compile(r"grub\.pbkdf2\.sha512\.\d+\.[0-9A-Fa-f]+\.[0-9A-Fa-f]+")


def parse_grub(out: Output) -> list[Resource]:
    """``host.grub``: whether GRUB 2 asks for a password (a PBKDF2 hash in user.cfg's GRUB2_PASSWORD, or
    ``password_pbkdf2`` with ``set superusers`` in grub.cfg). The hash itself is never kept."""
    files = _chunks(out, "grub", "GRUB configuration")
    lost = [w for w in (_unread(files.get(p)) for p in ("/boot/grub2/user.cfg", "/boot/grub2/grub.cfg",
                                                         "/boot/grub/grub.cfg")) if w]
    if lost:
        return [Resource("grub", "host.grub", {}, attr_errors={a: lost[0] for a in (
            "grub_cfg", "user_cfg_exists", "password_set", "password_at", "superusers")})]
    attrs: dict[str, Any] = {"password_set": False, "superusers": None}
    sources: Sources = {}
    cfg = next((files[p] for p in ("/boot/grub2/grub.cfg", "/boot/grub/grub.cfg")
                if p in files and files[p].state == "ok"), None)
    attrs["grub_cfg"] = cfg.path if cfg else None
    user = files.get("/boot/grub2/user.cfg")
    attrs["user_cfg_exists"] = user is not None and user.state == "ok"
    if user is not None and user.state == "ok":
        for k, v, n in _assignments(user):
            if k == "GRUB2_PASSWORD" and _PBKDF2.fullmatch(v):
                attrs["password_set"], attrs["password_at"] = True, f"{user.path}:{n}"
                sources["password_set"] = ({"path": user.path, "line": n},)
    if cfg is not None:
        for n, raw in enumerate(cfg.text.split("\n"), start=1):
            f = raw.split("#", 1)[0].split()
            if len(f) >= 2 and f[0] == "set" and f[1].startswith("superusers="):
                attrs["superusers"] = f[1].partition("=")[2].strip("\"'")
            elif len(f) >= 3 and f[0] == "password_pbkdf2" and _PBKDF2.fullmatch(f[2]) and not attrs["password_set"]:
                attrs["password_set"], attrs["password_at"] = True, f"{cfg.path}:{n}"
                sources["password_set"] = ({"path": cfg.path, "line": n},)
    return [Resource("grub", "host.grub", attrs, sources=sources)]

