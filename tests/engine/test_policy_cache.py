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


# --- the cache of parsed shipped policy files (scanner/policy/cache.py) ---

import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402

import policies  # noqa: E402
from scanner.policy import cache as pcache  # noqa: E402
from scanner.policy import loader  # noqa: E402

BROKEN = "apiVersion: govscan/v1\nkind: Control\nmetadata: {id: host-broken, title: x\n"


@pytest.fixture
def parsed(tmp_path, monkeypatch):
    """A private cache dir and a fresh process state; returns the parsed-policies cache file."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("GOVSCAN_NO_CACHE", raising=False)
    monkeypatch.setattr(loader, "_PARSED", {})
    return tmp_path / "xdg" / "govscan" / "parsed-policies.json"


def new_process(monkeypatch):
    monkeypatch.setattr(loader, "_PARSED", {})


def counting(monkeypatch):
    """Count the files really parsed from then on."""
    seen: list[str] = []
    real = loader._read_one

    def spy(f, docs, problems):
        seen.append(str(f))
        real(f, docs, problems)

    monkeypatch.setattr(loader, "_read_one", spy)
    return seen


def snapshot(pset):
    """Everything later stages read from a PolicySet: records, their digests and sources, every position."""
    return (
        {k: (c.sha256, c.source, c.document) for k, c in pset.controls.items()},
        {k: (p.sha256, p.source) for k, p in pset.profiles.items()},
        {k: (d.file, d.index, d.data, d.positions, d.key_positions) for k, d in pset.documents.items()},
        [str(d) for d in pset.diagnostics],
    )


def test_warm_load_equals_cold_and_parses_nothing_shipped(parsed, monkeypatch):
    cold = loader.collect([])
    assert len(cold.controls) > 1000
    assert parsed.stat().st_mode & 0o777 == 0o600 and parsed.parent.stat().st_mode & 0o777 == 0o700
    new_process(monkeypatch)
    seen = counting(monkeypatch)
    warm = loader.collect([])
    assert seen == []  # every shipped file came from the cache
    assert snapshot(warm) == snapshot(cold)
    new_process(monkeypatch)
    monkeypatch.setenv("GOVSCAN_NO_CACHE", "1")
    assert snapshot(loader.collect([])) == snapshot(cold)


def test_broken_user_policy_is_reported_identically_cold_and_warm(tmp_path, parsed):
    bad = tmp_path / "broken.yaml"
    bad.write_text(BROKEN)
    shipped = next(iter(loader.collect([], lint=False).controls.values()))
    dup = tmp_path / "dup.yaml"  # its problem names where the shipped control is: a cached position
    dup.write_text(f"apiVersion: govscan/v1\nkind: Control\nmetadata: {{id: {shipped.id}, version: 1.0.0, "
                   "title: A duplicate of a shipped control, severity: low}\ntarget: {provider: host, resource: host.sshd}\n"
                   "assert: {key: permitrootlogin, op: eq, value: 'no'}\n")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg"), "GOVSCAN_DB": ""}
    env.pop("GOVSCAN_NO_CACHE", None)
    runs = [subprocess.run([sys.executable, "-m", "scanner", "policy", "lint", str(bad), str(dup)], capture_output=True,
                           text=True, env=env, cwd=tmp_path, timeout=300) for _ in range(2)]
    assert parsed.exists()
    assert [r.returncode for r in runs] == [2, 2]
    out = runs[0].stdout + runs[0].stderr
    assert f"{bad}:4:1: invalid YAML" in out
    assert f"{dup}:3:" in out and f"(first defined at {shipped.source})" in out
    assert (runs[0].stdout, runs[0].stderr) == (runs[1].stdout, runs[1].stderr)


@pytest.fixture
def tree(tmp_path, monkeypatch):
    """A copy of the shipped policies standing in for policies.ROOT."""
    root = tmp_path / "policies"
    shutil.copytree(policies.ROOT, root, ignore=shutil.ignore_patterns("__pycache__", "*.py", "frameworks"))
    monkeypatch.setattr(policies, "ROOT", root)
    monkeypatch.setattr(policies, "CONTROLS", root / "controls")
    monkeypatch.setattr(policies, "PROFILES", root / "profiles")
    return root


def test_content_change_with_same_size_and_mtime_invalidates(tree, parsed, monkeypatch):
    cold = loader.collect([])
    ctl = next(iter(cold.controls.values()))
    f = ctl.source.file
    path = type(tree)(f)
    st = path.stat()
    text = path.read_text()
    old_title = ctl.title
    new_title = old_title[:-1] + ("X" if old_title[-1] != "X" else "Y")
    assert text.count(f"title: {old_title}\n") == 1
    path.write_text(text.replace(f"title: {old_title}\n", f"title: {new_title}\n"))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns
    new_process(monkeypatch)
    seen = counting(monkeypatch)
    warm = loader.collect([])
    assert warm.controls[ctl.id].title == new_title
    assert f in seen
    new_process(monkeypatch)
    seen = counting(monkeypatch)
    assert snapshot(loader.collect([])) == snapshot(warm) and seen == []  # rewritten for the new content


def _valid_entry_breakages(blob: bytes):
    import orjson

    good = orjson.loads(blob)
    rel = next(iter(good["files"]))
    for bad_entry in ("x", {"docs": "x"}, {"docs": [{"index": "0"}], "problems": []},
                      {"docs": [{"index": 0, "data": {}, "pos": [[["a"], "1", 1]], "keys": []}], "problems": []},
                      {"docs": [{"index": 0, "data": {}, "pos": [[[{"a": 1}], 1, 1]], "keys": []}], "problems": []},
                      {"docs": [], "problems": [[1, 1, "m", None, "fatal"]]}):
        yield orjson.dumps({"key": good["key"], "files": {**good["files"], rel: bad_entry}})


def test_corrupt_truncated_hostile_or_foreign_cache_is_ignored_and_rewritten(parsed, monkeypatch):
    cold = snapshot(loader.collect([]))
    blob = parsed.read_bytes()
    bads = [b"\x00garbage", blob[: len(blob) // 2], b"[]", b'{"key": "0", "files": {}}',
            blob.replace(b'"key":"', b'"key":"0', 1), *_valid_entry_breakages(blob)]
    for bad in bads:
        parsed.write_bytes(bad)
        new_process(monkeypatch)
        assert snapshot(loader.collect([])) == cold
        assert json.loads(parsed.read_bytes()) == json.loads(blob)  # rewritten whole
    # a group-writable file or a symlink is not read at all
    for mode in (0o620, 0o602):
        os.chmod(parsed, mode)
        new_process(monkeypatch)
        seen = counting(monkeypatch)
        assert snapshot(loader.collect([])) == cold and seen
    link = parsed.with_name("elsewhere.json")
    parsed.rename(link)
    parsed.symlink_to(link)
    new_process(monkeypatch)
    seen = counting(monkeypatch)
    assert snapshot(loader.collect([])) == cold and seen


def test_oversized_cache_is_not_read(parsed, monkeypatch):
    cold = snapshot(loader.collect([]))
    with open(parsed, "r+b") as fh:
        fh.truncate(pcache.MAX_BYTES + 1)  # sparse: costs no disk
    new_process(monkeypatch)
    seen = counting(monkeypatch)
    assert snapshot(loader.collect([])) == cold and seen
    assert parsed.stat().st_size < pcache.MAX_BYTES


def test_opt_out_and_unwritable_cache_dir_parse_silently(tmp_path, parsed, monkeypatch):
    monkeypatch.setenv("GOVSCAN_NO_CACHE", "1")
    cold = snapshot(loader.collect([]))
    assert not parsed.parent.exists()
    monkeypatch.delenv("GOVSCAN_NO_CACHE")
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # a file where the directory should be
    new_process(monkeypatch)
    assert snapshot(loader.collect([])) == cold


def test_only_data_json_gives_back_exactly_is_cached():
    assert pcache._exact({"a": [1, 2.5, None, True, "x"]})
    assert not pcache._exact({1: "a"}) and not pcache._exact({"a": float("nan")}) and not pcache._exact(2**64)


CHILD = """
import hashlib, json, os, sys
os.environ["GOVSCAN_NO_CACHE"] = "1"
from scanner.policy import loader
loader.collect([])  # as root: imports every module (root's Python tree is not readable once we are 'nobody')
loader._PARSED.clear()
del os.environ["GOVSCAN_NO_CACHE"]
os.setgid(65534); os.setuid(65534)
pset = loader.collect([])
print(json.dumps([sorted((k, c.sha256, str(c.source)) for k, c in pset.controls.items()),
                  [str(d) for d in pset.diagnostics]]))
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop to an unprivileged user")
def test_unprivileged_user_with_unwritable_then_private_cache():
    """As uid 65534: a home it cannot write means parsing, silently; a cache dir of its own is used."""
    base = tempfile.mkdtemp(prefix="govscan-cache-")
    try:
        os.chmod(base, 0o755)
        own = os.path.join(base, "own")
        os.mkdir(own)
        os.chown(own, 65534, 65534)
        env = {k: v for k, v in os.environ.items() if k not in ("GOVSCAN_NO_CACHE", "XDG_CACHE_HOME")}
        env.update(HOME=base, PYTHONPATH=os.getcwd())

        def run(**extra):
            return subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                                  env={**env, **extra}, cwd=base, timeout=300)

        outs = [run(), run(XDG_CACHE_HOME=own), run(XDG_CACHE_HOME=own)]
        assert [o.returncode for o in outs] == [0, 0, 0], outs[0].stderr
        assert [o.stderr for o in outs] == ["", "", ""]
        assert outs[0].stdout == outs[1].stdout == outs[2].stdout
        assert len(json.loads(outs[0].stdout)[0]) > 1000
        cached = os.path.join(own, "govscan", "parsed-policies.json")
        assert os.stat(cached).st_uid == 65534 and os.stat(cached).st_mode & 0o777 == 0o600
        assert not os.path.exists(os.path.join(base, ".cache"))
    finally:
        shutil.rmtree(base)


def test_file_json_cannot_hold_exactly_is_parsed_every_time(tree, parsed, monkeypatch):
    odd = tree / "profiles" / "odd.yaml"  # an integer key: JSON would give back the string "1"
    odd.write_text("apiVersion: govscan/v1\nkind: Profile\nmetadata: {id: odd, title: Odd keys here}\n"
                   "select: {include: ['host-*']}\ngate: {1: low}\n")
    cold = loader.collect([])
    new_process(monkeypatch)
    seen = counting(monkeypatch)
    warm = loader.collect([])
    assert seen == [str(odd)]  # every other shipped file came from the cache
    assert snapshot(warm) == snapshot(cold)
    assert f"{odd}:5:8: unknown key 1 in gate" in snapshot(warm)[3]  # not '1': the key is still an integer


def test_odd_positions_in_a_cached_document_are_read_from_the_file(parsed, monkeypatch):
    """Positions are decoded when first read (a scan reads almost none); odd ones there mean the file is
    parsed again for them, so every position is still right."""
    import orjson

    cold = snapshot(loader.collect([]))
    good = orjson.loads(parsed.read_bytes())
    rel = next(r for r, e in good["files"].items() if e["docs"])
    for bad in ('[[["a"], "1", 1]]', "not json", '[[[{"a": 1}], 1, 1]]', '{"a": 1}'):
        entry = {**good["files"][rel], "docs": [{**d, "pos": bad} for d in good["files"][rel]["docs"]]}
        parsed.write_bytes(orjson.dumps({"key": good["key"], "files": {**good["files"], rel: entry}}))
        new_process(monkeypatch)
        seen = counting(monkeypatch)
        warm = loader.collect([])
        assert seen == []  # the data came from the cache
        assert snapshot(warm) == cold  # and every position is right (the odd ones re-read from the file)


def test_a_planned_scan_keeps_no_parsed_document(parsed):
    """A scan holds its selected controls, not the documents (with their position maps) of every shipped
    file: they were most of its memory before collection. Counted in a fresh process, cold and warm."""
    program = (
        "import gc\n"
        "from scanner.engine import ScanRequest, plan\n"
        "from scanner.policy.yamlpos import Document\n"
        "p = plan(ScanRequest(targets=['aws:///us-east-1'], profiles=['aws-foundations']))\n"
        "gc.collect()\n"
        "print(len(p.selection.controls), sum(isinstance(o, Document) for o in gc.get_objects()))\n"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(parsed.parent.parent), "AWS_ACCESS_KEY_ID": "x",
           "AWS_SECRET_ACCESS_KEY": "x", "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_MAX_ATTEMPTS": "1"}
    for run in ("cold", "warm"):
        out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, env=env, timeout=120)
        assert out.returncode == 0, out.stderr
        controls, documents = map(int, out.stdout.split())
        assert controls > 250 and documents == 0, (run, out.stdout)
    assert parsed.exists()
