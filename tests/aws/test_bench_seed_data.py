"""bench/aws_seed_data.py seeds both verdicts of every control it pairs with Prowler, and names only
known controls and Prowler checks."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import boto3

from .datasvc import cli_scan

ROOT = Path(__file__).resolve().parents[2]


def plugin() -> ModuleType:
    spec = importlib.util.spec_from_file_location("aws_seed_data", ROOT / "bench" / "aws_seed_data.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_pairs_name_known_controls_and_checks() -> None:
    from scanner.policy import load_controls

    mod = plugin()
    controls = load_controls([str(ROOT / "policies" / "controls" / "aws")])
    checks = json.loads((ROOT / "policies" / "frameworks" / "prowler-aws-checks.json").read_text())["checks"]
    for control, (prowler, kind) in mod.PAIRS.items():
        assert control in controls and kind in ("resource", "region", "account")
        assert set(prowler) <= set(checks) and {checks[c]["service"] for c in prowler} <= set(mod.PROWLER_SERVICES)


def test_seed_gives_both_verdicts_of_every_paired_control(moto: None, tmp_path: Path) -> None:
    mod = plugin()
    counts = mod.seed(lambda service: boto3.client(service, region_name="us-east-1"), 40)
    assert counts["rds_clusters"] == counts["sqs_queues"] == 2 and counts["backup_vaults"] == 2
    got = cli_scan(tmp_path, [c for c in mod.PAIRS if c != "aws-backup-plan-exists"])
    statuses: dict[str, set[str]] = {}
    for (control, _), (status, _) in got.items():
        statuses.setdefault(control, set()).add(status)
    assert {c: s for c, s in statuses.items() if s != {"pass", "fail"}} == {}
    assert set(statuses) == set(mod.PAIRS) - {"aws-backup-plan-exists"}
