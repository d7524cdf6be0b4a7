"""Pure evaluation: statuses, messages, evidence, inputs, and that nothing fails open."""

from scanner.evaluate import evaluate_control, resolve_inputs
from scanner.model import CollectError, Collection, Status

from .helpers import TARGET, collection, control, res

MAX_TRIES = control(
    "host-sshd-max-auth-tries",
    assert_={"key": "maxauthtries", "op": "le", "value": {"input": "max_auth_tries"}, "value_type": "integer"},
    inputs=[{"name": "max_auth_tries", "type": "integer", "default": 4}],
    result={"fail": "MaxAuthTries is {value}, above {inputs.max_auth_tries}", "evidence": ["maxauthtries"]},
    applies_if={"key": "installed", "op": "is-true"},
)


def one(findings):
    assert len(findings) == 1, findings
    return findings[0]


def test_pass_and_fail_with_message_and_evidence():
    ok = one(evaluate_control(MAX_TRIES, TARGET, collection("host.sshd", res("sshd", installed=True, maxauthtries="3"))))
    assert (ok.status, ok.resource_id, ok.target_id) == (Status.PASS, "sshd", "local:box")
    bad = one(evaluate_control(MAX_TRIES, TARGET, collection("host.sshd", res("sshd", installed=True, maxauthtries="6"))))
    assert bad.status is Status.FAIL
    assert bad.message == "MaxAuthTries is 6, above 4"
    assert bad.evidence["observed"] == {"maxauthtries": "6"}
    assert bad.evidence["checks"][0]["actual"] == "6"
    assert bad.evidence["expected"] == "maxauthtries le 4 (as integer)"


def test_inputs_layers_profile_target_cli():
    assert resolve_inputs(MAX_TRIES) == {"max_auth_tries": 4}
    assert resolve_inputs(MAX_TRIES, {"max_auth_tries": 6}, {"max_auth_tries": 8, "other": 1}) == {"max_auth_tries": 8}
    assert resolve_inputs(MAX_TRIES, None, {"host-sshd-max-auth-tries.max_auth_tries": 2}) == {"max_auth_tries": 2}
    f = one(evaluate_control(MAX_TRIES, TARGET, collection("host.sshd", res("sshd", installed=True, maxauthtries="6")),
                             {"max_auth_tries": 6}))
    assert f.status is Status.PASS


def test_applies_if_false_is_notapplicable_not_pass():
    f = one(evaluate_control(MAX_TRIES, TARGET, collection("host.sshd", res("sshd", installed=False))))
    assert f.status is Status.NOTAPPLICABLE
    assert f.message == "sshd: not applicable (installed is-true is false)"


def test_wrong_type_is_error_never_pass():
    f = one(evaluate_control(MAX_TRIES, TARGET, collection("host.sshd", res("sshd", installed=True, maxauthtries="lots"))))
    assert f.status is Status.ERROR
    assert "lots" in f.message


def test_missing_key_fails_with_missing_in_evidence():
    f = one(evaluate_control(MAX_TRIES, TARGET, collection("host.sshd", res("sshd", installed=True))))
    assert f.status is Status.FAIL
    assert f.evidence["checks"][0]["missing"] is True


def test_unreadable_resource_uncollected_type_and_fatal_target_are_errors():
    f = one(evaluate_control(MAX_TRIES, TARGET, collection("host.sshd", res("sshd", error="sshd -T failed: permission denied"))))
    assert (f.status, f.message) == (Status.ERROR, "sshd: could not be read: sshd -T failed: permission denied")
    coll = Collection(errors=[CollectError("host.sshd", "sshd not found")])
    f = one(evaluate_control(MAX_TRIES, TARGET, coll))
    assert (f.status, f.resource_id, f.message) == (Status.ERROR, "local:box", "host.sshd not collected: sshd not found")
    f = one(evaluate_control(MAX_TRIES, TARGET, Collection(fatal="connection refused")))
    assert (f.status, f.message) == (Status.ERROR, "local:box: connection refused")


def test_no_resource_in_scope_is_one_notapplicable():
    scoped = control("host-files-x", "host.files", {"key": "mode", "op": "eq", "value": "0600"},
                     scope={"where": {"key": "path", "op": "eq", "value": "/etc/shadow"}})
    f = one(evaluate_control(scoped, TARGET, collection("host.files", res("/etc/passwd", "host.files", path="/etc/passwd"))))
    assert (f.status, f.resource_id) == (Status.NOTAPPLICABLE, "local:box")
    assert f.message == "box: no host.files resource in scope"


def test_default_fail_message_names_expected_and_found():
    c = control(assert_={"key": "permitrootlogin", "op": "in", "value": ["no", "prohibit-password"]})
    f = one(evaluate_control(c, TARGET, collection("host.sshd", res("sshd", permitrootlogin="yes"))))
    assert f.status is Status.FAIL
    assert f.message.startswith("sshd: expected permitrootlogin in")
    assert f.message.endswith("found 'yes'")


def test_sensitive_inputs_are_redacted_from_messages_and_evidence():
    c = control(assert_={"key": "banner", "op": "ne", "value": {"input": "secret_word"}},
                inputs=[{"name": "secret_word", "type": "string", "default": "hunter2", "sensitive": True}],
                result={"fail": "banner {value} equals the secret {inputs.secret_word}"})
    f = one(evaluate_control(c, TARGET, collection("host.sshd", res("sshd", banner="hunter2"))))
    assert f.status is Status.FAIL
    assert "hunter2" not in f.message and "hunter2" not in repr(f.evidence)


def test_unreadable_attribute_errors_only_the_controls_that_read_it():
    from scanner.model import Resource

    svc = Resource("10.0.0.1:443/tcp", "network.service",
                   {"tls": {"versions": ["TLSv1.2"], "cert": None}},
                   attr_errors={"tls.cert": "nmap script ssl-cert: did not run"})
    versions = control("net-v", "network.service", {"key": "tls.versions", "op": "subset", "value": ["TLSv1.2"]})
    cert = control("net-c", "network.service", {"key": "tls.cert.expired", "op": "is-false"})
    whole = control("net-w", "network.service", {"key": "tls", "op": "exists"})
    coll = collection("network.service", svc)
    assert one(evaluate_control(versions, TARGET, coll)).status is Status.PASS
    f = one(evaluate_control(cert, TARGET, coll))
    assert (f.status, f.message) == (Status.ERROR, "10.0.0.1:443/tcp: tls.cert could not be read: "
                                                   "nmap script ssl-cert: did not run")
    assert one(evaluate_control(whole, TARGET, coll)).status is Status.ERROR


def test_quantifier_evidence_keeps_the_deciding_element_not_every_element():
    pkgs = [{"name": f"pkg{i}", "version": "1"} for i in range(900)] + [{"name": "telnetd", "version": "0.17"}]
    c = control("host-no-telnet", "host.packages",
                {"none_of": {"path": "packages", "where": {"key": "name", "op": "in", "value": ["telnetd", "rsh"]}}})
    f = one(evaluate_control(c, TARGET, collection("host.packages", res("packages", "host.packages", packages=pkgs))))
    assert f.status is Status.FAIL
    assert f.evidence["matched"] == {"name": "telnetd", "version": "0.17"}
    assert [(x["key"], x["op"], x["ok"]) for x in f.evidence["checks"]] == [("packages", "none_of", False),
                                                                           ("name", "in", True)]
    assert f.evidence["element_checks_omitted"] == 900
    ok = one(evaluate_control(c, TARGET, collection("host.packages", res("packages", "host.packages", packages=pkgs[:900]))))
    assert ok.status is Status.PASS
    assert len(ok.evidence["checks"]) == 1 and ok.evidence["element_checks_omitted"] == 900


def test_unreadable_attributes_only_error_the_controls_whose_scope_selects_the_resource():
    from scanner.model import Resource

    grub = Resource("/boot/grub2/grub.cfg", "host.files", {"path": "/boot/grub2/grub.cfg"},
                    attr_errors={"exists": "permission denied", "mode": "permission denied"})
    def file_control(cid, path):
        return control(cid, "host.files", {"key": "mode", "op": "eq", "value": "0600"},
                       scope={"where": {"key": "path", "op": "eq", "value": path}},
                       applies_if={"key": "exists", "op": "is-true"})
    coll = collection("host.files", grub)
    mine = one(evaluate_control(file_control("host-file-grub", "/boot/grub2/grub.cfg"), TARGET, coll))
    assert (mine.status, mine.message) == (Status.ERROR, "/boot/grub2/grub.cfg: exists could not be read: "
                                                         "permission denied")
    other = one(evaluate_control(file_control("host-file-shadow", "/etc/shadow"), TARGET, coll))
    assert (other.status, other.resource_id) == (Status.NOTAPPLICABLE, "local:box")  # nothing in scope
    scoped_on_lost = control("host-x", "host.files", {"key": "path", "op": "exists"},
                             scope={"where": {"key": "mode", "op": "eq", "value": "0777"}})
    f = one(evaluate_control(scoped_on_lost, TARGET, coll))
    assert f.status is Status.ERROR and "mode could not be read" in f.message


def test_collectors_are_told_which_attributes_the_selected_controls_read():
    from scanner.engine import _attributes_needed

    from .helpers import waiver

    c = control("host-x", "host.sshd", {"not": {"key": "tls.cert.expired", "op": "is-true"}},
                scope={"where": {"key": "zone", "op": "eq", "value": "dmz"}},
                applies_if={"key": "installed", "op": "is-true"},
                result={"fail": "{resource.Name|?} has {value}", "evidence": ["Encryption"]})
    assert _attributes_needed([c], []) == {"host.sshd": frozenset({"tls.cert.expired", "zone", "installed",
                                                                    "Name", "Encryption"})}
    tagged = waiver(match={"tags": {"owner": "x"}})
    # a tags waiver reads the labels attribute the type's identity declares; host.sshd has none
    assert _attributes_needed([c], [tagged]) == _attributes_needed([c], [])
    bucket = control("aws-x", "aws.s3.bucket", {"key": "versioning_enabled", "op": "is-true"})
    assert _attributes_needed([bucket], [tagged]) == {"aws.s3.bucket": frozenset({"versioning_enabled", "Tags"})}


def test_a_key_that_is_not_a_plain_path_makes_its_type_collected_in_full():
    from scanner.engine import _attributes_needed

    c = control("aws-x", "aws.s3.bucket", {"key": "length(Grants)", "op": "eq", "value": 0})
    d = control("host-y", "host.sshd", {"key": "Policy.Statement[?Effect=='Allow'] | [0]", "op": "exists"})
    needed = _attributes_needed([c, d], [])
    assert "aws.s3.bucket" not in needed  # unknown needs: everything is read
    assert needed["host.sshd"] == frozenset({"Policy.Statement"})


# -- three-valued conditions in the engine (issue 9) -----------------------------------------------

PORTS = control(
    "net-test-no-telnet", resource="network.host",
    assert_={"none_of": {"path": "ports", "where": {"all": [{"key": "state", "op": "eq", "value": "open"},
                                                            {"key": "portid", "op": "eq", "value": 23}]}}},
    result={"fail": "telnet may be open on {matched.portid}"},
)


def test_an_element_left_unknown_fails_and_its_checks_are_the_evidence():
    ports = [{"portid": 22, "state": "open"}, {"portid": 23}, {"portid": 24}, {"portid": 25, "state": "closed"}]
    f = one(evaluate_control(PORTS, TARGET, collection("network.host", res("h", type="network.host", ports=ports))))
    assert (f.status, f.message) == (Status.FAIL, "telnet may be open on 23")
    assert f.evidence["matched"] == {"portid": 23}
    assert f.evidence["undecided"] == "ports[1].state is missing"
    # the quantifier's check, and those of the element reported; the other elements' are counted
    assert [(c["key"], c["missing"]) for c in f.evidence["checks"]] == [("ports", False), ("state", True),
                                                                       ("portid", False)]
    assert f.evidence["element_checks_omitted"] == 5  # 2 + 2 + 1 (a FALSE state ends element 3)


def test_the_default_message_names_the_missing_key_of_an_element():
    ctl = control("net-test-no-telnet-2", resource="network.host", assert_=PORTS.assert_)
    ports = [{"portid": 23}]
    f = one(evaluate_control(ctl, TARGET, collection("network.host", res("h", type="network.host", ports=ports))))
    assert (f.status, f.message) == (Status.FAIL, "h: expected none_of ports: all(state eq 'open', portid eq 23), "
                                                  'found {"portid": 23} (ports[0].state is missing)')


def test_a_missing_list_under_not_never_passes():
    ctl = control(assert_={"not": {"any_of": {"path": "ciphers", "where": {"op": "eq", "value": "3des-cbc"}}}})
    f = one(evaluate_control(ctl, TARGET, collection("host.sshd", res("sshd"))))
    assert (f.status, f.message) == (Status.FAIL, "sshd: expected any_of ciphers: @ eq '3des-cbc', found missing")
    assert f.evidence["undecided"] == "ciphers is missing"


def test_scope_where_unknown_is_assessed_and_false_is_skipped():
    ctl = control(scope={"where": {"key": "role", "op": "ne", "value": "bastion"}},
                  assert_={"key": "permitrootlogin", "op": "eq", "value": "no"})
    coll = collection("host.sshd", res("a", permitrootlogin="yes"), res("b", role="bastion", permitrootlogin="yes"),
                      res("c", role="web", permitrootlogin="no"))
    got = {f.resource_id: (f.status, f.evidence.get("scope_undecided")) for f in evaluate_control(ctl, TARGET, coll)}
    assert got == {"a": (Status.FAIL, "role is missing (role ne 'bastion')"), "c": (Status.PASS, None)}


def test_scope_where_unknown_never_passes():
    """Found by the selector property: out of scope (notapplicable) must not become a pass when the key the
    scope reads goes missing, even where the assert alone would hold."""
    ctl = control(scope={"where": {"key": "role", "op": "eq", "value": "web"}},
                  assert_={"key": "permitrootlogin", "op": "eq", "value": "no"})
    coll = collection("host.sshd", res("a", permitrootlogin="no"), res("b", role="db", permitrootlogin="no"))
    got = {f.resource_id: (f.status, f.message) for f in evaluate_control(ctl, TARGET, coll)}
    assert got == {"a": (Status.ERROR, "a: cannot tell whether host-test-ctl applies to it: role is missing "
                                       "(role eq 'web') (scope.where)")}


def test_applies_if_unknown_is_error_never_notapplicable():
    f = one(evaluate_control(MAX_TRIES, TARGET, collection("host.sshd", res("sshd", maxauthtries="3"))))
    assert f.status is Status.ERROR
    assert f.message == ("sshd: cannot tell whether host-sshd-max-auth-tries applies: installed is missing "
                         "(applies_if installed is-true)")
    assert f.evidence["error"] == f.message and f.evidence["undecided"] == "installed is missing"


# -- one definition of severity order and canonical JSON (issue 12) ---------------------------------

def test_severity_order_and_canonical_json_have_one_definition():
    """scanner.model defines both; the copies not yet moved onto it (CLI, store, reports) must agree."""
    from reports import catalog, text
    from scanner import gate, store
    from scanner.cli import read_cmd
    from scanner.model import SEVERITIES, Severity, canonical_json, severity_rank
    from scanner.policy.tailor import _gate_rank

    assert SEVERITIES == tuple(s.value for s in Severity) == ("critical", "high", "medium", "low", "info")
    assert [Severity(s).rank for s in SEVERITIES] == [4, 3, 2, 1, 0]
    assert severity_rank("high") == 3 and severity_rank("nope") == -1
    assert gate.GATE_CHOICES == (*SEVERITIES, "none")
    assert sorted(gate.GATE_CHOICES, key=_gate_rank) == ["info", "low", "medium", "high", "critical", "none"]
    assert catalog.SEVERITIES == text.SEVERITIES == tuple(read_cmd.SEVERITY_CHOICES) == SEVERITIES
    assert catalog.SEVERITY_RANK == {s: severity_rank(s) for s in SEVERITIES}
    doc = {"b": [1, 2.5, None, True], "a": {"é": "ü", "z": "\u2028"}, "c": "x"}
    assert canonical_json(doc) == store.canonical(doc) == '{"a":{"z":"\u2028","é":"ü"},"b":[1,2.5,null,true],"c":"x"}'
