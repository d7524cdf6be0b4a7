"""Every CIS RHEL 9 number (``cis-rhel-9``) a host control carries is an id of CIS Red Hat Enterprise Linux 9
Benchmark v2.0.0 that the ComplianceAsCode RHEL 9 datastream's rule for the same check carries.

tests/data/cis_rhel9_v2.0.0.csv (every id the datastream's rules carry, with the rules) and the numbers in the
controls were written by ``python bench/cis_rhel9.py --write-ids --write-controls``; ``SAME_AS`` there pairs
each control with the SSG rule that checks the same thing, so a control carrying a real but wrong number fails.
"""

from __future__ import annotations

import csv
import importlib.util
import os
from functools import cache
from pathlib import Path

import pytest

from scanner.policy.loader import load

ROOT = Path(__file__).resolve().parents[2]
IDS = ROOT / "tests" / "data" / "cis_rhel9_v2.0.0.csv"
KEY = "cis-rhel-9"


@cache
def script():
    spec = importlib.util.spec_from_file_location("cis_rhel9", ROOT / "bench" / "cis_rhel9.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@cache
def ids() -> dict[str, set[str]]:
    """CIS id -> the SSG rules carrying it."""
    with open(IDS, newline="") as fh:
        return {r["id"]: set(r["ssg_rules"].split()) for r in csv.DictReader(ln for ln in fh if not ln.startswith("#"))}


@cache
def mapped() -> dict[str, tuple[str, ...]]:
    pset = load([ROOT / "policies" / "controls" / "host"], builtin=False)
    assert not pset.errors, pset.errors
    return {cid: c.mappings[KEY] for cid, c in pset.controls.items() if KEY in c.mappings}


def test_id_list_is_cis_rhel9_v200():
    rows = ids()
    assert len(rows) == 254
    assert rows["1.6.1"] == {"configure_custom_crypto_policy_cis"}
    assert rows["1.2.1.2"] == {"ensure_gpgcheck_globally_activated", "ensure_gpgcheck_never_disabled"}
    assert rows["1.3.1.5"] == {"selinux_state"} and rows["5.3.2.1"] == {"accounts_password_pam_modules_in_authselect_profile"}


def test_every_control_with_a_number_is_reviewed():
    assert sorted(mapped()) == sorted(script().SAME_AS), "add the control to SAME_AS in bench/cis_rhel9.py"


@pytest.mark.parametrize("control", sorted(script().SAME_AS))
def test_number_is_the_one_of_the_same_check(control):
    rule = script().SAME_AS[control]
    carried = {i for i, rules in ids().items() if rule in rules}
    assert carried, f"{rule} carries no CIS RHEL 9 id"
    want = script().PICK.get(control, tuple(sorted(carried, key=script().cis_key)))
    assert set(want) <= carried
    assert mapped()[control] == want


def test_rhel_controls_carry_their_numbers():
    got = mapped()
    assert got["host-crypto-policy-not-legacy"] == ("1.6.1",)
    assert got["host-selinux-enforcing"] == ("1.3.1.5",) and got["host-selinux-bootloader"] == ("1.3.1.2",)
    assert got["host-dnf-repo-gpgcheck"] == ("1.2.1.2",) and got["host-grub2-password"] == ("1.4.1",)
    assert got["host-svc-firewalld-enabled"] == ("4.1.2",) and got["host-pam-authselect"] == ("5.3.2.1",)
    assert got["host-file-grub2-user-cfg"] == ("1.4.2",)


@pytest.mark.skipif(not script().DS.exists() and "GOVSCAN_SSG_RHEL9_DS" not in os.environ,
                    reason="the RHEL 9 datastream is not on this machine")
def test_csv_is_the_datastream():
    got = {}
    for rule, carried in script().rules().items():
        for i in carried:
            got.setdefault(i, set()).add(rule)
    assert got == ids()
