"""Reading commands never write into a database: they open it read-only, refuse a file that is not a
govscan store (naming it) and a store of a newer schema (with its version)."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

V1_DB = Path(__file__).parent.parent / "data" / "store" / "v1-store.db"
READERS = [
    ["scans"],
    ["findings"],
    ["report", "-f", "json"],
    ["diff", "latest~1", "latest"],
    ["verify-db"],
]


def govscan(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    code = "import sys; from scanner.cli import main; sys.argv[0] = 'govscan'; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "GOVSCAN_DB": ""})


def _state(folder: Path) -> dict[str, str]:
    """Every file in ``folder`` and the sha256 of its bytes."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture
def foreign(tmp_path: Path) -> Path:
    """An SQLite database of another program (rollback journal, its own tables)."""
    path = tmp_path / "app.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO users (name) VALUES ('ada'), ('grace')")
    conn.commit()
    conn.close()
    return path


@pytest.fixture(scope="module")
def keypair(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from scanner import keys

    return keys.generate(tmp_path_factory.mktemp("k") / "k")[0]


@pytest.mark.parametrize("args", [*READERS, ["evidence", "pack"], ["scan", "-c", "host-ssh*"]], ids=lambda a: a[0])
def test_a_foreign_sqlite_file_is_refused_by_name_and_left_byte_identical(foreign, keypair, args):
    before = _state(foreign.parent)
    extra = ["--sign", str(keypair), "-o", str(foreign.parent / "p.zip")] if args[0] == "evidence" else []
    proc = govscan(*args, *extra, "--db", str(foreign))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"govscan: error: {foreign}: not a govscan store (it holds other tables: users)" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert _state(foreign.parent) == before       # same bytes, no -wal/-shm/-journal, no pack
    assert sqlite3.connect(foreign).execute("PRAGMA journal_mode").fetchone()[0] == "delete"


@pytest.mark.parametrize("args", [*READERS, ["evidence", "pack"]], ids=lambda a: a[0])
def test_reading_a_govscan_store_changes_none_of_its_bytes(tmp_path, keypair, args):
    db = tmp_path / "g.db"
    db.write_bytes(V1_DB.read_bytes())
    before = db.read_bytes()
    extra = ["--sign", str(keypair), "-o", str(tmp_path / "p.zip")] if args[0] == "evidence" else []
    proc = govscan(*args, *extra, "--db", str(db))
    assert proc.returncode in (0, 1), proc.stderr       # 1: the diff/gate verdict, not a failure to read
    assert db.read_bytes() == before
    assert not Path(str(db) + "-wal").exists() or Path(str(db) + "-wal").stat().st_size == 0
    with sqlite3.connect(db) as conn:   # still schema 1: nothing migrated it
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1


def test_a_store_of_a_newer_schema_is_refused_with_its_version(tmp_path):
    db = tmp_path / "g.db"
    db.write_bytes(V1_DB.read_bytes())
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 99")
    conn.close()     # checkpoints the WAL into the file
    before = db.read_bytes()
    for args in (["scans"], ["verify-db"], ["scan", "-c", "host-ssh*"]):
        proc = govscan(*args, "--db", str(db))
        assert proc.returncode == 2, proc.stderr
        assert (f"{db}: schema version 99 is newer than this govscan supports (2); upgrade govscan to read it"
                in proc.stderr)
    assert db.read_bytes() == before


def test_a_missing_or_empty_database_is_one_clear_message(tmp_path):
    missing = govscan("findings", "--db", str(tmp_path / "nope.db"))
    assert missing.returncode == 2
    assert missing.stderr.strip() == (f"govscan: error: {tmp_path / 'nope.db'}: no such database "
                                      "(run 'govscan scan' first, or pass --db)")
    assert not (tmp_path / "nope.db").exists()
    (tmp_path / "empty.db").write_bytes(b"")
    empty = govscan("scans", "--db", str(tmp_path / "empty.db"))
    assert empty.returncode == 2 and "empty.db: not a govscan store (an empty database)" in empty.stderr
    (tmp_path / "text.db").write_text("hello\n" * 200)
    text = govscan("verify-db", "--db", str(tmp_path / "text.db"))
    assert text.returncode == 2 and "text.db: not a govscan store (file is not a database)" in text.stderr
