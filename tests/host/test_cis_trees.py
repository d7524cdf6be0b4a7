"""CIS Debian 12 sections 1-4 content on the real debootstrap trees (tests/host/debootstrap.py): Debian's defaults
(``minimal``, with nftables and chrony installed as Debian installs them) and the same tree after
tests/host/harden_tree.sh (``hardened``: nftables.conf with a default-deny ruleset included, nftables.service
enabled, coredump.conf drop-in).

The real fact script reads the tree's files (GS_ROOT) in a fresh network namespace; the installed packages and
the unit states are the tree's own, read from it by ``dpkg-query --admindir`` and ``systemctl --root`` (nothing
of the tree runs).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from cis_a_support import evaluate, netns_usable, replace, run, statuses

pytestmark = pytest.mark.skipif(netns_usable() is not None or shutil.which("systemctl") is None,
                                reason=str(netns_usable() or "systemctl not installed"))

IDS = ["host-fw-single-utility", "host-fw-nft-installed", "host-fw-nft-enabled", "host-fw-nft-persistent",
       "host-fw-ufw-installed", "host-time-single-daemon", "host-chrony-sources", "host-coredump-systemd",
       "host-apport-disabled", "host-gdm-login-banner"]


def tree_facts(tree: Path):
    out = run(["host.firewall", "host.timesync", "host.coredump", "host.gdm"], tree)
    pkgs = subprocess.run(["dpkg-query", f"--admindir={tree}/var/lib/dpkg", "-W", "-f",
                           "${Package}\\t${Version}\\t${db:Status-Abbrev}\\n"], capture_output=True, text=True, check=True)
    replace(out, "packages", "GS_MANAGER=dpkg\n" + pkgs.stdout)
    units = subprocess.run(["systemctl", f"--root={tree}", "list-unit-files", "--no-legend", "--no-pager",
                            "--type=service,socket,timer"], capture_output=True, text=True, check=True)
    replace(out, "units", f"{out.marker} FILE unit-files ok\n{units.stdout}")
    return evaluate(out, IDS)


def test_trees_have_nftables_and_chrony(debian_trees):
    for tree in (debian_trees.minimal, debian_trees.hardened):
        assert (tree / "usr/sbin/nft").is_file() and (tree / "usr/sbin/chronyd").is_file()


def test_minimal_debian_has_no_firewall_in_use_and_an_accepting_nftables_conf(debian_trees):
    got = tree_facts(debian_trees.minimal)
    assert got["host-fw-single-utility"] == [("fail", "firewall utilities in use: none (exactly one of ufw, nftables, "
                                                      "iptables is required)")]
    assert got["host-fw-nft-enabled"] == [("fail", "nftables.service is not enabled")]
    assert got["host-fw-nft-persistent"][0][0] == "fail"
    assert "drop policy input (ipv4), input (ipv6)" in got["host-fw-nft-persistent"][0][1]
    assert got["host-coredump-systemd"][0][0] == "notapplicable"
    assert statuses(got)["host-chrony-sources"] == ["pass"]  # Debian's chrony.conf has a pool line
    assert got["host-gdm-login-banner"] == [("notapplicable", "gdm: not applicable (GDM is not installed (no gdm3 or "
                                                              "gdm package))")]


def test_hardened_debian_passes_what_the_script_applied(debian_trees):
    got = tree_facts(debian_trees.hardened)
    assert statuses(got) == {
        "host-fw-single-utility": ["pass"], "host-fw-nft-installed": ["pass"], "host-fw-nft-enabled": ["pass"],
        "host-fw-nft-persistent": ["pass"], "host-fw-ufw-installed": ["notapplicable"],
        "host-time-single-daemon": ["pass"], "host-chrony-sources": ["pass"], "host-coredump-systemd": ["notapplicable"],
        "host-apport-disabled": ["pass"], "host-gdm-login-banner": ["notapplicable"]}, got
    assert got["host-fw-nft-persistent"][0][1].startswith("/etc/nftables.conf defines inet filter input: hook input, "
                                                          "policy drop")
