"""The ``stig`` key of a control: schema shape and what lint checks beyond it (through the CLI)."""

from __future__ import annotations


from stigscan import ROOT, govscan

BASE = (ROOT / "tests" / "data" / "stig" / "stig-test-controls.yaml").read_text()


def _lint(tmp_path, text):
    path = tmp_path / "controls.yaml"
    path.write_text(text)
    return govscan("policy", "lint", str(path)), path


def test_shipped_pack_and_test_controls_lint_clean(tmp_path):
    r, _ = _lint(tmp_path, BASE)
    from scanner.policy import load

    n = len(load().controls) + BASE.count("kind: Control")  # the shipped pack and the test controls
    assert r.returncode == 0 and r.stdout.startswith(f"ok: {n} controls"), r.stdout + r.stderr


def test_vuln_id_must_match_the_rule_id(tmp_path):
    r, path = _lint(tmp_path, BASE.replace("vuln_id: V-999001", "vuln_id: V-999009"))
    assert r.returncode == 2
    assert f"{path}:15:38: Vuln ID" in r.stderr  # file:line:col of the vuln_id value
    assert "Vuln ID 'V-999009' does not match Rule ID 'SV-999001r1_rule' (expected 'V-999001')" in r.stderr


def test_unknown_benchmark_and_bad_shapes(tmp_path):
    text = (BASE.replace("benchmark: ubuntu-22.04, vuln_id: V-999001", "benchmark: ubuntu-2204, vuln_id: V-999001")
            .replace("severity: CAT I,", "severity: CAT 1,")
            .replace("rule_id: SV-999003r1_rule", "rule_id: SV-999003"))
    r, _ = _lint(tmp_path, text)
    assert r.returncode == 2
    assert "unknown STIG benchmark 'ubuntu-2204' (did you mean 'ubuntu-22.04'?)" in r.stderr
    assert "CAT 1" in r.stderr and "SV-999003" in r.stderr


def test_the_same_rule_must_carry_the_same_identity_everywhere(tmp_path):
    """A test control claiming V-260526 with another STIG ID than the shipped sshd controls."""
    text = BASE.replace("vuln_id: V-999001, rule_id: SV-999001r1_rule, stig_id: TEST-000010, severity: CAT II",
                        "vuln_id: V-260526, rule_id: SV-260526r991591_rule, stig_id: UBTU-22-999999, severity: CAT I")
    r, _ = _lint(tmp_path, text)
    assert r.returncode == 2
    assert ("V-260526 of ubuntu-22.04 is SV-260526r991591_rule UBTU-22-255025 CAT I in control "
            "'host-sshd-no-empty-passwords', but SV-260526r991591_rule UBTU-22-999999 CAT I here") in r.stderr


def test_shared_with_names_a_control_checking_the_same_rule(tmp_path):
    text = BASE.replace("severity: CAT II, cci: [CCI-000366]}\ntarget:\n  provider: host\n  resource: host.users\n"
                        "  platforms: [linux]\n  scope:\n    where: {key: name, op: eq, value: root}\nassert: "
                        "{key: uid, op: eq, value: 0}",
                        "severity: CAT II, cci: [CCI-000366], shared_with: [stig-test-fail, no-such-control]}\n"
                        "target:\n  provider: host\n  resource: host.users\n  platforms: [linux]\n  scope:\n"
                        "    where: {key: name, op: eq, value: root}\nassert: {key: uid, op: eq, value: 0}", 1)
    assert text != BASE
    r, _ = _lint(tmp_path, text)
    assert r.returncode == 2
    assert "shared_with names 'stig-test-fail', which is not a control checking V-999001 of ubuntu-22.04" in r.stderr
    assert "shared_with names 'no-such-control'" in r.stderr
