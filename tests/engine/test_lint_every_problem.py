"""`policy lint` and inventories report every problem of every file in one run (issue 13), and lint
what the user named against the installed library, never the shipped library twice."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import policies
from scanner.policy import load

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_SSHD = Path(policies.CONTROLS) / "host" / "sshd.yaml"

MULTI = """\
apiVersion: govscan/v1
kind: Control
metadata:
  id: host-sshd-no-root-login
  version: 1.0.0
  title: Duplicate of a shipped id, with more problems below
  severity: medium
mappings:
  nist-800-53-rev5: [ac-99]
target:
  provider: host
  resource: host.sshd
assert:
  all:
    - {key: permitrootlogin, op: equals, value: "no"}
    - {key: permitrotlogin, op: eq, value: "no"}
---
apiVersion: govscan/v1
kind: Control
metadata:
  id: host-multi-second
  version: 1.0.0
  title: A schema problem and lint problems
  severity: severe
target:
  provider: host
  resource: host.sshd
assert: {key: maxauthtries, op: lte, value: {input: max_trie}}
"""


def multi_lines(f, first):
    return [
        f"{f}:4:7: duplicate control id 'host-sshd-no-root-login' (first defined at {first}:3:1)",
        f"{f}:9:22: unknown NIST SP 800-53 rev5 control id 'ac-99' (did you mean 'ac-9'?)",
        f"{f}:15:34: unknown operator 'equals' (did you mean 'eq'?)",
        f"{f}:16:13: unknown attribute 'permitrotlogin' of host.sshd (did you mean 'permitrootlogin'?)",
        f"{f}:24:13: 'severe' is not one of critical, high, medium, low, info",
        f"{f}:28:33: unknown operator 'lte' (did you mean 'le'?)",
        f"{f}:28:45: unknown input 'max_trie'",
        "govscan: 7 problems found",
    ]


def govscan(*args, exe=None, **kw):
    cmd = [exe] if exe else [sys.executable, "-m", "scanner"]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, **kw)


def test_lint_reports_every_problem_of_a_file_past_a_duplicate_id_and_a_schema_error(tmp_path):
    f = tmp_path / "multi.yaml"
    f.write_text(MULTI)
    proc = govscan("policy", "lint", str(f))
    assert proc.stderr.splitlines() == multi_lines(f, SHIPPED_SSHD)
    assert proc.returncode == 2


INVENTORY = """\
apiVersion: govscan/v1
kind: Inventory
groups:
  web:
    targets:
      - ssh://admin@web01.example:99999
      - bogus://x
      - {name: no-target}
  db:
    targets:
      - ssh://db01.example/path
      - local
      - {target: local, vars: {zone: a}}
targets:
  - 42
  - {target: local, vars: {zone: b}}
"""


def test_inventory_reports_every_bad_target(tmp_path):
    f = tmp_path / "inventory.yaml"
    f.write_text(INVENTORY)
    proc = govscan("scan", "-i", str(f), "--db", str(tmp_path / "db"))
    lint = govscan("policy", "lint", str(f))  # the same problems from the lint, without scanning
    assert (lint.stderr, lint.returncode) == (proc.stderr, 2)
    assert proc.stderr.splitlines() == [
        f"{f}:6:9: ssh://admin@web01.example:99999: not a valid ssh:// target (Port out of range 0-65535)",
        f"{f}:7:9: unknown target 'bogus://x': expected local, ssh://[user@]host[:port], aws://[profile][/region], "
        "nmap://CIDR-or-host or nmap-xml:FILE",
        f"{f}:8:9: a target entry needs 'target: <spec>' (e.g. ssh://user@host)",
        f"{f}:11:9: ssh://db01.example/path: expected ssh://[user@]host[:port] (no path, query or password)",
        f"{f}:15:5: a target must be a string or a mapping, got int",
        "govscan: 5 problems found",
    ]
    assert proc.returncode == 2
    # once the shapes are right, the duplicates are all reported too
    f.write_text(INVENTORY.replace("      - ssh://admin@web01.example:99999\n      - bogus://x\n      - {name: no-target}\n",
                                   "      - {target: local, vars: {zone: c}}\n")
                 .replace("      - ssh://db01.example/path\n", "").replace("  - 42\n", ""))
    proc = govscan("scan", "-i", str(f), "--db", str(tmp_path / "db"))
    target = next(line.split(": target ")[1].split()[0] for line in proc.stderr.splitlines() if "listed twice" in line)
    assert proc.stderr.splitlines() == [
        f"{f}:9:9: target {target} is listed twice with different settings (first at {f}:6:9)",
        f"{f}:10:9: target {target} is listed twice with different settings (first at {f}:6:9)",
        f"{f}:12:5: target {target} is listed twice with different settings (first at {f}:6:9)",
        "govscan: 3 problems found",
    ]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """govscan installed non-editable (`pip install .` of a copy of this tree) into a fresh venv."""
    tmp = tmp_path_factory.mktemp("install")
    src = tmp / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", "__pycache__", "*.egg-info", "build", "dist", "*.db", ".pytest_cache", ".mypy_cache",
        ".ruff_cache", "artifacts", ".work"))
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True)
    py = str(venv / "bin" / "python")
    errors = []
    for extra in (["--no-build-isolation"], []):  # the build tools at hand, else from the package index
        proc = subprocess.run([py, "-m", "pip", "install", "-q", "--no-deps", *extra, str(src)],
                              capture_output=True, text=True)
        if proc.returncode == 0:
            break
        errors.append(proc.stderr[-2000:])
    else:
        pytest.fail("pip install . failed:\n" + "\n".join(errors))
    where = subprocess.run([py, "-c", "import scanner, policies; print(scanner.__file__); print(policies.__file__)"],
                           capture_output=True, text=True, cwd=tmp, check=True).stdout.split()
    assert all(str(venv) in w for w in where), where  # really the installed copy, not this checkout
    return venv / "bin" / "govscan", Path(where[1]).parent


def test_lint_of_the_checkout_after_a_non_editable_install(installed, tmp_path):
    govscan_exe, installed_policies = installed
    pset = load()
    n = len(pset.controls) + len(pset.profiles) + len(pset.waivers)
    proc = govscan("policy", "lint", "policies/", exe=str(govscan_exe), cwd=ROOT)
    assert (proc.stderr, proc.returncode) == ("", 0)
    assert proc.stdout == (f"ok: {len(pset.controls)} controls, {len(pset.profiles)} profiles, "
                           f"{len(pset.waivers)} waivers ({n} documents)\n")
    # problems point at the file the user named, and a real duplicate is still one
    f = tmp_path / "multi.yaml"
    f.write_text(MULTI)
    proc = govscan("policy", "lint", "policies/controls/host/sshd.yaml", str(f), exe=str(govscan_exe), cwd=ROOT)
    assert proc.stderr.splitlines() == multi_lines(f, "policies/controls/host/sshd.yaml")
    # without naming the shipped file, the duplicate points into the installed library
    proc = govscan("policy", "lint", str(f), exe=str(govscan_exe), cwd=ROOT)
    assert proc.stderr.splitlines() == multi_lines(f, installed_policies / "controls" / "host" / "sshd.yaml")
    # a scan with --policies policies/ from the checkout loads each control once
    proc = govscan("scan", "local", "--policies", "policies/", "-c", "host-sshd-no-root-login",
                   "--db", str(tmp_path / "db"), exe=str(govscan_exe), cwd=ROOT)
    assert proc.returncode in (0, 1) and "duplicate" not in proc.stderr, proc.stderr


AWS_MAPPINGS = """\
apiVersion: govscan/v1
kind: Control
metadata:
  id: aws-test-mapping-keys
  version: 1.0.0
  title: CIS AWS v7.0 numbers and Prowler check ids are checked against their catalogs
  severity: low
mappings:
  cis-aws-foundations-7.0: ["2.1.1", "9.9"]
  prowler: [iam_root_mfa_enabled, iam_root_mfa_enable]
target: {provider: aws, resource: aws.iam.root}
assert: {key: mfa_active, op: is-true}
"""


def test_lint_checks_cis_aws_numbers_and_prowler_check_ids(tmp_path):
    f = tmp_path / "aws.yaml"
    f.write_text(AWS_MAPPINGS)
    proc = govscan("policy", "lint", str(f))
    lines = proc.stderr.splitlines()
    assert any(line.startswith(f"{f}:9:") and "unknown CIS AWS Foundations v7.0.0 recommendation '9.9'" in line
               for line in lines), lines
    assert any(line.startswith(f"{f}:10:") and "unknown Prowler AWS check 'iam_root_mfa_enable'" in line
               and "iam_root_mfa_enabled" in line for line in lines), lines
    assert not any("'2.1.1'" in line or "'iam_root_mfa_enabled'" in line.split("did you mean")[0]
                   for line in lines), lines
    assert proc.returncode == 2
