"""CIS Debian 12 v1.1.0 section 4 (host firewall) both ways, on real rulesets.

The fact script runs for real in a fresh network namespace (tests/host/cis_a_support.py): the nftables and
iptables rulesets are loaded there with ``nft -f`` / ``iptables-restore`` from the same files the tree holds,
and a real TCP listener makes an open port. The configuration files come from the tree (GS_ROOT). What a
namespace cannot hold (installed packages, unit states, ``ufw status`` where ufw is not installed) is
recorded output in the documented formats.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from cis_a_support import build_tree, evaluate, netns_usable, packages, replace, run, statuses, units

pytestmark = pytest.mark.skipif(netns_usable() is not None, reason=str(netns_usable()))
needs_nft = pytest.mark.skipif(shutil.which("nft") is None, reason="nft (nftables) is not installed")
needs_ipt = pytest.mark.skipif(shutil.which("iptables-restore") is None, reason="iptables is not installed")

PORT = random.randint(20000, 40000)
LISTEN = (f"python3 -c 'import socket,time; s=socket.socket(socket.AF_INET6); "
          f"s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0); s.bind((\"::\", {PORT})); s.listen(); "
          f"time.sleep(60)' </dev/null >/dev/null 2>&1 &\n"
          f"for i in $(seq 50); do ss -Htln | grep -q ':{PORT} ' && break; sleep 0.1; done\n")
FW = ["host-fw-single-utility", "host-fw-ufw-installed", "host-fw-ufw-no-iptables-persistent", "host-fw-ufw-enabled",
      "host-fw-ufw-loopback", "host-fw-ufw-open-ports", "host-fw-ufw-default-deny", "host-fw-nft-installed",
      "host-fw-nft-no-ufw", "host-fw-nft-table", "host-fw-nft-base-chains", "host-fw-nft-loopback",
      "host-fw-nft-default-deny", "host-fw-nft-enabled", "host-fw-nft-persistent", "host-fw-ipt-installed",
      "host-fw-ipt-no-nftables", "host-fw-ipt-no-ufw", "host-fw-ipt-default-deny", "host-fw-ipt-loopback",
      "host-fw-ipt-open-ports", "host-fw-ipt-default-deny-ipv6", "host-fw-ipt-loopback-ipv6",
      "host-fw-ipt-open-ports-ipv6"]
UFW = [c for c in FW if "-ufw-" in c and c not in ("host-fw-nft-no-ufw", "host-fw-ipt-no-ufw")]
NFT = [c for c in FW if "-nft-" in c]
IPT = [c for c in FW if "-ipt-" in c]

NFT_GOOD = f"""\
table inet filter {{
\tchain input {{
\t\ttype filter hook input priority 0; policy drop;
\t\tiif "lo" accept
\t\tip saddr 127.0.0.0/8 counter drop
\t\tip6 saddr ::1 counter drop
\t\tct state established,related accept
\t\ttcp dport {{ 22, {PORT} }} accept
\t}}
\tchain forward {{
\t\ttype filter hook forward priority 0; policy drop;
\t}}
\tchain output {{
\t\ttype filter hook output priority 0; policy drop;
\t\toif "lo" accept
\t\tct state new,established,related accept
\t}}
}}
"""
# Debian's stock /etc/nftables.conf: the three base chains, no policy (accept), no rule
NFT_DEBIAN = """\
#!/usr/sbin/nft -f

flush ruleset

table inet filter {
\tchain input {
\t\ttype filter hook input priority filter;
\t}
\tchain forward {
\t\ttype filter hook forward priority filter;
\t}
\tchain output {
\t\ttype filter hook output priority filter;
\t}
}
"""


def fw(tmp_path: Path, tree: dict[str, str], setup: str, pkgs: tuple[str, ...], enabled: dict[str, str],
       ufw_status: str | None = None) -> dict[str, list[tuple[str, str]]]:
    root = build_tree(tmp_path / "tree", tree)
    out = run(["host.firewall"], root, setup.replace("{root}", str(root)) + LISTEN)
    replace(out, "packages", packages(*pkgs))
    replace(out, "units", units(out.marker, enabled))
    if ufw_status is not None:  # recorded `ufw status verbose` (ufw is not installed on the test machine)
        sec = out.sections["fw_live"]
        sec.stdout = sec.stdout.replace(f"{out.marker} FILE live:ufw missing",
                                        f"{out.marker} FILE live:ufw ok\nGS_RC=0\n{ufw_status}\n")
    return evaluate(out, FW)


@needs_nft
def test_nftables_compliant_ruleset_passes_and_other_utilities_are_not_applicable(tmp_path):
    tree = {"/etc/nftables.conf": '#!/usr/sbin/nft -f\nflush ruleset\ninclude "/etc/nftables.d/filter.nft"\n',
            "/etc/nftables.d/filter.nft": NFT_GOOD}
    got = fw(tmp_path, tree, "nft -f {root}/etc/nftables.d/filter.nft\n", ("nftables", "iptables"),
             {"nftables.service": "enabled", "netfilter-persistent.service": "disabled"})
    assert statuses(got) == {c: ["pass"] if c in NFT or c == "host-fw-single-utility" else ["notapplicable"]
                             for c in FW}, got
    assert got["host-fw-single-utility"][0][1] == "the firewall utility in use is nftables"
    assert got["host-fw-nft-table"][0][1] == "nftables tables: inet filter"
    assert got["host-fw-ufw-loopback"][0][1] == ("firewall: not applicable (the firewall utility in use is not ufw: "
                                                 "in use nftables)")


@needs_nft
def test_nftables_nested_includes_are_followed(tmp_path):
    """nftables.conf -> rules.d/main.nft -> rules.d/filter.nft: the ruleset two include levels down is read."""
    tree = {"/etc/nftables.conf": '#!/usr/sbin/nft -f\nflush ruleset\ninclude "/etc/nftables.d/main.nft"\n',
            "/etc/nftables.d/main.nft": 'include "nftables.d/part-*.nft"\n',
            "/etc/nftables.d/part-1.nft": NFT_GOOD}
    got = fw(tmp_path, tree, "nft -f {root}/etc/nftables.d/part-1.nft\n", ("nftables",),
             {"nftables.service": "enabled"})
    assert got["host-fw-nft-persistent"][0][0] == "pass", got["host-fw-nft-persistent"]
    assert got["host-fw-nft-table"] == [("pass", "nftables tables: inet filter")]


@needs_nft
@pytest.mark.parametrize("loop", [True, False])
def test_nftables_includes_past_the_bound_are_an_error_never_a_pass(tmp_path, loop):
    """An include loop, or a chain nested past 8 levels, ends the walk: the configured ruleset is an error."""
    tree = {"/etc/nftables.conf": '#!/usr/sbin/nft -f\nflush ruleset\ninclude "/etc/nftables.d/f0.nft"\n'}
    depth = 1 if loop else 9
    for i in range(depth):
        nxt = "f0.nft" if loop else f"f{i + 1}.nft"
        tree[f"/etc/nftables.d/f{i}.nft"] = f'include "/etc/nftables.d/{nxt}"\n' + (NFT_GOOD if i == 0 else "")
    if not loop:
        tree[f"/etc/nftables.d/f{depth}.nft"] = "# deepest\n"
    got = fw(tmp_path, tree, "nft -f {root}/etc/nftables.d/f0.nft\n", ("nftables",), {"nftables.service": "enabled"})
    status, message = got["host-fw-nft-persistent"][0]
    assert status == "error", got["host-fw-nft-persistent"]
    assert "includes nest deeper than 8 levels or name more than 64 files" in message


@needs_nft
def test_nftables_accepting_ruleset_beside_ufw_fails(tmp_path):
    live = "table inet filter {\n\tchain input {\n\t\ttype filter hook input priority 0; policy accept;\n\t}\n}\n"
    tree = {"/etc/nftables.conf": NFT_DEBIAN, "/live.nft": live}
    got = fw(tmp_path, tree, "nft -f {root}/live.nft\n", ("nftables", "ufw"),
             {"nftables.service": "enabled", "ufw.service": "enabled"})
    s = statuses(got)
    assert s["host-fw-single-utility"] == ["fail"]
    assert got["host-fw-single-utility"][0][1] == ("firewall utilities in use: ufw, nftables (exactly one of ufw, "
                                                   "nftables, iptables is required)")
    assert got["host-fw-nft-no-ufw"] == [("fail", "ufw is in use beside nftables (service enabled or running, or "
                                                   "ufw.conf ENABLED=yes)")]
    assert got["host-fw-nft-base-chains"] == [("fail", "no filter base chain in the live ruleset for: forward (ipv4), "
                                                        "forward (ipv6), output (ipv4), output (ipv6)")]
    assert got["host-fw-nft-loopback"] == [("fail", "input base chains lack: iif \"lo\" accept, "
                                                     "ip saddr 127.0.0.0/8 drop, ip6 saddr ::1 drop")]
    assert s["host-fw-nft-default-deny"] == ["fail"]
    assert "hooks without a drop policy: input (ipv4), input (ipv6)" in got["host-fw-nft-default-deny"][0][1]
    # Debian's stock nftables.conf has the base chains but accepts everything
    assert got["host-fw-nft-persistent"] == [("fail", "/etc/nftables.conf (with its includes) lacks: base chains none; "
                                                      "drop policy input (ipv4), input (ipv6), forward (ipv4), "
                                                      "forward (ipv6), output (ipv4), output (ipv6)")]
    assert s["host-fw-nft-table"] == s["host-fw-nft-enabled"] == ["pass"]
    assert s["host-fw-nft-installed"] == ["notapplicable"]  # 4.3.1 is for a host that chose nftables (ufw is in use)


@needs_nft
def test_nftables_installed_but_not_enabled_fails_4_3_9_and_4_1_1(tmp_path):
    got = fw(tmp_path, {"/etc/nftables.conf": NFT_DEBIAN}, "", ("nftables",), {"nftables.service": "disabled"})
    assert got["host-fw-nft-enabled"] == [("fail", "nftables.service is not enabled")]
    assert got["host-fw-single-utility"][0][0] == "fail"
    assert got["host-fw-ufw-installed"] == [("fail", "ufw is not installed")]


@needs_nft
def test_unparsable_nftables_conf_is_an_error_never_a_pass(tmp_path):
    tree = {"/etc/nftables.conf": "table inet filter {\n\tchain input {\n\t\ttype filter hook input priority 0; policy drop;\n"}
    got = fw(tmp_path, tree, "", ("nftables",), {"nftables.service": "enabled"})
    assert got["host-fw-nft-persistent"] == [("error", "firewall: nft_conf could not be read: nft_conf: could not be "
                                                       "parsed: a '{' is never closed")]


IPT_GOOD = f"""\
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT DROP [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -s {{lo}} -j DROP
-A INPUT -p tcp -m tcp --dport {PORT} -j ACCEPT
-A OUTPUT -o lo -j ACCEPT
-A OUTPUT -m state --state NEW,ESTABLISHED -j ACCEPT
COMMIT
"""


@needs_ipt
def test_iptables_compliant_rules_live_and_persisted_pass(tmp_path):
    tree = {"/etc/iptables/rules.v4": IPT_GOOD.replace("{lo}", "127.0.0.0/8"),
            "/etc/iptables/rules.v6": IPT_GOOD.replace("{lo}", "::1/128")}
    setup = "iptables-restore < {root}/etc/iptables/rules.v4 && ip6tables-restore < {root}/etc/iptables/rules.v6\n"
    got = fw(tmp_path, tree, setup, ("iptables", "iptables-persistent"), {"netfilter-persistent.service": "enabled"})
    assert statuses(got) == {c: ["pass"] if c in IPT or c == "host-fw-single-utility" else ["notapplicable"]
                             for c in FW}, got
    assert got["host-fw-ipt-default-deny"][0][1] == ("INPUT, FORWARD and OUTPUT policies are DROP, live and in "
                                                     "/etc/iptables/rules.v4")


@needs_ipt
def test_iptables_accepting_rules_and_an_unruled_port_fail(tmp_path):
    bad = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -o lo -j ACCEPT\nCOMMIT\n"
    tree = {"/etc/iptables/rules.v4": bad}  # no rules.v6: nothing is restored for IPv6 at boot
    got = fw(tmp_path, tree, "iptables-restore < {root}/etc/iptables/rules.v4\n", ("iptables", "iptables-persistent"),
             {"netfilter-persistent.service": "enabled"})
    assert got["host-fw-ipt-default-deny"] == [("fail", "filter chains whose policy is not DROP: live INPUT, OUTPUT; "
                                                        "/etc/iptables/rules.v4 INPUT, OUTPUT")]
    assert got["host-fw-ipt-loopback"] == [("fail", "rules missing: live -A INPUT -i lo -j ACCEPT, "
                                                    "-A INPUT -s 127.0.0.0/8 -j DROP; /etc/iptables/rules.v4 "
                                                    "-A INPUT -i lo -j ACCEPT, -A INPUT -s 127.0.0.0/8 -j DROP")]
    assert got["host-fw-ipt-open-ports"] == [("fail", f"open IPv4 ports without an INPUT rule: tcp/{PORT}")]
    assert got["host-fw-ipt-open-ports-ipv6"] == [("fail", f"open IPv6 ports without an INPUT rule: tcp/{PORT}")]
    # no ip6tables ruleset at all, live or in a file: every policy is missing
    assert got["host-fw-ipt-default-deny-ipv6"] == [("fail", "filter chains whose policy is not DROP: live INPUT, "
                                                             "FORWARD, OUTPUT; /etc/iptables/rules.v6 INPUT, "
                                                             "FORWARD, OUTPUT")]
    assert statuses(got)["host-fw-ipt-no-nftables"] == ["pass"]


UFW_USER = f"""\
*filter
:ufw-user-input - [0:0]
:ufw-user-output - [0:0]
### RULES ###

### tuple ### allow any any 0.0.0.0/0 any 0.0.0.0/0 in_lo
-A ufw-user-input -i lo -j ACCEPT

### tuple ### allow any any 0.0.0.0/0 any 0.0.0.0/0 out_lo
-A ufw-user-output -o lo -j ACCEPT

### tuple ### deny any any 0.0.0.0/0 any 127.0.0.0/8 in
-A ufw-user-input -s 127.0.0.0/8 -j DROP

### tuple ### allow tcp {PORT} 0.0.0.0/0 any 0.0.0.0/0 in
-A ufw-user-input -p tcp --dport {PORT} -j ACCEPT

### END RULES ###
COMMIT
"""
UFW_USER6 = f"""\
*filter
### RULES ###

### tuple ### deny any any ::/0 any ::1 in
-A ufw6-user-input -s ::1 -j DROP

### tuple ### allow tcp {PORT} ::/0 any ::/0 in
-A ufw6-user-input -p tcp --dport {PORT} -j ACCEPT

### END RULES ###
COMMIT
"""
UFW_BEFORE = "*filter\n:ufw-before-input - [0:0]\n-A ufw-before-input -i lo -j ACCEPT\n-A ufw-before-output -o lo -j ACCEPT\nCOMMIT\n"
UFW_DEFAULT = 'IPV6=yes\nDEFAULT_INPUT_POLICY="DROP"\nDEFAULT_OUTPUT_POLICY="DROP"\nDEFAULT_FORWARD_POLICY="DROP"\n'


def ufw_tree(**changes: str) -> dict[str, str]:
    tree = {"/etc/ufw/ufw.conf": "ENABLED=yes\nLOGLEVEL=low\n", "/etc/default/ufw": UFW_DEFAULT,
            "/etc/ufw/user.rules": UFW_USER, "/etc/ufw/user6.rules": UFW_USER6,
            "/etc/ufw/before.rules": UFW_BEFORE, "/etc/ufw/before6.rules": UFW_BEFORE.replace("ufw-", "ufw6-")}
    tree.update({k.replace("__", "/"): v for k, v in changes.items()})
    return tree


def test_ufw_compliant_configuration_passes(tmp_path):
    got = fw(tmp_path, ufw_tree(), "", ("ufw", "iptables"), {"ufw.service": "enabled"},
             ufw_status="Status: active\nLogging: on (low)\nDefault: deny (incoming), deny (outgoing), deny (routed)")
    assert statuses(got) == {c: ["pass"] if c in UFW or c == "host-fw-single-utility" else ["notapplicable"]
                             for c in FW}, got
    assert got["host-fw-ufw-default-deny"][0][1] == ("ufw default policies: {\"input\":\"DROP\",\"output\":\"DROP\","
                                                     "\"forward\":\"DROP\"}")


def test_ufw_disabled_accepting_and_without_loopback_rules_fails(tmp_path):
    tree = ufw_tree(**{"/etc/ufw/ufw.conf": "ENABLED=no\n",
                       "/etc/default/ufw": UFW_DEFAULT.replace('INPUT_POLICY="DROP"', 'INPUT_POLICY="ACCEPT"'),
                       "/etc/ufw/user.rules": "*filter\n### RULES ###\n### END RULES ###\nCOMMIT\n",
                       "/etc/ufw/user6.rules": "*filter\n### RULES ###\n### END RULES ###\nCOMMIT\n"})
    got = fw(tmp_path, tree, "", ("ufw", "iptables", "iptables-persistent"), {"ufw.service": "enabled"},
             ufw_status="Status: inactive")
    assert got["host-fw-ufw-enabled"] == [("fail", "ufw.service enabled: true; /etc/ufw/ufw.conf ENABLED=yes: false; "
                                                   "ufw status active: false")]
    assert got["host-fw-ufw-default-deny"] == [("fail", "ufw default policies not deny or reject: input "
                                                        "({\"input\":\"ACCEPT\",\"output\":\"DROP\",\"forward\":\"DROP\"})")]
    assert got["host-fw-ufw-loopback"] == [("fail", "ufw rules missing: deny in from 127.0.0.0/8, deny in from ::1")]
    assert got["host-fw-ufw-open-ports"] == [("fail", f"open ports without a ufw rule: tcp/{PORT}")]
    assert got["host-fw-ufw-no-iptables-persistent"] == [("fail", "iptables-persistent is installed beside ufw")]


def test_ufw_status_that_could_not_be_read_is_an_error(tmp_path):
    got = fw(tmp_path, ufw_tree(), "", ("ufw",), {"ufw.service": "enabled"})  # ufw is not installed here
    assert got["host-fw-ufw-enabled"] == [("error", "firewall: ufw_status_active could not be read: ufw is not installed: "
                                                    "the live ruleset could not be read")]


def test_nft_parser_reads_the_command_form_and_rejects_what_it_cannot_read():
    from checks.host.parsers import nft

    text = ("#!/usr/sbin/nft -f\nflush ruleset\ndefine ssh = 22\nadd table inet f\n"
            "add chain inet f in { type filter hook input priority 0 ; policy drop ; }\n"
            "add chain inet f fw { type filter hook forward priority 0 ; policy drop ; }\n"
            "add chain inet f out { type filter hook output priority 0 ; \\\n policy drop ; }\n"
            'add rule inet f in iif "lo" accept\nadd rule inet f in ip saddr 127.0.0.0/8 drop\n'
            "add rule inet f in ip6 saddr ::1 drop\n")
    got = nft.analyse(nft.parse(text), True)
    assert got == {"tables": ["inet f"], "base_chains": ["inet f in: hook input, policy drop",
                                                         "inet f fw: hook forward, policy drop",
                                                         "inet f out: hook output, policy drop"],
                   "base_chains_missing": [], "hooks_without_drop_policy": [], "loopback_missing": []}
    # an ip-family chain covers IPv4 only
    ip_only = nft.analyse(nft.parse(text.replace("inet", "ip")), True)
    assert ip_only["base_chains_missing"] == ["input (ipv6)", "forward (ipv6)", "output (ipv6)"]
    for bad, why in (("table inet f {\n", "a '{' is never closed"), ("}\n", "line 1: '}' without '{'"),
                     ('add rule inet f in meta comment "x\n', "line 1: unterminated string"),
                     ("frobnicate all\n", "line 1: 'frobnicate' is not an nftables command govscan reads")):
        with pytest.raises(nft.NftError, match=why):
            nft.parse(bad)
