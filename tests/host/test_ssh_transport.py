"""The SSH transport against real sshd servers on loopback: what runs, and every way a host is refused."""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import Any

import pytest

from checks.host.ssh import open_transport, parse_ssh_target
from checks.host.transport import TransportError
from scanner.errors import UsageError
from scanner.provider import CollectContext
from sshd_fixture import TEST_USER, SshdHost, SshFleet, SilentListener, sha256_fingerprint


def connect(host: SshdHost | str, fleet: SshFleet, user: str = TEST_USER, notes: list[str] | None = None, **opts: Any):
    """open_transport for a fixture host (or a spec) with the fleet's key and known_hosts unless overridden."""
    spec = host.spec(user) if isinstance(host, SshdHost) else host
    scan_options = {"known_hosts": str(opts.pop("known_hosts", fleet.known_hosts))}
    target = parse_ssh_target(spec, {"key": str(fleet.key), **opts})
    ctx = CollectContext(options=scan_options, progress=(notes.append if notes is not None else lambda m: None))
    return open_transport(target, ctx)


def refusal(host: SshdHost | str, fleet: SshFleet, **opts: Any) -> str:
    with pytest.raises(TransportError) as info:
        connect(host, fleet, **opts).close()
    return str(info.value)


# --- running the script -------------------------------------------------------------------------------


def test_script_runs_as_login_user_with_fixed_locale(ssh_fleet: SshFleet) -> None:
    with connect(ssh_fleet.many[0], ssh_fleet) as transport:
        assert transport.is_root is False
        result = transport.run_script('id -un; echo "LC_ALL=$LC_ALL"; echo oops >&2; exit 3', timeout=10)
    assert result.stdout == f"{TEST_USER}\nLC_ALL=C\n".encode()
    assert result.stderr == b"oops\n"
    assert result.exit_code == 3  # a failing script is returned, not raised


def test_sudo_runs_the_script_as_root(ssh_fleet: SshFleet) -> None:
    with connect(ssh_fleet.compliant, ssh_fleet, sudo=True) as transport:
        assert transport.is_root is True
        result = transport.run_script("id -u", timeout=10)
    assert result.stdout == b"0\n"


def test_sudo_asking_for_a_password_is_an_error_not_a_hang(ssh_fleet: SshFleet) -> None:
    with connect(ssh_fleet.noncompliant, ssh_fleet, sudo=True) as transport:
        with pytest.raises(TransportError) as info:
            transport.run_script("id -u", timeout=10)
    assert str(info.value) == f"sudo -n refused for {TEST_USER} on 127.0.0.12: sudo: a password is required"


def test_root_login_needs_no_sudo(ssh_fleet: SshFleet) -> None:
    with connect(ssh_fleet.mirror, ssh_fleet, user="root", sudo=True) as transport:
        assert transport.is_root is True
        assert transport.command().startswith("env ")  # no sudo wrapper for root
        assert transport.run_script("id -u", timeout=10).stdout == b"0\n"


def test_large_interleaved_output_arrives_whole(ssh_fleet: SshFleet) -> None:
    script = (
        "i=0; while [ $i -lt 64 ]; do head -c 65536 /dev/zero | tr '\\0' o; "
        "head -c 16384 /dev/zero | tr '\\0' e >&2; i=$((i+1)); done"
    )
    with connect(ssh_fleet.many[1], ssh_fleet) as transport:
        result = transport.run_script(script, timeout=30)
    assert result.stdout == b"o" * (64 * 65536)
    assert result.stderr == b"e" * (64 * 16384)


def test_script_timeout_is_an_error(ssh_fleet: SshFleet) -> None:
    with connect(ssh_fleet.many[2], ssh_fleet) as transport:
        with pytest.raises(TransportError) as info:
            transport.run_script("echo started; sleep 30", timeout=0.5)
        assert str(info.value) == "fact script timed out after 0.5s on govscan-ssh@127.0.0.23:%d" % ssh_fleet.many[2].port
        # The connection survives a timed-out channel: the next script still runs.
        assert transport.run_script("echo again", timeout=10).stdout == b"again\n"


def test_one_connection_runs_several_scripts_and_close_is_idempotent(ssh_fleet: SshFleet) -> None:
    transport = connect(ssh_fleet.many[3], ssh_fleet)
    outputs = [transport.run_script(f"echo {i}", timeout=10).stdout for i in range(3)]
    transport.close()
    transport.close()
    assert outputs == [b"0\n", b"1\n", b"2\n"]
    with pytest.raises(TransportError, match="is closed"):
        transport.run_script("echo late", timeout=10)


# --- host keys -----------------------------------------------------------------------------------------


def test_changed_host_key_is_refused_with_both_fingerprints(ssh_fleet: SshFleet, tmp_path: Path) -> None:
    host = ssh_fleet.many[0]
    forged = tmp_path / "known_hosts"
    forged.write_text(f"[{host.address}]:{host.port} {ssh_fleet.compliant.host_key_line}\n")
    message = refusal(host, ssh_fleet, known_hosts=str(forged))
    assert message.startswith(
        f"HOST KEY CHANGED for [{host.address}]:{host.port}: expected ssh-ed25519 "
        f"{ssh_fleet.compliant.fingerprint()}, got ssh-ed25519 {host.fingerprint()}"
    )


def test_unknown_host_key_is_refused_and_nothing_written(ssh_fleet: SshFleet, tmp_path: Path) -> None:
    host = ssh_fleet.many[0]
    empty = tmp_path / "known_hosts"
    message = refusal(host, ssh_fleet, known_hosts=str(empty))
    assert message == (
        f"host key for [{host.address}]:{host.port} not in known_hosts (ssh-ed25519 {host.fingerprint()}); "
        "verify it and add it, or pass --accept-new-host-keys"
    )
    assert not empty.exists()


def test_accept_new_records_the_key_then_it_is_verified(ssh_fleet: SshFleet, tmp_path: Path) -> None:
    host = ssh_fleet.many[1]
    known = tmp_path / "ssh" / "known_hosts"
    notes: list[str] = []
    with connect(host, ssh_fleet, known_hosts=str(known), accept_new_host_keys=True, notes=notes) as transport:
        assert transport.run_script("echo hi", timeout=10).stdout == b"hi\n"
    assert known.read_text() == host.known_hosts_entry()
    assert oct(known.stat().st_mode & 0o777) == "0o600"
    assert notes == [f"added host key for [{host.address}]:{host.port} (ssh-ed25519 {host.fingerprint()}) to {known}"]
    # Now known: plain verification passes without the flag.
    connect(host, ssh_fleet, known_hosts=str(known)).close()


def test_accept_new_never_accepts_a_changed_key(ssh_fleet: SshFleet, tmp_path: Path) -> None:
    host = ssh_fleet.many[1]
    forged = tmp_path / "known_hosts"
    forged.write_text(f"[{host.address}]:{host.port} {ssh_fleet.compliant.host_key_line}\n")
    message = refusal(host, ssh_fleet, known_hosts=str(forged), accept_new_host_keys=True)
    assert message.startswith(f"HOST KEY CHANGED for [{host.address}]:{host.port}")
    assert forged.read_text().count("\n") == 1


def test_hashed_known_hosts_entries_are_honoured(ssh_fleet: SshFleet, tmp_path: Path) -> None:
    host = ssh_fleet.many[2]
    known = tmp_path / "known_hosts"
    known.write_text(host.known_hosts_entry())
    import subprocess

    subprocess.run(["ssh-keygen", "-H", "-f", str(known)], check=True, capture_output=True)
    assert known.read_text().startswith("|1|")
    connect(host, ssh_fleet, known_hosts=str(known)).close()


# --- unreachable hosts ---------------------------------------------------------------------------------


def test_wrong_user_key_is_an_authentication_failure(ssh_fleet: SshFleet) -> None:
    host = ssh_fleet.many[0]
    message = refusal(host, ssh_fleet, key=str(ssh_fleet.other_key), agent=False)
    assert message == (
        f"authentication failed for {TEST_USER}@{host.address}:{host.port} (publickey; tried {ssh_fleet.other_key})"
    )


def test_closed_port_is_refused(ssh_fleet: SshFleet, closed_port: tuple[str, int]) -> None:
    address, port = closed_port
    message = refusal(f"ssh://{TEST_USER}@{address}:{port}", ssh_fleet)
    assert message == f"connection refused by {address}:{port} ({TEST_USER}@{address}:{port})"


def test_host_that_never_speaks_times_out(ssh_fleet: SshFleet, silent_listener: SilentListener) -> None:
    spec = f"ssh://{TEST_USER}@{silent_listener.address}:{silent_listener.port}"
    message = refusal(spec, ssh_fleet, connect_timeout=1)
    assert message == f"{silent_listener.address}:{silent_listener.port} accepted the connection but sent no SSH banner within 1s"


def test_unresolvable_name(ssh_fleet: SshFleet) -> None:
    message = refusal(f"ssh://{TEST_USER}@no-such-host.invalid", ssh_fleet)
    assert message.startswith("cannot resolve no-such-host.invalid: ")


class DroppingProxy:
    """Closes the first ``drops`` connections at once (like sshd MaxStartups), then relays to a real sshd."""

    def __init__(self, upstream: tuple[str, int], drops: int):
        self.upstream, self.drops, self.accepted = upstream, drops, 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            if self.accepted <= self.drops:
                conn.close()
                continue
            up = socket.create_connection(self.upstream)
            for a, b in ((conn, up), (up, conn)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            dst.close()


def test_dropped_banners_are_retried_with_backoff(ssh_fleet: SshFleet, tmp_path: Path) -> None:
    host = ssh_fleet.many[3]
    proxy = DroppingProxy((host.address, host.port), drops=2)
    known = tmp_path / "known_hosts"
    known.write_text(f"[127.0.0.1]:{proxy.port} {host.host_key_line}\n")
    with connect(f"ssh://{TEST_USER}@127.0.0.1:{proxy.port}", ssh_fleet, known_hosts=str(known)) as transport:
        assert transport.run_script("echo through", timeout=10).stdout == b"through\n"
    assert proxy.accepted == 3


def test_a_host_that_always_drops_gives_up_with_the_reason(ssh_fleet: SshFleet) -> None:
    proxy = DroppingProxy(("127.0.0.1", 1), drops=100)
    message = refusal(f"ssh://{TEST_USER}@127.0.0.1:{proxy.port}", ssh_fleet)
    assert message == (
        f"{TEST_USER}@127.0.0.1:{proxy.port}: 127.0.0.1:{proxy.port} closed the connection before the SSH banner "
        "(sshd MaxStartups?) (4 attempts)"
    )
    assert proxy.accepted == 4


def test_a_burst_of_connections_to_one_sshd_all_succeed(ssh_fleet: SshFleet) -> None:
    host = ssh_fleet.many[4]  # default MaxStartups 10:30:100: 20+ raw handshakes at once get dropped
    results: list[bytes | str] = [b""] * 24

    def one(i: int) -> None:
        try:
            with connect(host, ssh_fleet) as transport:
                results[i] = transport.run_script(f"echo {i}", timeout=20).stdout
        except TransportError as exc:
            results[i] = str(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [f"{i}\n".encode() for i in range(24)]


# --- jump hosts and ssh config -------------------------------------------------------------------------


def test_jump_host_reaches_the_target(ssh_fleet: SshFleet) -> None:
    target, jump = ssh_fleet.many[5], ssh_fleet.many[4]
    with connect(target, ssh_fleet, jump=f"{TEST_USER}@{jump.address}:{jump.port}") as transport:
        assert transport.run_script("echo via-jump", timeout=10).stdout == b"via-jump\n"


def test_jump_host_that_forbids_forwarding_is_the_named_reason(ssh_fleet: SshFleet) -> None:
    target, jump = ssh_fleet.many[5], ssh_fleet.compliant  # compliant sshd: AllowTcpForwarding no
    message = refusal(target, ssh_fleet, jump=f"{TEST_USER}@{jump.address}:{jump.port}")
    assert message == f"jump host could not reach {target.address}:{target.port}: Administratively prohibited"


def test_jump_host_key_is_verified_too(ssh_fleet: SshFleet, tmp_path: Path) -> None:
    target, jump = ssh_fleet.many[5], ssh_fleet.many[4]
    only_target = tmp_path / "known_hosts"
    only_target.write_text(target.known_hosts_entry())
    message = refusal(target, ssh_fleet, known_hosts=str(only_target), jump=f"{TEST_USER}@{jump.address}:{jump.port}")
    assert message.startswith(f"host key for [{jump.address}]:{jump.port} not in known_hosts (ssh-ed25519 {jump.fingerprint()})")


def test_ssh_config_supplies_hostname_user_port_key_and_proxyjump(ssh_fleet: SshFleet, tmp_path: Path) -> None:
    target, jump = ssh_fleet.many[0], ssh_fleet.many[1]
    config = tmp_path / "config"
    config.write_text(
        f"Host web01\n  HostName {target.address}\n  Port {target.port}\n  User {TEST_USER}\n"
        f"  IdentityFile {ssh_fleet.key}\n  ProxyJump bastion\n"
        f"Host bastion\n  HostName {jump.address}\n  Port {jump.port}\n  User {TEST_USER}\n  IdentityFile {ssh_fleet.key}\n"
    )
    parsed = parse_ssh_target("ssh://web01", {"ssh_config": str(config), "env": "prod"})
    assert parsed.id == f"ssh://{TEST_USER}@web01:{target.port}"
    assert (parsed.address, parsed.name, dict(parsed.vars)) == ("web01", "web01", {"env": "prod"})
    ctx = CollectContext(options={"known_hosts": str(ssh_fleet.known_hosts)})
    with open_transport(parsed, ctx) as transport:
        assert transport.plan.jumps[0].hostname == jump.address
        assert transport.run_script("echo configured", timeout=10).stdout == b"configured\n"


# --- parsing -------------------------------------------------------------------------------------------


def test_parse_keeps_connection_options_and_passes_the_rest_as_vars() -> None:
    target = parse_ssh_target(
        "ssh://admin@web01.agency.example:2222",
        {"name": "web01", "sudo": True, "key": "/k", "approved_ports": [22], "accept_new_host_keys": False},
    )
    assert target.id == "ssh://admin@web01.agency.example:2222"
    assert (target.kind, target.address, target.name) == ("host", "web01.agency.example", "web01")
    assert dict(target.options) == {"sudo": True, "key": "/k", "accept_new_host_keys": False, "user": "admin", "port": 2222}
    assert dict(target.vars) == {"approved_ports": [22]}


def test_parse_precedence_spec_over_inventory_and_ipv6() -> None:
    target = parse_ssh_target("ssh://ops@[::1]", {"user": "inventory-user", "port": 2200})
    assert target.id == "ssh://ops@[::1]:2200"
    assert target.address == "::1"


@pytest.mark.parametrize(
    ("spec", "options", "message"),
    [
        ("ssh://", {}, "ssh://: expected ssh://[user@]host[:port]"),
        ("ssh://host:99999", {}, "ssh://host:99999: not a valid ssh:// target (Port out of range 0-65535)"),
        ("ssh://host/etc", {}, "ssh://host/etc: expected ssh://[user@]host[:port] (no path, query or password)"),
        ("ssh://u:secret@host", {}, "ssh://u:secret@host: expected ssh://[user@]host[:port] (no path, query or password)"),
        ("ssh://host", {"port": "ssh"}, "ssh://host: port must be a number from 1 to 65535, not 'ssh'"),
        ("ssh://host", {"sudo": "yes"}, "ssh://host: sudo must be true or false, not 'yes'"),
        ("ssh://host", {"connect_timeout": -1}, "ssh://host: connect_timeout must be a positive number of seconds, not -1"),
        ("ssh://host", {"key": 3}, "ssh://host: key must be a path or a list of paths"),
    ],
)
def test_malformed_specs_get_one_clear_message(spec: str, options: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_ssh_target(spec, options)
    assert str(info.value) == message


def test_fingerprint_matches_ssh_keygen(ssh_fleet: SshFleet) -> None:
    import subprocess

    host = ssh_fleet.compliant
    out = subprocess.run(
        ["ssh-keygen", "-l", "-f", str(host.root / "ssh_host_ed25519_key.pub")], capture_output=True, text=True, check=True
    ).stdout
    assert out.split()[1] == sha256_fingerprint(host.host_key_line) == host.fingerprint()


# --- known_hosts markers ---------------------------------------------------------------------------------


def test_revoked_host_key_is_refused_even_with_accept_new(ssh_fleet: SshFleet, tmp_path: Path) -> None:
    host = ssh_fleet.many[0]
    known = tmp_path / "known_hosts"
    # recorded as the host's key AND revoked (by wildcard): the revocation wins, as in OpenSSH
    known.write_text(f"{host.known_hosts_entry()}# rotated after the 2024 incident\n@revoked * {host.host_key_line}\n")
    before = known.read_text()
    for accept_new in (False, True):
        message = refusal(host, ssh_fleet, known_hosts=str(known), accept_new_host_keys=accept_new)
        assert message == (
            f"host key for [{host.address}]:{host.port} is REVOKED (ssh-ed25519 {host.fingerprint()}, "
            f"@revoked at {known}:3): refusing to connect; the host must get a new key, recorded after checking it "
            "out of band")
    assert known.read_text() == before  # accept-new appended nothing


def test_revoked_key_of_another_host_and_cert_authority_lines_do_not_stop_a_scan(
        ssh_fleet: SshFleet, tmp_path: Path) -> None:
    host, other = ssh_fleet.many[1], ssh_fleet.many[2]
    known = tmp_path / "known_hosts"
    known.write_text(
        f"@cert-authority *.agency.example {ssh_fleet.compliant.host_key_line}\n"
        f"@revoked [{other.address}]:{other.port} {host.host_key_line}\n"   # host's key, revoked for another name
        f"{host.known_hosts_entry()}")
    with connect(host, ssh_fleet, known_hosts=str(known)) as transport:
        assert transport.run_script("echo ok", timeout=10).stdout == b"ok\n"
    # a host known only through a CA line is refused as unknown, and the message says why
    message = refusal(other, ssh_fleet, known_hosts=str(known))
    assert message == (
        f"host key for [{other.address}]:{other.port} not in known_hosts (ssh-ed25519 {other.fingerprint()}); "
        "verify it and add it, or pass --accept-new-host-keys "
        "(@cert-authority lines are skipped: certificate host keys are not supported yet)")


@pytest.mark.parametrize("line, reason", [
    ("@revoked [h]:22 ssh-ed25519 not*base64!", "malformed known_hosts line: ssh-ed25519 key is not valid (InvalidHostKey)"),
    ("@revoked ssh-ed25519", "malformed known_hosts line: expected host patterns, key type and key"),
    ("@trusted * ssh-ed25519 AAAA", "unknown known_hosts marker '@trusted' (OpenSSH knows @revoked and @cert-authority)"),
    ("[h]:22 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI%", "malformed known_hosts line: ssh-ed25519 key is not valid (InvalidHostKey)"),
])
def test_malformed_known_hosts_line_is_named_with_file_and_line(
        ssh_fleet: SshFleet, tmp_path: Path, line: str, reason: str) -> None:
    host = ssh_fleet.many[0]
    known = tmp_path / "known_hosts"
    known.write_text(f"{host.known_hosts_entry()}\n{line}\n")
    assert refusal(host, ssh_fleet, known_hosts=str(known)) == f"{known}:3: {reason}"
