"""How many malloc arenas a scan's threads get (glibc only).

A scan runs dozens of threads (an AWS account: 48 collecting; an SSH fleet: one per host in flight).
glibc gives threads that allocate at the same time their own arenas, up to eight per core, and memory
freed in one arena serves only that arena: in an AWS scan of 10,000 resources that held about 50 MB
(a fifth of the peak) that no later allocation could reuse. Python allocates its own small objects
elsewhere (pymalloc), and the threads mostly wait on the network, so two arenas cost no measurable
time (``bench/README.md``). A ``MALLOC_ARENA_MAX`` the user set is left as it is (glibc read it at
start), and other C libraries are left alone.
"""

from __future__ import annotations

import os
import threading

ARENAS = 2
_M_ARENA_MAX = -8  # glibc's mallopt parameter number
_lock = threading.Lock()
_state: list[bool] = []


def cap_arenas() -> bool:
    """Cap glibc's malloc arenas at :data:`ARENAS` for this process (once); True if capped now or before.

    Arenas already made stay; called before a scan starts its threads.
    """
    with _lock:
        if not _state:
            _state.append(_cap())
        return _state[0]


def _cap() -> bool:
    if os.environ.get("MALLOC_ARENA_MAX") is not None:
        return False
    try:
        libc = os.confstr("CS_GNU_LIBC_VERSION") or ""
    except (ValueError, OSError, AttributeError):  # not a glibc system (or no confstr at all)
        return False
    if not libc.startswith("glibc"):
        return False
    import ctypes

    try:
        return bool(ctypes.CDLL(None).mallopt(_M_ARENA_MAX, ARENAS))
    except (OSError, AttributeError):
        return False
