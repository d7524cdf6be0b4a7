"""The host provider: Linux hosts, local or over SSH, through one batched fact script."""

from __future__ import annotations

import socket
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from checks.host.parsers import FactError
from checks.host.transport import LocalTransport, Transport, TransportError
from scanner.model import CollectError, Collection, Target
from scanner.provider import CollectContext, Provider, TargetForm

#: Seconds the fact script may take, on top of the filesystem walk's own bound.
SCRIPT_TIMEOUT = 60
DEFAULT_WALK_TIMEOUT = 300


class HostProvider(Provider):
    """Collects host.* resources by running ``facts.sh`` once per target."""

    name = "host"
    # One module per content area (checks/host/kinds_<area>.py) beside the core types.
    resource_modules: ClassVar[tuple[str, ...]] = (
        "checks.host.resources", "checks.host.kinds_rhel", "checks.host.kinds_cis_a", "checks.host.kinds_cis_b",
        "checks.host.kinds_stig_audit", "checks.host.kinds_stig_files", "checks.host.kinds_stig_access",
        "checks.host.kinds_stig_system")
    target_forms = (
        TargetForm("local", "local", "this machine, without SSH (sudo from the inventory)"),
        TargetForm("ssh://[user@]host[:port]", "ssh://admin@web01.agency.example:2222",
                   "a Linux host over SSH (paramiko; host keys verified, see docs/ssh.md)"),
        TargetForm("rootfs:/path", "rootfs:/",
                   "a filesystem tree on this machine (mounted disk image, unpacked container image, chroot), "
                   "read without running its programs (docs/host.md, Golden images)"),
    )
    default_profile = "linux-baseline"
    template_roots = ("host",)

    def default_target(self) -> str | None:
        return "local"

    def template_context(self, target: Target) -> dict[str, Any]:
        return {"host": {"name": target.name or target.address, "address": target.address}}

    def cli_options(self) -> list[Callable[[Any], Any]]:
        import click

        return [
            click.option("--accept-new-host-keys", is_flag=True,
                         help="Trust and record SSH host keys not yet in known_hosts (never a changed key)."),
            click.option("--known-hosts", type=click.Path(dir_okay=False),
                         help="known_hosts file (default ~/.ssh/known_hosts)."),
            click.option("--script-timeout", default=120.0, show_default=True, type=float,
                         help="Seconds for fact gathering on a host."),
            click.option("--max-output-mib", type=click.IntRange(1, 65536), metavar="MIB",
                         help="MiB an SSH host may send on stdout (and on stderr) before it is an error [default: 64]."),
        ]

    def parse_target(self, spec: str, options: Mapping[str, Any]) -> list[Target] | None:
        if spec == "local":
            host = socket.gethostname()
            opts = {"sudo": bool(options.get("sudo"))} if options.get("sudo") else {}
            known = {"sudo", "accept_new_host_keys", "known_hosts", "jobs"}
            return [Target(id=f"local:{host}", kind="host", address="localhost", name=host, options=opts,
                           vars={k: v for k, v in options.items() if k not in known})]
        if spec.startswith("ssh://"):
            from checks.host.ssh import parse_ssh_target

            return [parse_ssh_target(spec, options)]
        if spec.startswith("rootfs:"):
            from checks.host.rootfs import parse_rootfs_target

            return [parse_rootfs_target(spec, options)]
        return None

    def collect(self, target: Target, types: frozenset[str], ctx: CollectContext) -> Collection:
        from checks.host.script import DEFAULT_FILES, build_script, parse_output, sections_for

        wanted = sorted(t for t in types if t.startswith("host."))
        inputs = ctx.inputs
        walk = bool(inputs.get("filesystem_walk")) and "host.filesystem" in wanted
        walk_timeout = int(inputs.get("filesystem_walk_timeout") or DEFAULT_WALK_TIMEOUT)
        extra = [str(p) for p in (inputs.get("extra_files") or [])]
        root = str(target.options.get("root") or "")
        sections = sections_for(["host.os", *(t for t in wanted if t != "host.filesystem" or walk)], rootfs=bool(root))
        if not walk:  # other types may read the walk too (host.audit_rules): only when it is asked for
            sections = [s for s in sections if s != "walk"]
        try:
            script, marker = build_script(sections, files=(*DEFAULT_FILES, *extra), walk_timeout=walk_timeout,
                                          root=root)
        except ValueError as exc:  # a bad extra_files entry: the files type cannot be collected as asked
            script, marker = build_script([s for s in sections if s != "files"], walk_timeout=walk_timeout, root=root)
            early = [CollectError("host.files", str(exc))]
        else:
            early = []
        try:
            transport = self._open(target, ctx)
        except TransportError as exc:
            return Collection(fatal=str(exc))
        try:
            ctx.progress(f"{target.name or target.id}: gathering facts")
            result = transport.run_script(script, SCRIPT_TIMEOUT + (walk_timeout if walk else 0))
        except TransportError as exc:
            return Collection(fatal=str(exc))
        finally:
            transport.close()
        out = parse_output(result.stdout.decode("utf-8", errors="replace"), marker)
        out.root = root
        return self.parse(out, wanted, walk=walk, walk_timeout=walk_timeout, errors=early)

    @staticmethod
    def parse(out: Any, types: Sequence[str], *, walk: bool = False, walk_timeout: int = 0,
              errors: Sequence[CollectError] = ()) -> Collection:
        """Turn parsed script output into a collection (pure; used by golden tests)."""
        from checks.host.resources import HostKind, Os, resources

        from checks.host.rootfs import RUNTIME_REASON, without_runtime

        HostProvider().kinds()  # imports every module holding host types (resource_modules)
        coll = Collection(errors=list(errors))
        failed = {e.resource_type for e in errors}
        rootfs = bool(getattr(out, "root", ""))
        for t in types:
            if t in failed:
                continue
            kind = resources.get(t)
            try:
                if kind is None or not issubclass(kind, HostKind):
                    coll.errors.append(CollectError(t, f"unknown host resource type {t}"))
                elif rootfs and kind.runtime_only:
                    coll.incomplete[t] = f"{t} {RUNTIME_REASON}"
                else:
                    built = kind.build(out, walk=walk, walk_timeout=walk_timeout)
                    coll.resources[t] = without_runtime(built, kind.runtime_attributes) if rootfs else built
            except FactError as exc:
                coll.errors.append(CollectError(t, str(exc)))
        try:
            os_res = Os.build(out)[0].attrs
            coll.facts = {"platform": "linux",
                          **{k: os_res.get(k) for k in ("pretty_name", "family", "kernel", "hostname", "is_root")}}
            # the platforms a control's `platforms` is matched against: the OS family too (rhel, debian...)
            coll.facts["platforms"] = ["linux", *([os_res["family"]] if os_res.get("family") else [])]
            if rootfs:
                coll.facts["root"] = out.root
        except FactError as exc:
            coll.facts = {"error": str(exc)}
        return coll

    @staticmethod
    def _open(target: Target, ctx: CollectContext) -> Transport:
        if target.options.get("root") or (target.address in ("localhost", "") and not target.id.startswith("ssh://")):
            return LocalTransport(sudo=bool(target.options.get("sudo")))
        from checks.host.ssh import open_transport

        return open_transport(target, ctx)
