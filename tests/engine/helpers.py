"""Builders for engine tests: controls from plain documents, targets, collections."""

from scanner.model import Collection, Resource, Target
from scanner.policy.loader import control_from, profile_from, waiver_from


def control(id="host-test-ctl", resource="host.sshd", assert_=None, severity="medium", **extra):
    doc = {
        "apiVersion": "govscan/v1", "kind": "Control",
        "metadata": {"id": id, "version": "1.0.0", "title": f"title of {id}", "severity": severity},
        "target": {"provider": resource.split(".")[0], "resource": resource},
        "assert": assert_ or {"key": "permitrootlogin", "op": "eq", "value": "no"},
    }
    for k, v in extra.items():
        if k in ("scope", "applies_if", "platforms"):
            doc["target"][k] = v
        else:
            doc[k] = v
    return control_from(doc)


def profile(id, **body):
    doc = {"apiVersion": "govscan/v1", "kind": "Profile", "metadata": {"id": id, "title": id}, **body}
    return profile_from(doc)


def waiver(id="WVR-1", controls=("host-test-ctl",), expires="2099-01-01", match=None, approved="2026-11-01"):
    doc = {"apiVersion": "govscan/v1", "kind": "Waiver", "metadata": {"id": id}, "controls": list(controls),
           "match": match or {}, "type": "risk-adjustment", "justification": "a good enough reason",
           "approved_by": {"name": "AO", "role": "AO", "date": approved}, "expires": expires}
    return waiver_from(doc)


TARGET = Target(id="local:box", kind="host", address="localhost", name="box")


def collection(resource_type="host.sshd", *resources, **kw):
    return Collection(resources={resource_type: list(resources)}, **kw)


def res(id, type="host.sshd", error=None, region=None, **attrs):
    return Resource(id=id, type=type, attrs=attrs, error=error, region=region)
