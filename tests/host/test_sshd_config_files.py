"""host.sshd without ``sshd -T``, and Match blocks: the real fact script and the real sshd (issues 9, 13).

Each case runs the fact script's sshd section in a private mount namespace where ``/etc/ssh/sshd_config``
is the case's file and ``/run`` an empty tmpfs: there ``sshd -T`` fails exactly as on a host where sshd
never ran (``Missing privilege separation directory: /run/sshd``), so the values come from the files
and OpenSSH's defaults. The same namespace with ``/run/sshd`` created lets ``sshd -T`` run on the same
file: every sshd control must give the same verdicts both ways, and every value govscan reproduces must
equal what ``sshd -T`` printed.
"""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest

from checks.host.parsers.sshd_values import SUPPORTED
from checks.host.provider import HostProvider
from checks.host.script import build_script, parse_output
from scanner.evaluate import evaluate_control
from scanner.model import Collection, Resource, Target
from scanner.policy.loader import load
from sshd_fixture import COMPLIANT_SSHD, NONCOMPLIANT_SSHD, SSHD, _usable, keygen

ROOT = Path(__file__).resolve().parents[2]
TARGET = Target(id="local:ns", kind="host", address="localhost", name="ns")

pytestmark = pytest.mark.skipif(_usable() is not None, reason=str(_usable()))


def sshd_controls() -> list[Any]:
    pset = load([ROOT / "policies" / "controls" / "host" / "sshd.yaml"], builtin=False)
    return [pset.controls[c] for c in sorted(pset.controls)]


def in_namespace(config: Path, command: str, *, privsep: bool) -> str:
    """A shell line running ``command`` where sshd_config is ``config`` and /run is empty (+ /run/sshd)."""
    setup = [f"mount --bind {shlex.quote(str(config))} /etc/ssh/sshd_config", "mount -t tmpfs govscan-run /run"]
    if privsep:
        setup.append("mkdir -m 0755 /run/sshd")
    return " && ".join([*setup, command])


def run_section(config: Path, *, privsep: bool) -> Any:
    script, marker = build_script(["os", "sshd"], marker="==GOVSCAN:ns==")
    result = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", in_namespace(config, "exec /bin/sh -s",
                                                                                        privsep=privsep)],
        input=script.encode(), capture_output=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return parse_output(result.stdout.decode(), marker)


def sshd_resources(out: Any) -> list[Resource]:
    coll = HostProvider.parse(out, ["host.os", "host.sshd"])
    assert coll.errors == [], coll.errors
    return coll.resources["host.sshd"]


def verdicts(resources: list[Resource]) -> dict[tuple[str, str], tuple[str, str]]:
    coll = Collection(resources={"host.sshd": resources, "host.os": []})
    coll.facts = {"platform": "linux"}
    out = {}
    for control in sshd_controls():
        for f in evaluate_control(control, TARGET, coll, None):
            out[(f.control_id, f.resource_id)] = (f.status.value, f.message)
    return out


@pytest.fixture(scope="module")
def keydir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("sshd-keys")
    keygen(d / "ssh_host_ed25519_key", comment="ns-host")
    return d


MODIFIERS = """\
HostKey {root}/ssh_host_ed25519_key
PermitRootLogin=prohibit-password
LogLevel debug
LoginGraceTime 1m30s
ClientAliveInterval 5m
MaxStartups 5
Ciphers +aes128-cbc
MACs -umac-64*,hmac-sha1*
KexAlgorithms ^diffie-hellman-group14-sha1
Banner "/etc/issue.net"
AllowTcpForwarding all
IgnoreRhosts Yes
Compression delayed
AllowUsers alice bob
AllowUsers carol
"""

DEFAULTS = "HostKey {root}/ssh_host_ed25519_key\n"


@pytest.mark.parametrize("case", ["compliant", "noncompliant", "modifiers", "defaults"])
def test_config_files_give_the_verdicts_sshd_T_gives(case: str, keydir: Path, tmp_path: Path) -> None:
    text = {"compliant": COMPLIANT_SSHD, "noncompliant": NONCOMPLIANT_SSHD, "modifiers": MODIFIERS,
            "defaults": DEFAULTS}[case]
    config = tmp_path / "sshd_config"
    config.write_text(text.replace("{root}", str(keydir)))
    from_files = sshd_resources(run_section(config, privsep=False))
    from_t = sshd_resources(run_section(config, privsep=True))
    files_attrs, t_attrs = from_files[0].attrs, from_t[0].attrs
    assert t_attrs["source"] == "sshd -T"
    assert files_attrs["source"] == "config-files"
    assert files_attrs["sshd_t_error"].startswith("sshd -T failed (exit 255): Missing privilege separation directory")
    # every value govscan reproduces equals sshd -T's
    reproduced = {k: files_attrs[k] for k in SUPPORTED if k in t_attrs and k in files_attrs}
    assert reproduced == {k: t_attrs[k] for k in reproduced}
    # what is not reproduced is an error for the controls that read it, never a missing (passing) key
    assert {k for k in t_attrs if k not in files_attrs} <= set(from_files[0].attr_errors)
    assert len(reproduced) >= 50
    if case == "modifiers":
        assert files_attrs["allowusers"] == t_attrs["allowusers"] == ["alice", "bob", "carol"]
    # and every sshd control says the same (keywords govscan does not reproduce are errors, not guesses)
    assert verdicts(from_files) == verdicts(from_t)
    assert all(status != "error" for status, _ in verdicts(from_files).values())


def test_unknown_version_defaults_are_errors_not_guesses(keydir: Path, tmp_path: Path) -> None:
    config = tmp_path / "sshd_config"
    config.write_text(DEFAULTS.replace("{root}", str(keydir)) + "PermitRootLogin no\n")
    out = run_section(config, privsep=False)
    sec = out.sections["sshd"]
    sec.stdout = sec.stdout.replace("GS_VERSION=OpenSSH_", "GS_VERSION=OpenSSH_99.")
    got = verdicts(sshd_resources(out))
    assert got[("host-sshd-no-root-login", "sshd")] == ("pass", "PermitRootLogin is no")
    status, message = got[("host-sshd-max-auth-tries", "sshd")]
    assert status == "error"
    assert "maxauthtries could not be read: not set in the configuration files, and govscan does not know its " \
           "default for OpenSSH_99." in message


def test_cli_scan_where_sshd_never_ran(keydir: Path, tmp_path: Path) -> None:
    """`govscan scan local` itself inside the namespace: no error for a readable configuration."""
    import sys

    config = tmp_path / "sshd_config"
    config.write_text(NONCOMPLIANT_SSHD.replace("{root}", str(keydir)))
    db = tmp_path / "scan.db"
    cli = shlex.join([sys.executable, "-c", "from scanner.cli import main; main()", "scan", "local", "--db", str(db),
                      "-c", "host-sshd-*", "--gate", "none", "-f", "json", "-o", str(tmp_path / "r.json")])
    result = subprocess.run(["unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
                             in_namespace(config, f"cd {shlex.quote(str(ROOT))} && {cli}", privsep=False)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    from scanner.store import Store

    store = Store(str(db), create=False)
    try:
        view = store.view()
        rows = {r["control_id"]: {**r, "evidence": view.evidence(r["evidence_sha256"])} for r in view.findings()}
    finally:
        store.close()
    assert len(rows) == 26
    assert {r["status"] for r in rows.values()} == {"fail"}
    assert rows["host-sshd-no-root-login"]["message"] == "PermitRootLogin is yes (allowed: no)"
    ev = rows["host-sshd-no-root-login"]["evidence"]
    assert ev["locations"] == [{"attribute": "permitrootlogin", "path": "/etc/ssh/sshd_config", "line": 2,
                                "source": "config-files"}]


def test_sshd_binary_present() -> None:
    assert Path(SSHD).exists()
