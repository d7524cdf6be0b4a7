"""Judged disagreements of bench/host_vs_openscap.py: SSG rule -> (which tool is right, why).

The judge is the CIS Debian Linux 12 Benchmark v1.1.0 audit as the rule's description and OCIL question in
the datastream state it (the bench prints that text for any disagreement not judged here).
"""

JUDGED: dict[str, tuple[str, str]] = {}
