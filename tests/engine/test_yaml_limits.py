"""Every YAML govscan reads is bounded: alias bombs, deep nesting and oversized files are refused
with file:line:col and exit 2, fast and in little memory (issue 9)."""

import functools
import os
import resource
import subprocess
import sys
import time

import pytest

from scanner.policy.yamlpos import MAX_BYTES, MAX_DEPTH, MAX_NODES, load_documents

# nine levels of nine-fold aliases: 9**9 (387 million) strings from a few hundred bytes
BOMB_LINES = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'] + [
    f"{x}: &{x} [" + ",".join([f"*{p}"] * 9) + "]" for p, x in zip("abcdefgh", "bcdefghi")]
# the alias that takes the expansion past MAX_NODES (250000): the third *e (65611 values each) of line f:
BOMB_LINE, BOMB_COL = 6, 14


def bomb(header, indent=""):
    """A document of ``header`` lines followed by the bomb (indented under the last header key)."""
    return "\n".join(header + [indent + line for line in BOMB_LINES]) + "\n"


MEMORY_CAP = 1 << 30  # 1 GiB of address space: the bomb used 4-7 GB before


def _cap_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def govscan_measured(*args, cwd=None):
    """Run ``python -m scanner`` under a 1 GiB address-space cap; return (exit code, stdout, stderr, CPU
    seconds) of that process alone (os.wait4), so the bound does not depend on how busy the machine is."""
    with open(os.devnull, "rb") as devnull:
        proc = subprocess.Popen([sys.executable, "-m", "scanner", *args], stdin=devnull, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, cwd=cwd, preexec_fn=_cap_memory)
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stdout.close()
    proc.stderr.close()
    return proc.returncode, out, err, usage.ru_utime + usage.ru_stime


#: CPU seconds a refusal may add to loading the shipped policy set (the bomb took minutes and 4-7 GB before).
REFUSAL_CPU = 0.5


@functools.cache
def baseline_cpu() -> float:
    """CPU seconds of a command that loads and lints every shipped control and profile (`policy list`):
    what a scan costs before it reads its own inputs. It grows with the content, so the bound is relative."""
    runs = [govscan_measured("policy", "list") for _ in range(2)]
    assert all(r[0] == 0 for r in runs), runs[0][2]
    return min(r[3] for r in runs)


def assert_refused(result, expected_lines):
    code, out, err, cpu = result
    assert "Traceback" not in err and "MemoryError" not in err
    assert err.splitlines() == expected_lines
    assert code == 2
    assert cpu < baseline_cpu() + REFUSAL_CPU, f"{cpu:.2f} s of CPU (loading the shipped policies: {baseline_cpu():.2f} s)"


ALIAS_MESSAGE = f"refused: alias *e would expand the YAML past {MAX_NODES} values, the limit (an alias bomb?)"


def test_bomb_in_a_control_file_lint_and_scan(tmp_path):
    f = tmp_path / "bomb.yaml"
    f.write_text(bomb(["apiVersion: govscan/v1", "kind: Control"]))
    line = f"{f}:{BOMB_LINE + 2}:{BOMB_COL}: {ALIAS_MESSAGE}"
    assert_refused(govscan_measured("policy", "lint", str(f)), [line, "govscan: 1 problem found"])
    assert_refused(govscan_measured("scan", "local", "--policies", str(f), "--db", str(tmp_path / "db")),
                   [line, "govscan: 1 problem found"])
    assert not (tmp_path / "db").exists()


def test_bomb_in_a_profile_file(tmp_path):
    f = tmp_path / "profile.yaml"
    f.write_text(bomb(["apiVersion: govscan/v1", "kind: Profile", "metadata: {id: bomb-profile, title: x}",
                       "inputs:"], indent="  "))
    line = f"{f}:{BOMB_LINE + 4}:{BOMB_COL + 2}: {ALIAS_MESSAGE}"
    assert_refused(govscan_measured("scan", "local", "-p", "bomb-profile", "--policies", str(f),
                                    "--db", str(tmp_path / "db")), [line, "govscan: 1 problem found"])


def test_bomb_in_a_waiver_file(tmp_path):
    f = tmp_path / "waivers.yaml"
    f.write_text(bomb(["apiVersion: govscan/v1", "kind: Waiver", "metadata: {id: WVR-BOMB}", "match:"], indent="  "))
    line = f"{f}:{BOMB_LINE + 4}:{BOMB_COL + 2}: {ALIAS_MESSAGE}"
    assert_refused(govscan_measured("scan", "local", "-w", str(f), "--db", str(tmp_path / "db")),
                   [line, "govscan: 1 problem found"])


def test_bomb_in_an_inventory(tmp_path):
    f = tmp_path / "inventory.yaml"
    f.write_text(bomb(["apiVersion: govscan/v1", "kind: Inventory", "targets: [local]", "vars:"], indent="  "))
    line = f"{f}:{BOMB_LINE + 4}:{BOMB_COL + 2}: {ALIAS_MESSAGE}"
    assert_refused(govscan_measured("scan", "-i", str(f), "--db", str(tmp_path / "db")),
                   [line, "govscan: 1 problem found"])


def test_bomb_in_an_input_value(tmp_path):
    value = "[" + ", ".join(BOMB_LINES[i].split(": ", 1)[1] for i in range(9)) + "]"
    col = value.index("[*e") + 2 + 6  # the third *e
    assert_refused(govscan_measured("scan", "local", "--input", f"max_tries={value}", "--db", str(tmp_path / "db")),
                   [f"govscan: error: --input max_tries:1:{col}: {ALIAS_MESSAGE}"])


def test_deep_nesting_is_refused_at_the_level_that_crosses_the_limit(tmp_path):
    f = tmp_path / "deep.yaml"
    f.write_text("apiVersion: govscan/v1\nkind: Control\nassert: " + "[" * 100000 + "\n")
    assert_refused(govscan_measured("policy", "lint", str(f)),
                   [f"{f}:3:{8 + MAX_DEPTH}: refused: nesting deeper than {MAX_DEPTH} levels",
                    "govscan: 1 problem found"])
    value = "{a: " * 1000 + "1" + "}" * 1000
    assert_refused(govscan_measured("scan", "local", "--input", f"x={value}", "--db", str(tmp_path / "db")),
                   [f"govscan: error: --input x:1:{1 + 4 * MAX_DEPTH}: refused: nesting deeper than {MAX_DEPTH} levels"])


def test_oversized_files_and_inputs_are_refused_before_parsing(tmp_path):
    f = tmp_path / "big.yaml"
    with open(f, "w") as fh:
        fh.write("# padding\n" * (MAX_BYTES // 10 + 1))
    assert_refused(govscan_measured("scan", "-i", str(f), "--db", str(tmp_path / "db")),
                   [f"{f}:1:1: refused: inventory larger than 8 MiB (the limit for any YAML govscan reads)",
                    "govscan: 1 problem found"])
    assert_refused(govscan_measured("scan", "local", "--input", "x=" + "1" * (64 * 1024 + 1),
                                    "--db", str(tmp_path / "db")),
                   ["govscan: error: --input x: refused: value larger than 64 KiB"])


def test_aliases_within_the_limits_still_work():
    text = "base: &b {user: admin, port: 22}\nweb: {vars: *b, port: 2222}\nlist: [*b, *b]\n"
    docs, problems = load_documents(text, "f.yaml")
    assert problems == []
    assert docs[0].data == {"base": {"user": "admin", "port": 22}, "web": {"vars": {"user": "admin", "port": 22},
                                                                             "port": 2222},
                            "list": [{"user": "admin", "port": 22}] * 2}
    assert docs[0].pos(("web", "port")) == (2, 23)


@pytest.mark.parametrize("text, message", [
    ("a: &a [1, *a]\n", "1:11: refused: alias *a refers to a collection that contains it (recursive alias)"),
    ("a: *nope\n", "1:4: invalid YAML: found undefined alias 'nope'"),
])
def test_recursive_and_undefined_aliases(text, message):
    docs, problems = load_documents(text, "f.yaml")
    assert [str(p) for p in problems] == [f"f.yaml:{message}"]


def test_the_bomb_alone_parses_fast_in_process():
    start = time.process_time()
    _, problems = load_documents(bomb([]), "f.yaml")
    assert time.process_time() - start < 0.5
    assert [str(p) for p in problems] == [f"f.yaml:{BOMB_LINE}:{BOMB_COL}: {ALIAS_MESSAGE}"]
