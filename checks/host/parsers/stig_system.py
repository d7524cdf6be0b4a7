"""Parsers for the DISA STIG system types: host.stig_boot (kernel arguments in the boot loader
configuration, GRUB superusers), host.chrony (chrony's configuration) and host.stig_conf (dnf, apt,
firewalld, NetworkManager, resolver, USBGuard, postfix, sudo's PAM file).

Files come from ``gs_cat`` frames (checks/host/facts_stig_system.sh). A file that exists but could not
be read, or is over the read limit, makes the attributes it feeds an error (``attr_errors``), never a
default; a missing file is reported as missing (the controls fail where the STIG requires the setting).
"""

from __future__ import annotations

import fnmatch
import re
import shlex
from typing import Any

from checks.host.parsers.common import require, to_int
from checks.host.parsers.firewall import unread_reason
from checks.host.script import FileChunk, Output, split_files
from scanner.model import Resource

Sources = dict[str, tuple[dict[str, Any], ...]]
_CONFIRM = re.compile(r"^systemd\.confirm_spawn=(1|yes|true|on)$", re.I)
_RESERVED_SUPERUSERS = {"root", "admin", "administrator"}


def _files(out: Output, section: str, what: str) -> list[FileChunk]:
    _, chunks = split_files(require(out.get(section), what), out.marker)
    return chunks


def _lines(c: FileChunk) -> list[tuple[int, str]]:
    """Non-blank lines without ``#`` comments: [(line number, text)]."""
    out = []
    for n, raw in enumerate(c.text.split("\n"), start=1):
        line = raw.split("#", 1)[0].strip()
        if line:
            out.append((n, line))
    return out


def _words(value: str) -> list[str]:
    try:
        return shlex.split(value)
    except ValueError:
        return value.split()


def _shell_vars(c: FileChunk) -> dict[str, tuple[str, int]]:
    """``KEY=value`` assignments of a shell-style file (last wins): key -> (value, line)."""
    out: dict[str, tuple[str, int]] = {}
    for n, line in _lines(c):
        m = re.match(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$", line)
        if m:
            out[m.group(1)] = (" ".join(_words(m.group(2))), n)
    return out


def parse_stig_boot(out: Output) -> list[Resource]:
    """``host.stig_boot``: /etc/default/grub, the BLS entries, grubenv, grub.cfg superusers, account names."""
    chunks = _files(out, "stig_boot", "boot loader configuration")
    by = {c.path: c for c in chunks}
    attrs: dict[str, Any] = {}
    lost: dict[str, str] = {}
    sources: Sources = {}
    confirm: list[str] = []
    # /etc/default/grub
    c = by.get("/etc/default/grub")
    why = unread_reason(c, "/etc/default/grub") if c is None or c.state != "missing" else None
    grub_keys = ("default_grub_exists", "cmdline_linux", "cmdline_linux_default", "disable_recovery")
    if why:
        lost.update(dict.fromkeys(grub_keys, why))
    else:
        v = _shell_vars(c) if c is not None and c.state == "ok" else {}
        attrs["default_grub_exists"] = c is not None and c.state == "ok"
        for attr, key in (("cmdline_linux", "GRUB_CMDLINE_LINUX"), ("cmdline_linux_default", "GRUB_CMDLINE_LINUX_DEFAULT")):
            value, lno = v.get(key, ("", 0))
            attrs[attr] = value.split()
            if lno:
                sources[attr] = ({"path": "/etc/default/grub", "line": lno},)
                confirm += [f"/etc/default/grub:{lno}" for a in value.split() if _CONFIRM.match(a)]
        attrs["disable_recovery"] = v.get("GRUB_DISABLE_RECOVERY", ("", 0))[0].lower() == "true"
    # grubenv: kernelopts for entries written as `options $kernelopts`
    env = by.get("/boot/grub2/grubenv")
    env_why = unread_reason(env, "/boot/grub2/grubenv") if env is not None and env.state != "missing" else None
    kernelopts = None
    if env is not None and env.state == "ok":
        m = re.search(r"^kernelopts=(.*)$", env.text, re.M)
        kernelopts = m.group(1).strip() if m else None
    # BLS entries
    d = by.get("/boot/loader/entries/")
    entries: list[dict[str, Any]] = []
    ent_why = None
    if d is None or d.state not in ("ok", "missing"):
        ent_why = "/boot/loader/entries could not be listed" if d is not None else "/boot/loader/entries was not read"
    for c in chunks:
        if not (c.path.startswith("/boot/loader/entries/") and c.path.endswith(".conf")):
            continue
        why = unread_reason(c, c.path)
        if why:
            ent_why = ent_why or why
            continue
        options: list[str] = []
        for n, line in _lines(c):
            key, _, rest = line.partition(" ")
            if key == "options":
                words = rest.split()
                if "$kernelopts" in words:
                    if kernelopts is None:
                        ent_why = ent_why or env_why or f"{c.path}:{n}: $kernelopts but no kernelopts in /boot/grub2/grubenv"
                    words = [w for w in words if w != "$kernelopts"] + (kernelopts or "").split()
                options += words
                confirm += [f"{c.path}:{n}" for a in words if _CONFIRM.match(a)]
        entries.append({"file": c.path, "options": options})
    if ent_why:
        lost["entries"] = lost["confirm_spawn_at"] = ent_why
    else:
        attrs["entries"] = entries
    if "confirm_spawn_at" not in lost and "cmdline_linux" not in lost:
        attrs["confirm_spawn_at"] = confirm
    # NX disabled on the kernel command line (noexec=off, noexec32=off), wherever the boot configuration sets it
    nx_files = [c for c in chunks if c.path == "/etc/default/grub" or c.path.startswith("/boot/loader/entries/")
                or c.path in ("/boot/grub2/grub.cfg", "/boot/grub/grub.cfg")]
    nx_why = next((w for c in nx_files if c.state != "missing" for w in [unread_reason(c, c.path)] if w), None)
    if nx_why or ent_why:
        lost["noexec_off_at"] = nx_why or ent_why or ""
    else:
        attrs["noexec_off_at"] = [f"{c.path}:{n}" for c in nx_files if c.state == "ok" for n, line in _lines(c)
                                  if re.search(r"\bnoexec(32)?\s*=\s*off\b", line)]
    # grub.cfg superusers and the accounts they must differ from
    cfg = next((by[p] for p in ("/boot/grub2/grub.cfg", "/boot/grub/grub.cfg") if p in by and by[p].state != "missing"), None)
    pw = by.get("/etc/passwd")
    why = (unread_reason(cfg, cfg.path) if cfg is not None else None) or unread_reason(pw, "/etc/passwd")
    if why:
        lost["superusers"] = lost["superusers_clash"] = why
    else:
        attrs["grub_cfg"] = cfg.path if cfg is not None else None
        supers: list[str] = []
        for n, line in _lines(cfg) if cfg is not None else ():
            m = re.match(r"^set\s+superusers=(.*)$", line)
            if m:
                supers = " ".join(_words(m.group(1))).replace(",", " ").split()
                sources["superusers"] = ({"path": cfg.path, "line": n},)  # type: ignore[union-attr]
        names = {ln.split(":", 1)[0] for ln in (pw.text if pw else "").split("\n") if ":" in ln}
        attrs["superusers"] = supers
        attrs["superusers_clash"] = sorted(s for s in supers if s.lower() in _RESERVED_SUPERUSERS or s in names)
    return [Resource("stig-boot", "host.stig_boot", attrs, attr_errors=lost, sources=sources)]


_CHRONY_MAIN = ("/etc/chrony.conf", "/etc/chrony/chrony.conf")


def parse_chrony(out: Output) -> list[Resource]:
    """``host.chrony``: server/pool/peer lines (with maxpoll), port, cmdport, makestep of every chrony file."""
    chunks = _files(out, "stig_chrony", "chrony configuration")
    attrs: dict[str, Any] = {}
    lost: dict[str, str] = {}
    sources: Sources = {}
    why = next((w for c in chunks if not c.path.endswith("/") for w in [unread_reason(c, c.path) if c.state != "missing" else None] if w), None)
    why = why or next((f"{c.path} could not be listed" for c in chunks if c.path.endswith("/") and c.state not in ("ok", "missing")), None)
    if why:
        keys = ("config_exists", "files", "sources", "servers", "pools", "port", "cmdport", "makestep")
        return [Resource("chrony", "host.chrony", {}, attr_errors=dict.fromkeys(keys, why))]
    units = {c.path: c for c in chunks if c.path.endswith("chrony-wait.service")}
    read = [c for c in chunks if c.state == "ok" and not c.path.endswith("/") and c.path not in units]
    srcs: list[dict[str, Any]] = []
    for c in read:
        for n, line in _lines(c):
            f = line.split()
            key = f[0].lower()
            if key in ("server", "pool", "peer") and len(f) >= 2:
                mp = next((to_int(f[i + 1]) for i in range(2, len(f) - 1) if f[i].lower() == "maxpoll"), None)
                srcs.append({"directive": key, "host": f[1], "maxpoll": mp, "file": c.path, "line": n})
            elif key in ("port", "cmdport", "makestep") and len(f) >= 2:
                attrs[key] = to_int(f[1]) if key != "makestep" else " ".join(f[1:])
                sources[key] = ({"path": c.path, "line": n},)
    attrs["config_exists"] = any(c.path in _CHRONY_MAIN for c in read)
    attrs["files"] = [c.path for c in read]
    attrs["sources"] = srcs
    attrs["servers"] = [s for s in srcs if s["directive"] == "server"]
    attrs["pools"] = [s for s in srcs if s["directive"] == "pool"]
    for k in ("port", "cmdport", "makestep"):
        attrs.setdefault(k, None)
    shipped = units.get("/usr/lib/systemd/system/chrony-wait.service")
    attrs["chrony_wait_installed"] = shipped is not None and shipped.state == "ok"
    override = units.get("/etc/systemd/system/chrony-wait.service")
    starts = [ln.split("=", 1)[1].strip() for _, ln in (_lines(override) if override and override.state == "ok" else [])
              if ln.startswith("ExecStart=")]
    attrs["chrony_wait_exec_start"] = starts[-1] if starts else None
    return [Resource("chrony", "host.chrony", attrs, attr_errors=lost, sources=sources)]


def _ini_main(chunks: list[FileChunk], section: str, key: str) -> tuple[str | None, str | None]:
    """The last ``key=`` of ``[section]`` over the files in order: (value, file:line)."""
    value = at = None
    for c in chunks:
        cur = None
        for n, line in _lines(c):
            if line.startswith("["):
                cur = line.strip("[] ").lower()
            elif cur == section.lower() and "=" in line:
                k, _, v = line.partition("=")
                if k.strip().lower() == key.lower():
                    value, at = v.strip(), f"{c.path}:{n}"
    return value, at


def parse_stig_conf(out: Output) -> list[Resource]:
    """``host.stig_conf``: one value per STIG setting of dnf, apt, firewalld, NetworkManager, the resolver,
    USBGuard, postfix, aliases and /etc/pam.d/sudo (see the attribute list of the type)."""
    chunks = _files(out, "stig_conf", "STIG configuration files")
    by = {c.path: c for c in chunks}
    attrs: dict[str, Any] = {}
    lost: dict[str, str] = {}

    def get(path: str, *keys: str) -> FileChunk | None:
        """The file's chunk when read or missing (None: missing); records an error for ``keys`` otherwise."""
        c = by.get(path)
        why = unread_reason(c, path) if c is None or c.state != "missing" else None
        if why:
            lost.update(dict.fromkeys(keys, why))
            raise LookupError(path)
        return c if c.state == "ok" else None  # type: ignore[union-attr]

    def under(folder: str, *keys: str) -> list[FileChunk] | None:
        d = by.get(folder + "/")
        if d is None or d.state not in ("ok", "missing"):
            lost.update(dict.fromkeys(keys, f"{folder} could not be listed"))
            return None
        files = sorted((c for c in chunks if c.path.startswith(folder + "/") and not c.path.endswith("/")), key=lambda c: c.path)
        for c in files:
            why = unread_reason(c, c.path)
            if why:
                lost.update(dict.fromkeys(keys, why))
                return None
        return [c for c in files if c.state == "ok"]

    try:  # dnf [main]
        c = get("/etc/dnf/dnf.conf", "dnf_localpkg_gpgcheck", "dnf_clean_requirements_on_remove")
        for attr, key in (("dnf_localpkg_gpgcheck", "localpkg_gpgcheck"), ("dnf_clean_requirements_on_remove", "clean_requirements_on_remove")):
            value, at = _ini_main([c] if c else [], "main", key)
            attrs[attr] = None if value is None else value.lower() in ("1", "true", "yes")
            attrs[attr + "_at"] = at
    except LookupError:
        pass
    try:
        c = get("/etc/firewalld/firewalld.conf", "firewalld_backend")
        backend = [ln.split("=", 1)[1].strip() for _, ln in (_lines(c) if c else []) if ln.startswith("FirewallBackend=")]
        attrs["firewalld_backend"] = backend[-1] if backend else None
    except LookupError:
        pass
    try:  # NetworkManager [main] dns=: conf.d files override NetworkManager.conf
        c = get("/etc/NetworkManager/NetworkManager.conf", "networkmanager_dns", "networkmanager_conf_exists")
        extra = under("/etc/NetworkManager/conf.d", "networkmanager_dns")
        if extra is not None:
            attrs["networkmanager_conf_exists"] = c is not None
            attrs["networkmanager_dns"], attrs["networkmanager_dns_at"] = _ini_main(
                ([c] if c else []) + [x for x in extra if x.path.endswith(".conf")], "main", "dns")
    except LookupError:
        pass
    try:
        c = get("/etc/resolv.conf", "resolv_nameservers", "resolv_empty")
        ns = [ln.split()[1] for _, ln in (_lines(c) if c else []) if ln.split()[0] == "nameserver" and len(ln.split()) > 1]
        attrs["resolv_nameservers"] = ns
        attrs["resolv_empty"] = c is None or not c.text.strip()
    except LookupError:
        pass
    try:
        c = get("/etc/nsswitch.conf", "nsswitch_hosts_dns")
        hosts = [ln.split(":", 1)[1].split() for _, ln in (_lines(c) if c else []) if ln.startswith("hosts:")]
        # no file or no hosts: line: glibc's default (`dns [!UNAVAIL=return] files`) uses DNS
        attrs["nsswitch_hosts_dns"] = not hosts or "dns" in hosts[-1]
    except LookupError:
        pass
    try:
        c = get("/etc/usbguard/rules.conf", "usbguard_rules")
        attrs["usbguard_rules"] = len(_lines(c)) if c else None
    except LookupError:
        pass
    try:
        c = get("/etc/postfix/main.cf", "postfix_smtpd_client_restrictions", "postfix_main_cf_exists")
        attrs["postfix_main_cf_exists"] = c is not None
        v = [ln.split("=", 1)[1].strip() for _, ln in (_lines(c) if c else []) if re.match(r"^smtpd_client_restrictions\s*=", ln)]
        attrs["postfix_smtpd_client_restrictions"] = re.sub(r"\s*,\s*|\s+", ",", v[-1]) if v else None
    except LookupError:
        pass
    try:
        c = get("/etc/aliases", "alias_postmaster")
        v = [ln.split(":", 1)[1].strip() for _, ln in (_lines(c) if c else []) if re.match(r"^postmaster\s*:", ln)]
        attrs["alias_postmaster"] = v[-1] if v else None
    except LookupError:
        pass
    try:
        c = get("/etc/pam.d/sudo", "pam_sudo_succeed_if")
        attrs["pam_sudo_exists"] = c is not None
        attrs["pam_sudo_succeed_if"] = [f"/etc/pam.d/sudo:{n}" for n, ln in (_lines(c) if c else []) if "pam_succeed_if" in ln]
    except LookupError:
        pass
    try:  # apt: AllowUnauthenticated set to anything but "false"; unattended-upgrades removals
        c = get("/etc/apt/apt.conf", "apt_allow_unauthenticated", "apt_remove_unused_dependencies", "apt_remove_unused_kernels")
        extra = under("/etc/apt/apt.conf.d", "apt_allow_unauthenticated", "apt_remove_unused_dependencies", "apt_remove_unused_kernels")
        if extra is not None:
            files = ([c] if c else []) + [x for x in extra if not fnmatch.fnmatch(x.path, "*.dpkg-*")]
            allow: list[str] = []
            removal: dict[str, bool] = {}
            for f in files:
                for n, raw in enumerate(f.text.split("\n"), start=1):
                    line = raw.split("//", 1)[0]
                    m = re.search(r"AllowUnauthenticated(.*)$", line, re.I)
                    if m and not re.match(r'^\s+"false"\s*;\s*$', m.group(1)):
                        allow.append(f"{f.path}:{n}")
                    m = re.search(r'Unattended-Upgrade::Remove-Unused-(Dependencies|Kernel-Packages)\s+"(\w+)"', line)
                    if m:
                        removal[m.group(1)] = m.group(2).lower() == "true"
            attrs["apt_allow_unauthenticated"] = allow
            attrs["apt_remove_unused_dependencies"] = removal.get("Dependencies", False)
            attrs["apt_remove_unused_kernels"] = removal.get("Kernel-Packages", False)
    except LookupError:
        pass
    _more_conf(out, by, get, attrs, lost)
    return [Resource("stig-conf", "host.stig_conf", attrs, attr_errors=lost)]


_DENY_ALL = re.compile(r"^deny(_log|_audit)?\s*perm=any\s*all\s*:\s*all$")
_UTC = re.compile(r"(?:^|/)(?:Etc/)?(?:UTC|GMT)$")


def _more_conf(out: Output, by: dict[str, FileChunk], get: Any, attrs: dict[str, Any], lost: dict[str, str]) -> None:
    """host.stig_conf: crypto-policy includes of libreswan and BIND, pam_pkcs11, fapolicyd, the time zone."""
    from checks.host.parsers import FactError
    from checks.host.parsers.system import parse_packages

    try:
        installed = parse_packages(out)[0].attrs["installed"]
    except FactError as e:
        installed = None
        lost.update(dict.fromkeys(("libreswan_installed", "bind_installed"), str(e)))
    for pkg, path, attr, pattern in (
            ("libreswan", "/etc/ipsec.conf", "ipsec_crypto_policy_include",
             r"^include\s+/etc/crypto-policies/back-ends/libreswan\.config$"),
            ("bind", "/etc/named.conf", "named_crypto_policy_include",
             r'^include\s+"/etc/crypto-policies/back-ends/bind\.config"\s*;$')):
        if installed is not None:
            attrs[f"{pkg}_installed"] = pkg in installed
        try:
            c = get(path, attr)
            attrs[attr] = any(re.match(pattern, ln) for _, ln in (_lines(c) if c else []))
        except LookupError:
            pass
    try:
        c = get("/etc/pam_pkcs11/pam_pkcs11.conf", "pkcs11_use_mappers_pwent")
        attrs["pkcs11_use_mappers_pwent"] = any(re.match(r"^use_mappers = pwent$", ln) for _, ln in (_lines(c) if c else []))
    except LookupError:
        pass
    try:
        rules = [get(p, "fapolicyd_deny_all") for p in ("/etc/fapolicyd/compiled.rules", "/etc/fapolicyd/fapolicyd.rules")]
        attrs["fapolicyd_deny_all"] = any(c is not None and _lines(c) and _DENY_ALL.match(_lines(c)[-1][1]) for c in rules)
    except LookupError:
        pass
    try:
        c = get("/etc/fapolicyd/fapolicyd.conf", "fapolicyd_permissive")
        vals = [to_int(ln.split("=", 1)[1].strip()) for _, ln in (_lines(c) if c else []) if re.match(r"^permissive\s*=", ln)]
        attrs["fapolicyd_permissive"] = vals[-1] if vals else None
    except LookupError:
        pass
    _crypto(by, get, attrs, lost)
    opensc = [c for c in by.values() if re.match(r"^/etc/opensc[^/]*\.conf$", c.path) and c.state != "missing"]
    why = next((w for c in opensc for w in [unread_reason(c, c.path)] if w), None)
    if why:
        lost["opensc_card_drivers"] = why
    else:
        attrs["opensc_card_drivers"] = [m.group(1) for c in opensc for raw in c.text.split("\n")
                                        for m in [re.match(r"^\s+card_drivers\s+=\s+(\S+);$", raw)] if m]
    sec = out.get("packages")
    if not sec.ok or "GS_MANAGER=" not in sec.stdout:
        lost["gpg_pubkeys"] = sec.reason() if not sec.ok else "no package database was read"
    else:
        attrs["gpg_pubkeys"] = sorted({f[1] for f in (ln.split("\t") for ln in sec.stdout.split("\n"))
                                       if len(f) >= 2 and f[0] == "gpg-pubkey"})
    link = by.get("/etc/localtime-link")
    if link is None or link.state == "unreadable":
        lost["localtime_target"] = "/etc/localtime could not be examined"
    else:
        attrs["localtime_target"] = link.text.strip() if link.state == "ok" else None
        attrs["timezone_utc"] = bool(link.state == "ok" and _UTC.search(link.text.strip()))


def _crypto(by: dict[str, FileChunk], get: Any, attrs: dict[str, Any], lost: dict[str, str]) -> None:
    """The crypto policy as configured and as applied, whether it was applied after the last change, the STIG
    subpolicy module's SSH lines, and whether the NSS back-end exists."""
    keys = ("crypto_policy_config", "crypto_policy_current", "crypto_policy_applied", "crypto_nss_backend",
            "stig_pmod_ssh")
    try:
        conf, cur, pmod = (get(p, *keys) for p in ("/etc/crypto-policies/config", "/etc/crypto-policies/state/current",
                                                   "/etc/crypto-policies/policies/modules/STIG.pmod"))
    except (LookupError, RuntimeError):
        return
    times: dict[str, str] = {}
    for ln in (by["crypto-mtimes"].text if "crypto-mtimes" in by else "").split("\n"):
        path, _, t = ln.strip().partition(" ")
        if path:
            times[path] = t
    if len(times) != 3 or "unreadable" in times.values():
        lost.update(dict.fromkeys(keys, "the crypto-policies files could not be examined"))
        return

    def policy(c: FileChunk | None) -> str | None:
        words = [ln for _, ln in (_lines(c) if c else [])]
        return words[-1] if words else None

    attrs["crypto_policy_config"], attrs["crypto_policy_current"] = policy(conf), policy(cur)
    t_conf, t_cur = times["/etc/crypto-policies/config"], times["/etc/crypto-policies/state/current"]
    attrs["crypto_policy_applied"] = t_conf.isdigit() and t_cur.isdigit() and int(t_cur) >= int(t_conf)
    attrs["crypto_nss_backend"] = times["/etc/crypto-policies/back-ends/nss.config"] != "missing"
    lines = {ln for _, ln in (_lines(pmod) if pmod else [])}
    attrs["stig_pmod_ssh"] = {"cipher@SSH=AES-256-GCM AES-256-CTR AES-128-GCM AES-128-CTR",
                              "mac@SSH=HMAC-SHA2-512 HMAC-SHA2-256"} <= lines


def parse_stig_runtime(out: Output) -> list[Resource]:
    """``host.stig_runtime``: the CPU's NX flag, noexec=off on the running kernel's command line, promiscuous
    interfaces (a running system only)."""
    pre, chunks = split_files(require(out.get("stig_runtime"), "CPU flags and network interfaces"), out.marker)
    by = {c.path: c for c in chunks}
    flags = next((ln.split(":", 1)[1].split() for ln in pre.split("\n") if ln.startswith("flags") and ":" in ln), None)
    attrs: dict[str, Any] = {}
    lost: dict[str, str] = {}
    if flags is None:
        lost["cpu_nx"] = "/proc/cpuinfo has no flags line"
    else:
        attrs["cpu_nx"] = "nx" in flags
    cmd = by.get("/proc/cmdline")
    if cmd is None or cmd.state != "ok" or not cmd.text.strip():
        lost["cmdline_noexec_off"] = "/proc/cmdline could not be read"
    else:
        attrs["cmdline_noexec_off"] = bool(re.search(r"(?:^|\s)noexec(32)?=off(?:\s|$)", cmd.text))
    net = by.get("net-flags")
    lines = [ln.split() for ln in (net.text if net else "").split("\n") if ln.strip()]
    if net is None or any(f == ["GS_LIMIT"] for f in lines):
        lost["promisc_interfaces"] = "network interfaces could not be listed (or more than 1024)"
    elif not lines:
        lost["promisc_interfaces"] = "no network interface could be read under /sys/class/net"
    else:
        try:
            attrs["promisc_interfaces"] = sorted(f[0] for f in lines if len(f) == 2 and int(f[1], 16) & 0x100)
        except ValueError:
            lost["promisc_interfaces"] = "unparsable interface flags in /sys/class/net"
    return [Resource("stig-runtime", "host.stig_runtime", attrs, attr_errors=lost)]
