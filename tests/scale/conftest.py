"""A real Dask cluster on loopback with mutual TLS: one scheduler and two workers, started per module.

Certificates come from a CA generated for the session (tlsfiles.py). The scheduler and workers bind
127.0.0.1 only, their HTTP endpoints too (``--dashboard-address 127.0.0.1:0``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "host"))

from sshd_fixture import ssh_fleet  # noqa: E402,F401  (real sshd fixtures)
from sshd_fixture import free_port  # noqa: E402
from tlsfiles import CA  # noqa: E402

distributed = pytest.importorskip("distributed")


@dataclass
class Cluster:
    folder: Path
    ca: Path
    client_cert: Path
    client_key: Path
    address: str = ""
    scheduler: subprocess.Popen[bytes] | None = None
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    """Environment of the workers (their own AWS settings: tasks never carry credentials)."""

    def tls_args(self) -> list[str]:
        return ["--tls-ca", str(self.ca), "--tls-cert", str(self.client_cert), "--tls-key", str(self.client_key)]

    def client(self):  # type: ignore[no-untyped-def]
        from distributed import Client
        from distributed.security import Security

        sec = Security(tls_ca_file=str(self.ca), tls_client_cert=str(self.client_cert),
                       tls_client_key=str(self.client_key), require_encryption=True)
        return Client(self.address, security=sec, timeout=10, set_as_default=False)

    def start_worker(self, name: str) -> subprocess.Popen[bytes]:
        cert, key = CA_CACHE[str(self.folder)].issue(name)
        log = open(self.folder / f"{name}.log", "wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", self.address, "--name", name, "--nthreads", "2",
             "--no-nanny", "--host", "127.0.0.1", "--dashboard-address", "127.0.0.1:0",
             "--tls-ca-file", str(self.ca), "--tls-cert", str(cert), "--tls-key", str(key)],
            stdout=log, stderr=subprocess.STDOUT, cwd=Path(__file__).resolve().parents[2], env={**_worker_env(), **self.env},
        )
        self.workers.append(proc)
        return proc

    def stop(self) -> None:
        for proc in [*self.workers, self.scheduler]:
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in [*self.workers, self.scheduler]:
            if proc is None:
                continue
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


CA_CACHE: dict[str, CA] = {}


def _worker_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])  # the checkout under test
    return env


def start_cluster(folder: Path, workers: int = 2, env: dict[str, str] | None = None) -> Cluster:
    ca = CA(folder)
    CA_CACHE[str(folder)] = ca
    sched_cert, sched_key = ca.issue("scheduler")
    client_cert, client_key = ca.issue("client")
    cluster = Cluster(folder, ca.path, client_cert, client_key, env=dict(env or {}))
    sched_file = folder / "scheduler.json"
    log = open(folder / "scheduler.log", "wb")
    cluster.scheduler = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
         "--protocol", "tls", "--dashboard-address", "127.0.0.1:0", "--scheduler-file", str(sched_file),
         "--tls-ca-file", str(ca.path), "--tls-cert", str(sched_cert), "--tls-key", str(sched_key)],
        stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while not sched_file.exists() or not sched_file.read_text().strip():
        if time.monotonic() > deadline or cluster.scheduler.poll() is not None:
            cluster.stop()
            raise RuntimeError(f"dask scheduler did not start: {(folder / 'scheduler.log').read_text()}")
        time.sleep(0.1)
    try:
        cluster.address = json.loads(sched_file.read_text())["address"]
        for i in range(workers):
            cluster.start_worker(f"worker{i}")
        if workers:
            with cluster.client() as client:
                client.wait_for_workers(workers, timeout=60)
    except BaseException:
        cluster.stop()  # never leave a scheduler or worker behind
        raise
    return cluster


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A moto_server on loopback with one IAM user; the AWS environment a worker and the CLI use."""
    port = free_port("127.0.0.1")
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "wb")
    proc = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT)
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_CONFIG_FILE": "/dev/null",
           "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}
    try:
        import boto3

        deadline = time.monotonic() + 30
        while True:
            try:
                iam = boto3.client("iam", endpoint_url=env["AWS_ENDPOINT_URL"], region_name="us-east-1",
                                   aws_access_key_id="testing", aws_secret_access_key="testing")
                iam.create_user(UserName="alice")
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        iam.create_access_key(UserName="alice")
        yield env
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, moto: dict[str, str]) -> Iterator[Cluster]:
    c = start_cluster(tmp_path_factory.mktemp("dask"), env=moto)
    try:
        yield c
    finally:
        c.stop()
