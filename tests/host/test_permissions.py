"""The real fact script run as uid 65534 on real files: a path hidden behind a directory that cannot be
searched is an error, never "missing" (which would make its control notapplicable), and a file longer
than the read limit is an error, never parsed partially."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from golden_support import TARGET, baseline

from checks.host.parsers import files
from checks.host.provider import HostProvider
from checks.host.script import build_script, parse_output
from scanner.evaluate import evaluate_control
from scanner.model import Status

NOBODY = 65534
pytestmark = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None,
                                reason="needs root and setpriv to run the script as uid 65534")


def run_as_nobody(script: str) -> str:
    """Run the script with ``sh -s`` as uid/gid 65534 without supplementary groups."""
    res = subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "sh", "-s"],
                         input=script.encode(), capture_output=True, timeout=60, check=True)
    return res.stdout.decode()


@pytest.fixture(scope="module")
def tree() -> Iterator[Path]:
    """/tmp/X (0755) with locked/ (0700, root) holding a 0777 file, open/ (0755) holding a 0644 file."""
    base = Path(tempfile.mkdtemp(prefix="gs-perm-"))
    try:
        base.chmod(0o755)
        (base / "locked").mkdir(mode=0o700)
        (base / "locked" / "grub.cfg").write_text("set superusers=root\n")
        (base / "locked" / "grub.cfg").chmod(0o777)
        (base / "open").mkdir(mode=0o755)
        (base / "open" / "conf").write_text("x = 1\n")
        (base / "open" / "big.conf").write_text("# filler\n" * 40 + "dictcheck = 0\n")
        yield base
    finally:
        shutil.rmtree(base)


def test_stat_denied_by_a_parent_directory_is_unreadable_not_missing(tree):
    paths = [f"{tree}/locked/grub.cfg", f"{tree}/locked/*.cfg", f"{tree}/open/conf", f"{tree}/open/none",
             f"{tree}/open/conf/below", f"{tree}/open/*.none"]
    script, marker = build_script(["files"], files=paths)
    out = parse_output(run_as_nobody(script), marker)
    assert out.get("files").stdout.split("\n")[:2] == [f"{tree}/locked/grub.cfg|unreadable", f"{tree}/locked/*.cfg|unreadable"]
    res = {r.id: r for r in files.parse_files(out)}
    denied = res[f"{tree}/locked/grub.cfg"]
    assert denied.attrs == {"path": f"{tree}/locked/grub.cfg"}
    assert denied.attr_errors["exists"] == (f"{tree}/locked/grub.cfg could not be examined: permission denied on it "
                                            "or a directory above it (run as root or with sudo)")
    assert set(denied.attr_errors) == {"exists", "type", "mode", "perms", "owner", "group", "uid", "gid"}
    # a glob whose directory cannot be listed is not "no such file" either
    assert set(res[f"{tree}/locked/*.cfg"].attr_errors) >= {"exists", "perms"}
    assert res[f"{tree}/open/conf"].attrs["exists"] is True and res[f"{tree}/open/conf"].attrs["mode"] == "0644"
    assert res[f"{tree}/open/none"].attrs["exists"] is False  # really absent: still missing
    assert res[f"{tree}/open/conf/below"].attrs["exists"] is False  # ENOTDIR: cannot exist
    assert f"{tree}/open/*.none" not in res  # an unmatched glob in a readable directory names no file


def test_denied_grub2_cfg_control_is_error_not_notapplicable(tree):
    """The reviewer's reproduction: the grub2 control on a 0777 file in a 0700 directory, scanned as 65534."""
    path = f"{tree}/locked/grub.cfg"
    script, marker = build_script(["files"], files=[path])
    out = parse_output(run_as_nobody(script), marker)
    coll = HostProvider.parse(out, ["host.files"])
    ctl = baseline().controls["host-file-grub2-cfg"]
    ctl = dataclasses.replace(ctl, scope_where={"key": "path", "op": "eq", "value": path})
    got = [(f.status, f.resource_id) for f in evaluate_control(ctl, TARGET, coll)]
    assert got == [(Status.ERROR, path)]
    # the same file as root: it exists and fails (0777)
    root_out = parse_output(subprocess.run(["sh", "-s"], input=script.encode(), capture_output=True,
                                           check=True).stdout.decode(), marker)
    got = [(f.status, f.message) for f in evaluate_control(ctl, TARGET, HostProvider.parse(root_out, ["host.files"]))]
    assert got == [(Status.FAIL, f"{path} is 0777 root:root (allowed bits ur, uw; owner root; group root)")]


def _cat_script(paths: list[str], cat_max: int) -> tuple[str, str]:
    script, marker = build_script(["banners"], cat_max=cat_max)
    old = "sec_banners() { gs_cat /etc/issue /etc/issue.net /etc/motd; }"
    assert old in script
    return script.replace(old, "sec_banners() { gs_cat " + " ".join(paths) + "; }"), marker


def test_gs_cat_states_missing_unreadable_truncated(tree):
    paths = [f"{tree}/locked/grub.cfg", f"{tree}/open/none", f"{tree}/open/conf", f"{tree}/open/big.conf"]
    script, marker = _cat_script(paths, cat_max=100)
    out = parse_output(run_as_nobody(script), marker)
    frames = [ln.split(" ", 2)[2] for ln in out.get("banners").stdout.split("\n") if ln.startswith(marker)]
    assert frames == [f"{paths[0]} unreadable", f"{paths[1]} missing", f"{paths[2]} ok", f"{paths[3]} truncated"]
    res = {r.id: r for r in files.parse_banners(out)}
    assert res[f"banner:{paths[0]}"].error == f"{paths[0]} not readable: run as root or with sudo"
    assert res[f"banner:{paths[1]}"].attrs["exists"] is False and res[f"banner:{paths[1]}"].error is None
    assert res[f"banner:{paths[2]}"].attrs["content"] == "x = 1\n" and not res[f"banner:{paths[2]}"].attr_errors
    big = res[f"banner:{paths[3]}"]
    assert big.attrs["content"] == "" and big.attr_errors == {
        "content": f"{paths[3]} is larger than the fact script reads (1024 KiB): not evaluated on partial content"}
    # exactly at the limit is complete
    script, marker = _cat_script([f"{tree}/open/big.conf"], cat_max=(tree / "open" / "big.conf").stat().st_size)
    chunk = files.parse_banners(parse_output(run_as_nobody(script), marker))[0]
    assert chunk.attrs["content"].endswith("dictcheck = 0\n") and not chunk.attr_errors


def test_truncated_pwquality_conf_errors_only_the_pwquality_controls(tree):
    """A pwquality.conf cut short before its `dictcheck = 0` must not pass the dictcheck control."""
    stack = tree / "open" / "common-password"
    stack.write_text("password requisite pam_pwquality.so\npassword required pam_unix.so yescrypt\n")
    script, marker = build_script(["pam"], cat_max=100)
    start = script.index("sec_pam() {")
    end = script.index("\n}\n", start) + 3
    script = script[:start] + f"sec_pam() {{ gs_cat {stack} {tree}/open/big.conf; }}\n" + script[end:]
    # the parser knows files by their real names
    text = run_as_nobody(script).replace(f"{stack} ok", "/etc/pam.d/common-password ok").replace(
        f"{tree}/open/big.conf truncated", "/etc/security/pwquality.conf truncated")
    coll = HostProvider.parse(parse_output(text, marker), ["host.pam"])
    assert coll.errors == []
    r = coll.resources["host.pam"][0]
    assert r.attrs["pwquality_enabled"] is True
    assert set(r.attr_errors) == {"pwquality"}
    sel = baseline()
    got = {cid: [(f.status.value, f.message) for f in evaluate_control(sel.controls[cid], TARGET, coll, sel.inputs.get(cid))]
           for cid in ("host-pam-pwquality-dictcheck", "host-pam-pwquality-enabled", "host-pam-no-nullok")}
    msg = ("pam: pwquality could not be read: /etc/security/pwquality.conf is larger than the fact script reads "
           "(1024 KiB): not evaluated on partial content")
    assert got["host-pam-pwquality-dictcheck"] == [("error", msg)]
    assert [s for s, _ in got["host-pam-pwquality-enabled"]] == ["pass"]
    assert [s for s, _ in got["host-pam-no-nullok"]] == ["pass"]
