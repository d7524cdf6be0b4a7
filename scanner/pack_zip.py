"""Reading an evidence pack's zip without trusting it: bounded members, sizes and ratios.

A zip's headers say how big each member is; a zip bomb lies or simply compresses very well (3 MB
of zip can inflate to gigabytes). Before a member is read its declared size and compression ratio
are checked; while it is read a counter stops it at its declared size, at the per-member cap and
at the pack's total budget. Members are streamed through sha256 in 1 MiB chunks: only the few
members asked for (``keep``: the manifest, its signature) are held in memory, each capped too.
Directory entries (``controls/``, as ``zip -r`` adds them) are not files and are skipped.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from scanner.errors import UsageError

MAX_MEMBERS = 1_000_000
"""Members in one pack (a pack holds one file per control, waiver and distinct evidence blob)."""
MAX_MEMBER_BYTES = 4 << 30
"""Uncompressed bytes of one member (the HTML report and assessment results of a very large scan)."""
MAX_TOTAL_BYTES = 16 << 30
"""Uncompressed bytes of all members together."""
MAX_KEPT_BYTES = 256 << 20
"""Uncompressed bytes of a member held in memory (the manifest)."""
MAX_RATIO = 250
"""Uncompressed : compressed size of a member bigger than :data:`RATIO_FLOOR` (govscan's own packs measured under 30:1)."""
RATIO_FLOOR = 1 << 20
CHUNK = 1 << 20
HEAD = 65536
_HREF = re.compile(rb'"href":\s*"(evidence/[^"\\]{1,200})"')


class _Limit(Exception):
    pass


@dataclass
class Members:
    """What :func:`scan_members` read."""

    names: list[str] = field(default_factory=list)
    """Every file member's name (directories left out), in zip order, duplicates kept."""
    sha256: dict[str, str] = field(default_factory=dict)
    kept: dict[str, bytes] = field(default_factory=dict)
    head: bytes | None = None
    """The first 64 KiB of the ``hrefs_in`` member."""
    hrefs: set[str] = field(default_factory=set)
    """``evidence/...`` links found in the ``hrefs_in`` member."""
    problems: list[str] = field(default_factory=list)


def scan_members(path: Path, *, keep: set[str], only: set[str] | None = None, hrefs_in: str | None = None) -> Members:
    """Hash every file member of the zip at ``path`` (or those in ``only``) under the limits above."""
    out = Members()
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile, ValueError) as exc:
        raise UsageError(f"{path}: not a readable zip file ({exc})") from exc
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise UsageError(f"{path}: {len(infos)} members, more than the {MAX_MEMBERS} a pack may hold; "
                             "refusing to read it")
        files = []
        for info in infos:
            if info.is_dir():
                if info.file_size:
                    out.problems.append(f"{info.filename}: a directory entry with {info.file_size} bytes of data")
                continue
            files.append(info)
        out.names = [i.filename for i in files]
        out.problems += [f"{n}: appears more than once in the zip" for n, c in sorted(Counter(out.names).items()) if c > 1]
        budget = [MAX_TOTAL_BYTES]
        for info in files:
            if info.filename in out.sha256 or (only is not None and info.filename not in only):
                continue
            try:
                _read(zf, info, out, keep, hrefs_in, budget)
            except _Limit as exc:
                out.problems.append(f"{info.filename}: {exc}; not read")
                if budget[0] <= 0:
                    out.problems.append(f"{path}: more than {MAX_TOTAL_BYTES} bytes uncompressed in all; "
                                        "stopped reading")
                    break
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
                out.problems.append(f"{info.filename}: unreadable in the zip ({exc})")
            except Exception as exc:  # zlib.error on a corrupted deflate stream
                out.problems.append(f"{info.filename}: unreadable in the zip ({type(exc).__name__}: {exc})")
    return out


def _read(zf: zipfile.ZipFile, info: zipfile.ZipInfo, out: Members, keep: set[str], hrefs_in: str | None,
          budget: list[int]) -> None:
    name, declared = info.filename, info.file_size
    cap = MAX_KEPT_BYTES if name in keep else MAX_MEMBER_BYTES
    if declared > cap:
        raise _Limit(f"declares {declared} bytes uncompressed, more than the {cap} allowed")
    if declared > RATIO_FLOOR and declared > MAX_RATIO * max(info.compress_size, 1):
        raise _Limit(f"compression ratio {declared // max(info.compress_size, 1)}:1 is over {MAX_RATIO}:1 "
                     "(a zip bomb?)")
    if declared > budget[0]:
        budget[0] = 0
        raise _Limit("over the pack's total size budget")
    h = hashlib.sha256()
    kept: list[bytes] = []
    tail = b""
    head = bytearray()
    total = 0
    with zf.open(info) as fh:
        while True:
            chunk = fh.read(CHUNK)
            if not chunk:
                break
            total += len(chunk)
            budget[0] -= len(chunk)
            if total > declared or total > cap or budget[0] < 0:
                raise _Limit(f"inflates past {min(declared, cap)} bytes (more than its header declares)")
            h.update(chunk)
            if name in keep:
                kept.append(chunk)
            if name == hrefs_in:
                if len(head) < HEAD:
                    head += chunk[: HEAD - len(head)]
                window = tail + chunk
                out.hrefs.update(m.decode("utf-8", "replace") for m in _HREF.findall(window))
                tail = window[-256:]
    out.sha256[name] = h.hexdigest()
    if name in keep:
        out.kept[name] = b"".join(kept)
    if name == hrefs_in:
        out.head = bytes(head)
