"""Internet exposure of security groups and network ACLs: any port an input names, TCP and UDP.

Every security group below passed every port control before world-open rules were kept as ranges:
the ports were outside the hard-coded list, or open over UDP only.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest

from checks.aws.exposure import BASELINE_PORTS, ports_of_interest
from checks.aws.exposure import acl_exposure as _acl_exposure
from checks.aws.exposure import sg_exposure as _sg_exposure

from .conftest import ACCOUNT

W4 = {"IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
W6 = {"Ipv6Ranges": [{"CidrIpv6": "::/0"}]}
CONTROLS = Path(__file__).resolve().parents[2] / "policies" / "controls" / "aws"


def rule(proto: str, lo: int | None = None, hi: int | None = None, **src: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"IpProtocol": proto, **src}
    if lo is not None:
        out.update(FromPort=lo, ToPort=hi if hi is not None else lo)
    return out


def test_a_port_range_opens_every_port_an_input_names() -> None:
    ports = ports_of_interest({"admin_ports": [22, 10250], "unrelated": "x", "flag": True})
    assert 10250 in ports and 1 not in ports  # True is not port 1
    out = _sg_exposure([rule("tcp", 10000, 10300, **W4)], ports)
    assert out["world_open_ports_ipv4"] == [10250] and out["world_open_ports_tcp_ipv4"] == [10250]
    assert out["world_open_rules"] == [
        {"family": "ipv4", "protocol": "tcp", "from": 10000, "to": 10300, "cidr": "0.0.0.0/0"}]
    assert 10250 in out["world_ports_checked"] and out["world_open_ports_ipv6"] == []


def test_udp_counts_and_icmp_opens_no_port() -> None:
    out = _sg_exposure([rule("udp", 161, **W4), rule("udp", 137, 139, **W6), rule("icmp", 8, -1, **W4)])
    assert out["world_open_ports_udp_ipv4"] == [161] and out["world_open_ports_tcp_ipv4"] == []
    assert out["world_open_ports_ipv4"] == [161]
    assert out["world_open_ports_ipv6"] == [137, 138, 139]
    icmp = [r for r in out["world_open_rules"] if r["protocol"] == "icmp"]
    assert icmp == [{"family": "ipv4", "protocol": "icmp", "from": None, "to": None, "cidr": "0.0.0.0/0"}]


def test_all_traffic_opens_every_port_of_every_protocol() -> None:
    out = _sg_exposure([rule("-1", **W6)], ports_of_interest({"p": [1, 65535]}))
    assert out["world_all_traffic_ipv6"] is True and out["world_all_traffic_ipv4"] is False
    assert out["world_open_ports_tcp_ipv6"] == out["world_open_ports_udp_ipv6"] == out["world_ports_checked"]
    assert {1, 65535} <= set(out["world_open_ports_ipv6"]) and out["world_open_ports_ipv4"] == []


def test_any_slash_zero_is_the_world_and_narrower_sources_are_not() -> None:
    out = _sg_exposure([rule("tcp", 22, IpRanges=[{"CidrIp": "10.0.0.0/8"}, {"CidrIp": "0.0.0.0/1"}]),
                        rule("tcp", 3389, Ipv6Ranges=[{"CidrIpv6": "2001:db8::/0"}])])
    assert out["world_open_ports_ipv4"] == [] and out["world_open_ports_ipv6"] == [3389]


def test_nacl_first_matching_entry_decides_per_protocol() -> None:
    entries = [{"RuleNumber": 90, "Protocol": "1", "Egress": False, "CidrBlock": "0.0.0.0/0", "RuleAction": "deny",
                "IcmpTypeCode": {"Type": -1, "Code": -1}},
               {"RuleNumber": 100, "Protocol": "6", "PortRange": {"From": 22, "To": 22}, "Egress": False,
                "CidrBlock": "0.0.0.0/0", "RuleAction": "deny"},
               {"RuleNumber": 110, "Protocol": "17", "PortRange": {"From": 161, "To": 161}, "Egress": False,
                "CidrBlock": "0.0.0.0/0", "RuleAction": "allow"},
               {"RuleNumber": 120, "Protocol": "6", "PortRange": {"From": 10250, "To": 10250}, "Egress": False,
                "Ipv6CidrBlock": "::/0", "RuleAction": "allow"},
               {"RuleNumber": 32767, "Protocol": "-1", "Egress": False, "CidrBlock": "0.0.0.0/0",
                "RuleAction": "deny"}]
    out = _acl_exposure(entries, ports_of_interest({"admin_ports": [22, 10250]}))
    assert out["world_open_ports_tcp_ipv4"] == [] and out["world_open_ports_udp_ipv4"] == [161]
    assert out["world_open_ports_ipv6"] == [10250]
    assert out["world_all_traffic_ipv4"] is False
    assert [(r["rule"], r["action"], r["protocol"]) for r in out["world_open_rules"]] == [
        (90, "deny", "1"), (100, "deny", "tcp"), (110, "allow", "udp"), (120, "allow", "tcp"),
        (32767, "deny", "-1")]


def _seed() -> dict[str, str]:
    import boto3

    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    ids = {"vpc": vpc}
    for name, perms in {
        "kubelet": [rule("tcp", 10000, 10300, **W4)],     # admin port 10250 given with --input
        "snmp": [rule("udp", 161, **W4)],                  # UDP cleartext
        "netbios6": [rule("udp", 137, 138, **W6)],         # UDP cleartext over IPv6
        "nfs": [rule("tcp", 2049, **W4)],                  # a database_ports value given with --input
        "private": [rule("-1", IpRanges=[{"CidrIp": "10.0.0.0/8"}])],
    }.items():
        gid = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=perms)
        ids[name] = gid
    acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="6", RuleAction="allow",
                                 Egress=False, CidrBlock="0.0.0.0/0", PortRange={"From": 10250, "To": 10250})
    ids["acl"] = acl
    return ids


@pytest.fixture(scope="module")
def exposure_scan(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, str], dict[Any, Any]]]:
    from moto import mock_aws

    from scanner.engine import ScanRequest, run_scan
    from scanner.store import Store

    with mock_aws():
        ids = _seed()
        store = Store(tmp_path_factory.mktemp("exposure") / "scan.db")
        req = ScanRequest(
            targets=["aws:///us-east-1"], policy_paths=[str(CONTROLS)],
            controls=["aws-ec2-sg-no-world-admin-ipv4", "aws-ec2-sg-no-world-admin-ipv6",
                      "aws-ec2-sg-no-world-database-ports", "aws-ec2-sg-no-world-cleartext-ports",
                      "aws-ec2-nacl-no-world-admin"],
            inputs={"admin_ports": [22, 3389, 10250], "aws-ec2-sg-no-world-database-ports.database_ports": [2049]})
        outcome = run_scan(req, store)
        view = store.view(outcome.scan_id)
        yield ids, {(f["control_id"], f["resource_id"]): (f["status"], f["message"]) for f in view.findings()}


def test_scan_fails_groups_open_on_input_ports_and_udp(exposure_scan: Any) -> None:
    ids, found = exposure_scan
    sg = lambda n: f"arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/{ids[n]}"  # noqa: E731
    failed = {k for k, (status, _) in found.items() if status == "fail" and "security-group" in k[1]}
    assert failed == {
        ("aws-ec2-sg-no-world-admin-ipv4", sg("kubelet")),
        ("aws-ec2-sg-no-world-database-ports", sg("nfs")),
        ("aws-ec2-sg-no-world-cleartext-ports", sg("snmp")),
        ("aws-ec2-sg-no-world-cleartext-ports", sg("netbios6")),
    }
    assert found[("aws-ec2-sg-no-world-admin-ipv4", sg("kubelet"))][1] == (
        f"Security group {ids['kubelet']} opens admin ports to 0.0.0.0/0: 10250")
    # (an empty list renders as '' in messages, not as the `|none` fallback)
    assert found[("aws-ec2-sg-no-world-cleartext-ports", sg("snmp"))][1].startswith(
        f"Security group {ids['snmp']} exposes cleartext service ports (IPv4: 161; IPv6: ")
    assert found[("aws-ec2-sg-no-world-cleartext-ports", sg("netbios6"))][1].endswith("; IPv6: 137, 138)")
    # the private all-traffic group passes everything
    assert {found[(c, sg("private"))][0] for c, r in found if r == sg("private")} == {"pass"}


def test_scan_fails_the_nacl_that_allows_an_input_port(exposure_scan: Any) -> None:
    ids, found = exposure_scan
    acl = f"arn:aws:ec2:us-east-1:{ACCOUNT}:network-acl/{ids['acl']}"
    status, message = found[("aws-ec2-nacl-no-world-admin", acl)]
    assert status == "fail" and message.startswith(
        f"Network ACL {ids['acl']} allows admin ports from the internet (IPv4: 10250; IPv6: ")


def _control(cid: str) -> Any:
    from scanner.policy import load_controls

    return load_controls([str(CONTROLS)])[cid]


def test_a_port_the_collector_did_not_compute_fails_never_passes() -> None:
    """If a control's ports did not reach the collector (a per-control profile override hidden by the
    by-name merge of inputs), the control fails on its guard instead of passing on an unknown port."""
    from scanner.evaluate import evaluate_control
    from scanner.model import Collection, Resource, Status, Target

    attrs = {"GroupId": "sg-1", **_sg_exposure([rule("tcp", 10250, **W4)], BASELINE_PORTS)}
    res = Resource("arn:sg-1", "aws.ec2.security_group", attrs, region="us-east-1")
    coll = Collection(resources={"aws.ec2.security_group": [res]})
    target = Target(id="aws://x", kind="aws", address="aws://x", name="x")
    now = datetime.now(timezone.utc)
    for cid in ("aws-ec2-sg-no-world-admin-ipv4", "aws-ec2-sg-no-world-database-ports"):
        name = "admin_ports" if "admin" in cid else "database_ports"
        [f] = evaluate_control(_control(cid), target, coll, {name: [10250]}, now)
        assert f.status is Status.FAIL, (cid, f.message)
        assert f.evidence["expected"] == "world_ports_checked superset [10250]"
        # with the port computed, the same rule fails on the port itself
        attrs2 = {"GroupId": "sg-1", **_sg_exposure([rule("tcp", 10250, **W4)], ports_of_interest({name: [10250]}))}
        coll2 = Collection(resources={"aws.ec2.security_group": [
            Resource("arn:sg-1", "aws.ec2.security_group", attrs2, region="us-east-1")]})
        [f2] = evaluate_control(_control(cid), target, coll2, {name: [10250]}, now)
        assert f2.status is Status.FAIL and f2.evidence["expected"].startswith("world_open_ports_ipv4 disjoint")
