"""Real Debian 12 file trees made with ``debootstrap``, built at most once per machine.

Two trees, both ``debootstrap --variant=minbase`` of bookworm plus :data:`INCLUDE`:

- ``minimal``: as debootstrap leaves it (Debian's defaults: nothing hardened);
- ``hardened``: a copy of it to which ``tests/host/harden_tree.sh`` applied a handful of CIS Debian 12
  v1.1.0 settings (sshd drop-in, login.defs, sysctl.d, modprobe.d, file permissions; sudo, su, PAM, shell
  start-up files, journald, rsyslog, /var/log, audit rules and files, AIDE).

The Debian mirror comes from this machine's apt configuration at run time (:func:`apt_mirror`: the first
``deb`` source serving ``bookworm`` ``main``, with its ``Signed-By`` keyring); no host is written here.
Trees are cached under :data:`CACHE` (``GOVSCAN_TEST_TREES`` overrides it) in a directory named by a hash
of the build steps and the hardening script (:func:`cache_key`), so changing either rebuilds them; a ``complete`` file written last
marks a finished build and records how long it took. A lock serialises concurrent test runs. The build
is bounded by ``timeout`` seconds; a failed build is remembered for :data:`RETRY_AFTER` seconds so test
runs skip at once instead of retrying a dead mirror. :func:`trees` raises :class:`TreesUnavailable` with
the reason (not root, debootstrap missing, no apt source, build failed or timed out); the pytest fixture
``debian_trees`` (conftest.py) turns that into a skip naming the reason.

    python tests/host/debootstrap.py        # build (or find) the trees and print where and how long
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
HARDEN = HERE / "harden_tree.sh"
CACHE = Path(os.environ.get("GOVSCAN_TEST_TREES", "/var/cache/govscan-test-trees"))
SUITE = "bookworm"
INCLUDE = ("openssh-server", "cron", "linux-base", "nftables", "chrony", "systemd", "sudo", "rsyslog", "auditd",
           "aide", "aide-common", "libpam-pwquality")
"""Packages added to minbase so the trees hold what the host controls read (sshd_config, crontab), and
``linux-base``, which every Debian machine with a kernel has and which OpenSCAP's Debian content takes as
the sign of one (its ``system_with_kernel`` platform): without it those rules are notapplicable on a tree.
``nftables`` and ``chrony``: the firewall utility and the time daemon CIS sections 2.3 and 4.3 are read on."""
TIMEOUT = 900
RETRY_AFTER = 3600


class TreesUnavailable(Exception):
    """The trees cannot be built here; the message says why (a test skips with it)."""


@dataclass(frozen=True)
class Trees:
    minimal: Path
    hardened: Path
    build_seconds: float
    """How long the build that made these trees took (0 if it is not recorded)."""
    mirror: str
    cached: bool
    """True when this call found the trees already built."""


def _deb822(text: str) -> list[dict[str, str]]:
    stanzas, cur, key = [], {}, ""
    for line in text.splitlines() + [""]:
        if not line.strip():
            if cur:
                stanzas.append(cur)
            cur, key = {}, ""
        elif line.startswith("#"):
            continue
        elif line[0].isspace() and key:
            cur[key] += " " + line.strip()
        elif ":" in line:
            key, _, value = line.partition(":")
            key = key.strip().lower()
            cur[key] = value.strip()
    return stanzas


def apt_mirror(apt_dir: Path = Path("/etc/apt")) -> tuple[str, str | None]:
    """(URI, keyring or None) of the first apt source serving ``bookworm main`` debs."""
    sources: list[tuple[str, list[str], list[str], str | None]] = []
    files = [apt_dir / "sources.list"] + sorted((apt_dir / "sources.list.d").glob("*"))
    for path in files:
        if not path.is_file():
            continue
        text = path.read_text(errors="replace")
        if path.suffix == ".sources":
            for st in _deb822(text):
                if "deb" in st.get("types", "").split() and st.get("enabled", "yes").lower() != "no":
                    for uri in st.get("uris", "").split():
                        sources.append((uri, st.get("suites", "").split(), st.get("components", "").split(),
                                        st.get("signed-by") or None))
        elif path.suffix == ".list":
            for line in text.splitlines():
                words = line.split("#", 1)[0].split()
                if len(words) < 4 or words[0] != "deb":
                    continue
                opts, keyring = "", None
                if words[1].startswith("["):
                    end = next(i for i, w in enumerate(words) if w.endswith("]"))
                    opts, words = " ".join(words[1:end + 1]), [words[0]] + words[end + 1:]
                    for opt in opts.strip("[]").split():
                        if opt.startswith("signed-by="):
                            keyring = opt.split("=", 1)[1]
                sources.append((words[1], [words[2]], words[3:], keyring))
    for uri, suites, comps, keyring in sources:
        if SUITE in suites and "main" in comps and uri.startswith(("http://", "https://", "file:/")):
            return uri, keyring
    raise TreesUnavailable(f"no apt source serves '{SUITE} main' in {apt_dir} (debootstrap needs a Debian mirror)")


BUILD = f"debootstrap --variant=minbase --include={','.join(INCLUDE)} {SUITE}; cp -a; harden_tree.sh; v1"
"""What the build does; part of the cache key (bump the trailing version when :func:`_build` changes)."""


def cache_key() -> str:
    """A hash of the build (:data:`BUILD`) and of the hardening script: a change to either rebuilds."""
    h = hashlib.sha256(BUILD.encode())
    h.update(HARDEN.read_bytes())
    return h.hexdigest()[:16]


def _unmount_under(root: Path) -> None:
    """Unmount anything a killed debootstrap left mounted inside ``root`` (deepest first)."""
    prefix = str(root.resolve()) + "/"
    with open("/proc/self/mounts") as fh:
        points = [line.split()[1] for line in fh if line.split()[1].startswith(prefix)]
    for point in sorted(points, key=len, reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True, check=False)


def _build(dest: Path, mirror: str, keyring: str | None, timeout: float) -> None:
    work = dest.with_name(dest.name + f".tmp-{os.getpid()}")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    minimal = work / "minimal"
    argv = ["debootstrap", "--variant=minbase", f"--include={','.join(INCLUDE)}"]
    if keyring:
        argv.append(f"--keyring={keyring}")
    argv += [SUITE, str(minimal), mirror]
    start = time.monotonic()
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
        if proc.returncode != 0:
            tail = (proc.stdout + proc.stderr).strip().splitlines()[-3:]
            raise TreesUnavailable(f"debootstrap exited {proc.returncode}: {' | '.join(tail)}")
        # A tree must not keep the apt lists or .debs debootstrap downloaded (size, not content).
        shutil.rmtree(minimal / "var/cache/apt/archives", ignore_errors=True)
        (minimal / "var/cache/apt/archives/partial").mkdir(parents=True, exist_ok=True)
        hardened = work / "hardened"
        subprocess.run(["cp", "-a", str(minimal), str(hardened)], check=True, capture_output=True)
        proc = subprocess.run(["sh", str(HARDEN), str(hardened)], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise TreesUnavailable(f"harden_tree.sh failed: {proc.stderr.strip()[-300:]}")
        seconds = time.monotonic() - start
        (work / "complete").write_text(json.dumps({"build_seconds": round(seconds, 1), "mirror": mirror,
                                                   "suite": SUITE, "include": list(INCLUDE)}) + "\n")
        work.rename(dest)
    except subprocess.TimeoutExpired as exc:
        raise TreesUnavailable(f"debootstrap did not finish within {timeout:.0f} s") from exc
    finally:
        _unmount_under(work)
        shutil.rmtree(work, ignore_errors=True)


def trees(timeout: float = TIMEOUT) -> Trees:
    """The two trees, building them first if this machine has not yet (raises TreesUnavailable)."""
    if sys.platform != "linux" or os.geteuid() != 0:
        raise TreesUnavailable("building Debian trees needs root on Linux (debootstrap, chown)")
    if not shutil.which("debootstrap"):
        raise TreesUnavailable("debootstrap is not installed (apt-get install debootstrap)")
    mirror, keyring = apt_mirror()
    CACHE.mkdir(parents=True, exist_ok=True)
    dest = CACHE / cache_key()
    failed = dest.with_name(dest.name + ".failed")
    with open(CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        cached = (dest / "complete").is_file()
        if not cached:
            if failed.is_file() and time.time() - failed.stat().st_mtime < RETRY_AFTER:
                raise TreesUnavailable(f"an earlier build failed less than {RETRY_AFTER} s ago: "
                                       f"{failed.read_text().strip()} ({failed})")
            shutil.rmtree(dest, ignore_errors=True)
            try:
                _build(dest, mirror, keyring, timeout)
            except TreesUnavailable as exc:
                failed.write_text(f"{exc}\n")
                raise
            failed.unlink(missing_ok=True)
    meta = json.loads((dest / "complete").read_text())
    return Trees(dest / "minimal", dest / "hardened", float(meta.get("build_seconds", 0)), mirror, cached)


if __name__ == "__main__":
    t0 = time.monotonic()
    try:
        got = trees()
    except TreesUnavailable as exc:
        raise SystemExit(f"trees unavailable: {exc}") from None
    print(f"minimal  {got.minimal}\nhardened {got.hardened}\nbuild {got.build_seconds:.1f} s "
          f"({'cached' if got.cached else 'built now'}; this call {time.monotonic() - t0:.1f} s)")
