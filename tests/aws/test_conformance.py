"""Conformance on moto: every AWS collector's output holds only declared attributes of declared types.

The registry walk itself is tests/conformance/test_resource_types.py; this runs every registered AWS
type against the seeded account (weak and good resources alike).
"""

from __future__ import annotations

from typing import Any


from checks.aws.provider import AwsProvider
from scanner.resource_types import value_problems

from .conftest import MOTO_MISSING, collect
from .test_collect import MOTO_GAPS


SEEDED_MODULES = ("checks.aws.iam", "checks.aws.s3", "checks.aws.ec2", "checks.aws.logging", "checks.aws.data")


def test_every_aws_collector_matches_its_declaration(seeded):
    kinds = {k.name: k for k in AwsProvider().kinds()}
    coll = collect()
    assert coll.fatal is None and sorted((e.resource_type, e.message) for e in coll.errors) == MOTO_GAPS
    assert set(coll.resources) == set(kinds) - MOTO_MISSING
    problems = {}
    for rtype, found in coll.resources.items():
        kind = kinds[rtype]
        for res in found:
            assert res.type == rtype
            if kind.identity.region:
                assert res.region in ("us-east-1", "eu-west-1"), (rtype, res.id, res.region)
            else:
                assert res.region is None, (rtype, res.id)
            for problem in value_problems(kind.schema(), res.attrs, open_top=bool(kind.open_attributes)):
                problems.setdefault(rtype, []).append(f"{res.id}: {problem}")
    assert problems == {}, "\n".join(sorted({p.split(": ", 1)[1] + " (" + t + ")" for t, ps in problems.items() for p in ps}))
    # the seeded account has resources of every type but these (moto has no such detector/trail shape);
    # types of the service families added for issue 11 are seeded (and checked the same way) by their own modules
    seeded_here = {n for n, k in kinds.items() if k.__module__ in SEEDED_MODULES}
    empty = {t for t, found in coll.resources.items() if not found and t in seeded_here}
    assert empty <= {"aws.iam.server_certificate", "aws.guardduty.detector", "aws.config.recorder"}, empty


def conforms(coll: Any) -> None:
    """Every resource of ``coll`` holds only declared attributes of the declared types (for the service
    families whose test modules seed their own resources)."""
    kinds = {k.name: k for k in AwsProvider().kinds()}
    problems = [f"{res.id}: {p}" for rtype, found in coll.resources.items() for res in found
                for p in value_problems(kinds[rtype].schema(), res.attrs, open_top=bool(kinds[rtype].open_attributes))]
    assert problems == []
