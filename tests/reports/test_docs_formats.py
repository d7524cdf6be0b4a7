"""docs/reports.md: the format sections' commands exist with their options, the `stig` example is the
shipped one, and the shipped STIG list matches the pack."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import yaml

from stigscan import ROOT

DOC = (ROOT / "docs" / "reports.md").read_text()
COMMANDS = [ln.strip() for block in re.findall(r"```sh\n(.*?)```", DOC, re.S) for ln in block.splitlines()
            if ln.strip().startswith("govscan ")]


def test_sections_have_examples():
    assert len(COMMANDS) == 7  # the sarif and oscal option examples, and the five of the agency formats


@pytest.mark.parametrize("line", COMMANDS)
def test_commands_and_options_exist(line):
    words = line.split()[1:]
    command = [w for w in words[:2] if re.fullmatch(r"[a-z][a-z-]*", w) and w != "local"]
    proc = subprocess.run([sys.executable, "-m", "scanner", *command, "--help"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    for option in re.findall(r"(?<!\S)(--?[a-zA-Z][a-z-]*)", line):
        assert re.search(rf"(?<![\w-]){re.escape(option)}\b", proc.stdout), f"{line}: {option}"
    for fmt in re.findall(r"-f (\S+)", line):
        assert fmt in ("ckl", "cklb", "hdf", "oscal-ar", "oscal-poam", "oscal-component", "sarif")


def test_stig_example_is_a_shipped_entry():
    [block] = [b for b in re.findall(r"```yaml\n(.*?)```", DOC, re.S) if b.startswith("stig:")]
    entry = yaml.safe_load(block)["stig"]
    shipped = [d for d in yaml.safe_load_all((ROOT / "policies/controls/host/sshd.yaml").read_text())
               if d and d["metadata"]["id"] == "host-sshd-use-pam"]
    assert shipped[0]["stig"] == entry


def test_shipped_list_matches_the_pack():
    from scanner.policy import load

    pset = load(())
    # the inline `stig:` keys (the loader adds those of policies/stig/mapping.json: docs/host.md)
    mapped = {c.id: [e["vuln_id"] for e in pset.documents[("Control", c.id)].data.get("stig", ())]
              for c in pset.controls.values() if pset.documents[("Control", c.id)].data.get("stig")}
    assert mapped == {"host-sshd-no-empty-passwords": ["V-260526"], "host-sshd-no-user-environment": ["V-260526"],
                      "host-sshd-use-pam": ["V-260534"], "host-sysctl-syncookies": ["V-260522"],
                      "host-sysctl-aslr": ["V-260474"]}
    for cid, vulns in mapped.items():
        assert f"`{cid}`" in DOC and vulns[0] in DOC
