"""``govscan evidence pack|verify``, ``govscan keys generate`` and ``govscan verify-db``."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from scanner.cli.common import db_option, echo_err, guarded, quiet_option
from scanner.errors import UsageError

_PASS_HELP = "Read the key's passphrase from this file (else env GOVSCAN_KEY_PASSPHRASE, else a prompt)."


def load_signing_key(key_path: str, passphrase_file: str | None = None) -> Any:
    """The Ed25519 private key at ``key_path``, asking for its passphrase if it is encrypted."""
    from scanner import keys as lib

    passphrase = None
    if lib.is_encrypted(Path(key_path)):
        passphrase = _passphrase(passphrase_file, prompt=f"Passphrase for {key_path}")
    return lib.load_private(Path(key_path), passphrase)


def _passphrase(passphrase_file: str | None, *, prompt: str, confirm: bool = False) -> bytes | None:
    """The passphrase from a file, the environment or a terminal prompt; None when there is none."""
    from scanner.keys import PASSPHRASE_ENV

    if passphrase_file:
        try:
            text = Path(passphrase_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"{passphrase_file}: cannot read passphrase file: {exc.strerror}") from exc
        text = text.removesuffix("\n")
        if not text:
            raise UsageError(f"{passphrase_file}: the passphrase file is empty")
        return text.encode("utf-8")
    if os.environ.get(PASSPHRASE_ENV):
        return os.environ[PASSPHRASE_ENV].encode("utf-8")
    if prompt and sys.stdin.isatty():
        return click.prompt(prompt, hide_input=True, confirmation_prompt=confirm, err=True).encode("utf-8")
    return None


@click.group()
def keys() -> None:
    """Signing keys for evidence packs (Ed25519)."""


@keys.command("generate")
@click.option("-o", "--output", "output", default="govscan", show_default=True, type=click.Path(dir_okay=False),
              help="Key name: writes OUTPUT.key (private, mode 0600) and OUTPUT.pub (public).")
@click.option("--passphrase-file", type=click.Path(dir_okay=False), help="Encrypt the private key with this passphrase.")
@click.option("--encrypt", is_flag=True, help="Prompt for a passphrase (or use env GOVSCAN_KEY_PASSPHRASE).")
@quiet_option
@guarded
def generate(output: str, passphrase_file: str | None, encrypt: bool, quiet: bool) -> None:
    """Create an Ed25519 key pair: a PKCS#8 PEM private key (optionally encrypted) and its public key.

    Without --passphrase-file or --encrypt the private key is stored unencrypted (for CI secrets);
    GOVSCAN_KEY_PASSPHRASE set in the environment also encrypts it.
    """
    from scanner import keys as lib

    passphrase = None
    if passphrase_file or encrypt or os.environ.get(lib.PASSPHRASE_ENV):
        passphrase = _passphrase(passphrase_file, prompt="New key passphrase", confirm=True)
        if passphrase is None:
            raise UsageError("--encrypt needs a passphrase: run on a terminal, or set GOVSCAN_KEY_PASSPHRASE")
    private, public = lib.generate(Path(output), passphrase)
    if not quiet:
        state = "encrypted" if passphrase else "unencrypted"
        echo_err(f"wrote {private} (private, {state}, mode 0600) and {public} (public)")


@click.group()
def evidence() -> None:
    """Signed evidence packs an auditor can verify offline."""


@evidence.command("pack")
@click.argument("scan", required=False)
@click.option("--sign", "key_path", required=True, type=click.Path(dir_okay=False), help="Ed25519 private key (PEM).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The zip to write.")
@click.option("--passphrase-file", type=click.Path(dir_okay=False), help=_PASS_HELP)
@db_option
@quiet_option
@guarded
def pack(scan: str | None, key_path: str, output: str, passphrase_file: str | None, db_path: str,
         quiet: bool) -> None:
    """Write the evidence pack of SCAN (default: the latest) and sign its manifest.

    The zip holds report.html, assessment-plan.json, assessment-results.json, poam.json, findings.csv,
    controls/ and waivers/ (the documents as run), evidence/<sha256>.json, manifest.json and manifest.sig.
    """
    from scanner.evidence import write_pack
    from scanner.store import Store

    key = load_signing_key(key_path, passphrase_file)
    store = Store(db_path, create=False)
    try:
        manifest = write_pack(store.view(scan), Path(output), key)
    finally:
        store.close()
    if not quiet:
        echo_err(f"wrote {output}: {len(manifest['files'])} files signed; scan {manifest['scan']['id']} "
                 f"hash {manifest['scan']['hash']}")


@evidence.command("verify")
@click.argument("pack_path", metavar="PACK", type=click.Path(dir_okay=False))
@click.option("--pubkey", required=True, type=click.Path(dir_okay=False), help="Ed25519 public key (PEM).")
@quiet_option
@guarded
def verify(pack_path: str, pubkey: str, quiet: bool) -> None:
    """Check PACK's signature and every file's sha256; name each mismatch (exit 1 if any)."""
    from scanner import keys as lib
    from scanner.evidence import verify_pack

    if not Path(pack_path).is_file():
        raise UsageError(f"{pack_path}: no such file")
    res = verify_pack(Path(pack_path), lib.load_public(Path(pubkey)))
    for problem in res.problems:
        click.echo(f"MISMATCH {problem}")
    if res.problems:
        echo_err(f"{pack_path}: verification FAILED: {len(res.problems)} problem(s)")
        sys.exit(1)
    if not quiet:
        scan = res.manifest.get("scan") or {}
        click.echo(f"{pack_path}: verified: signature good, {res.files_checked} files match; "
                   f"scan {scan.get('id')} hash {scan.get('hash')}")


@click.command("verify-db")
@db_option
@click.option("--anchor", "anchor_path", type=click.Path(dir_okay=False),
              help="An anchor written by --export-anchor, or an evidence pack: detect truncation, rollback, rewrite.")
@click.option("--pubkey", type=click.Path(dir_okay=False),
              help="Ed25519 public key: check the anchor's and every stored chain signature.")
@click.option("--export-anchor", "export_path", type=click.Path(dir_okay=False),
              help="After a clean check, write the chain head (scan id, seq, hash, time, signature) here.")
@quiet_option
@guarded
def verify_db(db_path: str, anchor_path: str | None, pubkey: str | None, export_path: str | None,
              quiet: bool) -> None:
    """Walk the scan hash chain; name every altered scan, finding, snapshot or evidence row (exit 1).

    Without an anchor the chain cannot show a database rewritten with every hash recomputed, the
    newest scans deleted, or the newest scan turned back to running: keep an anchor (--export-anchor
    after each scan, or the evidence packs) where the database's writer cannot change it.
    """
    from scanner import anchor as anchors
    from scanner import keys as lib
    from scanner.integrity import verify_db as walk
    from scanner.store import Store

    public = lib.load_public(Path(pubkey)) if pubkey else None
    anchor = anchors.load(Path(anchor_path), public) if anchor_path else None
    store = Store(db_path, create=False)
    try:
        rep = walk(store)
        signed = 0
        if public is not None:
            problems, signed = anchors.check_signatures(store, public)
            rep.problems += problems
        anchor_problems = anchors.check_anchor(store, anchor, public) if anchor else []
        stale = [sid for sid in rep.unsealed
                 if store.hash_version(sid) and store.locks.held_elsewhere(sid) is False]
        head = anchors.head(store)
    finally:
        store.close()
    for problem in rep.problems:
        click.echo(f"ALTERED {problem}")
    for problem in anchor_problems:
        click.echo(f"ANCHOR {problem}")
    for sid in stale:
        echo_err(f"govscan: scan {sid} is marked running but no process holds its lock: it was killed "
                 "(the next 'govscan scan' marks it interrupted), or turned back to running by an edit")
    n = len(rep.problems) + len(anchor_problems)
    if n:
        echo_err(f"{db_path}: verification FAILED: {n} problem(s)")
        sys.exit(1)
    if export_path:
        if head is None:
            raise UsageError(f"{db_path}: no sealed scan to anchor yet")
        anchors.write(Path(export_path), head)
    if not quiet:
        extra = f"; {len(rep.unsealed)} scan(s) still running" if rep.unsealed else ""
        extra += f"; {signed} chain signature(s) verified" if public is not None else ""
        click.echo(f"{db_path}: chain intact: {rep.scans} scans, {rep.findings} findings, "
                   f"{rep.evidence} evidence blobs verified{extra}")
        if anchor:
            how = ("signed" if anchor.get("pack_signed") or (public and anchor.get("signature"))
                   else "signature not checked (no --pubkey)" if anchor.get("signature") else "unsigned")
            click.echo(f"{db_path}: matches the anchor ({anchor['source']}, {how}): scan {anchor['scan']} "
                       f"seq {anchor['seq']} hash {anchor['hash']}")
        if export_path and head:
            state = "signed" if head.get("signature") else "unsigned (no signing key when it was sealed)"
            click.echo(f"wrote {export_path}: anchor of scan {head['scan']} seq {head['seq']} "
                       f"hash {head['hash']}, {state}")
