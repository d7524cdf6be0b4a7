"""Benchmark: govscan's host controls against OpenSCAP's CIS Debian 12 Level 1 Server profile, joined on CIS numbers.

OpenSCAP side: ``oscap xccdf eval --profile xccdf_org.ssgproject.content_profile_cis_level1_server`` with the
ComplianceAsCode v0.1.81 Debian 12 datastream (bench/ssg_datastream.py says where it comes from), in modes:

- ``machine-as-is``: the datastream unchanged on this machine. It sees a container (``/.dockerenv``) and no
  kernel package, so its ``machine`` and ``system_with_kernel`` platforms are false and those rules come
  back notapplicable.
- ``machine-host-like``: a copy of the datastream whose two container probes (``/.dockerenv``,
  ``/run/.containerenv``) look for files that do not exist, with Debian's ``linux-base`` package installed
  (the bench installs it with apt-get if missing, and says so): the rules run as on a VM. What they read is
  still this container: its /proc/sys is the host kernel's, nothing listens, systemd does not run.
- ``tree-minimal`` and ``tree-hardened``: ``oscap-chroot TREE`` on the debootstrap trees of
  tests/host/debootstrap.py (Debian 12 minbase + openssh-server, cron, linux-base; the hardened one through
  tests/host/harden_tree.sh), datastream unchanged (a tree has no /.dockerenv).

govscan side: its ``cis-debian12-l1-server`` profile (``--profile``), on this machine ``govscan scan local``
without and with the filesystem walk (``--input filesystem_walk=true``), and on each tree ``govscan scan
rootfs:TREE`` with the walk (a tree is read as files, no binary of it runs; runtime-only controls are
notchecked there).

The join: for each CIS id of the L1 Server profile, SSG's verdict combines the profile's rules carrying the
id (fail > error > pass > notapplicable) and govscan's combines the controls whose ``mappings`` carry it and
the profile's ``manual`` stand-in for the id, if any (findings of the walk run). Counted strictly: an id is "evaluated" by a tool when its verdict is pass, fail or
error (notapplicable, notchecked and notselected are not); errors and unknowns are never agreement. Every
id both evaluate is printed with both verdicts; each disagreement is judged in :data:`JUDGED` (keyed by SSG
rule: which tool is right per the CIS audit in the rule's description and OCIL text, printed beside it).

Wall time, CPU (user + system) and peak RSS of each child come from ``wait4``.

OpenSCAP takes about 7.5 minutes per machine mode: ``--keep DIR`` writes each run's results and timings
(``MODE.xml``, ``MODE.time.json``) there, and ``--reuse-oscap`` takes them from DIR instead of running OpenSCAP
again (the output says so), so govscan's side can be rerun against them after a content fix.

    python bench/host_vs_openscap.py [--modes machine-as-is,machine-host-like,tree-minimal,tree-hardened]
                                     [--profile cis-debian12-l1-server] [--repeat 3] [--keep DIR]
                                     [--reuse-oscap] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ssg_datastream as ssg  # noqa: E402

from host_vs_openscap_judged import JUDGED  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PROFILE = "cis_level1_server"
GOV_PROFILE = "cis-debian12-l1-server"
MODES = ("machine-as-is", "machine-host-like", "tree-minimal", "tree-hardened")
ORDER = {"fail": 5, "error": 4, "unknown": 4, "notchecked": 3, "pass": 2, "notapplicable": 1, "notselected": 0,
         "informational": 2, "fixed": 2, "absent": 0}
GOVSCAN = str(Path(sys.executable).with_name("govscan")) if Path(sys.executable).with_name("govscan").exists() \
    else "govscan"
CHILD_ENV = dict(os.environ)
if CHILD_ENV.pop("PYTHONDONTWRITEBYTECODE", None):
    CHILD_ENV["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="govscan-bench-pyc-")


def timed(argv: list[str]) -> tuple[float, float, int, int]:
    """Run argv; (wall s, CPU s, peak RSS MiB of the child and its waited-for children, exit code)."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, env=CHILD_ENV)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1, 2):  # oscap: 2 = some rule failed; govscan: 1 = gate failed
            err.seek(0)
            raise SystemExit(f"{argv[0]} exited {code}: {err.read().decode(errors='replace')[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss // 1024, code


CONTAINER_PROBE = re.compile(r"(<unix:filepath[^>]*>)(/\.dockerenv|/run/\.containerenv)(</unix:filepath>)")
KERNEL_TEST = re.compile(r'(<linux:dpkginfo_test id="oval:ssg-inventory_test_kernel_installed:tst:1"[^>]*'
                         r'check_existence=")all_exist(")')


def datastreams(work: Path) -> dict[str, Path]:
    """The datastream as plain XML under ``work``: ``plain`` (unchanged), ``hostlike`` (container probes look
    for files that do not exist) and ``tree`` (its kernel-package platform test always holds: see run_oscap)."""
    plain = work / "ssg-debian12-ds.xml"
    names = {"plain": plain, "hostlike": work / "ssg-debian12-ds-hostlike.xml", "tree": work / "ssg-debian12-ds-tree.xml"}
    if all(p.exists() and p.stat().st_size for p in names.values()):
        return names  # a --keep DIR of an earlier run (an OpenSCAP run may still be reading them)
    src = ssg.DS_XZ
    if src.suffix == ".xz":
        with open(plain, "wb") as out:
            subprocess.run(["xz", "-dc", str(src)], stdout=out, check=True)
    else:
        shutil.copyfile(src, plain)
    text = plain.read_text()
    hostlike, n = CONTAINER_PROBE.subn(r"\1/nonexistent-govscan-bench\2\3", text)
    tree, k = KERNEL_TEST.subn(r"\1any_exist\2", text)
    if n != 2 or k != 1:
        raise SystemExit(f"{src}: expected 2 container probes and 1 kernel-package test, found {n} and {k}")
    (work / "ssg-debian12-ds-hostlike.xml").write_text(hostlike)
    (work / "ssg-debian12-ds-tree.xml").write_text(tree)
    return {"plain": plain, "hostlike": work / "ssg-debian12-ds-hostlike.xml", "tree": work / "ssg-debian12-ds-tree.xml"}


def linux_base_installed(root: Path = Path("/")) -> bool:
    status = (root / "var/lib/dpkg/status").read_text(errors="replace")
    return re.search(r"^Package: linux-base\nStatus: install ok installed$", status, re.M) is not None


def ensure_linux_base() -> bool:
    """Install Debian's linux-base here if missing; True when this call installed it (main() removes it after)."""
    if linux_base_installed():
        return False
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "linux-base"], check=True,
                   capture_output=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    return True


def remove_linux_base() -> None:
    subprocess.run(["apt-get", "purge", "-y", "-qq", "linux-base"], check=True, capture_output=True,
                   env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def oscap_results(path: Path) -> dict[str, str]:
    x = ssg.X
    return {(rr.get("idref") or "").removeprefix(ssg.RULE): (rr.findtext(f"{x}result") or "unknown")
            for rr in ET.parse(path).getroot().iter(f"{x}rule-result")}


def govscan_results(db: Path) -> dict[str, str]:
    """control -> verdict over its resources on the local target (fail > error > notchecked > pass > n/a)."""
    sys.path.insert(0, str(ROOT))
    from scanner.store import Store

    store = Store(str(db), create=False)
    try:
        out: dict[str, str] = {}
        for row in store.view().findings():
            cur = out.get(row["control_id"])
            if cur is None or ORDER[row["status"]] > ORDER[cur]:
                out[row["control_id"]] = row["status"]
        return out
    finally:
        store.close()


def govscan_cis() -> dict[str, tuple[str, ...]]:
    """CIS id -> host controls carrying it, and the control id that stands for it when a profile lists it as
    manual (``cis-debian-12-manual-...``: absent from the findings unless the profile lists the id)."""
    sys.path.insert(0, str(ROOT))
    from scanner.policy.benchmark import manual_id
    from scanner.policy.loader import load

    out: dict[str, list[str]] = {}
    for cid, c in load([ROOT / "policies" / "controls" / "host"], builtin=False).controls.items():
        for cis_id in c.mappings.get("cis-debian-12", ()):
            out.setdefault(cis_id, []).append(cid)
    return {k: tuple(sorted(v)) + (manual_id("cis-debian-12", k),) for k, v in out.items()}


def combine(results: list[str]) -> str:
    decided = [r for r in results if r not in ("notselected", "absent")]
    if not decided:
        return "absent"
    top = max(decided, key=lambda r: ORDER[r])
    return {"unknown": "error", "informational": "pass", "fixed": "pass"}.get(top, top)


def evaluated(verdict: str) -> bool:
    return verdict in ("pass", "fail", "error")


def run_oscap(mode: str, ds: dict[str, Path], work: Path, trees: object) -> tuple[tuple[float, float, int, int], Path]:
    """One oscap run. Tree modes use the ``tree`` copy: under oscap-chroot 1.3.7 the CPE platform check
    ``system_with_kernel`` (dpkginfo linux-base) is false although the tree has linux-base installed (the rules'
    own dpkginfo checks do see the tree's packages), which would make 203 rules notapplicable; the copy lets
    that test hold, after this function has read ``Status: install ok installed`` for linux-base in the tree."""
    res = work / f"{mode}.xml"
    profile = ssg.PROFILE + PROFILE
    if mode.startswith("machine-"):
        argv = ["oscap", "xccdf", "eval", "--profile", profile, "--results", str(res),
                str(ds["plain" if mode == "machine-as-is" else "hostlike"])]
    else:
        tree = getattr(trees, mode.removeprefix("tree-"))
        if not linux_base_installed(tree):
            raise SystemExit(f"{tree}: linux-base is not installed in the tree")
        argv = ["oscap-chroot", str(tree), "xccdf", "eval", "--profile", profile, "--results", str(res), str(ds["tree"])]
    return timed(argv), res


def judged(rule: str, mode: str) -> tuple[str, str] | None:
    return JUDGED.get(f"{rule}@{mode}") or JUDGED.get(rule)


def judge_lines(cis_id: str, rules: tuple[str, ...], ssg_res: dict[str, str], mode: str) -> list[str]:
    out = []
    for r in rules:
        if ssg_res.get(r) in ("pass", "fail", "error", "unknown") and judged(r, mode):
            right, why = judged(r, mode)  # type: ignore[misc]
            out.append(f"      judge [{r}]: {right} is right: {why}")
    if not out:
        rule = ssg.rules()[rules[0]]
        audit = (rule.ocil or rule.description)[:240]
        out.append(f"      UNJUDGED ({cis_id}); CIS audit per SSG: {audit}")
    return out


def join(ssg_res: dict[str, str], gov: dict[str, str], label: str) -> dict[str, int]:
    l1 = ssg.profile_ids(PROFILE)
    mapped = govscan_cis()
    both = [i for i in l1 if i in mapped]
    rows, classes = [], Counter()
    for cis_id in both:
        s = combine([ssg_res.get(r, "absent") for r in l1[cis_id]])
        g = combine([gov.get(c, "absent") for c in mapped[cis_id]])
        if not (evaluated(s) and evaluated(g)):
            classes[f"not both evaluated (ssg {s}, govscan {g})"] += 1
            continue
        cls = "agree" if s == g and s != "error" else "disagree"
        classes[cls] += 1
        rows.append((cis_id, s, g, cls))
    n = classes["agree"] + classes["disagree"]
    print(f"\n== join on CIS ids, SSG {label} vs govscan (walk run): {len(l1)} ids in the L1 Server profile, "
          f"{len(both)} mapped by govscan controls, {n} evaluated by both")
    print(f"   agree {classes['agree']}, disagree {classes['disagree']}"
          f" -> {100 * classes['agree'] / max(n, 1):.1f} % agreement (errors count as disagreement)")
    for k, v in sorted(classes.items()):
        if k.startswith("not both"):
            print(f"   {v:3d} {k}")
    verdicts = Counter()
    for cis_id, _, _, cls in rows:
        if cls != "agree":
            who = [judged(r, label)[0] for r in l1[cis_id]  # type: ignore[index]
                   if judged(r, label) and ssg_res.get(r) in ("pass", "fail", "error", "unknown")]
            verdicts[who[0] if who else "unjudged"] += 1
    if verdicts:
        print("   disagreements judged right: " + ", ".join(f"{k} {v}" for k, v in verdicts.most_common()))
    print(f"   {'CIS':10} {'SSG':6} {'govscan':8} rules = results | controls = results")
    for cis_id, s, g, cls in rows:
        rules = l1[cis_id]
        mark = "  " if cls == "agree" else "!!"
        detail = ", ".join(f"{r}={ssg_res.get(r, 'absent')}" for r in rules)
        ctrl = ", ".join(f"{c}={gov[c]}" for c in mapped[cis_id] if c in gov)
        print(f"{mark} {cis_id:10} {s:6} {g:8} {detail} | {ctrl}")
        if cls != "agree":
            print("\n".join(judge_lines(cis_id, rules, ssg_res, label)))
    return {"shared": n, "agree": classes["agree"], "disagree": classes["disagree"], **dict(verdicts)}


def summary(label: str, res: dict[str, str], t: tuple[float, float, int, int]) -> None:
    sel = [res.get(r, "absent") for r in ssg.profile_rules(PROFILE)]
    counts = Counter(sel)
    ids = ssg.profile_ids(PROFILE)
    idv = Counter(combine([res.get(r, "absent") for r in rules]) for rules in ids.values())
    print(f"  oscap {label:18} {t[0]:7.1f} s  CPU {t[1]:6.1f} s  peak RSS {t[2]:4d} MiB  rules: "
          + ", ".join(f"{k} {v}" for k, v in counts.most_common())
          + "; CIS ids: " + ", ".join(f"{k} {v}" for k, v in idv.most_common()))


def oscap_mode(mode: str, ds: dict[str, Path], work: Path, trees: object, reuse: bool) -> tuple[list[float], Path]:
    """(wall, CPU, peak RSS, exit) and results file of one OpenSCAP mode: run now, or an earlier --keep run's."""
    timing = work / f"{mode}.time.json"
    if reuse and timing.exists() and (work / f"{mode}.xml").exists():
        t = json.loads(timing.read_text())
        print(f"  (reused {work / mode}.xml of {t['when']}, load average then {t['load']})")
        return t["t"], work / f"{mode}.xml"
    load = os.getloadavg()[0]
    installed = False
    if mode == "machine-as-is" and linux_base_installed():
        print("  (machine-as-is: linux-base is installed on this machine, so its kernel rules apply)")
    if mode == "machine-host-like":
        installed = ensure_linux_base()
        print(f"  (machine-host-like: container probes pointed at nonexistent files; linux-base "
              f"{'installed by the bench for this run' if installed else 'already installed'})")
    try:
        t, path = run_oscap(mode, ds, work, trees)
    finally:
        if installed:
            remove_linux_base()
    load = max(load, os.getloadavg()[0])
    timing.write_text(json.dumps({"t": list(t), "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                                  "load": round(load, 1)}))
    return list(t), path


def govscan_runs(target: str, walk: bool, repeat: int, work: Path, profile: str,
                 label: str) -> tuple[list[float], dict[str, str]]:
    """``repeat`` govscan scans of target: (median wall, median CPU, max peak RSS, exit) and the last run's verdicts."""
    runs = []
    name = re.sub(r"[^A-Za-z0-9]+", "-", target).strip("-")
    for i in range(repeat):
        db = work / f"gov-{name}-{walk}-{i}.db"
        db.unlink(missing_ok=True)
        argv = [GOVSCAN, "scan", target, "-p", profile, "--db", str(db), "--quiet", "--gate", "none"]
        runs.append(timed(argv + (["--input", "filesystem_walk=true"] if walk else [])))
    med = sorted(runs)[len(runs) // 2]
    got = govscan_results(db)
    t = [med[0], sorted(r[1] for r in runs)[len(runs) // 2], max(r[2] for r in runs), med[3]]
    print(f"  govscan {label:18} {'with walk' if walk else 'no walk  '} {t[0]:6.2f} s  CPU {t[1]:5.2f} s  peak "
          f"RSS {t[2]:4d} MiB (median of {repeat}: " + ", ".join(f"{r[0]:.2f}" for r in runs) + "); controls: "
          + ", ".join(f"{k} {v}" for k, v in Counter(got.values()).most_common()))
    return t, got


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--profile", default=GOV_PROFILE, help="govscan's profile (default %(default)s)")
    parser.add_argument("--repeat", type=int, default=3, help="govscan runs per target (oscap runs once)")
    parser.add_argument("--keep", type=Path, help="keep the results files (and OpenSCAP's timings) in this directory")
    parser.add_argument("--reuse-oscap", action="store_true",
                        help="take OpenSCAP's results and timings from an earlier --keep DIR run where present")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON to this file")
    args = parser.parse_args()
    figures: dict[str, Any] = {"oscap": {}, "govscan": {}, "join": {}, "ratio": {}}
    modes = [m for m in args.modes.split(",") if m]
    if bad := [m for m in modes if m not in MODES]:
        raise SystemExit(f"unknown mode {bad}; known: {', '.join(MODES)}")
    if args.reuse_oscap and not args.keep:
        raise SystemExit("--reuse-oscap needs --keep DIR (where the earlier run's results are)")
    for tool in ("oscap", "oscap-chroot"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} not installed: apt-get install openscap-scanner openscap-utils")
    work = args.keep or Path(tempfile.mkdtemp(prefix="govscan-bench-oscap-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start")
    try:
        ds = datastreams(work)
        trees = None
        if any(m.startswith("tree-") for m in modes):
            sys.path.insert(0, str(ROOT / "tests" / "host"))
            import debootstrap

            try:
                trees = debootstrap.trees()
                print(f"debootstrap trees: {trees.minimal.parent} (build took {trees.build_seconds:.0f} s"
                      f"{', cached' if trees.cached else ''})")
            except debootstrap.TreesUnavailable as exc:
                print(f"debootstrap trees unavailable, tree modes skipped: {exc}")
                modes = [m for m in modes if not m.startswith("tree-")]
        version = subprocess.run(["oscap", "--version"], capture_output=True, text=True).stdout.split()[5]
        print(f"OpenSCAP {version}, {ssg.DS_XZ.name}, profile {PROFILE} "
              f"({len(ssg.profile_rules(PROFILE))} rules, {len(ssg.profile_ids(PROFILE))} CIS ids); govscan {args.profile}")
        results: dict[str, dict[str, str]] = {}
        for mode in modes:
            t, path = oscap_mode(mode, ds, work, trees, args.reuse_oscap)
            results[mode] = oscap_results(path)
            figures["oscap"][mode] = {"wall_s": round(t[0], 2), "cpu_s": round(t[1], 2), "peak_rss_mib": t[2]}
            summary(mode, results[mode], (t[0], t[1], int(t[2]), int(t[3])))

        gov: dict[str, dict[str, str]] = {}
        targets = {"local": "local"} if any(m.startswith("machine-") for m in modes) else {}
        targets.update({m: f"rootfs:{getattr(trees, m.removeprefix('tree-'))}" for m in modes if m.startswith("tree-")})
        for key, target in targets.items():
            for walk in ((False, True) if key == "local" else (True,)):
                t, got = govscan_runs(target, walk, args.repeat, work, args.profile,
                                      "local" if key == "local" else f"rootfs:{key}")
                figures["govscan"][f"{key} {'with' if walk else 'no'} walk"] = {
                    "wall_s": round(t[0], 2), "cpu_s": round(t[1], 2), "peak_rss_mib": t[2]}
                if walk:
                    gov[key] = got
        for mode in modes:
            fig = figures["govscan"][f"{'local' if mode.startswith('machine-') else mode} with walk"]
            ratio = figures["oscap"][mode]["wall_s"] / max(fig["wall_s"], 0.01)
            figures["ratio"][mode] = round(ratio, 1)
            print(f"  {mode}: OpenSCAP took {ratio:.1f}x govscan's wall time (walks included), "
                  f"{figures['oscap'][mode]['cpu_s'] / max(fig['cpu_s'], 0.01):.1f}x its CPU")
        for mode in modes:
            figures["join"][mode] = join(results[mode], gov["local" if mode.startswith("machine-") else mode], mode)
        if "tree-minimal" in results and "tree-hardened" in results:
            ids = ssg.profile_ids(PROFILE)
            flips = [(i, combine([results["tree-minimal"].get(r, "absent") for r in rules]),
                      combine([results["tree-hardened"].get(r, "absent") for r in rules])) for i, rules in ids.items()]
            flips = [f for f in flips if f[1] != f[2]]
            print(f"\n== trees: {len(flips)} CIS ids change verdict from minimal to hardened (SSG):")
            print("   " + ", ".join(f"{i} {a}->{b}" for i, a, b in flips))
        print(f"\nload average {os.getloadavg()[0]:.1f} at the end")
        if args.json:
            Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(CHILD_ENV.get("PYTHONPYCACHEPREFIX", "/nonexistent"), ignore_errors=True)


if __name__ == "__main__":
    main()
