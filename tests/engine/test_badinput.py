"""The bad-input corpus: each broken policy, profile or waiver file gives exactly these messages and exit 2."""

from pathlib import Path

import pytest

from scanner.cli import cli
from scanner.cli.common import run_cli

HERE = Path(__file__).parent / "badinput"

CASES = {
    '01-unknown-operator.yaml': [
        "01-unknown-operator.yaml:13:36: unknown operator 'equals' (did you mean 'eq'?)",
    ],
    '02-unknown-top-key.yaml': [
        "02-unknown-top-key.yaml:1:1: missing required key 'assert' in document",
        "02-unknown-top-key.yaml:13:1: unknown key 'asert' in document (did you mean 'assert'?)",
    ],
    '03-unknown-resource-type.yaml': [
        "03-unknown-resource-type.yaml:12:13: unknown resource type 'host.sshdd' (did you mean 'host.sshd'?)",
    ],
    '04-unknown-attribute.yaml': [
        "04-unknown-attribute.yaml:13:15: unknown attribute 'permitrotlogin' of host.sshd (did you mean 'permitrootlogin'?)",
    ],
    '05-unknown-input.yaml': [
        "05-unknown-input.yaml:15:44: unknown input 'max_trie' (did you mean 'max_tries'?)",
    ],
    '06-input-default-type.yaml': [
        "06-input-default-type.yaml:14:47: default of input 'max_tries': expected integer, got str 'four'",
    ],
    '07-bad-regex.yaml': [
        "07-bad-regex.yaml:13:41: invalid regex '(unclosed': missing ), unterminated subpattern at position 0",
    ],
    '08-in-needs-list.yaml': [
        "08-in-needs-list.yaml:13:47: operator 'in' needs a list value, got string 'no'",
    ],
    '09-unknown-nist-id.yaml': [
        "09-unknown-nist-id.yaml:9:28: unknown NIST SP 800-53 rev5 control id 'ac-99' (did you mean 'ac-9'?)",
    ],
    '10-nist-id-wrong-form.yaml': [
        "10-nist-id-wrong-form.yaml:9:22: unknown NIST SP 800-53 rev5 control id 'AC-6(2)' (did you mean 'ac-6.2'? ids are in OSCAL form)",
    ],
    '11-bad-severity.yaml': [
        "11-bad-severity.yaml:7:13: 'severe' is not one of critical, high, medium, low, info",
    ],
    '12-bad-id.yaml': [
        "12-bad-id.yaml:4:7: 'Host_Bad' is not valid: expected lowercase letters, digits and dashes, 3 to 64 characters",
    ],
    '13-bad-version.yaml': [
        "13-bad-version.yaml:5:12: 'v1' is not valid: expected a semantic version such as 1.0.0",
    ],
    '14-missing-assert.yaml': [
        "14-missing-assert.yaml:1:1: missing required key 'assert' in document",
    ],
    '15-wrong-apiversion.yaml': [
        "15-wrong-apiversion.yaml:1:13: unsupported apiVersion 'govscan/v2' (expected govscan/v1)",
    ],
    '16-unknown-kind.yaml': [
        "16-unknown-kind.yaml:2:7: unknown kind 'Contrl' (did you mean 'Control'?)",
    ],
    '17-yaml-syntax.yaml': [
        "17-yaml-syntax.yaml:14:1: invalid YAML: while parsing a flow sequence: did not find expected ',' or ']'",
    ],
    '18-duplicate-key.yaml': [
        "18-duplicate-key.yaml:14:1: duplicate key 'assert' (first at line 13)",
    ],
    '19-duplicate-id.yaml': [
        "19-duplicate-id.yaml:18:7: duplicate control id 'host-bad-example' (first defined at 19-duplicate-id.yaml:1:1)",
    ],
    '20-unknown-provider.yaml': [
        "20-unknown-provider.yaml:11:13: unknown provider 'hots' (did you mean 'host'?)",
        "20-unknown-provider.yaml:12:13: resource type 'host.sshd' is not provided by 'hots'",
    ],
    '21-template-typo.yaml': [
        "21-template-typo.yaml:15:9: unknown placeholder root 'vlaue' (did you mean 'value'?)",
    ],
    '22-value-for-exists.yaml': [
        "22-value-for-exists.yaml:13:51: operator 'exists' takes no 'value'",
    ],
    '23-empty-group.yaml': [
        "23-empty-group.yaml:13:15: 'all' is empty",
    ],
    '24-bad-value-type.yaml': [
        "24-bad-value-type.yaml:13:59: unknown value_type 'int' (did you mean 'integer'?)",
    ],
    '25-profile-unknown-extends.yaml': [
        "25-profile-unknown-extends.yaml:4:10: unknown profile 'linux-baselin' in extends (did you mean 'linux-baseline'?)",
    ],
    '26-profile-cycle.yaml': [
        '26-profile-cycle.yaml:4:10: profile extends cycle: cycle-a -> cycle-b -> cycle-a',
    ],
    '27-profile-exclude-without-reason.yaml': [
        "27-profile-exclude-without-reason.yaml:7:7: missing required key 'reason' in select.exclude.0",
    ],
    '28-profile-unknown-input.yaml': [
        "28-profile-unknown-input.yaml:6:3: inputs for unknown control 'host-bad-nonexistent' (did you mean 'host-journald-persistent'?)",
    ],
    '29-waiver-no-expiry.yaml': [
        "29-waiver-no-expiry.yaml:1:1: missing required key 'expires' in document",
    ],
    '30-waiver-too-long.yaml': [
        '30-waiver-too-long.yaml:9:10: waiver expires 426 days after approval (2026-11-01 -> 2028-01-01); at most 365 days are allowed',
    ],
    '31-waiver-bad-type.yaml': [
        "31-waiver-bad-type.yaml:6:7: 'risk-acceptance' is not one of false-positive, operational-requirement, risk-adjustment, compensating-control",
    ],
    '32-waiver-unknown-control.yaml': [
        "32-waiver-unknown-control.yaml:4:12: waiver names unknown control 'aws-nonexistent-control'",
    ],
    '33-waiver-expires-before-approval.yaml': [
        '33-waiver-expires-before-approval.yaml:9:10: warning: waiver WVR-2026-001 expired on 2026-10-01: it no longer applies',
        '33-waiver-expires-before-approval.yaml:9:10: waiver expires (2026-10-01) before it was approved (2026-11-01)',
    ],
    '34-not-a-mapping.yaml': [
        '34-not-a-mapping.yaml:1:1: expected a mapping with apiVersion and kind, got list',
    ],
    '35-not-utf8.yaml': [
        '35-not-utf8.yaml:3:17: not UTF-8 text (invalid start byte 0xff)',
    ],
    '36-waiver-glob-without-match.yaml': [
        "36-waiver-glob-without-match.yaml:4:11: a waiver of control pattern '*' must say what it covers: give match (accounts, regions, hosts, targets, resources or tags)",
    ],
    '37-waiver-future-approval.yaml': [
        '37-waiver-future-approval.yaml:7:47: approval date 2031-06-01 is in the future: a waiver is approved when it is signed, not ahead of time',
    ],
    # the lint checks whole attribute paths against the type's nested schema, not only the first segment
    '38-unknown-nested-attribute.yaml': [
        "38-unknown-nested-attribute.yaml:11:15: unknown attribute 'tls.least_grad' of network.service (did you mean 'tls.least_grade'?)",
        "38-unknown-nested-attribute.yaml:13:9: unknown attribute 'ssh.kexx' of network.service in message (did you mean 'ssh.kex'?)",
        "38-unknown-nested-attribute.yaml:14:28: unknown attribute 'http.titel' of network.service (did you mean 'http.title'?)",
    ],
    # a number key crashed the lint (exit 4, TypeError in fnmatch) before
    '39-profile-number-keys.yaml': [
        "39-profile-number-keys.yaml:8:3: inputs key 2 is not a control id (quote it if it is one)",
        "39-profile-number-keys.yaml:10:3: refine key 1 is not a control id (quote it if it is one)",
    ],
}


def test_corpus_is_complete():
    assert sorted(p.name for p in HERE.glob("*.yaml")) == sorted(CASES)
    assert len(CASES) >= 25


@pytest.mark.parametrize("name", sorted(CASES))
def test_lint_message_and_exit_code(name, capsys, monkeypatch):
    monkeypatch.chdir(HERE)
    code = run_cli(cli, ["policy", "lint", name])
    err = capsys.readouterr().err.splitlines()
    assert code == 2
    n = sum(1 for line in CASES[name] if ": warning: " not in line)
    assert err == CASES[name] + [f"govscan: {n} problem{'s' if n != 1 else ''} found"]
    assert "Traceback" not in "\n".join(err)


def test_scan_refuses_a_bad_policy_before_running(tmp_path, capsys):
    db = tmp_path / "g.db"
    code = run_cli(cli, ["scan", "--db", str(db), "--policies", str(HERE / "01-unknown-operator.yaml")])
    err = capsys.readouterr().err
    assert code == 2
    assert "01-unknown-operator.yaml:13:36: unknown operator 'equals' (did you mean 'eq'?)" in err
    assert not db.exists()  # nothing ran, nothing was created
