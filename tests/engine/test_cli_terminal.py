"""What the terminal shows (issues 9 and 13): hostile names escaped everywhere, errors before the
summary, one documented gate default, ``--gate none``, ``--quiet``, ``report -o``, ``findings``."""

import getpass
import json
import os
import pty
import re
import socket
import subprocess
import sys
import threading

import pytest

from scanner.store import Store

ESC_NAME = "h\x1b[31mred\u202eevil.xml"  # an SGR escape sequence and a right-to-left override
ESC_SHOWN = "h\\x1b[31mred\\u202eevil.xml"
BANNER = "\x1b[2J\x1b]0;pwned\x07\u202eevil"  # clear screen, set the window title, reverse the text
BANNER_SHOWN = "\\x1b[2J\\x1b]0;pwned\\x07\\u202eevil"
RAW = ("\x1b", "\u202e", "\x07")


def govscan(*args, **kw):
    return subprocess.run([sys.executable, "-m", "scanner", *args], capture_output=True, text=True, **kw)


def assert_no_raw(*texts):
    for text in texts:
        for ch in RAW:
            assert ch not in text, f"raw {ch!r} reached the terminal: {text!r}"


class BannerHost:
    """A loopback 'SSH server' whose banner is terminal escape sequences (what a hostile host can send)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                try:
                    # paramiko skips up to 100 lines before SSH-... and then quotes the last one
                    conn.sendall(((BANNER + "\r\n") * 100).encode())
                    conn.recv(256)
                except OSError:
                    pass

    def close(self):
        self.sock.close()
        self.thread.join(5)


@pytest.fixture(scope="module")
def banner_host():
    host = BannerHost()
    yield host
    host.close()


@pytest.fixture(scope="module")
def xml_target(tmp_path_factory):
    path = tmp_path_factory.mktemp("xml") / ESC_NAME
    path.write_text('<?xml version="1.0"?><nmaprun scanner="nmap" args="nmap -p 22 x" start="1">'
                    '<scaninfo type="syn" protocol="tcp" numservices="1" services="22"/>'
                    '<runstats><finished time="2" exit="success"/><hosts up="0" down="0" total="0"/></runstats>'
                    '</nmaprun>')
    return path


@pytest.fixture(scope="module")
def fleet(tmp_path_factory, banner_host):
    """local + an unreachable ssh host whose banner is escape sequences, merged output (order matters)."""
    tmp = tmp_path_factory.mktemp("fleet")
    db = tmp / "govscan.db"
    proc = subprocess.run([sys.executable, "-m", "scanner", "scan", "local", f"ssh://127.0.0.1:{banner_host.port}",
                           "-c", "host-sshd-*", "--known-hosts", str(tmp / "known_hosts"), "--db", str(db)],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return db, proc, tmp


def unreachable_line(port):
    return (f"govscan: ssh://{getpass.getuser()}@127.0.0.1:{port}: SSH connection to 127.0.0.1:{port} failed: "
            f'Indecipherable protocol version "{BANNER_SHOWN}"')


def test_host_error_is_escaped_and_printed_before_the_summary_that_counts_it(fleet, banner_host):
    db, proc, _ = fleet
    lines = proc.stdout.splitlines()
    assert_no_raw(proc.stdout)
    view = Store(db, create=False).view()
    errors = sum(view.counts().get("error", {}).values())
    assert errors > 0
    assert lines[0] == unreachable_line(banner_host.port)   # first: the error, escaped
    assert lines[1] == ""
    assert lines[2].startswith("status ")                   # then the summary
    assert lines[-4:] == [
        "Targets: 2 (1 scanned, 1 unreachable: errors above)",
        "gate: high (default)",
        f"Gate FAILED: {errors} findings could not be evaluated (error)",
        f"Scan {view.id} stored in {db} (complete)",
    ]
    assert proc.returncode == 1
    table = govscan("report", "--db", str(db)).stdout.splitlines()
    assert f"gate: FAILED (high, default): {errors} findings could not be evaluated (error)" in table


def test_gate_none_is_no_gate_even_with_errors(fleet, banner_host):
    db, _, tmp = fleet
    proc = govscan("scan", "local", f"ssh://127.0.0.1:{banner_host.port}", "-c", "host-sshd-*", "--gate", "none",
                   "--known-hosts", str(tmp / "known_hosts"), "--db", str(db))
    assert proc.stderr.splitlines() == [unreachable_line(banner_host.port)]
    assert proc.stdout.splitlines()[-3:-1] == [
        "gate: none (--gate)", "Gate PASSED: gate disabled (none): findings do not change the exit code"]
    assert sum(Store(db, create=False).view().counts().get("error", {}).values()) > 0
    assert proc.returncode == 0


def test_quiet_prints_only_the_failed_gate(fleet, banner_host):
    db, _, tmp = fleet
    proc = govscan("scan", "local", f"ssh://127.0.0.1:{banner_host.port}", "-c", "host-sshd-*", "--quiet",
                   "--known-hosts", str(tmp / "known_hosts"), "--db", str(db))
    errors = sum(Store(db, create=False).view().counts().get("error", {}).values())
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [
        f"govscan: gate failed at high (default): {errors} findings could not be evaluated (error); "
        "1 of 2 targets unreachable"]
    assert proc.returncode == 1
    passed = govscan("scan", "local", "-c", "host-sshd-*", "--quiet", "--gate", "none", "--db", str(db))
    assert (passed.stdout, passed.stderr, passed.returncode) == ("", "", 0)


def test_progress_line_on_a_terminal_escapes_target_ids(tmp_path, xml_target):
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "scanner", "scan", f"nmap-xml:{xml_target}", "--db",
                             str(tmp_path / "db")], stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(60)
    os.close(master)
    shown = b"".join(chunks).decode()
    assert_no_raw(shown)
    assert f"scanning 1 target (nmap-xml:{xml_target.parent}/{ESC_SHOWN}) with " in shown
    assert "\r[##############################] 1/1 hosts done, 0 failed" in shown


def test_scans_findings_diff_and_errors_escape_stored_names(tmp_path, xml_target):
    db = str(tmp_path / "db")
    for _ in range(2):
        assert govscan("scan", f"nmap-xml:{xml_target}", "--db", db).returncode == 0
    target = f"nmap-xml:{xml_target.parent}/{ESC_SHOWN}"
    scans = govscan("scans", "--db", db)
    assert_no_raw(scans.stdout, scans.stderr)
    assert scans.stdout.splitlines()[1].endswith(f"network-baseline / {target}"[:60 + 19])
    found = govscan("findings", "--db", db)
    assert_no_raw(found.stdout, found.stderr)
    assert target in found.stdout
    as_json = govscan("findings", "--db", db, "--json")
    assert_no_raw(as_json.stdout, as_json.stderr)
    assert {json.loads(line)["target_id"] for line in as_json.stdout.splitlines()} == {f"nmap-xml:{xml_target}"}
    diff = govscan("diff", "latest~1", "latest", "--db", db)
    assert_no_raw(diff.stdout, diff.stderr)
    missing = govscan("scan", f"nmap-xml:{xml_target}.gone", "--db", db)
    assert_no_raw(missing.stderr)
    assert missing.stderr.splitlines() == [
        f"govscan: error: {xml_target.parent}/{ESC_SHOWN}.gone:0:0: cannot read nmap XML: No such file or directory"]
    assert missing.returncode == 2


def test_lint_messages_escape_file_names_and_content(tmp_path):
    bad = tmp_path / "p\x1b[2J\u202e.yaml"
    bad.write_text('apiVersion: govscan/v1\nkind: Control\n"x\\e[2J\u202ey": 1\n')
    proc = govscan("policy", "lint", "--no-builtin", str(bad))
    assert_no_raw(proc.stdout, proc.stderr)
    shown = f"{tmp_path}/p\\x1b[2J\\u202e.yaml"
    assert f"{shown}:3:1: unknown key 'x\\x1b[2J\\u202ey' in document" in proc.stderr
    assert proc.returncode == 2


LOW_FAIL = """\
apiVersion: govscan/v1
kind: Control
metadata: {id: host-test-always-fails-{sev}, version: 1.0.0, title: always fails, severity: {sev}}
mappings: {nist-800-53-rev5: [cm-6]}
target: {provider: host, resource: host.sshd}
assert:
  all:
    - {key: installed, op: eq, value: true}
    - {key: installed, op: eq, value: false}
"""
PROFILE = """\
apiVersion: govscan/v1
kind: Profile
metadata: {id: my-profile, title: mine}
select: {include: ["host-test-always-fails-*"]}
"""


@pytest.fixture()
def always_fails(tmp_path):
    d = tmp_path / "policies"
    d.mkdir()
    for sev in ("low", "high"):
        (d / f"{sev}.yaml").write_text(LOW_FAIL.replace("{sev}", sev))
    (d / "profile.yaml").write_text(PROFILE)
    return d


@pytest.mark.parametrize("args, gate, code", [
    (["-c", "host-test-always-fails-low"], "high (default)", 0),
    (["-p", "my-profile", "-c", "host-test-always-fails-low"], "high (default)", 0),
    (["-c", "host-test-always-fails-low", "--gate", "low"], "low (--gate)", 1),
    (["-c", "host-test-always-fails-high"], "high (default)", 1),
    (["-p", "linux-baseline", "-c", "host-test-always-fails-high", "--policies", "{d}"], "high (profile linux-baseline)", 1),
])
def test_one_documented_gate_default_shown_in_the_summary(tmp_path, always_fails, args, gate, code):
    args = [a.replace("{d}", str(always_fails)) for a in args]
    proc = govscan("scan", "local", "--policies", str(always_fails), *args, "--db", str(tmp_path / "db"))
    lines = proc.stdout.splitlines()
    assert lines[-3] == f"gate: {gate}"
    severity = gate.split()[0]
    assert lines[-2] == ("Gate PASSED: no unwaived failure at or above high" if code == 0
                         else f"Gate FAILED: 1 failing finding at or above {severity} in 1 control")
    assert proc.returncode == code, proc.stderr


def test_report_to_a_file_says_what_it_wrote(tmp_path, xml_target):
    db = str(tmp_path / "db")
    govscan("scan", f"nmap-xml:{xml_target}", "--db", db)
    view = Store(db, create=False).view()
    out = tmp_path / "r.json"
    proc = govscan("report", "-f", "json", "-o", str(out), "--db", db)
    n = view.finding_count()
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [
        f"wrote {out} (json, {out.stat().st_size} bytes; scan {view.id[:8]}, {n} findings)"]
    assert json.loads(out.read_text())
    quiet = govscan("report", "-f", "json", "-o", str(out), "--db", db, "-q")
    assert (quiet.stdout, quiet.stderr, quiet.returncode) == ("", "", 0)


def test_findings_have_a_header_and_the_most_severe_come_first(fleet):
    db, _, _ = fleet
    proc = govscan("findings", "--db", str(db), "-s", "fail", "-s", "error")
    lines = proc.stdout.splitlines()
    assert lines[:2] == ["status        severity  control                                  target                   resource",
                         "    message"]
    rows = [re.split(r"\s+", line.strip())[:3] for line in lines[2::2]]
    ranks = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
    status_rank = {"fail": 0, "error": 1}
    keys = [(ranks[sev], status_rank[status], control) for status, sev, control in rows]
    assert keys == sorted(keys) and len(keys) > 1
    by_control = govscan("findings", "--db", str(db), "-s", "fail", "-s", "error", "--sort", "control")
    controls = [re.split(r"\s+", line.strip())[2] for line in by_control.stdout.splitlines()[2::2]]
    assert controls == sorted(controls)
    table = govscan("report", "--db", str(db)).stdout.splitlines()
    head = table.index(next(line for line in table if line.startswith("status   severity")))
    sevs = [ranks[re.split(r"\s+", line)[1]] for line in table[head + 1:]]
    assert sevs == sorted(sevs) and sevs


def test_a_closed_pipe_ends_quietly(tmp_path):
    """`govscan report -f markdown | head -1`: the reader goes away; no internal error, no traceback."""
    db = tmp_path / "g.db"
    assert subprocess.run([sys.executable, "-m", "scanner", "scan", "local", "--db", str(db),
                           "-q", "--gate", "none"], capture_output=True).returncode == 0
    # `true` exits at once, long before govscan (which takes a few hundred ms to start) writes
    for command in ("report -f markdown", "findings", "report -f json"):
        proc = subprocess.run(f"{sys.executable} -m scanner {command} --db {db} | true",
                              shell=True, capture_output=True, text=True)
        assert proc.stderr == "", (command, proc.stderr)
