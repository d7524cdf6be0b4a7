"""Network benchmark: govscan's overhead over plain nmap on loopback, and a 10,000-host XML import.

Run: python bench/network.py [--hosts 10000] [--rounds 2] [--skip-live] [--json FILE]. Prints figures; it is not part of the test run.
Only 127.0.0.1 is scanned, on the ports of services this script starts.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# bench/ holds reports.py etc., which would shadow the packages of the same name
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT / "tests" / "network"))

import net_services as S

from scanner.cli import cli
from scanner.cli.common import run_cli

SCRIPTS = "ssl-enum-ciphers,ssl-cert,ssh2-enum-algos,sshv1,http-title"


def govscan(*argv: str) -> int:
    try:
        return run_cli(cli, list(argv))
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1


def start_services(d: Path) -> tuple[list[int], list[S.Sshd]]:
    ca = S.make_ca(d)
    wc, wk = S.make_cert(d, "weak", self_signed=True, expired=True)
    sc, sk = S.make_cert(d, "strong", self_signed=False, expired=False, ca=ca)
    strong = S.serve(S.HTTPServer(S.PageHandler, S.strong_tls_context(sc, sk)))
    ports = [S.serve(S.HTTPServer(S.PageHandler, S.weak_tls_context(wc, wk))), strong,
             S.serve(S.HTTPServer(S.RedirectHandler, https_port=strong)), S.serve(S.HTTPServer(S.PageHandler)),
             S.serve(S.BannerServer(S.TELNET_BANNER)), S.serve(S.BannerServer(S.FTP_BANNER, S.FTP_REPLY))]
    sshds = [S.start_sshd(d / "weak", S.WEAK_SSH), S.start_sshd(d / "strong", S.STRONG_SSH)]
    return ports + [s.port for s in sshds], sshds


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def bench_loopback(d: Path, rounds: int) -> list[dict[str, float]]:
    ports, sshds = start_services(d)
    plist = ",".join(map(str, ports))
    flag = "-sS"
    base = ["nmap", flag, "-T4", "--host-timeout", "5m", "-n", "-p", plist]
    out = []
    try:
        for i in range(rounds):
            one = timed(lambda: subprocess.run(base + ["-sV", "--script", SCRIPTS, "-oX", str(d / "plain.xml"),
                                                       "127.0.0.1"], check=True, capture_output=True))
            ver = timed(lambda: subprocess.run(base + ["-sV", "-oX", str(d / "sv.xml"), "127.0.0.1"],
                                               check=True, capture_output=True))
            db = d / f"bench{i}.db"
            gov = timed(lambda: govscan("scan", "nmap://127.0.0.1", "-p", "network-baseline", "--input",
                                        f"ports={plist}", "--db", str(db), "-q"))
            print(f"loopback round {i + 1}: {len(ports)} services | plain nmap -sV + scripts (one run) {one:.2f}s | "
                  f"plain nmap -sV alone {ver:.2f}s | govscan scan (2-phase nmap + 18 controls + store) {gov:.2f}s | "
                  f"overhead vs one nmap run {gov / one:.2f}x ({gov - one:+.2f}s)")
            out.append({"services": len(ports), "nmap_sv_scripts_s": round(one, 2), "nmap_sv_s": round(ver, 2),
                        "govscan_s": round(gov, 2), "overhead_x": round(gov / one, 2)})
    finally:
        for s in sshds:
            s.stop()
    return out


def make_big_xml(path: Path, hosts: int) -> None:
    cipher = ('<table><elem key="name">TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256</elem><elem key="kex_info">'
              'ecdh_x25519</elem><elem key="strength">A</elem></table>')
    tls = (f'<script id="ssl-enum-ciphers" output="..."><table key="TLSv1.2"><table key="ciphers">{cipher}</table>'
           '</table><elem key="least strength">A</elem></script>')
    with path.open("w") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE nmaprun>\n'
                 '<nmaprun scanner="nmap" args="generated" start="1700000000" version="7.93" xmloutputversion="1.05">\n'
                 '<scaninfo type="syn" protocol="tcp" numservices="65535" services="1-65535"/>\n')
        for i in range(hosts):
            addr = f"10.{i // 65536}.{(i // 256) % 256}.{i % 256}"
            extra = ('<port protocol="tcp" portid="23"><state state="open" reason="syn-ack"/><service name="telnet"/>'
                     '</port>') if i % 10 == 0 else ""
            fh.write(f'<host><status state="up" reason="syn-ack"/><address addr="{addr}" addrtype="ipv4"/><ports>'
                     '<port protocol="tcp" portid="22"><state state="open" reason="syn-ack"/><service name="ssh" '
                     'product="OpenSSH" extrainfo="protocol 2.0"/><script id="ssh2-enum-algos" output="..."><table '
                     'key="kex_algorithms"><elem>curve25519-sha256</elem></table><table key="encryption_algorithms">'
                     '<elem>aes128-ctr</elem></table><table key="mac_algorithms"><elem>hmac-sha2-256</elem></table>'
                     '</script></port>'
                     f'<port protocol="tcp" portid="443"><state state="open" reason="syn-ack"/><service name="https" '
                     f'tunnel="ssl"/>{tls}</port>{extra}</ports></host>\n')
        fh.write('<runstats><finished exit="success"/></runstats></nmaprun>\n')


def bench_import(d: Path, hosts: int) -> dict[str, float]:
    from checks.network.provider import NetworkProvider
    from scanner.provider import CollectContext

    path = d / "big.xml"
    gen = timed(lambda: make_big_xml(path, hosts))
    size = path.stat().st_size / 1e6
    prov = NetworkProvider()
    t = time.perf_counter()
    [target] = prov.parse_target(f"nmap-xml:{path}", {})
    parse = time.perf_counter() - t
    coll = prov.collect(target, frozenset({"network.host", "network.service"}), CollectContext())
    build = time.perf_counter() - t - parse
    db = d / "import.db"
    full = timed(lambda: govscan("scan", f"nmap-xml:{path}", "-p", "network-baseline", "--db", str(db), "-q"))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"import: {hosts} hosts, {size:.1f} MB XML (generated in {gen:.2f}s) | parse {parse:.2f}s "
          f"({hosts / parse:,.0f} hosts/s) | build {len(coll.resources['network.host'])} hosts + "
          f"{len(coll.resources['network.service'])} services {build:.2f}s | govscan scan nmap-xml (18 controls, "
          f"store) {full:.2f}s | peak RSS {rss:.0f} MB")
    return {"hosts": hosts, "xml_mb": round(size, 1), "parse_s": round(parse, 2), "build_s": round(build, 2),
            "scan_s": round(full, 2), "peak_rss_mib": round(rss)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--hosts", type=int, default=10000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--skip-live", action="store_true")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON to this file")
    args = ap.parse_args()
    figures: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        if not args.skip_live:
            figures["loopback"] = bench_loopback(d, args.rounds)
        figures["import"] = bench_import(d, args.hosts)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
