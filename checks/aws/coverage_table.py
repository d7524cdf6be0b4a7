"""The AWS coverage table of docs/aws.md, computed from the shipped controls.

    python -m checks.aws.coverage_table            # print the table
    python -m checks.aws.coverage_table --write    # rewrite it in docs/aws.md (between the markers)
    python -m checks.aws.coverage_table --check    # exit 1 when docs/aws.md's table is not this one

Controls per service (the resource type's second part: ``aws.s3.bucket`` -> ``s3``), CIS AWS
Foundations v7.0.0 automated recommendations covered (``cis-aws-foundations-7.0`` mappings against
policies/frameworks/cis-aws-foundations-7.0.json), FedRAMP rev5 Moderate controls evidenced
(``fedramp-rev5`` mappings against the Moderate baseline) and Prowler checks mapped (``prowler``
mappings) per Prowler service. Deprecated controls do not count.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Iterable

START = "<!-- aws-coverage: start (python -m checks.aws.coverage_table --write) -->"
END = "<!-- aws-coverage: end -->"
DOC = Path(__file__).resolve().parents[2] / "docs" / "aws.md"


def _framework(name: str) -> dict[str, Any]:
    import policies

    data: dict[str, Any] = json.loads((policies.FRAMEWORKS / f"{name}.json").read_text())
    return data


def aws_controls() -> list[Any]:
    """The shipped AWS controls (built-in policies), deprecated ones left out."""
    from scanner.policy import collect

    pack = collect(builtin=True)
    return sorted((c for c in pack.controls.values() if c.provider == "aws" and c.status != "deprecated"),
                  key=lambda c: c.id)


def service_of(resource_type: str) -> str:
    parts = resource_type.split(".")
    return parts[1] if len(parts) > 1 else resource_type


def _ids(controls: Iterable[Any], framework: str) -> set[str]:
    return {str(i) for c in controls for i in c.mappings.get(framework, ())}


def _key(rec: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in rec.split("."))


def render(controls: list[Any] | None = None) -> str:
    """The Markdown between the markers."""
    controls = aws_controls() if controls is None else controls
    lines: list[str] = []
    per_service: dict[str, list[Any]] = defaultdict(list)
    for c in controls:
        per_service[service_of(c.resource)].append(c)
    lines += [f"{len(controls)} AWS controls over {len(per_service)} services.", "",
              "| service | controls | resource types |", "|---|---:|---|"]
    for svc in sorted(per_service):
        types = sorted({c.resource for c in per_service[svc]})
        lines.append(f"| {svc} | {len(per_service[svc])} | {', '.join(f'`{t}`' for t in types)} |")

    cis = _framework("cis-aws-foundations-7.0")["recommendations"]
    automated = sorted((r for r, v in cis.items() if v.get("assessment") == "automated"), key=_key)
    claimed = _ids(controls, "cis-aws-foundations-7.0")
    covered = [r for r in automated if r in claimed]
    uncovered = [r for r in automated if r not in claimed]
    manual_claimed = sorted((r for r in claimed if cis.get(r, {}).get("assessment") == "manual"), key=_key)
    lines += ["", f"**CIS AWS Foundations v7.0.0**: {len(covered)} of {len(automated)} automated recommendations "
              f"covered by a control (`cis-aws-foundations-7.0` mapping)"
              + (f"; manual recommendations also checked: {', '.join(manual_claimed)}" if manual_claimed else "")
              + ".", "", "Automated recommendations not covered: "
              + (", ".join(uncovered) if uncovered else "none") + "."]

    moderate = set(_framework("fedramp-rev5-moderate")["ids"])
    evidenced = sorted(_ids(controls, "fedramp-rev5") & moderate, key=lambda i: (i.split("-")[0], _key(i.split("-")[1])))
    lines += ["", f"**FedRAMP rev5 Moderate**: {len(evidenced)} of the baseline's {len(moderate)} controls "
              "evidenced by at least one AWS control (`fedramp-rev5` mapping): "
              + (", ".join(evidenced) if evidenced else "none") + "."]

    checks = _framework("prowler-aws-checks")["checks"]
    mapped = _ids(controls, "prowler") & set(checks)
    in_service = Counter(v["service"] for v in checks.values())
    mapped_by = Counter(checks[c]["service"] for c in mapped)
    total = sum(in_service[s] for s in mapped_by)
    lines += ["", f"**Prowler {_framework('prowler-aws-checks')['version']}**: {len(mapped)} checks mapped "
              f"(`prowler` mapping) of the {total} checks in the {len(mapped_by)} Prowler services they belong "
              f"to ({len(checks)} AWS checks in all).", ""]
    if mapped_by:
        lines += ["| Prowler service | checks mapped | checks in the service |", "|---|---:|---:|"]
        lines += [f"| {s} | {mapped_by[s]} | {in_service[s]} |" for s in sorted(mapped_by)]
        lines.append("")
    return "\n".join(lines)


def current(text: str) -> str | None:
    """The table now in ``text`` (between the markers), or None without markers."""
    if START not in text or END not in text:
        return None
    return text.split(START, 1)[1].split(END, 1)[0].strip("\n")


def write(path: Path | None = None) -> bool:
    """Rewrite the table in ``path`` (docs/aws.md); True when it changed."""
    path = path or DOC
    text = path.read_text()
    if START not in text:
        raise SystemExit(f"{path}: no line {START!r} to write after")
    head, rest = text.split(START, 1)
    new = head + START + "\n" + render() + "\n" + END + rest.split(END, 1)[1]
    path.write_text(new)
    return new != text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--write", action="store_true", help="rewrite the table in docs/aws.md")
    ap.add_argument("--check", action="store_true", help="exit 1 if docs/aws.md's table differs")
    args = ap.parse_args(argv)
    if args.write:
        print(f"{DOC}: {'updated' if write() else 'unchanged'}")
        return 0
    if args.check:
        ok = current(DOC.read_text()) == render().strip("\n")
        print(f"{DOC}: {'up to date' if ok else 'out of date: run python -m checks.aws.coverage_table --write'}")
        return 0 if ok else 1
    print(render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
