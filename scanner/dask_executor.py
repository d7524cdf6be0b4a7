"""The Dask distributed executor: whole targets run on a cluster, with mutual TLS.

``--executor tls://scheduler:8786 --tls-ca ca.pem --tls-cert client.pem --tls-key client.key`` (or
Dask's own configuration, ``distributed.comm.tls.*``). Tasks go through the client's
``concurrent.futures`` interface with ``pure=False`` and retries; the control set goes to the cluster
once, as a task keyed by its content hash that every scan task depends on. ``distributed`` is imported only here, when a cluster
executor is asked for.
"""

from __future__ import annotations

import concurrent.futures
import os
from typing import Any, Mapping

from scanner.errors import ScanFailed, UsageError

DEFAULT_RETRIES = 2
DEFAULT_CONNECT_TIMEOUT = 10.0


def _security(address: str, options: Mapping[str, Any]) -> Any:
    """A ``distributed.security.Security`` for ``tls://`` (mutual TLS, encryption required)."""
    from distributed.security import Security

    files = {k: options.get(k) for k in ("tls_ca", "tls_cert", "tls_key")}
    given = {k: v for k, v in files.items() if v}
    if not address.startswith("tls://"):
        if given:
            raise UsageError(f"--executor {address}: --tls-ca/--tls-cert/--tls-key need a tls:// scheduler address")
        return None
    if not given:
        return Security()  # Dask's configuration (distributed.comm.tls.*) decides
    missing = [f"--{k.replace('_', '-')}" for k, v in files.items() if not v]
    if missing:
        raise UsageError(f"--executor {address}: mutual TLS needs --tls-ca, --tls-cert and --tls-key ("
                         f"missing {', '.join(missing)})")
    for k, v in files.items():
        if not os.path.isfile(str(v)):
            raise UsageError(f"--{k.replace('_', '-')} {v}: no such file")
        if not os.access(str(v), os.R_OK):
            raise UsageError(f"--{k.replace('_', '-')} {v}: not readable")
    return Security(tls_ca_file=files["tls_ca"], tls_client_cert=files["tls_cert"], tls_client_key=files["tls_key"],
                    require_encryption=True)


def _identity(obj: Any) -> Any:
    return obj


class DaskExecutor(concurrent.futures.Executor):
    """A ``concurrent.futures`` executor over a connected Dask client."""

    remote = True

    def __init__(self, client: Any, retries: int):
        self.client = client
        self._executor = client.get_executor(pure=False, retries=retries)
        self.address = client.scheduler.address

    def share(self, obj: Any) -> Any:
        # a task that returns the object, rather than scattered data: if every worker holding it dies,
        # the scheduler recomputes it from the task it keeps, where scattered data would be lost (and
        # every task depending on it cancelled)
        key = f"govscan-controls-{getattr(obj, 'sha256', '')[:16]}"
        return self.client.submit(_identity, obj, key=key, pure=False)

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        return self._executor.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        try:
            self._executor.shutdown(wait=wait and not cancel_futures)
        finally:
            self.client.close()


class DaskExecutorFactory:
    """Connects to the scheduler at ``address`` (``dask://``, ``tcp://`` or ``tls://``)."""

    def __call__(self, jobs: int, address: str | None = None,
                 options: Mapping[str, Any] | None = None) -> concurrent.futures.Executor:
        options = dict(options or {})
        if not address:
            raise UsageError("the dask executor needs a scheduler address: --executor tls://HOST:PORT")
        try:
            from distributed import Client
        except ImportError:
            raise UsageError(f"--executor {address}: the Dask executor is not installed; "
                             "install it with: pip install 'govscan[dask]'") from None
        if address.startswith("dask://"):
            address = ("tls://" if options.get("tls_ca") else "tcp://") + address[len("dask://"):]
        security = _security(address, options)
        timeout = float(options.get("connect_timeout") or DEFAULT_CONNECT_TIMEOUT)
        try:
            client = Client(address, security=security, timeout=timeout, set_as_default=False)
        except Exception as exc:  # distributed raises different low-level errors from run to run
            hint = (" (mutual TLS: is this client's certificate signed by the CA the scheduler trusts, and the "
                    "scheduler's by --tls-ca?)" if address.startswith("tls://") else "")
            raise ScanFailed(f"cannot connect to the Dask scheduler at {address} within {timeout:g} s: "
                             f"{type(exc).__name__}{': ' + str(exc) if str(exc) else ''}{hint}") from None
        return DaskExecutor(client, int(options.get("retries", DEFAULT_RETRIES)))
