"""Build the fact script for a set of resource types and split its framed output into sections.

The script (``facts.sh``) runs only the sections the requested resource types need. Its output is
framed per section with a marker holding a per-run nonce, so nothing a host file contains can forge
a frame boundary.
"""

from __future__ import annotations

import re
import secrets
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources as _res

#: Security-relevant paths ``host.files`` always stats (globs expand on the host).
DEFAULT_FILES: tuple[str, ...] = (
    "/etc/passwd", "/etc/passwd-", "/etc/shadow", "/etc/shadow-", "/etc/group", "/etc/group-",
    "/etc/gshadow", "/etc/gshadow-", "/etc/security/opasswd", "/etc/shells",
    "/etc/ssh/sshd_config", "/etc/ssh/sshd_config.d", "/etc/ssh/ssh_host_*_key", "/etc/ssh/ssh_host_*_key.pub",
    "/etc/crontab", "/etc/cron.hourly", "/etc/cron.daily", "/etc/cron.weekly", "/etc/cron.monthly",
    "/etc/cron.d", "/etc/cron.allow", "/etc/cron.deny", "/etc/at.allow", "/etc/at.deny",
    "/etc/issue", "/etc/issue.net", "/etc/motd",
    "/boot/grub/grub.cfg", "/boot/grub2/grub.cfg", "/boot/grub2/user.cfg",
    "/etc/sudoers", "/etc/sudoers.d", "/etc/login.defs", "/etc/audit/auditd.conf", "/etc/audit/rules.d",
    "/var/log", "/etc/hosts.allow", "/etc/hosts.deny",
)

#: sysctl names ``host.sysctl`` reads from /proc/sys.
DEFAULT_SYSCTLS: tuple[str, ...] = tuple(
    f"{fam}.{k}" for fam in ("net.ipv4.conf.all", "net.ipv4.conf.default")
    for k in ("accept_redirects", "secure_redirects", "send_redirects", "accept_source_route",
              "rp_filter", "log_martians")
) + tuple(
    f"{fam}.{k}" for fam in ("net.ipv6.conf.all", "net.ipv6.conf.default")
    for k in ("accept_redirects", "accept_source_route", "accept_ra", "forwarding", "disable_ipv6")
) + (
    "net.ipv4.ip_forward", "net.ipv4.tcp_syncookies", "net.ipv4.icmp_echo_ignore_broadcasts",
    "net.ipv4.icmp_ignore_bogus_error_responses", "kernel.randomize_va_space", "kernel.dmesg_restrict",
    "kernel.kptr_restrict", "kernel.yama.ptrace_scope", "kernel.unprivileged_bpf_disabled",
    "kernel.perf_event_paranoid", "kernel.kexec_load_disabled", "kernel.sysrq", "fs.suid_dumpable",
    "fs.protected_hardlinks", "fs.protected_symlinks", "fs.protected_fifos", "fs.protected_regular",
    "net.core.bpf_jit_harden", "dev.tty.ldisc_autoload", "user.max_user_namespaces",
    "net.ipv4.conf.all.forwarding", "kernel.core_pattern",
)

#: Kernel modules ``host.kernel_modules`` reports on (CIS filesystem and network protocol modules).
DEFAULT_MODULES: tuple[str, ...] = (
    "cramfs", "freevxfs", "hfs", "hfsplus", "jffs2", "squashfs", "udf", "usb-storage",
    "dccp", "sctp", "rds", "tipc", "firewire-core", "bluetooth", "overlay", "atm", "can",
)

#: Bytes of one file the multi-file sections read at most; a longer file is reported ``truncated``.
CAT_MAX = 1024 * 1024

_NAME_RE = re.compile(r"^[A-Za-z0-9_./*?\[\]@+:,=-]+$")


def sections_for(types: Iterable[str], rootfs: bool = False) -> list[str]:
    """The script sections (deduplicated, in a stable order) that ``types`` need (each type's
    ``sections``, see :mod:`checks.host.resources`). On a file tree (``rootfs``) without the sections that
    read only a running system (a type's ``runtime_only``, ``runtime_sections``)."""
    from checks.host.provider import HostProvider
    from checks.host.resources import resources

    HostProvider().kinds()  # imports every module holding host types (resource_modules)
    out: list[str] = []
    skip: set[str] = set()
    for t in sorted(types):
        kind = resources.get(t)
        if rootfs and getattr(kind, "runtime_only", False):
            continue
        skip.update(getattr(kind, "runtime_sections", ()) if rootfs else ())
        for s in getattr(kind, "sections", ()):
            if s not in out:
                out.append(s)
    return [s for s in out if s not in skip]


def sysctl_path(name: str) -> str:
    """``net.ipv4.ip_forward`` -> ``/proc/sys/net/ipv4/ip_forward``."""
    return "/proc/sys/" + name.replace(".", "/")


def _words(values: Iterable[str], what: str) -> str:
    """Join shell words; values are word-split on the host, so they must not hold spaces or quotes."""
    vals = list(values)
    for v in vals:
        if not _NAME_RE.match(v):
            raise ValueError(f"{what} {v!r} contains characters the fact script does not accept")
    return " ".join(vals)


def build_script(
    sections: Iterable[str],
    *,
    files: Iterable[str] = DEFAULT_FILES,
    sysctls: Iterable[str] = DEFAULT_SYSCTLS,
    modules: Iterable[str] = DEFAULT_MODULES,
    walk_timeout: int = 120,
    cat_max: int = CAT_MAX,
    marker: str | None = None,
    root: str = "",
) -> tuple[str, str]:
    """Return ``(script, marker)``: the fact script with its parameters set, and its frame marker."""
    marker = marker or f"==GOVSCAN:{secrets.token_hex(8)}=="
    prelude = "\n".join(
        f"{name}={shlex.quote(value)}"
        for name, value in (
            ("GS_M", marker),
            ("GS_SECTIONS", _words(sections, "section")),
            ("GS_FILES", _words(files, "path")),
            ("GS_SYSCTLS", _words((sysctl_path(k) for k in sysctls), "sysctl name")),
            ("GS_MODULES", _words(modules, "module name")),
            ("GS_WALK_TIMEOUT", str(int(walk_timeout))),
            ("GS_CAT_MAX", str(int(cat_max))),
            ("GS_ROOT", _words([root], "root path") if root else ""),
        )
    )
    return prelude + "\n" + script_body(), marker


def script_body() -> str:
    """facts.sh (helpers, core sections), every facts_*.sh in name order, then run_sections.sh."""
    pkg = _res.files("checks.host")
    parts = sorted((p for p in pkg.iterdir() if p.name.startswith("facts_") and p.name.endswith(".sh")),
                   key=lambda p: p.name)
    return "\n".join(p.read_text() for p in (pkg.joinpath("facts.sh"), *parts, pkg.joinpath("run_sections.sh")))


@dataclass
class Section:
    """The framed output of one script section."""

    name: str
    stdout: str = ""
    stderr: str = ""
    rc: int | None = None
    """None when the END frame never arrived (script killed or output truncated)."""

    @property
    def ok(self) -> bool:
        return self.rc == 0

    def reason(self) -> str:
        """A one-line explanation of why the section failed, for error findings."""
        err = " ".join(self.stderr.split())[:300]
        if self.rc is None:
            return f"{self.name}: output incomplete (the fact script was interrupted)"
        if self.rc == 127 and not err:
            err = "command not found"
        return f"{self.name}: exit code {self.rc}" + (f": {err}" if err else "")


@dataclass
class FileChunk:
    """One file inside a multi-file section (``<marker> FILE <path> <state>``)."""

    path: str
    state: str
    """ok | missing | unreadable | truncated (longer than ``CAT_MAX``: text is empty, never parsed)"""
    text: str = ""


@dataclass
class Output:
    """All sections of one run, by name."""

    sections: dict[str, Section] = field(default_factory=dict)
    marker: str = ""
    """The frame marker of the run (multi-file sections use it to split files)."""
    root: str = ""
    """The file tree the facts were read from (a ``rootfs:`` target), "" for a running system."""

    def get(self, name: str) -> Section:
        """The section, or an incomplete one if the script never printed it."""
        return self.sections.get(name) or Section(name)


def parse_output(text: str, marker: str) -> Output:
    """Split framed script output into sections; tolerant of a truncated tail."""
    out = Output(marker=marker)
    cur: Section | None = None
    part = "stdout"
    buf: list[str] = []
    begin, stderr_p, end_p = f"{marker} BEGIN ", f"{marker} STDERR ", f"{marker} END "

    def flush() -> str:
        body = "\n".join(buf)
        buf.clear()
        return body.removesuffix("\n")

    for line in text.split("\n"):
        if line.startswith(begin):
            cur, part = Section(line[len(begin):].strip()), "stdout"
            out.sections[cur.name] = cur
            buf.clear()
        elif cur is not None and line.startswith(stderr_p):
            # The script prints "\n" before the STDERR frame: drop that one empty line.
            if buf and buf[-1] == "":
                buf.pop()
            cur.stdout, part = "\n".join(buf), "stderr"
            buf.clear()
        elif cur is not None and line.startswith(end_p):
            if buf and buf[-1] == "":
                buf.pop()
            text_part = "\n".join(buf)
            buf.clear()
            if part == "stdout":
                cur.stdout = text_part
            else:
                cur.stderr = text_part
            m = re.search(r"rc=(\d+)\s*$", line)
            cur.rc = int(m.group(1)) if m else None
            cur = None
        elif cur is not None:
            buf.append(line)
    if cur is not None:  # truncated: keep what arrived, rc stays None
        if part == "stdout":
            cur.stdout = "\n".join(buf)
        else:
            cur.stderr = "\n".join(buf)
    return out


def split_files(stdout: str, marker: str) -> tuple[str, list[FileChunk]]:
    """Split a multi-file section into its preamble and per-file chunks (content exact)."""
    pre: list[str] = []
    chunks: list[tuple[FileChunk, list[str]]] = []
    prefix = f"{marker} FILE "
    for line in stdout.split("\n"):
        if line.startswith(prefix):
            path, _, state = line[len(prefix):].rpartition(" ")
            chunks.append((FileChunk(path=path, state=state), []))
        elif chunks:
            chunks[-1][1].append(line)
        else:
            pre.append(line)
    for chunk, lines in chunks:
        # gs_cat prints one "\n" after each file, which the line split absorbs: the join is exact.
        chunk.text = "\n".join(lines) if chunk.state == "ok" else ""
    return "\n".join(pre), [c for c, _ in chunks]
