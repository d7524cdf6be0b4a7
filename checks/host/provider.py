"""The host provider: Linux hosts, local or over SSH, through one batched fact script."""

from __future__ import annotations

import socket
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from checks.host.parsers import FactError
from checks.host.transport import LocalTransport, Transport, TransportError
from scanner.model import CollectError, Collection, Resource, Target
from scanner.provider import CollectContext, Provider, ResourceType

#: Seconds the fact script may take, on top of the filesystem walk's own bound.
SCRIPT_TIMEOUT = 60
DEFAULT_WALK_TIMEOUT = 300


def _parsers() -> dict[str, Callable[..., list[Resource]]]:
    from checks.host.parsers import accounts, audit, files, kernel, net, pam, sshd, system

    return {
        "host.os": system.parse_os, "host.sshd": sshd.parse_sshd, "host.packages": system.parse_packages,
        "host.services": system.parse_services, "host.sysctl": kernel.parse_sysctl,
        "host.files": files.parse_files, "host.users": accounts.parse_users, "host.groups": accounts.parse_groups,
        "host.shadow": accounts.parse_shadow, "host.login_defs": accounts.parse_login_defs,
        "host.pam": pam.parse_pam, "host.mounts": kernel.parse_mounts, "host.auditd": audit.parse_auditd,
        "host.kernel_modules": kernel.parse_kernel_modules, "host.listening": net.parse_listening,
        "host.banners": files.parse_banners,
    }


class HostProvider(Provider):
    """Collects host.* resources by running ``facts.sh`` once per target."""

    name = "host"

    def resource_types(self) -> Sequence[ResourceType]:
        from checks.host.resources import RESOURCE_TYPES

        return RESOURCE_TYPES

    def default_target(self) -> str | None:
        return "local"

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
        return None

    def collect(self, target: Target, types: frozenset[str], ctx: CollectContext) -> Collection:
        from checks.host.script import DEFAULT_FILES, build_script, parse_output, sections_for

        wanted = sorted(t for t in types if t.startswith("host."))
        inputs = ctx.inputs
        walk = bool(inputs.get("filesystem_walk")) and "host.filesystem" in wanted
        walk_timeout = int(inputs.get("filesystem_walk_timeout") or DEFAULT_WALK_TIMEOUT)
        extra = [str(p) for p in (inputs.get("extra_files") or [])]
        sections = sections_for(["host.os", *(t for t in wanted if t != "host.filesystem" or walk)])
        try:
            script, marker = build_script(sections, files=(*DEFAULT_FILES, *extra), walk_timeout=walk_timeout)
        except ValueError as exc:  # a bad extra_files entry: the files type cannot be collected as asked
            script, marker = build_script([s for s in sections if s != "files"], walk_timeout=walk_timeout)
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
        return self.parse(out, wanted, walk=walk, walk_timeout=walk_timeout, errors=early)

    @staticmethod
    def parse(out: Any, types: Sequence[str], *, walk: bool = False, walk_timeout: int = 0,
              errors: Sequence[CollectError] = ()) -> Collection:
        """Turn parsed script output into a collection (pure; used by golden tests)."""
        from checks.host.parsers.files import parse_walk

        coll = Collection(errors=list(errors))
        parsers = _parsers()
        failed = {e.resource_type for e in errors}
        for t in types:
            if t in failed:
                continue
            try:
                if t == "host.filesystem":
                    coll.resources[t] = parse_walk(out if walk else None, walk_timeout)
                elif t in parsers:
                    coll.resources[t] = parsers[t](out)
                else:
                    coll.errors.append(CollectError(t, f"unknown host resource type {t}"))
            except FactError as exc:
                coll.errors.append(CollectError(t, str(exc)))
        try:
            os_res = _parsers()["host.os"](out)[0].attrs
            coll.facts = {"platform": "linux",
                          **{k: os_res[k] for k in ("pretty_name", "family", "kernel", "hostname", "is_root")}}
        except FactError as exc:
            coll.facts = {"error": str(exc)}
        return coll

    @staticmethod
    def _open(target: Target, ctx: CollectContext) -> Transport:
        if target.address in ("localhost", "") and not target.id.startswith("ssh://"):
            return LocalTransport(sudo=bool(target.options.get("sudo")))
        from checks.host.ssh import open_transport

        return open_transport(target, ctx)
