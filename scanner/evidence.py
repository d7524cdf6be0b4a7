"""Evidence packs: one signed zip an auditor can check offline.

A pack holds the HTML report, the OSCAL assessment plan, assessment results and POA&M, the CSV of
findings, each control and waiver exactly as run (``controls/<id>.json``: the canonical JSON of the
loaded document, the very bytes whose sha256 the scan's snapshot recorded), every evidence blob
byte-exact as stored (``evidence/<sha256>.json``), ``manifest.json`` (tool, version, scan id and
hash, creation time, sha256 of every file) and ``manifest.sig``: the raw 64-byte Ed25519 signature
of the manifest's bytes, so ``openssl pkeyutl -verify -rawin`` checks it too.

:func:`verify_pack` re-checks everything and names each file that does not match; it never stops at
the first problem.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scanner.errors import StoreError, UsageError
from scanner.store import ScanView, now

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
FORMAT = "govscan-evidence-pack/1"
#: (file in the pack, registered report format); every one is required.
REPORTS = (("report.html", "html"), ("assessment-results.json", "oscal-ar"),
           ("poam.json", "oscal-poam"), ("findings.csv", "csv"), ("assessment-plan.json", "oscal-ap"))
"""The reports in a pack, by file name and format (the assessment results import assessment-plan.json)."""
_AR_HASH = re.compile(rb'"name":\s*"scan-hash",\s*"ns":\s*"[^"]*",\s*"value":\s*"([^"]*)"')
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _member_name(folder: str, ident: str) -> str:
    # ids come from policy files: keep them readable but never let one escape its folder
    stem = ident if _SAFE_NAME.match(ident) and ".." not in ident else "id-" + sha256(ident.encode())[:16]
    return f"{folder}/{stem}.json"


def _render(view: ScanView, fmt: str) -> bytes:
    from scanner import registry

    try:
        cls = registry.report(fmt)
    except UsageError as exc:
        raise UsageError(f"evidence pack needs the {fmt!r} report, which is not available: {exc}") from exc
    renderer = cls({"evidence-pack": "true"} if "evidence-pack" in getattr(cls, "options", {}) else None)
    if getattr(renderer, "binary", False):
        buf = io.BytesIO()
        renderer.render(view, buf)
        return buf.getvalue()
    sbuf = io.StringIO()
    renderer.render(view, sbuf)
    return sbuf.getvalue().encode("utf-8")


def _snapshots(view: ScanView, folder: str, kind: str) -> dict[str, tuple[str, bytes]]:
    """id -> (member name, canonical JSON bytes) of control or waiver snapshots, checked against their sha256."""
    out: dict[str, tuple[str, bytes]] = {}
    for ident, recorded, text in view.documents(folder):
        data = text.encode("utf-8")
        if sha256(data) != recorded:
            raise StoreError(f"scan {view.id}: {kind} {ident!r}: stored document does not match its "
                             "recorded sha256 (run 'govscan verify-db')")
        out[ident] = (_member_name(folder, ident), data)
    return out


def pack_files(view: ScanView) -> dict[str, bytes]:
    """Every file of the pack but the manifest and signature, by path."""
    from scanner.integrity import check_scan

    scan = view.scan
    if not scan.get("hash"):
        raise UsageError(f"scan {view.id} is {scan['status']} and not sealed yet; pack it when it has finished")
    problems = check_scan(view.store, view.id)
    if problems:
        raise StoreError(f"scan {view.id} fails its integrity check: {problems[0]} (run 'govscan verify-db')")
    files: dict[str, bytes] = {}
    for name, fmt in REPORTS:
        files[name] = _render(view, fmt)
    for folder, kind in (("controls", "control"), ("waivers", "waiver")):
        for name, data in _snapshots(view, folder, kind).values():
            files[name] = data
    referenced, present = view.store.scan_evidence(view.id)
    for sha, text in present:
        blob = text.encode("utf-8")
        if sha256(blob) != sha:
            raise StoreError(f"evidence {sha}: stored data does not match its sha256 (run 'govscan verify-db')")
        files[f"evidence/{sha}.json"] = blob
    missing = sorted(referenced - {n[len("evidence/"):-len(".json")] for n in files if n.startswith("evidence/")})
    if missing:
        raise StoreError(f"scan {view.id}: {len(missing)} evidence row(s) its findings reference are missing from "
                         f"the database ({', '.join(missing[:3])}{' ...' if len(missing) > 3 else ''}); refusing "
                         "to sign a pack whose assessment results would link to absent files (run 'govscan verify-db')")
    return files


def build_manifest(view: ScanView, files: dict[str, bytes], created: str | None = None) -> bytes:
    """The manifest's bytes (what gets signed): pretty JSON, sorted keys, UTF-8, trailing newline."""
    from scanner import __version__

    scan = view.scan
    manifest = {
        "format": FORMAT, "tool": "govscan", "version": __version__, "created": created or now(),
        "scan": {"id": view.id, "hash": scan["hash"], "prev_hash": scan.get("prev_hash"), "seq": scan.get("seq"),
                 "status": scan["status"], "started": scan["started"], "finished": scan.get("finished"),
                 "profile": scan.get("profile"), "chain_signature": scan.get("signature")},
        "controls": {cid: {"version": c.version, "sha256": c.sha256,
                           "file": _member_name("controls", cid)} for cid, c in sorted(view.controls.items())},
        "waivers": {w.id: {"state": w.state, "sha256": w.sha256, "file": _member_name("waivers", w.id)}
                    for w in view.waivers},
        "files": {name: sha256(data) for name, data in sorted(files.items())},
    }
    return (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def write_pack(view: ScanView, out: Path, key: Ed25519PrivateKey, *, created: str | None = None) -> dict[str, Any]:
    """Build, sign and write the pack of ``view`` to ``out`` (atomically); returns the manifest."""
    files = pack_files(view)
    manifest = build_manifest(view, files, created)
    signature = key.sign(manifest)
    out = Path(out)
    fd, tmp = tempfile.mkstemp(prefix=".govscan-pack-", dir=out.parent or Path("."))
    try:
        with os.fdopen(fd, "wb") as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as zf:
            for name in (MANIFEST, SIGNATURE, *sorted(files)):
                data = manifest if name == MANIFEST else signature if name == SIGNATURE else files[name]
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # stable bytes
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                zf.writestr(info, data)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return json.loads(manifest)


@dataclass
class VerifyResult:
    """What :func:`verify_pack` found: ``problems`` names every mismatch (empty means verified)."""

    problems: list[str] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)
    files_checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_pack(path: Path, public: Ed25519PublicKey) -> VerifyResult:
    """Check the signature, every file's sha256, the snapshots and evidence names of a pack.

    Every member is streamed through a hash under the limits of :mod:`scanner.pack_zip`; only the
    manifest and its signature are held in memory.
    """
    from cryptography.exceptions import InvalidSignature

    from scanner.pack_zip import scan_members

    res = VerifyResult()
    seen = scan_members(path, keep={MANIFEST, SIGNATURE}, hrefs_in="assessment-results.json")
    res.problems += seen.problems
    names, contents, digests = seen.names, seen.kept, seen.sha256
    manifest_bytes, sig = contents.get(MANIFEST), contents.get(SIGNATURE)
    if manifest_bytes is None:
        res.problems.append(f"{MANIFEST}: missing" if MANIFEST not in names else f"{MANIFEST}: cannot be checked")
        return res
    if sig is None:
        res.problems.append(f"{SIGNATURE}: missing" if SIGNATURE not in names else f"{SIGNATURE}: cannot be checked")
    else:
        try:
            public.verify(sig, manifest_bytes)
        except InvalidSignature:
            res.problems.append(f"{SIGNATURE}: the signature does not verify with this public key "
                                f"({MANIFEST} was altered, or signed with another key)")
    try:
        manifest = json.loads(manifest_bytes)
        listed = manifest["files"]
        assert isinstance(listed, dict)
    except (ValueError, KeyError, TypeError, AssertionError):
        res.problems.append(f"{MANIFEST}: not a govscan manifest (no 'files' table)")
        return res
    res.manifest = manifest
    for name, want in sorted(listed.items()):
        if name not in names:
            res.problems.append(f"{name}: listed in the manifest but missing from the pack")
        elif name in digests:
            res.files_checked += 1
            if digests[name] != want:
                res.problems.append(f"{name}: sha256 {digests[name]} does not match the manifest ({want})")
    for name in sorted(set(names) - set(listed) - {MANIFEST, SIGNATURE}):
        res.problems.append(f"{name}: in the pack but not in the manifest")
    try:
        res.problems += _check_content(manifest, digests, seen.head, seen.hrefs)
    except (AttributeError, TypeError):  # only an unsigned, hand-made manifest gets here
        res.problems.append(f"{MANIFEST}: malformed controls/waivers/scan tables")
    for href in sorted(seen.hrefs - set(names)):
        res.problems.append(f"assessment-results.json: links to {href}, which is not in the pack")
    return res


def read_members(path: Path, names: set[str]) -> dict[str, bytes]:
    """The bytes of the members ``names`` of a pack (under the same limits as :func:`verify_pack`)."""
    from scanner.pack_zip import scan_members

    seen = scan_members(path, keep=names, only=names)
    if seen.problems:
        raise UsageError(f"{path}: {seen.problems[0]}")
    return seen.kept


def _check_content(manifest: dict[str, Any], digests: dict[str, str], ar_head: bytes | None,
                   hrefs: set[str]) -> list[str]:
    """Checks that do not rely on the manifest's file table: evidence names, snapshots, scan hash,
    and that every evidence file the assessment results link to is in the pack."""
    problems = []
    for name, got in sorted(digests.items()):
        named = re.fullmatch(r"evidence/([0-9a-f]{64})\.json", name)
        if named and got != named.group(1):
            problems.append(f"{name}: content does not match the sha256 in its name")
    for kind in ("controls", "waivers"):
        for ident, snap in sorted((manifest.get(kind) or {}).items()):
            got_sha = digests.get(snap.get("file", ""))
            if got_sha is None:
                problems.append(f"{snap.get('file') or kind}: snapshot of {ident!r} missing from the pack")
            elif got_sha != snap.get("sha256"):
                problems.append(f"{snap['file']}: does not match the sha256 the scan recorded for {ident!r}")
    scan_hash = (manifest.get("scan") or {}).get("hash")
    if ar_head is not None:
        # the metadata comes first: read the scan-hash prop from the head, not a 100 MB parse
        m = _AR_HASH.search(ar_head)
        ar_hash = m.group(1).decode("utf-8", "replace") if m else None
        if ar_hash != scan_hash:
            problems.append(f"assessment-results.json: scan hash {ar_hash} differs from the manifest's ({scan_hash})")
    return problems
