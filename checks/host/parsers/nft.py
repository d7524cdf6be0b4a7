"""nftables rulesets as text: ``nft list ruleset`` output and nftables configuration files.

Both use nft's own syntax; this reads what CIS Debian 12 (4.3.x) asks about: the tables, the base chains
(their hook and policy) and the rules of the chains on the ``input`` hook. A block form (``table inet
filter { chain input { type filter hook input priority 0; policy drop; ... } }``) and the command form
(``add table``, ``add chain ... { ... }``, ``add rule ...``) are read; anything else at the top level that
is not a known command (``flush``, ``define``, ``include``, ``delete``...) raises :class:`NftError`, as do
unbalanced braces and unterminated strings: a ruleset that cannot be read is never "no rules".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

#: Tokens one ruleset may hold at most (a bound on the work of one file).
MAX_TOKENS = 400_000
FAMILIES = ("ip", "ip6", "inet", "arp", "bridge", "netdev")
#: Top-level commands that add no table, chain or rule (``include`` is followed by the fact script).
_IGNORED = {"flush", "define", "redefine", "undefine", "include", "delete", "destroy", "reset", "list",
            "monitor", "describe", "export", "import", "replace", "create"}
_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|[{};]|\n|[^\s{};"#]+|#[^\n]*|[ \t\r]+')


class NftError(ValueError):
    """The text is not an nftables ruleset govscan can read; the message says where."""


@dataclass
class Chain:
    family: str
    table: str
    name: str
    hook: str | None = None
    type: str | None = None
    policy: str | None = None
    rules: list[list[str]] = field(default_factory=list)
    line: int = 0


@dataclass
class Ruleset:
    tables: list[str] = field(default_factory=list)
    chains: dict[tuple[str, str, str], Chain] = field(default_factory=dict)


def _tokens(text: str) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    line = 1
    pos = 0
    joined = False
    for m in _TOKEN.finditer(text):
        if m.start() != pos:
            raise NftError(f"line {line}: unterminated string or unexpected character")
        pos = m.end()
        tok = m.group()
        if tok == "\n":
            if not joined:  # a backslash at the end of a line continues the statement
                out.append((";", line))
            joined = False
            line += 1
        elif tok.startswith("#") or tok.isspace():
            continue
        elif tok == "\\":
            joined = True
        else:
            out.append((tok, line))
        if len(out) > MAX_TOKENS:
            raise NftError(f"more than {MAX_TOKENS} tokens: not read")
    if pos != len(text):
        raise NftError(f"line {line}: unterminated string or unexpected character")
    return out


def _statements(toks: list[tuple[str, int]], i: int, end_brace: bool) -> tuple[list[list[Any]], int]:
    """Statements (token lists; a ``{...}`` block is a nested list) up to the closing brace."""
    stmts: list[list[Any]] = []
    cur: list[Any] = []
    while i < len(toks):
        tok, line = toks[i]
        if tok == "{":
            block, i = _statements(toks, i + 1, True)
            cur.append(block)
            continue
        if tok == "}":
            if not end_brace:
                raise NftError(f"line {line}: '}}' without '{{'")
            if cur:
                stmts.append(cur)
            return stmts, i + 1
        if tok == ";":
            if cur:
                stmts.append(cur)
            cur = []
        else:
            cur.append((tok, line))
        i += 1
    if end_brace:
        raise NftError("a '{' is never closed")
    if cur:
        stmts.append(cur)
    return stmts, i


def _words(stmt: list[Any]) -> list[str]:
    return [t[0] for t in stmt if isinstance(t, tuple)]


def _flat(stmt: list[Any]) -> list[str]:
    out: list[str] = []
    for t in stmt:
        if isinstance(t, tuple):
            out.append(t[0])
        else:
            out.append("{")
            for s in t:
                out.extend(_flat(s))
                out.append(",")
            out.append("}")
    return out


def _family_name(words: list[str]) -> tuple[str, list[str]]:
    if words and words[0] in FAMILIES:
        return words[0], words[1:]
    return "ip", words


def _chain_spec(chain: Chain, stmts: list[list[Any]]) -> None:
    for stmt in stmts:
        w = _words(stmt)
        if not w:
            continue
        if w[0] == "type" and "hook" in w:
            chain.type = w[1] if len(w) > 1 else None
            chain.hook = w[w.index("hook") + 1] if w.index("hook") + 1 < len(w) else None
        elif w[0] == "policy" and len(w) > 1:
            chain.policy = w[1]
        elif w[0] in ("comment", "devices", "device"):
            continue
        else:
            chain.rules.append(_flat(stmt))


def parse(text: str) -> Ruleset:
    rs = Ruleset()
    stmts, _ = _statements(_tokens(text), 0, False)

    def table(family: str, name: str) -> None:
        if f"{family} {name}" not in rs.tables:
            rs.tables.append(f"{family} {name}")

    def chain(family: str, tbl: str, name: str, line: int) -> Chain:
        key = (family, tbl, name)
        if key not in rs.chains:
            rs.chains[key] = Chain(family, tbl, name, line=line)
        return rs.chains[key]

    for stmt in stmts:
        w = _words(stmt)
        if not w:
            continue
        line = stmt[0][1] if isinstance(stmt[0], tuple) else 0
        head = w[0]
        if head == "table":
            family, rest = _family_name(w[1:])
            if not rest:
                raise NftError(f"line {line}: table without a name")
            table(family, rest[0])
            body = next((t for t in stmt if isinstance(t, list)), [])
            for inner in body:
                iw = _words(inner)
                if iw[:1] == ["chain"] and len(iw) > 1:
                    c = chain(family, rest[0], iw[1], inner[0][1])
                    _chain_spec(c, next((t for t in inner if isinstance(t, list)), []))
        elif head in ("add", "create", "insert") and len(w) > 1 and w[1] in ("table", "chain", "rule"):
            family, rest = _family_name(w[2:])
            if not rest:
                raise NftError(f"line {line}: {head} {w[1]} without a table name")
            table(family, rest[0])
            if w[1] == "chain" or w[1] == "rule":
                if len(rest) < 2:
                    raise NftError(f"line {line}: {head} {w[1]} without a chain name")
                c = chain(family, rest[0], rest[1], line)
                if w[1] == "chain":
                    _chain_spec(c, next((t for t in stmt if isinstance(t, list)), []))
                else:
                    words = _flat(stmt)
                    c.rules.append(words[words.index(rest[1]) + 1:])
        elif head in _IGNORED or head.startswith("#!"):
            continue
        else:
            raise NftError(f"line {line}: {head!r} is not an nftables command govscan reads")
    return rs


_V4 = ("ip", "inet")
_V6 = ("ip6", "inet")


def analyse(rs: Ruleset, ipv6: bool | None) -> dict[str, Any]:
    """What CIS 4.3.4-4.3.8 and 4.3.10 read: tables, base chains per hook, default policy, loopback rules."""
    base = [c for c in rs.chains.values() if c.hook and c.family in ("ip", "ip6", "inet") and (c.type or "filter") == "filter"]
    missing_chains, not_drop = [], []
    for hook in ("input", "forward", "output"):
        chains = [c for c in base if c.hook == hook]
        fams = {"ipv4": _V4, "ipv6": _V6} if ipv6 is not False else {"ipv4": _V4}
        for label, accepted in fams.items():
            if not any(c.family in accepted for c in chains):
                missing_chains.append(f"{hook} ({label})")
            elif not any(c.family in accepted and c.policy in ("drop",) for c in chains):
                not_drop.append(f"{hook} ({label})")
    rules = [r for c in base if c.hook == "input" for r in c.rules]
    text = [" ".join(r) for r in rules]
    lo = any(re.search(r'\biif(name)? "?lo"? (.* )?accept\b', t) for t in text)
    v4 = any(re.search(r"\bip saddr 127\.0\.0\.0/8\b.*\bdrop\b", t) for t in text)
    v6 = any(re.search(r"\bip6 saddr ::1(/128)?\b.*\bdrop\b", t) for t in text)
    loop_missing = [n for n, ok in (('iif "lo" accept', lo), ("ip saddr 127.0.0.0/8 drop", v4)) if not ok]
    if ipv6 is not False and not v6:
        loop_missing.append("ip6 saddr ::1 drop")
    return {
        "tables": list(rs.tables),
        "base_chains": [f"{c.family} {c.table} {c.name}: hook {c.hook}, policy {c.policy or 'accept'}" for c in base],
        "base_chains_missing": missing_chains,
        "hooks_without_drop_policy": not_drop,
        "loopback_missing": loop_missing,
    }
