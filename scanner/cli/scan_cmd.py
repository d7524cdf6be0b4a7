"""``govscan scan``: run a scan, store it, print a summary, write reports, exit by the gate."""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

import click

from scanner.cli.common import (
    db_option, echo_err, guarded, oscal_version_option, parse_inputs, quiet_option, report_option, report_renderers,
    write_reports,
)
from scanner.cli.plugins import provider_options


class TerminalProgress:  # implements scanner.engine.Progress
    """A one-line progress display on stderr (only when it is a terminal)."""

    def __init__(self) -> None:
        self.total = 0
        self.done = 0
        self.failed = 0

    def begin(self, targets: Any, controls: int) -> None:
        self.total = len(targets)
        names = ", ".join(t.id for t in list(targets)[:3]) + (" ..." if len(targets) > 3 else "")
        echo_err(f"scanning {self.total} target{'s' if self.total != 1 else ''} ({names}) with {controls} controls")
        self._draw()

    def _draw(self) -> None:
        width = 30
        filled = int(width * self.done / self.total) if self.total else width
        bar = "#" * filled + "-" * (width - filled)
        sys.stderr.write(f"\r[{bar}] {self.done}/{self.total} hosts done, {self.failed} failed")
        sys.stderr.flush()

    def target_done(self, target: Any, findings: int, error: str | None) -> None:
        self.done += 1
        if error:
            self.failed += 1
        self._draw()

    def note(self, message: str) -> None:
        pass

    def end(self) -> None:
        sys.stderr.write("\n")
        sys.stderr.flush()


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


@click.command()
@click.argument("targets", nargs=-1)
@click.option("-i", "--inventory", type=click.Path(dir_okay=False), help="Inventory YAML of targets and groups.")
@click.option("-p", "--profile", "profiles", multiple=True,
              help="Profile id (repeatable). Default: the baseline of each target kind (linux-baseline, ...).")
@click.option("-c", "--control", "controls", multiple=True, help="Only controls matching this id glob (repeatable).")
@click.option("-w", "--waivers", multiple=True, type=click.Path(), help="Waiver file or directory (repeatable).")
@click.option("--policies", "policy_paths", multiple=True, type=click.Path(),
              help="Extra control/profile files or directories, added to the built-in pack (repeatable).")
@click.option("--input", "inputs", multiple=True, metavar="NAME=VALUE",
              help="Override a control input: NAME or CONTROL.NAME = YAML value (repeatable).")
@db_option
@click.option("-j", "--jobs", default=8, show_default=True, type=click.IntRange(1, 512), help="Targets scanned at once.")
@click.option("--executor", default="threads", show_default=True, metavar="threads|processes|tls://HOST:PORT",
              help="Where targets run: threads here, local processes, or a Dask cluster (dask:// or tls://).")
@click.option("--tls-ca", type=click.Path(dir_okay=False), help="CA certificate of the Dask cluster (mutual TLS).")
@click.option("--tls-cert", type=click.Path(dir_okay=False), help="This client's certificate for the Dask cluster.")
@click.option("--tls-key", type=click.Path(dir_okay=False), help="This client's private key for the Dask cluster.")
@click.option("--gate", type=click.Choice(["critical", "high", "medium", "low", "info", "none"]),
              help="Fail (exit 1) on unwaived failures at or above this severity (overrides the profile's gate).")
@click.option("-f", "--format", "formats", multiple=True, help="Report format to write after the scan (repeatable).")
@click.option("-o", "--output", "outputs", multiple=True, type=click.Path(dir_okay=False),
              help="File for the matching -f (repeatable, in the same order).")
@report_option
@provider_options  # e.g. the host provider's --known-hosts, --accept-new-host-keys, --script-timeout
@click.option("--connect-timeout", default=10.0, show_default=True, type=float, help="Seconds to connect to a target.")
@click.option("--sign", "sign_key", envvar="GOVSCAN_SIGNING_KEY_FILE", type=click.Path(dir_okay=False),
              help="Ed25519 private key: sign the scan's chain head when it is sealed (env GOVSCAN_SIGNING_KEY_FILE: a path).")
@oscal_version_option
@quiet_option
@guarded
def scan(targets: tuple[str, ...], inventory: str | None, profiles: tuple[str, ...], controls: tuple[str, ...],
         waivers: tuple[str, ...], policy_paths: tuple[str, ...], inputs: tuple[str, ...], db_path: str, jobs: int,
         executor: str, tls_ca: str | None, tls_cert: str | None, tls_key: str | None, gate: str | None,
         formats: tuple[str, ...], outputs: tuple[str, ...], report_options: tuple[str, ...],
         connect_timeout: float, sign_key: str | None, oscal_version: str | None, quiet: bool,
         **provider_opts: Any) -> None:
    """Scan TARGETS and store the findings.

    TARGET is `local`, `ssh://[user@]host[:port]`, `aws://[profile][/region]`, `nmap://CIDR-or-host`
    or `nmap-xml:FILE`. With no target and no inventory, scans this machine against the Linux baseline.

    \b
    Examples:
      govscan scan
      govscan scan ssh://admin@web01.agency.example --jobs 16 -p linux-baseline
      govscan scan -i inventory.yaml -w waivers/ --gate high -f sarif -o out.sarif -f junit -o out.xml
    """
    from scanner.cli.summary import print_summary
    from scanner.engine import ScanRequest, plan, execute
    from scanner.errors import UsageError
    from scanner.store import Store

    if outputs and len(outputs) != len(formats):
        raise UsageError(f"{len(formats)} -f but {len(outputs)} -o: give one -o per -f (or a single -f to stdout)")
    if len(formats) > 1 and not outputs:
        raise UsageError("several -f formats need one -o file each")
    report_renderers(formats, report_options)  # an unknown format or option is a usage error before scanning
    req = ScanRequest(
        targets=list(targets), inventory=inventory, profiles=list(profiles), controls=list(controls),
        waivers=list(waivers), policy_paths=list(policy_paths), inputs=parse_inputs(inputs), jobs=jobs, gate=gate,
        executor=executor, executor_options={"tls_ca": tls_ca, "tls_cert": tls_cert, "tls_key": tls_key},
        options={"connect_timeout": connect_timeout, **provider_opts},
    )
    if sign_key:
        from scanner.cli.evidence_cmd import load_signing_key

        signing_key = load_signing_key(sign_key)  # a bad key or passphrase stops here, before scanning
    the_plan = plan(req)
    store = Store(db_path)
    if sign_key:
        store.signing_key = signing_key
    show = not quiet and sys.stderr.isatty()
    old = signal.signal(signal.SIGTERM, _interrupt)
    try:
        progress: Any = TerminalProgress() if show else None
        outcome = execute(the_plan, req, store, progress)
    except KeyboardInterrupt:
        echo_err(f"govscan: scan interrupted; partial results kept in {db_path} (status interrupted)")
        sys.stdout.flush()
        sys.stderr.flush()
        # collector threads may be blocked on the network; the store is already closed consistently
        os._exit(130)
    finally:
        signal.signal(signal.SIGTERM, old)
    to_stdout = bool(formats) and not outputs
    reports_failed = write_reports(store, outcome.scan_id, formats, outputs, report_options, quiet=quiet,
                                   oscal_version=oscal_version) if formats else 0
    # errors first (each unreachable target, one line), then the summary that counts them
    if not quiet or outcome.exit_code == 3:
        for tid, reason in outcome.unreachable:
            echo_err(f"govscan: {tid}: {reason}")
    if not quiet:
        print_summary(store.view(outcome.scan_id), outcome, db_path, err=to_stdout)
    if outcome.exit_code == 3:
        echo_err("govscan: no target could be scanned (exit 3)")
    elif quiet and not outcome.gate.passed:
        # --quiet: the one line a pipeline log needs when the gate fails, nothing else
        from scanner.gate import describe

        down = len(outcome.unreachable)
        extra = f"; {down} of {len(the_plan.targets)} targets unreachable" if down else ""
        echo_err(f"govscan: gate failed at {describe(outcome.gate.policy)}: {outcome.gate.reason}{extra}")
    sys.exit(reports_failed or outcome.exit_code)
