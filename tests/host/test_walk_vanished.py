"""The filesystem walk on a shared machine: a file that vanishes between ``find`` listing it and reading it
(another process's temp file) is not an error; any other message from find still is (never a pass).

The real fact script runs with a stand-in ``find`` first on its PATH that prints what GNU find prints in
each case (its listing, then the message on stderr, exit status 1), so the race is reproducible.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from checks.host.provider import HostProvider
from checks.host.script import build_script, parse_output

FAKE_FIND = """#!/bin/sh
printf 'ww\\t/srv/shared/report.txt\\n'
echo "find: '/tmp/tmpf_yj7odl': No such file or directory" >&2
[ -n "$MSG" ] && echo "find: $MSG" >&2
exit 1
"""


def walk(tmp_path: Path, message: str) -> tuple[object, list]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "find").write_text(FAKE_FIND)
    (bin_dir / "find").chmod(0o755)
    script, marker = build_script(["walk"], walk_timeout=60)
    head, sep, rest = script.partition("\nPATH=")
    assert sep, "the fact script sets its own PATH"
    script = f"{head}\nPATH={bin_dir}:{rest}"
    run = subprocess.run(["/bin/sh", "-s"], input=script.encode(), capture_output=True,
                         env={"MSG": message, "PATH": "/usr/bin:/bin"}, timeout=60)
    out = parse_output(run.stdout.decode(), marker)
    coll = HostProvider.parse(out, ["host.filesystem"], walk=True, walk_timeout=60)
    return out.get("walk"), coll


def test_a_file_vanishing_during_the_walk_is_not_an_error(tmp_path):
    sec, coll = walk(tmp_path, "")
    assert sec.rc == 0 and sec.stderr.strip() == ""
    assert not coll.errors
    fs = coll.resources["host.filesystem"][0]
    assert fs.attrs["world_writable_files"] == ["/srv/shared/report.txt"]


@pytest.mark.parametrize("message", ["'/srv/nfs': Permission denied", "'/srv/disk': Input/output error"])
def test_any_other_find_message_keeps_the_walk_an_error(tmp_path, message):
    sec, coll = walk(tmp_path, message)
    assert sec.rc == 1 and message in sec.stderr and "No such file" not in sec.stderr
    assert "host.filesystem" not in coll.resources
    assert [e.resource_type for e in coll.errors] == ["host.filesystem"]
    assert coll.errors[0].message.startswith("filesystem walk incomplete")
