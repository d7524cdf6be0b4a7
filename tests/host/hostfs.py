"""Host configuration trees for running the real fact script (or the real CLI) against chosen files.

A tree maps absolute paths to content (``"-> target"`` makes a symlink). :func:`build` writes it under a
temp directory; :func:`in_namespace` wraps a command so it runs in a private mount namespace
(``unshare -m``) where paths are bind-mounted (:func:`tree_binds`: each of :data:`BIND_POINTS` from the
tree): the command sees the tree's /etc/sysctl.d, limits.conf... in place of the machine's, and nothing
on the machine changes.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

#: The machine paths a tree replaces (all exist on Debian 12; /lib/sysctl.d is /usr/lib/sysctl.d there).
BIND_POINTS = ("/etc/sysctl.d", "/usr/lib/sysctl.d", "/etc/sysctl.conf", "/etc/security/limits.conf",
               "/etc/security/limits.d")

DEBIAN_SYSCTL_CONF = """\
#
# /etc/sysctl.conf - Configuration file for setting system variables
#
# Uncomment the next line to enable packet forwarding for IPv4
#net.ipv4.ip_forward=1
"""
DEBIAN_LIMITS_CONF = """\
# /etc/security/limits.conf
#
#<domain>      <type>  <item>         <value>
#*               soft    core            0
#root            hard    core            100000
# End of file
"""
SYSTEMD_PROTECT_LINKS = """\
# Protected links
fs.protected_fifos = 1
fs.protected_hardlinks = 1
fs.protected_regular = 2
fs.protected_symlinks = 1
"""
SYSTEMD_COREDUMP = """\
# systemd-coredump: see coredump.conf(5)
kernel.core_pattern=|/lib/systemd/systemd-coredump %P %u %g %s %t %c %h
kernel.core_pipe_limit=16
fs.suid_dumpable=2
"""
HARDENING = """\
# CIS Debian 12 1.5.x and 3.3.x
kernel.randomize_va_space = 2
kernel.yama.ptrace_scope = 1
fs.suid_dumpable = 0
net.ipv4.ip_forward = 0
net/ipv6/conf/all/forwarding = 0
net.ipv4.conf.all.send_redirects = 0
net.ipv4.conf.default.send_redirects = 0
net.ipv4.icmp_ignore_bogus_error_responses = 1
net.ipv4.icmp_echo_ignore_broadcasts = 1
net.ipv4.conf.*.accept_redirects = 0
net.ipv6.conf.*.accept_redirects = 0
net.ipv4.conf.all.secure_redirects = 0
net.ipv4.conf.default.secure_redirects = 0
net.ipv4.conf.all.rp_filter = 1
net.ipv4.conf.default.rp_filter = 1
net.ipv4.conf.all.accept_source_route = 0
net.ipv4.conf.default.accept_source_route = 0
net.ipv6.conf.all.accept_source_route = 0
net.ipv6.conf.default.accept_source_route = 0
net.ipv4.conf.all.log_martians = 1
net.ipv4.conf.default.log_martians = 1
net.ipv4.tcp_syncookies = 1
net.ipv6.conf.all.accept_ra = 0
net.ipv6.conf.default.accept_ra = 0
"""

#: Every CIS-mapped parameter persisted compliantly; systemd-coredump's fs.suid_dumpable=2 masked by
#: /dev/null in /etc; every user's core hard limit 0.
COMPLIANT: dict[str, str] = {
    "/etc/sysctl.conf": DEBIAN_SYSCTL_CONF,
    "/etc/sysctl.d/99-sysctl.conf": "-> ../sysctl.conf",
    "/etc/sysctl.d/60-hardening.conf": HARDENING,
    "/etc/sysctl.d/50-coredump.conf": "-> /dev/null",
    "/usr/lib/sysctl.d/50-coredump.conf": SYSTEMD_COREDUMP,
    "/usr/lib/sysctl.d/99-protect-links.conf": SYSTEMD_PROTECT_LINKS,
    "/etc/security/limits.conf": DEBIAN_LIMITS_CONF,
    "/etc/security/limits.d/60-hardening.conf": "*    hard    core    0\n",
}

#: Debian's defaults plus systemd-coredump: nothing persists ASLR; fs.suid_dumpable=2 at boot; no core limit.
NONCOMPLIANT: dict[str, str] = {
    "/etc/sysctl.conf": DEBIAN_SYSCTL_CONF,
    "/etc/sysctl.d/99-sysctl.conf": "-> ../sysctl.conf",
    "/usr/lib/sysctl.d/50-coredump.conf": SYSTEMD_COREDUMP,
    "/usr/lib/sysctl.d/99-protect-links.conf": SYSTEMD_PROTECT_LINKS,
    "/etc/security/limits.conf": DEBIAN_LIMITS_CONF,
}


def build(tree: Mapping[str, str], root: Path) -> Path:
    """Write ``tree`` under ``root`` (every bind point exists, empty when the tree has nothing there)."""
    for point in BIND_POINTS:
        target = root / point.lstrip("/")
        if point.endswith(".conf"):
            target.parent.mkdir(parents=True, exist_ok=True)
            target.touch()
        else:
            target.mkdir(parents=True, exist_ok=True)
    for path, content in tree.items():
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        if content.startswith("-> "):
            if target.exists() or target.is_symlink():
                target.unlink()
            os.symlink(content[3:], target)
        else:
            target.write_text(content)
    for d, _, files in os.walk(root):
        os.chmod(d, 0o755)
        for f in files:
            if not os.path.islink(os.path.join(d, f)):
                os.chmod(os.path.join(d, f), 0o644)
    return root


def tree_binds(root: Path) -> dict[str, Path]:
    """The bind mounts that show the tree built under ``root`` in place of the machine's files."""
    return {p: root / p.lstrip("/") for p in BIND_POINTS if Path(p).exists()}


def in_namespace(binds: Mapping[str, Path], argv: list[str]) -> list[str]:
    """``argv`` run in a private mount namespace where each target path of ``binds`` shows its source."""
    mounts = [f"mount --bind {shlex.quote(str(src))} {shlex.quote(target)}" for target, src in binds.items()]
    script = " && ".join([*mounts, 'exec "$@"'])
    return ["unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", script, "sh", *argv]


def usable() -> str | None:
    """Why namespaced runs cannot work here, or None."""
    if os.geteuid() != 0:
        return "needs root (mount namespaces)"
    if shutil.which("unshare") is None:
        return "unshare not installed"
    missing = [p for p in BIND_POINTS if not Path(p).exists()]
    return f"{', '.join(missing)} absent on this machine" if missing else None


def run_script(binds: Mapping[str, Path], script: str, *, user: int | None = None) -> str:
    """Run the fact script with ``sh -s`` under ``binds`` (as ``user`` when given); its stdout."""
    argv = ["sh", "-s"]
    if user is not None:
        argv = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *argv]
    res = subprocess.run(in_namespace(binds, argv), input=script.encode(), capture_output=True, timeout=60,
                         check=True)
    return res.stdout.decode()
