"""Anchors: the chain head written down outside the database, so history cannot be rewritten unnoticed.

The hash chain alone shows edits to rows, and deleted scans before the newest one; it cannot show a
database rewritten with every hash recomputed, the newest scans deleted, or the newest scan turned
back to ``running`` (its seal removed). An anchor is the head of the chain at one moment: scan id,
``seq`` (how many sealed scans the chain then held), status, hash and finish time. It is signed with
an Ed25519 key (``govscan keys generate``) when one is configured: every scan sealed with
``govscan scan --sign KEY`` stores that signature in ``scans.signature``, ``verify-db
--export-anchor`` writes it out, and each evidence pack's signed manifest carries the same fields.

:func:`check_anchor` compares a database with an anchor: truncation (the anchored scan, or scans
before it, missing), rollback (the anchored scan no longer sealed with the anchored status) and
rewrite (its hash or place in the chain differs).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from scanner.errors import UsageError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

    from scanner.store import Store

FORMAT = "govscan-anchor/1"
FIELDS = ("scan", "seq", "status", "hash", "finished")
MAX_ANCHOR_BYTES = 1 << 20


def fields(row: Mapping[str, Any]) -> dict[str, Any]:
    """The anchored fields of a sealed scan row."""
    return {"scan": row["id"], "seq": row["seq"], "status": row["status"], "hash": row["hash"],
            "finished": row.get("finished")}


def statement(anchor: Mapping[str, Any]) -> bytes:
    """The bytes a chain-head signature is over: canonical JSON of the format and the anchored fields."""
    from scanner.store import canonical

    return canonical({"format": FORMAT, **{k: anchor.get(k) for k in FIELDS}}).encode("utf-8")


def sign_statement(key: Ed25519PrivateKey, row: Mapping[str, Any]) -> str:
    """Base64 Ed25519 signature of a sealed scan row's anchor statement."""
    return base64.b64encode(key.sign(statement(fields(row)))).decode("ascii")


def signature_ok(public: Ed25519PublicKey, anchor: Mapping[str, Any]) -> bool:
    from cryptography.exceptions import InvalidSignature

    try:
        public.verify(base64.b64decode(str(anchor.get("signature") or ""), validate=True), statement(anchor))
    except (InvalidSignature, ValueError):
        return False
    return True


def head(store: Store) -> dict[str, Any] | None:
    """The anchor of the chain's newest sealed scan (None when nothing is sealed)."""
    scan = store.latest_sealed_scan()
    if scan is None:
        return None
    from scanner.store import now

    return {"format": FORMAT, **fields(scan), "signature": scan.get("signature"), "exported": now()}


def load(path: Path, public: Ed25519PublicKey | None) -> dict[str, Any]:
    """An anchor from a file written by ``--export-anchor``, or from an evidence pack's manifest
    (whose signature is then checked with ``public``, which is required for a pack)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_ANCHOR_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"{path}: cannot read anchor: {exc.strerror}") from exc
    if data[:4] == b"PK\x03\x04":
        return _from_pack(path, public)
    if len(data) > MAX_ANCHOR_BYTES:
        raise UsageError(f"{path}: not an anchor (larger than {MAX_ANCHOR_BYTES} bytes)")
    try:
        anchor = json.loads(data)
    except ValueError as exc:
        raise UsageError(f"{path}: not an anchor: invalid JSON ({exc})") from exc
    if not isinstance(anchor, dict) or anchor.get("format") != FORMAT or any(k not in anchor for k in FIELDS):
        raise UsageError(f"{path}: not a govscan anchor (format {FORMAT!r} with {', '.join(FIELDS)})")
    anchor["source"] = "anchor file"
    return anchor


def _from_pack(path: Path, public: Ed25519PublicKey | None) -> dict[str, Any]:
    from scanner.evidence import MANIFEST, SIGNATURE, read_members

    if public is None:
        raise UsageError(f"{path}: an evidence pack is an anchor only with the key that signed it: give --pubkey")
    members = read_members(path, {MANIFEST, SIGNATURE})
    manifest, sig = members.get(MANIFEST), members.get(SIGNATURE)
    if manifest is None or sig is None:
        raise UsageError(f"{path}: not an evidence pack ({MANIFEST} or {SIGNATURE} missing)")
    from cryptography.exceptions import InvalidSignature

    try:
        public.verify(sig, manifest)
    except InvalidSignature as exc:
        raise UsageError(f"{path}: the pack's signature does not verify with this public key; "
                         "it cannot serve as an anchor") from exc
    scan = (json.loads(manifest).get("scan") or {})
    anchor = {"format": FORMAT, "scan": scan.get("id"), "seq": scan.get("seq"), "status": scan.get("status"),
              "hash": scan.get("hash"), "finished": scan.get("finished"), "source": "evidence pack"}
    anchor["pack_signed"] = True
    return anchor


def check_anchor(store: Store, anchor: Mapping[str, Any], public: Ed25519PublicKey | None) -> list[str]:
    """Problems (TRUNCATED / ROLLED BACK / REWRITTEN / UNSIGNED) of ``store`` against ``anchor``."""
    problems: list[str] = []
    sid, seq, want = anchor["scan"], anchor["seq"], anchor["hash"]
    if public is not None and not anchor.get("pack_signed"):
        if not anchor.get("signature"):
            problems.append(f"anchor of scan {sid} is not signed, but --pubkey was given: it proves nothing")
        elif not signature_ok(public, anchor):
            problems.append(f"anchor of scan {sid}: its signature does not verify with this public key "
                            "(the anchor was edited, or signed with another key)")
    found = store.find_scan_row(sid)
    before = store.sealed_before(seq) if isinstance(seq, int) else 0
    if isinstance(seq, int) and before < seq - 1:
        problems.append(f"TRUNCATED: the anchor says {seq - 1} sealed scan(s) came before scan {sid}; "
                        f"the database holds {before}")
    if found is None:
        problems.append(f"TRUNCATED: anchored scan {sid} (seq {seq}, hash {want}) is missing from the database")
        return problems
    scan = found
    if not scan.get("hash") or scan.get("seq") is None:
        problems.append(f"ROLLED BACK: anchored scan {sid} was sealed as {anchor['status']} (seq {seq}); "
                        f"it is now {scan['status']} and unsealed")
        return problems
    if scan["status"] != anchor["status"]:
        problems.append(f"ROLLED BACK: anchored scan {sid} was {anchor['status']}; it is now {scan['status']}")
    if scan["seq"] != seq:
        problems.append(f"REWRITTEN: anchored scan {sid} had seq {seq}; it now has seq {scan['seq']}")
    if scan["hash"] != want:
        problems.append(f"REWRITTEN: anchored scan {sid} had hash {want}; the database now says {scan['hash']}")
    return problems


def check_signatures(store: Store, public: Ed25519PublicKey) -> tuple[list[str], int]:
    """Stored chain-head signatures that do not verify with ``public``; and how many did."""
    problems, good = [], 0
    for scan in store.sealed_scans():
        if not scan.get("signature"):
            continue
        if signature_ok(public, {**fields(scan), "signature": scan["signature"]}):
            good += 1
        else:
            problems.append(f"scan {scan['id']} (seq {scan['seq']}): its signature does not verify with this "
                            "public key: the scan row was changed after signing, or another key signed it")
    return problems, good


def write(path: Path, anchor: Mapping[str, Any]) -> None:
    text = json.dumps(dict(anchor), indent=2, sort_keys=True) + "\n"
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        from scanner.store_lock import write_failure

        raise write_failure(path, exc) from exc
