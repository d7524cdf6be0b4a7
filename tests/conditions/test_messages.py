"""Message templates: rendering from the engine's context roots, and template_problems for the lint."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from scanner.messages import format_value, placeholders, render, template_problems

ROOTS = {"resource", "value", "expected", "inputs", "matched", "target", "host", "control"}

CONTEXT = {
    "resource": {"id": "arn:aws:s3:::b1", "Name": "b1", "Tags": {"data-class": "public"},
                 "ports": [{"portid": 23, "protocol": "tcp", "service": {"name": "telnet"}}],
                 "Encryption": None, "enabled": False},
    "value": None,
    "expected": ["no"],
    "inputs": {"allowed_values": ["no", "prohibit-password"], "n": 14},
    "matched": {"portid": 23, "protocol": "tcp", "service": {"name": "telnet"}},
    "target": {"id": "ssh://h1", "name": "h1", "address": "127.0.0.1"},
    "host": {"id": "ssh://h1", "name": "h1", "address": "127.0.0.1"},
    "control": {"id": "host-sshd-no-root-login", "title": "No root login"},
}


@pytest.mark.parametrize("template,text", [
    ("Bucket {resource.Name} has no approved default encryption (found: {value|none})",
     "Bucket b1 has no approved default encryption (found: none)"),
    ("{host.name}: PermitRootLogin={value} (allowed: {inputs.allowed_values})",
     "h1: PermitRootLogin=none (allowed: no, prohibit-password)"),
    ("{resource.address|?}: clear-text service open on {matched.portid}/{matched.protocol} ({matched.service.name})",
     "?: clear-text service open on 23/tcp (telnet)"),
    ("{resource.Tags.data-class}", "public"),
    ("{resource.ports[0].service.name} {resource.ports[-1].portid} {resource.ports[5].portid|gone}", "telnet 23 gone"),
    # the walker of condition keys: `.0` is a key named "0" (none on a list), [0] an index, [] a projection
    ("{resource.ports.0.portid|no key 0}", "no key 0"),
    ("{resource.ports[].portid} {resource.ports[?protocol=='tcp'].service.name} {length(resource.ports)}",
     "23 telnet 1"),
    ("{value|}", ""),
    ("{value|n/a} {resource.Encryption|unencrypted} {resource.enabled|x}", "n/a unencrypted false"),
    ("{resource.nope}", "none"),
    ("{inputs.n} {expected} {control.id}", "14 no host-sshd-no-root-login"),
    ("{matched}", '{"portid":23,"protocol":"tcp","service":{"name":"telnet"}}'),
    ("{{literal}} {{{value|v}}}", "{literal} {v}"),
    ("no placeholders", "no placeholders"),
    ("", ""),
    # malformed templates still render, literally, without raising
    ("open { brace", "open { brace"),
    ("close } brace", "close } brace"),
    ("{resoruce.Name}", "none"),
    ("{a..b|fb}", "fb"),
    ("{ resource.Name }", "b1"),
])
def test_render(template, text):
    assert render(template, CONTEXT) == text


def test_render_never_evaluates_code_or_formats_user_data():
    ctx = {"resource": {"Name": "{value.__class__} {0} %s"}, "value": "secret"}
    assert render("{resource.Name}", ctx) == "{value.__class__} {0} %s"
    assert render("{value.__class__}", ctx) == "none"
    assert render("{resource.Name.__len__}", ctx) == "none"


def test_render_reads_plain_data_only():
    @dataclass
    class Target:
        id: str
        name: str

        @property
        def secret(self) -> str:
            return "leaked"

    ctx = {"target": Target("ssh://h", "h")}
    assert render("{target.name} {target.secret} {target._private|-}", ctx) == "none none -"


@pytest.mark.parametrize("value,text", [
    (None, "none"), (True, "true"), (False, "false"), (0, "0"), (1.5, "1.5"), ("x", "x"),
    (["a", 1, True, None], "a, 1, true, none"), ([["a"], {"k": 1}], '["a"], {"k":1}'), ([], "none"),
    ({"k": [1, 2], "n": None}, '{"k":[1,2],"n":null}'),
    ("x" * 250, "x" * 197 + "..."),
    ("line1\nline2\x1b[31m", "line1\\nline2\\x1b[31m"),
])
def test_format_value(value, text):
    assert format_value(value) == text


def test_long_values_are_cut_before_escaping():
    text = format_value("\x1b" * 300)
    assert text == "\\x1b" * 197 + "..."


@pytest.mark.parametrize("template,problems", [
    ("Bucket {resource.Name} (found: {value|none})", []),
    ("{resoruce.Name}", ["unknown placeholder root 'resoruce' (did you mean 'resource'?)"]),
    ("{valeu}", ["unknown placeholder root 'valeu' (did you mean 'value'?)"]),
    ("{zzz}", ["unknown placeholder root 'zzz'"]),
    ("{resource.Tags.data-class} {matched.ports[0].id}", []),
    ("open { brace", ["unbalanced '{' at column 6"]),
    ("{value", ["unbalanced '{' at column 1"]),
    ("{a {value}", ["unbalanced '{' at column 1"]),
    ("close } brace", ["unbalanced '}' at column 7"]),
    ("{{ok}} {{", []),
    ("{}", ["invalid placeholder {} at column 1: empty"]),
    ("x {a..b}", ["invalid placeholder {a..b} at column 3: Expecting: ['quoted_identifier', "
                  "'unquoted_identifier', 'lbracket', 'lbrace'], got: dot at column 2"]),
    ("{resource.Name()}", ["invalid placeholder {resource.Name()} at column 1: unknown function Name()"]),
    ("{length(resource.ports, value)}",
     ["invalid placeholder {length(resource.ports, value)} at column 1: function length() takes 1 arguments, got 2"]),
    ("{resource.ports[].portid} {length(matched.x)} {resource.ports[?portid > `1`].portid}", []),
    ("{length(zzz)} {resource.a}", ["unknown placeholder root 'zzz'"]),
    ("{@}", ["placeholder {@} at column 1 must start at one of control, expected, host, inputs, matched, "
             "resource, target, value"]),
    ("{resource.x} }", ["unbalanced '}' at column 14"]),
])
def test_template_problems(template, problems):
    assert template_problems(template, ROOTS) == problems


def test_template_problems_on_a_non_string():
    assert template_problems(["x"], ROOTS) == ["a message template must be a string, got list"]


def test_placeholders():
    assert placeholders("{resource.Name} {{x}} {value|none} {matched.service.name}") == [
        "resource.Name", "value", "matched.service.name"]
