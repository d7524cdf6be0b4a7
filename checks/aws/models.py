"""botocore's data loader without the documentation text of the service models.

A scan loads the models of every service it reads (41 with every control) once per process and keeps
them for every account: 85 MB, of which the ``documentation`` strings (HTML meant for help pages) are
about 16 MB. botocore reads them only to write docstrings; requests, responses, pagination and errors
never do. So the models are kept without them.
"""

from __future__ import annotations

import threading
from typing import Any

from botocore.loaders import Loader

_DOC_KEYS = ("documentation", "documentationUrl")


def _strip(node: Any) -> None:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key in _DOC_KEYS:
                item.pop(key, None)
            stack.extend(v for v in item.values() if isinstance(v, (dict, list)))
        elif isinstance(item, list):
            stack.extend(v for v in item if isinstance(v, (dict, list)))


class LeanLoader(Loader):
    """A :class:`botocore.loaders.Loader` whose ``service-2`` models carry no documentation."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stripped: set[int] = set()
        self._lock = threading.Lock()

    def load_service_model(self, service_name: str, type_name: str, api_version: str | None = None) -> Any:
        # one thread at a time: no client may read a model while its documentation is being removed
        with self._lock:
            data = super().load_service_model(service_name, type_name, api_version=api_version)
            if type_name == "service-2" and id(data) not in self._stripped:  # the parent caches: once per model
                _strip(data)
                self._stripped.add(id(data))
        return data
