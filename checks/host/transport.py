"""How the fact script reaches a host: the transport seam and the local implementation.

A transport runs one POSIX ``sh -s`` script (fed on stdin, ``LC_ALL=C``) and returns its raw output.
The host provider runs the fact script once per target through it; the SSH transport
(``checks.host.ssh``) implements the same interface over paramiko.
"""

from __future__ import annotations

import abc
import os
import signal
import subprocess
from dataclasses import dataclass

#: The environment the script runs with: a fixed locale so command output parses the same everywhere,
#: and a PATH that includes the sbin directories a non-root login shell may lack.
SCRIPT_ENV = {
    "LC_ALL": "C",
    "LANG": "C",
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
}


@dataclass(frozen=True)
class ScriptResult:
    """What one run of a script produced."""

    stdout: bytes
    stderr: bytes
    exit_code: int


class TransportError(Exception):
    """Target unreachable/refused/auth failed/host key refused; message is the reason."""


class Transport(abc.ABC):
    """Runs a shell script on a host."""

    is_root: bool = False
    """Whether the script runs as root (uid 0, or through ``sudo -n``)."""

    @abc.abstractmethod
    def run_script(self, script: str, timeout: float) -> ScriptResult:
        """Run ``sh -s`` with ``script`` on stdin (``LC_ALL=C``).

        Raise :class:`TransportError` when the script cannot be started or exceeds ``timeout``
        seconds; a non-zero exit of the script itself is returned, not raised.
        """

    @abc.abstractmethod
    def close(self) -> None:
        """Release the connection; idempotent."""

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LocalTransport(Transport):
    """Runs the script on this machine through a subprocess.

    ``sudo=True`` runs it through ``sudo -n`` (never prompting: a password prompt would hang a scan).
    """

    def __init__(self, sudo: bool = False):
        self.sudo = sudo and os.geteuid() != 0
        self.is_root = os.geteuid() == 0 or self.sudo

    def run_script(self, script: str, timeout: float) -> ScriptResult:
        argv = ["/bin/sh", "-s"]
        if self.sudo:
            argv = ["sudo", "-n", "env", *(f"{k}={v}" for k, v in SCRIPT_ENV.items()), *argv]
        env = {**{k: v for k, v in os.environ.items() if k in ("HOME", "USER", "LOGNAME")}, **SCRIPT_ENV}
        try:
            # A new session so a timeout can kill the whole process group (find, sshd -T, ...).
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                start_new_session=True,
            )
        except OSError as exc:
            raise TransportError(f"cannot start {argv[0]}: {exc.strerror or exc}") from exc
        try:
            out, err = proc.communicate(script.encode(), timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise TransportError(f"fact script timed out after {timeout:g}s") from None
        except BaseException:
            _kill_group(proc)
            raise
        if self.sudo and proc.returncode == 1 and b"sudo:" in err and not out:
            raise TransportError(f"sudo -n refused: {err.decode(errors='replace').strip()}")
        return ScriptResult(stdout=out, stderr=err, exit_code=proc.returncode)

    def close(self) -> None:
        """Nothing to release for a subprocess."""


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.communicate()
