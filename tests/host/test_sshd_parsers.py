"""The sshd_config reader and value normaliser on hand-written fact-script output (pure, no host)."""

from __future__ import annotations

import pytest

from checks.host.parsers import FactError
from checks.host.parsers.sshd import parse_sshd
from checks.host.parsers.sshd_conf import split_line, split_words
from checks.host.parsers.sshd_values import normalise
from checks.host.script import parse_output

M = "==GOVSCAN:t=="
T_LINES = "\n".join(f"k{i} v" for i in range(20)) + "\npermitrootlogin no\nmaxauthtries 4\n"


def section(files: dict[str, str | None], includes: dict[str, list[str] | None], rc: int = 0,
            t_out: str = T_LINES, err: str = "") -> str:
    """The sshd section of a fact-script run: sshd -T, then files (None: unreadable), then include lists."""
    parts = ["GS_INSTALLED=1", "GS_VERSION=OpenSSH_9.2p1 Debian-2+deb12u3, OpenSSL 3.0.15",
             f"{M} FILE sshd-T ok", t_out, f"{M} FILE sshd-T-status ok", f"rc={rc}", err]
    for path, text in files.items():
        parts += [f"{M} FILE {path} ok", text] if text is not None else [f"{M} FILE {path} unreadable"]
    for pattern, found in includes.items():
        parts += [f"{M} FILE include:{pattern} ok", *found, ""] if found is not None else [
            f"{M} FILE include:{pattern} unreadable"]
    body = "\n".join(parts)
    return parse_output(f"{M} BEGIN sshd\n{body}\n{M} STDERR sshd\n\n{M} END sshd rc=0\n", M)


def by_id(out) -> dict:
    return {r.id: r for r in parse_sshd(out)}


def test_words_quotes_comments_and_equals() -> None:
    assert split_words('"/etc/issue net" x # comment') == ["/etc/issue net", "x"]
    assert split_words("a#b c") == ["a#b", "c"]
    assert split_line("  PermitRootLogin=no") == ("permitrootlogin", ["no"])
    assert split_line("MaxAuthTries = 3") == ("maxauthtries", ["3"])
    assert split_line("   # only a comment") is None
    with pytest.raises(ValueError):
        split_words('"open')


@pytest.mark.parametrize(("keyword", "args", "value"), [
    ("permitrootlogin", ("prohibit-password",), "without-password"),
    ("permitrootlogin", ("YES",), "yes"),
    ("logingracetime", ("1h2m3s",), "3723"),
    ("loglevel", ("verbose",), "VERBOSE"),
    ("maxstartups", ("10:30:60",), "10:30:60"),
    ("ciphers", ("-chacha20*",), "aes128-ctr"),
    ("allowtcpforwarding", ("all",), "yes"),
])
def test_normalise(keyword: str, args: tuple[str, ...], value: str) -> None:
    assert normalise(keyword, args, "chacha20-poly1305@openssh.com,aes128-ctr") == value


@pytest.mark.parametrize(("keyword", "args"), [
    ("permitrootlogin", ("maybe",)), ("maxauthtries", ("ten",)), ("logingracetime", ("2 minutes",)),
    ("hostkey", ("/k",)), ("ciphers", ("+aes128-cbc",)),
])
def test_values_govscan_cannot_reproduce_are_refused(keyword: str, args: tuple[str, ...]) -> None:
    with pytest.raises(ValueError):
        normalise(keyword, args, None)


def test_match_blocks_nested_includes_and_first_value() -> None:
    out = section(
        {"/etc/ssh/sshd_config": "Include conf.d/*.conf\nPermitRootLogin no\nMatch User a\n  Include /x/m.conf\n"
                                 "  MaxAuthTries 2\n  MaxAuthTries 9\nMatch all\n",
         "/etc/ssh/conf.d/10.conf": "PermitRootLogin yes\nMatch Address 10.0.0.0/8\n  PermitRootLogin yes\n",
         "/x/m.conf": "X11Forwarding yes\nMatch Group g\n  PasswordAuthentication yes\n"},
        {"/etc/ssh/conf.d/*.conf": ["/etc/ssh/conf.d/10.conf"], "/x/m.conf": ["/x/m.conf"]},
    )
    res = by_id(out)
    # a Match in an included file ends with that file; `Match all` without keywords adds nothing
    assert set(res) == {"sshd", "sshd[Match Address 10.0.0.0/8]", "sshd[Match User a]",
                        "sshd[Match User a] [Match Group g]"}
    # the global value is sshd -T's; its line is the first one sshd reads (in the included file)
    assert res["sshd"].sources["permitrootlogin"] == (
        {"path": "/etc/ssh/conf.d/10.conf", "line": 1, "source": "sshd -T"},)
    user_a = res["sshd[Match User a]"]
    assert (user_a.attrs["x11forwarding"], user_a.attrs["maxauthtries"]) == ("yes", 2)  # first value wins
    assert user_a.sources["maxauthtries"] == (
        {"path": "/etc/ssh/sshd_config", "line": 5, "match": "User a", "match_line": 3},)
    assert user_a.attrs["permitrootlogin"] == "no"  # not set in the block: the global value


def test_an_unreadable_include_with_working_sshd_T_is_an_error_resource() -> None:
    out = section({"/etc/ssh/sshd_config": "Include /etc/ssh/sshd_config.d/*.conf\n"},
                  {"/etc/ssh/sshd_config.d/*.conf": None})
    res = by_id(out)
    assert res["sshd"].attrs["permitrootlogin"] == "no"
    assert res["sshd[Match]"].error.startswith(
        "the Match blocks of /etc/ssh/sshd_config could not be read: sshd configuration could not be read: "
        "/etc/ssh/sshd_config:1: Include /etc/ssh/sshd_config.d/*.conf: /etc/ssh/sshd_config.d could not be examined")


def test_without_sshd_T_an_unreadable_file_loses_the_type() -> None:
    out = section({"/etc/ssh/sshd_config": None}, {}, rc=255, t_out="",
                  err="Missing privilege separation directory: /run/sshd")
    with pytest.raises(FactError) as info:
        parse_sshd(out)
    assert str(info.value).startswith(
        "effective sshd configuration could not be read: sshd -T failed (exit 255): Missing privilege separation "
        "directory: /run/sshd; sshd configuration could not be read: /etc/ssh/sshd_config could not be examined")


def test_an_include_the_script_did_not_list_is_an_error() -> None:
    out = section({"/etc/ssh/sshd_config": 'Include "/etc/ssh/my dir/*.conf"\n'}, {}, rc=255, t_out="")
    with pytest.raises(FactError, match="were not listed by the fact script"):
        parse_sshd(out)


def test_a_bad_value_in_a_match_block_is_an_attribute_error() -> None:
    out = section({"/etc/ssh/sshd_config": "Match User x\n  MaxAuthTries lots\n  AuthorizedKeysFile /k\n"}, {})
    res = by_id(out)["sshd[Match User x]"]
    assert res.attr_errors["maxauthtries"] == "/etc/ssh/sshd_config:2: maxauthtries: 'lots' is not a number"
    assert "maxauthtries" not in res.attrs
    assert res.attr_errors["authorizedkeysfile"].startswith("set at /etc/ssh/sshd_config:3 in Match User x")


def test_match_blocks_are_bounded() -> None:
    text = "".join(f"Match User u{i}\n  MaxAuthTries 3\n" for i in range(300))
    res = by_id(section({"/etc/ssh/sshd_config": text}, {}))
    assert set(res) == {"sshd", "sshd[Match]"}
    assert res["sshd[Match]"].error == ("/etc/ssh/sshd_config and its Includes hold 300 Match blocks; govscan "
                                        "evaluates at most 256")


def test_match_criteria_from_the_host_are_escaped_in_ids() -> None:
    res = by_id(section({"/etc/ssh/sshd_config": "Match User \x1b[2Jx\n  MaxAuthTries 3\n"}, {}))
    assert "sshd[Match User \\x1b[2Jx]" in res
