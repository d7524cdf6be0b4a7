"""Judged disagreements of bench/host_vs_openscap.py: SSG rule -> (which tool is right, why).

The judge is the audit as the rule's OCIL question and description in the ComplianceAsCode v0.1.81 Debian 12
datastream state it (the bench prints that text for any disagreement not judged here). Observed on Debian 12
in a container (OpenSCAP "machine-host-like" and "machine-as-is" modes, govscan linux-baseline with the walk).
"""

_KMOD = ("The audit greps /etc/modprobe.d and /etc/modprobe.conf for an `install {m} /bin/false` (or "
         "/bin/true) line and fails when none is returned; this machine has no such line (no /etc/modprobe.d at "
         "all). govscan passes because the running kernel can neither load nor find the module (`{m}: not loaded, "
         "not loadable`): true for this kernel, but the same image booted on a stock Debian kernel would load it. "
         "Content fix: require the modprobe.d line as well (issue 10)")
_SSHD = ("The audit greps /etc/ssh/sshd_config for an explicit `{k}` line and fails when the keyword is not "
         "configured; this sshd_config does not set it. govscan reads the value sshd runs with (`sshd -T`), which "
         "is OpenSSH 9.2's compliant default ({v}): the host is not exposed, but the explicit line the audit asks "
         "for is missing. Content fix: also require the keyword in the files (or report reliance on the default)")
_BANNER = ("The audit greps {f} case-insensitively for \\v, \\r, \\m, \\s and the OS ID from "
           "/etc/os-release (`debian`) and fails on any match; {f} here contains \"{text}\". SSG's OVAL check only "
           "looks for the getty escapes, so it misses the OS name the audit text also forbids")

JUDGED: dict[str, tuple[str, str]] = {
    **{f"kernel_module_{m}_disabled": ("SSG", _KMOD.format(m=m))
       for m in ("cramfs", "freevxfs", "hfs", "hfsplus", "jffs2", "usb-storage")},
    "sshd_use_strong_ciphers": ("SSG", _SSHD.format(k="Ciphers", v="no weak cipher offered")),
    "sshd_use_strong_kex": ("SSG", _SSHD.format(k="KexAlgorithms", v="no weak key exchange offered")),
    "disable_host_auth": ("SSG", _SSHD.format(k="HostbasedAuthentication no", v="no")),
    "sshd_disable_rhosts": ("SSG", _SSHD.format(k="IgnoreRhosts yes", v="yes")),
    "sshd_set_loglevel_info": ("SSG", _SSHD.format(k="LogLevel INFO", v="INFO")),
    "sshd_set_max_sessions": ("SSG", _SSHD.format(k="MaxSessions" + " (10 or fewer)", v="10")),
    "sshd_disable_empty_passwords": ("SSG", _SSHD.format(k="PermitEmptyPasswords no", v="no")),
    "sshd_do_not_permit_user_env": ("SSG", _SSHD.format(k="PermitUserEnvironment no", v="no")),
    "banner_etc_motd_cis": ("govscan", _BANNER.format(f="/etc/motd", text="The programs included with the Debian "
                                                                          "GNU/Linux system are free software...")),
    "banner_etc_issue_cis": ("govscan", _BANNER.format(f="/etc/issue", text="Debian GNU/Linux 12 \\n \\l")),
    "banner_etc_issue_net_cis": ("govscan", _BANNER.format(f="/etc/issue.net", text="Debian GNU/Linux 12")),
    "set_password_hashing_algorithm_logindefs": (
        "SSG", "by the letter of the datastream: its audit asks for `ENCRYPT_METHOD` set to the profile's "
               "value, which this profile refines to yescrypt; login.defs here says SHA512, which govscan's input "
               "accepts (yescrypt or SHA512). ComplianceAsCode's CIS control notes for the same recommendation "
               "accept SHA512 too, so this is the profile's stricter choice: set govscan's input to [YESCRYPT] to "
               "match it"),
    "file_permissions_unauthorized_world_writable": (
        "neither", "the machine is shared and /tmp changes between runs: govscan's walk, minutes after OpenSCAP's, "
                   "found a world-writable file another helper's pytest run had just made (/tmp/pytest-of-root/...); "
                   "in the host-like run both tools fail 7.1.11"),
}
