"""``host.sshd``: the effective sshd configuration, globally and for each ``Match`` block.

Resources:

- ``sshd``: the global effective configuration, from ``sshd -T`` (``source: sshd -T``); when ``sshd -T``
  cannot run (no ``/run/sshd`` on a host where sshd never ran, no root), from the configuration files
  with OpenSSH's defaults for the installed version (``source: config-files``, ``sshd_t_error`` says why).
- ``sshd[Match <criteria>]``, one per Match block: the configuration a connection matching that block
  gets: the global values overridden by the block's keywords. Each block is evaluated on its own, so a
  value is reported even when an earlier block matching the same connections shadows it (sshd keeps the
  first value a matching block sets): that may over-report, never hide a non-compliant value.

``sources`` gives the file and line of every keyword set in the files (and, for a Match resource, the
criteria and line of its block), which findings carry as ``evidence.locations``.
"""

from __future__ import annotations

from typing import Any

from checks.host.parsers import FactError
from checks.host.parsers.common import int_or_none, preamble, require, to_int
from checks.host.parsers.sshd_conf import SSHD_CONFIG, Directive, MatchBlock, SshdConfig, read_config
from checks.host.parsers.sshd_values import ALIASES, SUPPORTED, defaults, normalise, parse_version
from checks.host.script import FileChunk, Output, split_files
from scanner.model import Resource

#: sshd -T keywords that may appear several times: kept as lists of their values.
MULTI = {"listenaddress", "hostkey", "acceptenv", "subsystem", "authorizedkeysfile", "setenv",
         "permitopen", "permitlisten", "include", "hostcertificate", "allowusers", "denyusers",
         "allowgroups", "denygroups", "port", "channeltimeout", "authenticationmethods"}
#: sshd -T keywords whose value is a comma-separated algorithm list.
COMMA = {"ciphers", "macs", "kexalgorithms", "hostkeyalgorithms", "pubkeyacceptedalgorithms",
         "pubkeyacceptedkeytypes", "hostbasedacceptedalgorithms", "casignaturealgorithms", "gssapikexalgorithms"}
#: Lists every line of the files adds to (one value a word); absent when never set.
ACCUMULATE = frozenset({"allowusers", "denyusers", "allowgroups", "denygroups", "acceptenv"})
#: Keywords sshd -T does not print unless set.
ABSENT_UNSET = ACCUMULATE | {"include", "hostcertificate"}
#: Keywords that appeared in a release: absent from older ones, as in their sshd -T.
INTRODUCED = {"requiredrsasize": (9, 1), "channeltimeout": (9, 2), "unusedconnectiontimeout": (9, 2),
              "persourcemaxstartups": (8, 5), "persourcenetblocksize": (8, 5), "modulifile": (8, 5)}
_SPECIAL = ("sshd-T", "sshd-T-status", "ssh-G")
MAX_BLOCKS = 256
"""Match blocks (with keywords) evaluated at most; more make the Match part an error."""


def lines_to_attrs(lines: list[str]) -> dict[str, Any]:
    """``sshd -T`` lines -> attributes (lists for repeatable keywords and algorithm lists, integers)."""
    attrs: dict[str, Any] = {}
    for line in lines:
        key, _, value = line.strip().partition(" ")
        if not key:
            continue
        key, value = key.lower(), value.strip()
        if key in MULTI:
            attrs.setdefault(key, []).append(to_int(value) if key == "port" else value)
        elif key in COMMA:
            attrs[key] = [v for v in value.split(",") if v]
        else:
            attrs[key] = to_int(value)
    if isinstance(attrs.get("maxstartups"), str):
        parts = str(attrs["maxstartups"]).split(":")
        attrs["maxstartups_start"] = int_or_none(parts[0])
        attrs["maxstartups_full"] = int_or_none(parts[-1])
    elif isinstance(attrs.get("maxstartups"), int):
        attrs["maxstartups_start"] = attrs["maxstartups_full"] = attrs["maxstartups"]
    return attrs


def parse_sshd(out: Output) -> list[Resource]:
    """``host.sshd``: the global resource and one per Match block (see the module docstring)."""
    sec = out.get("sshd")
    pre, chunks = split_files(sec.stdout, out.marker)
    notes, _ = preamble(pre)
    if notes.get("GS_INSTALLED") == "0" and sec.ok:
        return [Resource("sshd", "host.sshd", {"installed": False})]
    require(sec, "effective sshd configuration")
    by = {c.path: c for c in chunks}
    if "sshd-T-status" not in by:
        raise FactError("effective sshd configuration could not be read: the fact script's output is incomplete")
    status = by["sshd-T-status"].text.split("\n")
    rc = int_or_none(status[0].removeprefix("rc=")) if status else None
    version = notes.get("GS_VERSION", "")
    conf: SshdConfig | None = None
    conf_error = ""
    try:
        conf = read_config([c for c in chunks if c.path not in _SPECIAL])
    except FactError as exc:
        conf_error = str(exc)
    if rc == 0:
        attrs = lines_to_attrs(by["sshd-T"].text.split("\n"))
        if len(attrs) < 10:  # sshd -T always prints dozens of keywords
            raise FactError("effective sshd configuration (sshd -T) could not be read: output is incomplete")
        errors: dict[str, str] = {}
        attrs["source"] = "sshd -T"
        via = "sshd -T"
    else:
        err = " ".join(" ".join(status[1:]).split())[:300]
        why = (f"sshd -T failed (exit {rc}){': ' + err if err else ''}" if not out.root else
               "sshd -T not run: a file tree (rootfs: target) is read, its programs are not run")
        if conf is None:
            raise FactError(f"effective sshd configuration could not be read: {why}; {conf_error}")
        attrs, errors = from_files(conf, version, _ssh_g(by.get("ssh-G"), notes, version), why)
        attrs.update(source="config-files", sshd_t_error=why)
        via = "config-files"
    attrs["installed"] = True
    attrs["version"] = version
    if conf is not None:
        attrs["config_files"] = list(conf.files)
    else:
        errors["config_files"] = conf_error
    sources = _global_sources(conf, via) if conf is not None else {}
    resources = [Resource("sshd", "host.sshd", attrs, attr_errors=errors, sources=sources)]
    if conf is None:
        # sshd -T ran but the files it read are not all readable here: Match blocks could hide anything
        resources.append(Resource("sshd[Match]", "host.sshd", {"installed": True},
                                  error=f"the Match blocks of {SSHD_CONFIG} could not be read: {conf_error}"))
        return resources
    blocks = [b for b in conf.blocks if b.directives]
    if len(blocks) > MAX_BLOCKS:  # each block becomes a resource: bound what a host can make us build
        resources.append(Resource("sshd[Match]", "host.sshd", {"installed": True},
                                  error=f"{SSHD_CONFIG} and its Includes hold {len(blocks)} Match blocks; govscan "
                                        f"evaluates at most {MAX_BLOCKS}"))
        return resources
    base = defaults(parse_version(version))
    # (blocks without keywords, e.g. a closing `Match all`, differ in nothing from the global resource)
    seen: set[str] = set()
    for block in blocks:
        rid = f"sshd[Match {_printable(block.criteria)[:200]}]"
        if rid in seen:
            rid = f"{rid}@{block.where()}"
        seen.add(rid)
        resources.append(match_resource(rid, block, resources[0], base))
    return resources


def _ssh_g(chunk: FileChunk | None, notes: dict[str, str], version: str) -> dict[str, str]:
    """The algorithm defaults ``ssh -G`` printed, when the client is the same OpenSSH version as sshd (8.5+)."""
    if chunk is None or chunk.state != "ok":
        return {}
    ver = parse_version(version)
    # same build only; from 8.5 the client's default lists are defined as the server's (myproposal.h)
    if ver is None or ver < (8, 5) or parse_version(notes.get("GS_SSH_VERSION", "")) != ver:
        return {}
    out = {}
    for line in chunk.text.split("\n"):
        key, _, value = line.partition(" ")
        if key in ("ciphers", "macs", "kexalgorithms") and value:
            out[key] = value.strip()
    return out


def _first_values(directives: list[Directive]) -> dict[str, list[Directive]]:
    """keyword -> the directive(s) that decide it: the first one (sshd keeps the first value), or all
    of them for keywords whose lines add up (AllowUsers, AcceptEnv...)."""
    out: dict[str, list[Directive]] = {}
    for d in directives:
        kw = ALIASES.get(d.keyword, d.keyword)
        if kw in ACCUMULATE:
            out.setdefault(kw, []).append(d)
        elif kw not in out:
            out[kw] = [d]
    return out


def from_files(conf: SshdConfig, version: str, compiled: dict[str, str], why: str) -> tuple[dict[str, Any], dict[str, str]]:
    """Global attributes from the files plus the version's defaults; keywords that cannot be told are errors."""
    from checks.host.resources import SSHD_KEYWORDS

    ver = parse_version(version)
    known = {**defaults(ver), **compiled}
    shown = version.split(",")[0] or "this OpenSSH version"
    lines: list[str] = []
    errors: dict[str, str] = {}
    decided = _first_values(conf.directives)
    for kw in sorted(set(SSHD_KEYWORDS) | set(decided)):
        found = decided.get(kw)
        if found:
            if kw in ACCUMULATE:
                lines.extend(f"{kw} {word}" for d in found for word in d.args)
                continue
            if kw not in SUPPORTED:
                errors[kw] = f"set at {found[0].where()}; govscan reads its value only through sshd -T ({why})"
                continue
            try:
                lines.append(f"{kw} {normalise(kw, found[0].args, known.get(kw))}")
            except ValueError as exc:
                errors[kw] = f"{found[0].where()}: {kw}: {exc}"
        elif kw in known:
            lines.append(f"{kw} {known[kw]}")
        elif kw in ABSENT_UNSET or (ver is not None and kw in INTRODUCED and ver < INTRODUCED[kw]):
            continue
        else:
            errors[kw] = (f"not set in the configuration files, and govscan does not know its default for {shown} "
                          f"({why})")
    return lines_to_attrs(lines), errors


def _global_sources(conf: SshdConfig, via: str) -> dict[str, tuple[dict[str, Any], ...]]:
    out: dict[str, tuple[dict[str, Any], ...]] = {}
    for kw, found in _first_values(conf.directives).items():
        out[kw] = tuple({"path": d.path, "line": d.line, "source": via} for d in found)
        if kw == "maxstartups":
            out["maxstartups_start"] = out["maxstartups_full"] = out[kw]
    return out


def match_resource(rid: str, block: MatchBlock, glob: Resource, base: dict[str, str]) -> Resource:
    """The configuration of a connection matching ``block``: the global one with the block's keywords."""
    attrs = dict(glob.attrs)
    errors = dict(glob.attr_errors)
    sources = dict(glob.sources)
    decided: dict[str, list[Directive]] = {}
    for d in block.directives:
        kw = ALIASES.get(d.keyword, d.keyword)
        if kw in ACCUMULATE or kw not in decided:
            decided.setdefault(kw, []).append(d)
    for kw, found in decided.items():
        sources[kw] = tuple({"path": d.path, "line": d.line, "match": block.criteria, "match_line": block.line}
                            for d in found)
        errors.pop(kw, None)
        attrs.pop(kw, None)
        if kw in ACCUMULATE:
            attrs.update(lines_to_attrs([f"{kw} {word}" for d in found for word in d.args]))
            continue
        if kw not in SUPPORTED:
            errors[kw] = (f"set at {found[0].where()} in Match {block.criteria} ({block.where()}); govscan does not "
                          "interpret this keyword in a Match block")
            continue
        try:
            attrs.update(lines_to_attrs([f"{kw} {normalise(kw, found[0].args, base.get(kw))}"]))
        except ValueError as exc:
            errors[kw] = f"{found[0].where()}: {kw}: {exc}"
    attrs["match"] = block.criteria
    attrs["match_location"] = block.where()
    return Resource(rid, "host.sshd", attrs, attr_errors=errors, sources=sources)


def _printable(text: str) -> str:
    """Criteria from the host as an id may show them: control characters escaped, never raw."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
