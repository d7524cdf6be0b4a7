"""Evidence packs: content, Ed25519 signature (also checked with stock openssl), and tampering:
one changed byte in any file of a pack is named by `govscan evidence verify`."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from scanfactory import new_scan

from scanner import evidence, keys
from scanner.errors import StoreError, UsageError
from scanner.store import ScanView

PASSPHRASE = "correct horse battery staple"
EXPECTED_TOP = {"manifest.json", "manifest.sig", "report.html", "assessment-plan.json", "assessment-results.json",
                "poam.json", "findings.csv"}


def govscan(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    code = "import sys; from scanner.cli import main; sys.argv[0] = 'govscan'; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, cwd=cwd)


@pytest.fixture(scope="module")
def keypair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("keys")
    return keys.generate(d / "signing.key", PASSPHRASE.encode())


@pytest.fixture(scope="module")
def packed(tmp_path_factory: pytest.TempPathFactory, keypair) -> tuple[ScanView, Path]:
    d = tmp_path_factory.mktemp("pack")
    view = new_scan(d)
    out = d / "pack.zip"
    evidence.write_pack(view, out, keys.load_private(keypair[0], PASSPHRASE.encode()))
    return view, out


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _rewrite(src: Path, dst: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def test_keys_are_pem_ed25519_private_0600_encrypted_and_never_overwritten(keypair):
    private, public = keypair
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert private.read_text().startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert public.read_text().startswith("-----BEGIN PUBLIC KEY-----")
    assert PASSPHRASE not in private.read_text()
    with pytest.raises(UsageError, match="wrong passphrase"):
        keys.load_private(private, b"wrong")
    with pytest.raises(UsageError, match="the key is encrypted; give its passphrase"):
        keys.load_private(private, None)
    with pytest.raises(UsageError, match="already exists; refusing to overwrite"):
        keys.generate(private)


def test_pack_holds_reports_snapshots_and_every_evidence_blob_byte_exact(packed):
    view, path = packed
    files = _members(path)
    assert EXPECTED_TOP <= set(files)
    manifest = json.loads(files["manifest.json"])
    assert manifest["scan"]["id"] == view.id and manifest["scan"]["hash"] == view.scan["hash"]
    assert manifest["tool"] == "govscan"
    assert set(manifest["files"]) == set(files) - {"manifest.json", "manifest.sig"}
    shas = {f["evidence_sha256"] for f in view.findings() if f["evidence_sha256"]}
    assert {n for n in files if n.startswith("evidence/")} == {f"evidence/{s}.json" for s in shas}
    for sha in shas:
        assert hashlib.sha256(files[f"evidence/{sha}.json"]).hexdigest() == sha
        assert json.loads(files[f"evidence/{sha}.json"]) == view.evidence(sha)
    stored = {r["id"]: r for r in view.store.snapshot_rows(view.id, "controls")}
    assert set(stored) == set(view.controls)
    for cid, row in stored.items():
        data = files[f"controls/{cid}.json"]
        assert hashlib.sha256(data).hexdigest() == row["sha256"] == view.controls[cid].sha256  # the document as run
        assert json.loads(data) == json.loads(row["document"])
    for w in view.waivers:
        assert hashlib.sha256(files[f"waivers/{w.id}.json"]).hexdigest() == w.sha256
    assert b"<!DOCTYPE html>" in files["report.html"][:200].upper() or b"<html" in files["report.html"][:500]
    assert len(files["manifest.sig"]) == 64


def test_verify_accepts_the_untouched_pack(packed, keypair):
    res = evidence.verify_pack(packed[1], keys.load_public(keypair[1]))
    assert res.problems == []
    assert res.files_checked == len(res.manifest["files"])


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed (tests/run.sh installs it)")
def test_stock_openssl_verifies_the_signature_and_rejects_a_changed_manifest(packed, keypair, tmp_path):
    files = _members(packed[1])
    (tmp_path / "manifest.json").write_bytes(files["manifest.json"])
    (tmp_path / "manifest.sig").write_bytes(files["manifest.sig"])
    cmd = ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(keypair[1]), "-rawin",
           "-in", "manifest.json", "-sigfile", "manifest.sig"]
    ok = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True)
    assert ok.returncode == 0 and "Signature Verified Successfully" in ok.stdout
    (tmp_path / "manifest.json").write_bytes(files["manifest.json"].replace(b'"tool"', b'"tooL"'))
    bad = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True)
    assert bad.returncode != 0 and "Signature Verification Failure" in bad.stdout


def test_one_changed_byte_in_any_member_is_named(packed, keypair, tmp_path):
    public = keys.load_public(keypair[1])
    files = _members(packed[1])
    for name, data in files.items():
        altered = bytearray(data)
        altered[len(altered) // 2] ^= 0x01
        bad = tmp_path / "bad.zip"
        _rewrite(packed[1], bad, {**files, name: bytes(altered)})
        problems = evidence.verify_pack(bad, public).problems
        if name == "manifest.sig":
            assert any(p.startswith("manifest.sig: the signature does not verify") for p in problems), problems
        elif name == "manifest.json":
            assert any("manifest.json was altered" in p for p in problems), problems
        else:
            assert any(p.startswith(f"{name}: sha256 ") and "does not match the manifest" in p
                       for p in problems), (name, problems)
            assert all(p.startswith(name) for p in problems), problems   # nothing else is blamed


def _data_offsets(path: Path) -> dict[str, tuple[int, int]]:
    out = {}
    raw = path.read_bytes()
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            name_len, extra_len = struct.unpack("<HH", raw[info.header_offset + 26: info.header_offset + 30])
            out[info.filename] = (info.header_offset + 30 + name_len + extra_len, info.compress_size)
    return out


def test_one_flipped_byte_in_the_zip_file_is_named(packed, keypair, tmp_path):
    public = keys.load_public(keypair[1])
    raw = packed[1].read_bytes()
    for name, (start, size) in _data_offsets(packed[1]).items():
        altered = bytearray(raw)
        altered[start + size // 2] ^= 0xFF
        bad = tmp_path / "flipped.zip"
        bad.write_bytes(bytes(altered))
        problems = evidence.verify_pack(bad, public).problems
        assert any(p.startswith(f"{name}: ") for p in problems), (name, problems)


def test_missing_extra_and_foreign_signed_files_are_named(packed, keypair, tmp_path):
    public = keys.load_public(keypair[1])
    files = _members(packed[1])
    gone = tmp_path / "gone.zip"
    _rewrite(packed[1], gone, {n: d for n, d in files.items() if n != "poam.json"})
    assert "poam.json: listed in the manifest but missing from the pack" in evidence.verify_pack(gone, public).problems
    extra = tmp_path / "extra.zip"
    _rewrite(packed[1], extra, {**files, "evidence/planted.json": b"{}"})
    assert "evidence/planted.json: in the pack but not in the manifest" in evidence.verify_pack(extra, public).problems
    _, other_pub = keys.generate(tmp_path / "other.key")
    problems = evidence.verify_pack(packed[1], keys.load_public(other_pub)).problems
    assert problems == ["manifest.sig: the signature does not verify with this public key "
                        "(manifest.json was altered, or signed with another key)"]


def test_pack_refuses_a_scan_whose_stored_finding_was_altered(tmp_path, keypair):
    view = new_scan(tmp_path)
    view.store.db.conn.execute("UPDATE findings SET status = 'pass' WHERE id = 2")
    with pytest.raises(StoreError, match=r"fails its integrity check: .*finding #2 .*was altered"):
        evidence.write_pack(view, tmp_path / "p.zip", keys.load_private(keypair[0], PASSPHRASE.encode()))
    assert not (tmp_path / "p.zip").exists()


def test_pack_fails_clearly_when_a_report_format_is_unavailable(tmp_path, keypair, monkeypatch):
    from scanner import registry

    real = registry.report

    def without_html(name: str):
        if name == "html":
            return registry.load(registry.REPORTS, "no-such-html")
        return real(name)

    monkeypatch.setattr(registry, "report", without_html)
    view = new_scan(tmp_path)
    with pytest.raises(UsageError, match="evidence pack needs the 'html' report, which is not available"):
        evidence.write_pack(view, tmp_path / "p.zip", keys.load_private(keypair[0], PASSPHRASE.encode()))
    assert not list(tmp_path.glob("*.zip")) and not list(tmp_path.glob(".govscan-pack-*"))


def test_cli_keys_pack_verify_with_passphrase_file_and_env(tmp_path):
    new_scan(tmp_path)     # tmp_path/govscan.db
    (tmp_path / "pass.txt").write_text(PASSPHRASE + "\n")
    r = govscan("keys", "generate", "-o", "k1", "--passphrase-file", "pass.txt", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "k1.key (private, encrypted, mode 0600)" in r.stderr and PASSPHRASE not in r.stderr + r.stdout
    r = govscan("evidence", "pack", "--sign", "k1.key", "-o", "p.zip", cwd=tmp_path, env={"GOVSCAN_KEY_PASSPHRASE": ""})
    assert r.returncode == 2 and "the key is encrypted; give its passphrase" in r.stderr
    r = govscan("evidence", "pack", "--sign", "k1.key", "-o", "p.zip", cwd=tmp_path,
                env={"GOVSCAN_KEY_PASSPHRASE": PASSPHRASE})
    assert r.returncode == 0, r.stderr
    assert PASSPHRASE.encode() not in (tmp_path / "p.zip").read_bytes()
    r = govscan("evidence", "verify", "p.zip", "--pubkey", "k1.pub", cwd=tmp_path)
    assert r.returncode == 0 and "verified: signature good" in r.stdout
    files = _members(tmp_path / "p.zip")
    _rewrite(tmp_path / "p.zip", tmp_path / "bad.zip",
             {**files, "findings.csv": files["findings.csv"].replace(b"fail", b"pass", 1)})
    r = govscan("evidence", "verify", "bad.zip", "--pubkey", "k1.pub", cwd=tmp_path)
    assert r.returncode == 1
    assert r.stdout.startswith("MISMATCH findings.csv: sha256 ") and "verification FAILED: 1 problem" in r.stderr
    r = govscan("evidence", "verify", "k1.pub", "--pubkey", "k1.pub", cwd=tmp_path)
    assert r.returncode == 2 and "k1.pub: not a readable zip file" in r.stderr and "Traceback" not in r.stderr


def test_a_real_local_scan_packs_verifies_and_its_oscal_is_schema_valid(tmp_path):
    """End to end with the real engine and host provider: the engine's control snapshots (sha256 of
    the canonical document) and evidence blobs verify inside the pack exactly as the store holds them."""
    import jsonschema_rs

    scan = govscan("scan", "local", "--db", "real.db", "-q", cwd=tmp_path)
    assert scan.returncode in (0, 1), scan.stderr          # the gate's verdict, not a crash
    assert govscan("keys", "generate", "-o", "ci", "-q", cwd=tmp_path).returncode == 0
    packed = govscan("evidence", "pack", "--sign", "ci.key", "-o", "real.zip", "--db", "real.db", "-q", cwd=tmp_path)
    assert packed.returncode == 0, packed.stderr
    ok = govscan("evidence", "verify", "real.zip", "--pubkey", "ci.pub", cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout
    files = _members(tmp_path / "real.zip")
    manifest = json.loads(files["manifest.json"])
    assert manifest["controls"] and all(f"controls/{c}.json" in files for c in manifest["controls"])
    schema = json.loads((Path(__file__).parent.parent / "data" / "oscal" /
                         "oscal_assessment-results_schema.json").read_text())
    ar = json.loads(files["assessment-results.json"])
    assert list(jsonschema_rs.validator_for(schema).iter_errors(ar)) == []
    assert ar["assessment-results"]["results"][0]["observations"]
    db = govscan("verify-db", "--db", "real.db", cwd=tmp_path)
    assert db.returncode == 0 and "chain intact: 1 scans" in db.stdout


def _peak_rss_mb(args: list[str]) -> tuple[subprocess.CompletedProcess, float]:
    """Run ``govscan ARGS`` in a child and return it with the child's peak RSS in MB."""
    # VmHWM is the high-water mark of this process image (ru_maxrss would carry over the forking pytest's)
    code = ("import sys\nfrom scanner.cli.common import run_cli\nfrom scanner.cli import cli\n"
            "rc = run_cli(cli, sys.argv[1:])\n"
            "hwm = [ln.split()[1] for ln in open('/proc/self/status') if ln.startswith('VmHWM:')][0]\n"
            "print('PEAK', hwm, file=sys.stderr)\nsys.exit(rc)")
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120)
    peak = [ln for ln in proc.stderr.splitlines() if ln.startswith("PEAK ")]
    return proc, int(peak[-1].split()[1]) / 1024 if peak else float("nan")


def test_a_zip_bomb_is_refused_without_inflating_it(packed, keypair, tmp_path):
    """512 MiB of zeros in a 0.5 MB member: named as a bomb from its header, never inflated."""
    _, path = packed
    bomb = tmp_path / "bomb.zip"
    shutil.copy(path, bomb)
    info = zipfile.ZipInfo("evidence/" + "0" * 64 + ".json")
    info.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(bomb, "a") as zf, zf.open(info, "w", force_zip64=True) as fh:
        zeros = b"\0" * (1 << 24)
        for _ in range(32):
            fh.write(zeros)
    assert bomb.stat().st_size < 2 << 20
    proc, peak = _peak_rss_mb(["evidence", "verify", str(bomb), "--pubkey", str(keypair[1])])
    assert proc.returncode == 1, proc.stderr
    assert re.search(rf"^MISMATCH evidence/{'0' * 64}\.json: compression ratio 10\d\d:1 is over 250:1 "
                     r"\(a zip bomb\?\); not read$", proc.stdout, re.M), proc.stdout
    assert "Traceback" not in proc.stderr
    assert peak < 150, f"peak RSS {peak:.0f} MB"


def test_a_member_whose_header_understates_its_size_is_stopped_at_the_declared_size(packed, keypair, tmp_path):
    """A header that lies (declares 1000 bytes, holds 64 MB) is read no further than it declares."""
    _, path = packed
    liar = tmp_path / "liar.zip"
    shutil.copy(path, liar)
    with zipfile.ZipFile(liar, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("evidence/" + "1" * 64 + ".json", b"\0" * (64 << 20))
    name = ("evidence/" + "1" * 64 + ".json").encode()
    with zipfile.ZipFile(liar) as zf:
        local = zf.getinfo(name.decode()).header_offset
    data = bytearray(liar.read_bytes())
    central = data.rindex(b"PK\x01\x02", 0, data.rindex(name))   # the central header naming it
    assert data[local:local + 4] == b"PK\x03\x04" and data[central + 46:central + 46 + len(name)] == name
    struct.pack_into("<I", data, local + 22, 1000)     # uncompressed size, local header
    struct.pack_into("<I", data, central + 24, 1000)   # uncompressed size, central directory
    liar.write_bytes(bytes(data))
    proc, peak = _peak_rss_mb(["evidence", "verify", str(liar), "--pubkey", str(keypair[1])])
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    line = [ln for ln in proc.stdout.splitlines() if name.decode() in ln]
    assert line and ("unreadable in the zip" in line[0] or "not read" in line[0]), proc.stdout
    assert peak < 150, f"peak RSS {peak:.0f} MB"


def test_too_many_members_are_refused_before_reading(packed, keypair, tmp_path, monkeypatch):
    from scanner import pack_zip

    _, path = packed
    monkeypatch.setattr(pack_zip, "MAX_MEMBERS", 10)
    with pytest.raises(UsageError, match=r"pack\.zip: \d+ members, more than the 10 a pack may hold"):
        evidence.verify_pack(path, keys.load_public(keypair[1]))


@pytest.mark.skipif(shutil.which("zip") is None or shutil.which("unzip") is None, reason="zip/unzip not installed")
def test_a_pack_rezipped_with_zip_r_and_its_directory_entries_still_verifies(packed, keypair, tmp_path):
    _, path = packed
    work = tmp_path / "unpacked"
    work.mkdir()
    subprocess.run(["unzip", "-q", str(path), "-d", str(work)], check=True)
    again = tmp_path / "again.zip"
    subprocess.run(["zip", "-q", "-r", str(again), "."], cwd=work, check=True)
    with zipfile.ZipFile(again) as zf:
        assert {"controls/", "evidence/"} <= set(zf.namelist())   # zip -r adds directory entries
    proc = govscan("evidence", "verify", str(again), "--pubkey", str(keypair[1]))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "verified: signature good" in proc.stdout


def test_pack_refuses_a_scan_whose_evidence_rows_are_missing(tmp_path, keypair):
    view = new_scan(tmp_path)
    conn = view.store.db.conn
    gone = conn.execute("SELECT evidence_sha256 FROM findings WHERE scan_id = ? AND evidence_sha256 IS NOT NULL "
                        "ORDER BY id LIMIT 1", (view.id,)).fetchone()[0]
    conn.execute("DELETE FROM evidence WHERE sha256 = ?", (gone,))
    out = tmp_path / "p.zip"
    proc = govscan("evidence", "pack", "--sign", str(keypair[0]), "-o", str(out), "--db", str(view.store.path),
                   env={"GOVSCAN_KEY_PASSPHRASE": PASSPHRASE})
    assert proc.returncode == 2, proc.stderr
    assert f"scan {view.id}: 1 evidence row(s) its findings reference are missing from the database ({gone})" \
        in proc.stderr
    assert not out.exists()


def test_verify_names_evidence_the_assessment_results_link_to_but_the_pack_lacks(packed, keypair, tmp_path):
    """A pack signed by a govscan that did not refuse missing evidence: verify reports the dangling link."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    _, path = packed
    members = _members(path)
    gone = sorted(n for n in members if n.startswith("evidence/"))[0]
    del members[gone]
    manifest = json.loads(members["manifest.json"])
    del manifest["files"][gone]
    members["manifest.json"] = json.dumps(manifest).encode()
    key = Ed25519PrivateKey.generate()
    members["manifest.sig"] = key.sign(members["manifest.json"])
    pub = tmp_path / "other.pub"
    from cryptography.hazmat.primitives import serialization

    pub.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo))
    bad = tmp_path / "dangling.zip"
    _rewrite(path, bad, members)
    res = evidence.verify_pack(bad, keys.load_public(pub))
    assert res.problems == [f"assessment-results.json: links to {gone}, which is not in the pack"]
