"""The local transport and the fact script run for real on this machine (dash as /bin/sh)."""

from __future__ import annotations

import os
import pwd
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from checks.host.provider import HostProvider
from checks.host.script import build_script, parse_output
from checks.host.transport import LocalTransport, TransportError
from scanner.provider import CollectContext



@pytest.fixture(scope="module")
def collection():
    p = HostProvider()
    target = p.parse_target("local", {})[0]
    types = frozenset({"host.os", "host.files", "host.sysctl", "host.users", "host.mounts", "host.packages"})
    return target, p.collect(target, types, CollectContext(inputs={"extra_files": ["/etc/hostname"]}))


@pytest.mark.skipif(shutil.which("dash") is None, reason="dash not installed")
def test_fact_script_is_posix_sh():
    from checks.host.script import script_body

    # the whole script as it is sent: facts.sh, every facts_*.sh, run_sections.sh
    done = subprocess.run(["dash", "-n"], input=script_body(), text=True, capture_output=True, check=False)
    assert done.returncode == 0, done.stderr


def test_local_target_id_is_stable():
    t = HostProvider().parse_target("local", {})[0]
    host = os.uname().nodename
    assert (t.id, t.kind, t.address, t.name) == (f"local:{host}", "host", "localhost", host)
    assert HostProvider().parse_target("aws://prod", {}) is None


def test_collected_facts_match_the_machine(collection):
    _target, coll = collection
    assert coll.fatal is None and coll.errors == []
    assert coll.facts["platform"] == "linux" and coll.facts["is_root"] == (os.geteuid() == 0)
    files = {r.id: r.attrs for r in coll.resources["host.files"]}
    st = os.stat("/etc/passwd")
    assert files["/etc/passwd"]["mode"] == f"{stat.S_IMODE(st.st_mode):04o}"
    assert files["/etc/passwd"]["owner"] == pwd.getpwuid(st.st_uid).pw_name
    assert files["/etc/hostname"]["exists"] is True  # the extra_files input was honoured
    sysctl = coll.resources["host.sysctl"][0].attrs
    assert sysctl["net"]["ipv4"]["ip_forward"] == int(Path("/proc/sys/net/ipv4/ip_forward").read_text())
    users = {r.id: r.attrs for r in coll.resources["host.users"]}
    assert users["user:root"]["uid"] == 0
    assert len(users) == len({p.pw_name for p in pwd.getpwall()})


def test_script_timeout_kills_the_process_group_and_is_a_transport_error():
    t = LocalTransport()
    with pytest.raises(TransportError, match=r"^fact script timed out after 0.5s$"):
        t.run_script("sleep 30 & sleep 30; echo never", 0.5)


def test_section_exit_codes_and_stderr_are_framed():
    script, marker = build_script(["passwd"])
    script = script.replace("sec_passwd() { gs_raw /etc/passwd; }", "sec_passwd() { echo out; echo oops >&2; return 3; }")
    res = LocalTransport().run_script(script, 10)
    sec = parse_output(res.stdout.decode(), marker).get("passwd")
    assert (sec.stdout, sec.stderr, sec.rc) == ("out", "oops", 3)
    assert sec.reason() == "passwd: exit code 3: oops"


def test_units_beside_other_sections_frames_every_section_whole():
    # units runs in parallel with the other sections; replace both with fakes whose exact output,
    # stderr and exit code are known (the slow one finishes last, the other fails mid-way).
    script, marker = build_script(["passwd", "units", "group"])
    script = script.replace("sec_passwd() { gs_raw /etc/passwd; }",
                            "sec_passwd() { echo p1; echo perr >&2; sleep 0.3; echo p2; return 4; }")
    script = script.replace("sec_group() { gs_raw /etc/group; }", "sec_group() { printf 'g1\\n\\ng2\\n'; }")
    start = script.index("sec_units() {")
    end = script.index("\n}\n", start) + 3
    script = script[:start] + "sec_units() { echo u1; echo uerr >&2; echo u2; return 1; }\n" + script[end:]
    res = LocalTransport().run_script(script, 10)
    out = parse_output(res.stdout.decode(), marker)
    assert list(out.sections) == ["passwd", "group", "units"]  # units printed once the others are done
    got = {name: (sec.stdout, sec.stderr, sec.rc) for name, sec in out.sections.items()}
    assert got == {"passwd": ("p1\np2", "perr", 4), "group": ("g1\n\ng2", "", 0), "units": ("u1\nu2", "uerr", 1)}


def test_bad_extra_file_is_an_error_for_host_files_only():
    p = HostProvider()
    target = p.parse_target("local", {})[0]
    coll = p.collect(target, frozenset({"host.files", "host.os"}), CollectContext(inputs={"extra_files": ["/etc/x; rm -rf /"]}))
    assert [(e.resource_type, e.message) for e in coll.errors] == [
        ("host.files", "path '/etc/x; rm -rf /' contains characters the fact script does not accept")]
    assert coll.resources["host.os"][0].attrs["kernel"] == os.uname().release
