"""Run the README's network example in a private network namespace, as root and then as 'nobody'.

Started by test_net_readme.py as ``unshare -n python readme_netns.py WORKDIR``: the namespace has
its own empty loopback, so ``nmap://127.0.0.1`` sees exactly the services started here (sshd on 22,
HTTPS on 443, an HTTP redirect on 80, a plain HTTP page on 8080) and nothing else on the machine.
The command is the README's, word for word, run in-process in a fresh directory (so it writes
./govscan.db there). Root's Python tree is not readable by 'nobody', so the root run goes first and
leaves every module imported; then a child drops to uid/gid 65534 and runs it again.
Prints one line per run: ``RUN <who> <exit code>``.
The unprivileged run is a forked child, so the root parent can stop sshd at the end.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import net_services as S  # noqa: E402

README_ARGS = ["scan", "nmap://127.0.0.1", "-p", "network-baseline"]
NOBODY = 65534


def main(work: Path) -> None:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    certs = work / "certs"
    certs.mkdir()
    ca = S.make_ca(certs)
    crt, key = S.make_cert(certs, "strong", self_signed=False, expired=False, ca=ca)
    servers = [S.HTTPServer(S.PageHandler, S.strong_tls_context(crt, key), port=443),
               S.HTTPServer(S.RedirectHandler, https_port=443, port=80),
               S.HTTPServer(S.PageHandler, port=8080)]
    for server in servers:
        S.serve(server)
    sshd = S.start_sshd(work / "sshd", S.STRONG_SSH, port=22)
    from scanner.cli import cli
    from scanner.cli.common import run_cli

    try:
        for who in ("root", "nobody"):
            d = work / who
            d.mkdir()
            if who == "root":
                os.chdir(d)
                print(f"RUN root {run_cli(cli, README_ARGS)}", flush=True)
                continue
            # the unprivileged run in a child, so this (root) process can still stop sshd afterwards
            os.chown(d, NOBODY, NOBODY)
            pid = os.fork()
            if pid == 0:
                code = 70
                try:
                    os.setgroups([])
                    os.setgid(NOBODY)
                    os.setuid(NOBODY)
                    os.chdir(d)
                    print(f"RUN nobody {run_cli(cli, README_ARGS)}", flush=True)
                    code = 0
                except BaseException:
                    import traceback

                    traceback.print_exc()
                finally:
                    sys.stdout.flush()
                    os._exit(code)
            os.waitpid(pid, 0)
    finally:
        os.chdir(work)
        sshd.stop()
        for server in servers:
            server.shutdown()
            server.server_close()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
