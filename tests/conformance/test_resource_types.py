"""Conformance: every registered resource type documents every attribute its collector produces.

Walks the registry (Cloud Custodian's tests walk every registered resource the same way): each type
is one class with a description, typed attributes, what it is collected with and a build function;
each collector's output on real inputs (the golden fact-script outputs for host types, the nmap XML
fixtures for network types; the AWS types on moto in tests/aws/test_conformance.py) holds only
declared attributes of the declared types.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner import registry
from scanner.resource_types import AttrType, ResourceKind, attr_types, resources, value_problems

ROOT = Path(__file__).resolve().parents[2]
BUILTIN = {"host", "aws", "network"}


def _kinds() -> list[type[ResourceKind]]:
    out = []
    for prov in registry.providers():
        out += prov.kinds()
    return out


def test_every_builtin_provider_registers_its_types_through_the_registry():
    names = {k.name for k in _kinds()}
    assert {n.split(".")[0] for n in names} >= BUILTIN
    assert {"host.sshd", "aws.s3.bucket", "network.service"} <= names
    # govscan resources and the lint read the same declarations
    assert set(registry.resource_types()) == names


@pytest.mark.parametrize("kind", _kinds(), ids=lambda k: k.name)
def test_each_type_declares_itself_completely(kind: type[ResourceKind]):
    assert resources.get(kind.name) is kind
    assert kind.name.startswith(kind.provider() + ".") and kind.provider() in registry.names(registry.PROVIDERS)
    assert kind.description.strip(), f"{kind.name} has no description"
    assert kind.collected_with(), f"{kind.name} does not say what collects it"
    assert callable(getattr(kind, "build", None)), f"{kind.name} has no build function"
    seen = set()
    for attr in kind.attributes:
        assert attr.name not in seen, f"{kind.name}: {attr.name} declared twice"
        seen.add(attr.name)
        assert attr.description.strip(), f"{kind.name}.{attr.name} has no description"
        assert all(isinstance(t, AttrType) for t in attr_types(attr))
    if kind.identity.labels:
        assert kind.identity.labels in kind.schema().children or kind.provider() == "aws"
    if kind.identity.host:
        assert kind.identity.host in kind.schema().children


def _problems(collection) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for rtype, found in collection.resources.items():
        kind = resources.get(rtype)
        assert kind is not None, rtype
        for res in found:
            assert res.type == rtype
            bad = list(value_problems(kind.schema(), res.attrs, open_top=bool(kind.open_attributes)))
            if bad:
                out.setdefault(rtype, []).extend(f"{res.id}: {p}" for p in bad)
    return out


@pytest.mark.parametrize("case", ["compliant", "noncompliant"])
def test_host_collectors_on_golden_outputs_match_their_declarations(case: str):
    from checks.host.provider import HostProvider
    from checks.host.script import parse_output

    out = parse_output((ROOT / "tests" / "host" / "golden" / f"{case}.out").read_text(), "==GOVSCAN:test==")
    types = [k.name for k in HostProvider().kinds()]
    coll = HostProvider.parse(out, types, walk="walk" in out.sections, walk_timeout=300)
    built = {t for t, found in coll.resources.items() if found}
    assert built >= set(types) - {"host.filesystem"} - {e.resource_type for e in coll.errors}
    assert _problems(coll) == {}


@pytest.mark.parametrize("xml", ["nmap-7.93-loopback.xml", "nmap-6.01-text-scripts.xml", "zones-mixed.xml",
                                 "nmap-7.93-all-closed-tcp-udp.xml"])
def test_network_collectors_on_xml_fixtures_match_their_declarations(xml: str):
    from checks.network.provider import NetworkProvider
    from scanner.provider import CollectContext

    prov = NetworkProvider()
    target = prov.parse_target(f"nmap-xml:{ROOT / 'tests' / 'network' / 'data' / xml}", {})[0]
    coll = prov.collect(target, frozenset(k.name for k in prov.kinds()), CollectContext())
    assert coll.resources["network.host"]
    assert _problems(coll) == {}


def test_an_undeclared_or_mistyped_attribute_is_reported():
    from checks.host.resources import Os

    assert list(value_problems(Os.schema(), {"hostname": "h", "uid": "0", "colour": 1})) == [
        "uid: str is not integer", "colour: not declared"]
