"""Pure derivations from policy documents and rules (no AWS needed)."""

from __future__ import annotations

import json

from checks.aws.exposure import acl_exposure as _acl_exposure
from checks.aws.exposure import sg_exposure as _sg_exposure
from checks.aws.policydoc import acl_public, allows_full_admin, denies_insecure_transport

DENY = {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def test_tls_only_policy_needs_a_deny_on_objects_for_everyone() -> None:
    assert denies_insecure_transport(json.dumps({"Statement": [DENY]}), "b")
    assert denies_insecure_transport({"Statement": DENY}, "b")  # single statement, not a list
    assert not denies_insecure_transport({"Statement": [{**DENY, "Effect": "Allow"}]}, "b")
    assert not denies_insecure_transport({"Statement": [{**DENY, "Principal": {"AWS": "arn:aws:iam::1:root"}}]}, "b")
    assert not denies_insecure_transport({"Statement": [{**DENY, "Resource": "arn:aws:s3:::b"}]}, "b")
    assert not denies_insecure_transport({"Statement": [{**DENY, "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]}, "b")
    assert not denies_insecure_transport(None, "b")
    assert not denies_insecure_transport("{not json", "b")


def test_full_admin_is_allow_star_on_star_only() -> None:
    assert allows_full_admin({"Statement": [{"Effect": "Allow", "Action": ["*"], "Resource": "*"}]})
    assert not allows_full_admin({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    assert not allows_full_admin({"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]})
    assert not allows_full_admin(None)


def test_public_acl_grantees() -> None:
    everyone = {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}}
    owner = {"Grantee": {"Type": "CanonicalUser", "ID": "abc"}}
    assert acl_public([owner, everyone]) and not acl_public([owner])


def test_security_group_exposure_ranges_and_all_traffic() -> None:
    perms = [{"IpProtocol": "tcp", "FromPort": 20, "ToPort": 23, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
             {"IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
             {"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}]
    out = _sg_exposure(perms)
    assert out["world_open_ports_ipv4"] == [20, 21, 22, 23]
    assert out["world_all_traffic_ipv4"] is False
    assert out["world_all_traffic_ipv6"] is True and 3389 in out["world_open_ports_ipv6"]


def test_nacl_first_matching_rule_decides() -> None:
    entries = [{"RuleNumber": 100, "Protocol": "6", "PortRange": {"From": 22, "To": 22}, "Egress": False,
                "CidrBlock": "0.0.0.0/0", "RuleAction": "deny"},
               {"RuleNumber": 200, "Protocol": "-1", "Egress": False, "CidrBlock": "0.0.0.0/0", "RuleAction": "allow"},
               {"RuleNumber": 50, "Protocol": "-1", "Egress": True, "CidrBlock": "0.0.0.0/0", "RuleAction": "allow"}]
    out = _acl_exposure(entries)
    # TCP 22 is denied first; UDP 22 falls through to the allow-all entry
    assert 22 not in out["world_open_ports_tcp_ipv4"] and 22 in out["world_open_ports_udp_ipv4"]
    assert 3389 in out["world_open_ports_tcp_ipv4"] and 3389 in out["world_open_ports_ipv4"]
    assert out["world_all_traffic_ipv4"] is True and out["world_open_ports_ipv6"] == []
