"""The cache of schema-valid documents: it skips only documents validated before, and invalidates."""

import json
import os

import pytest

from scanner.policy import schema
from scanner.policy.yamlpos import load_documents

VALID = """\
apiVersion: govscan/v1
kind: Profile
metadata: {id: cache-test, version: 1.0.0, title: Cache test}
select: {include: ["host-*"]}
"""
INVALID = VALID + "gate: {fail_on_severity: extreme}\n"
PROBLEM = "'extreme' is not one of critical, high, medium, low, info, none"


def doc(text):
    docs, problems = load_documents(text, "p.yaml")
    assert problems == []
    return docs[0]


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A fresh cache under a private XDG_CACHE_HOME; returns the cache file's path."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("GOVSCAN_NO_CACHE", raising=False)
    monkeypatch.setattr(schema, "_VALID", schema._ValidCache())
    return tmp_path / "govscan" / "valid-documents.json"


def fresh_process(monkeypatch):
    """What the next govscan run sees: the cache file, no in-memory state."""
    monkeypatch.setattr(schema, "_VALID", schema._ValidCache())


def write(path, stamp, hashes, mode=0o600):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"stamp": stamp, "valid": hashes}))
    os.chmod(path, mode)


def test_valid_document_is_recorded_private_and_invalid_is_not(cache):
    assert schema.validate(doc(VALID)) == []
    bad = schema.validate(doc(INVALID))
    assert [d.message for d in bad] == [PROBLEM]
    schema.save_cache()
    stored = json.loads(cache.read_text())
    assert stored["valid"] == [schema._ValidCache.key(doc(VALID).data)]
    assert cache.stat().st_mode & 0o777 == 0o600
    assert cache.parent.stat().st_mode & 0o777 == 0o700


def test_changed_document_is_validated_again(cache, monkeypatch):
    assert schema.validate(doc(VALID)) == []
    schema.save_cache()
    fresh_process(monkeypatch)
    bad = schema.validate(doc(INVALID))  # same id, one more line: a cache miss, full diagnostics
    assert [(d.line, d.message) for d in bad] == [(5, PROBLEM)]


def test_recorded_hash_skips_validation_only_with_this_stamp_and_a_private_file(cache, monkeypatch):
    bad_key = schema._ValidCache.key(doc(INVALID).data)
    # A cache claiming the invalid document valid: trusted only when stamped by these schemas and
    # owned by the user without group/other write; the first case shows the skip is real.
    write(cache, schema._ValidCache.stamp(), [bad_key])
    assert schema.validate(doc(INVALID)) == []
    fresh_process(monkeypatch)
    write(cache, "0" * 64, [bad_key])  # other schemas or another govscan/jsonschema version
    assert len(schema.validate(doc(INVALID))) == 1
    fresh_process(monkeypatch)
    write(cache, schema._ValidCache.stamp(), [bad_key], mode=0o622)
    assert len(schema.validate(doc(INVALID))) == 1


def test_corrupt_cache_and_opt_out_are_ignored(cache, monkeypatch):
    cache.parent.mkdir(parents=True)
    cache.write_bytes(b"\x00not json")
    os.chmod(cache, 0o600)
    assert len(schema.validate(doc(INVALID))) == 1
    assert schema.validate(doc(VALID)) == []
    schema.save_cache()
    assert json.loads(cache.read_text())["valid"] == [schema._ValidCache.key(doc(VALID).data)]
    fresh_process(monkeypatch)
    monkeypatch.setenv("GOVSCAN_NO_CACHE", "1")
    write(cache, schema._ValidCache.stamp(), [schema._ValidCache.key(doc(INVALID).data)])
    assert len(schema.validate(doc(INVALID))) == 1


def test_key_tells_types_apart():
    keys = {schema._ValidCache.key(v) for v in ({"a": 1}, {"a": "1"}, {"a": True}, {"a": 1.0}, {1: 1})}
    assert len(keys) == 5
