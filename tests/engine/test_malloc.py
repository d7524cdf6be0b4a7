"""A scan caps glibc's malloc arenas (scanner/malloc.py): its threads share two, whatever their number.

Counted with glibc's own ``malloc_info`` in a fresh interpreter whose 24 threads allocate at the same
time (C-level buffers: bytes objects over pymalloc's 512-byte limit); without the cap the same program
gets more arenas, so the test tells the two apart.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROGRAM = r"""
import ctypes, re, sys, threading
if sys.argv[1] == "cap":
    from scanner.malloc import cap_arenas
    assert cap_arenas() is True
    assert cap_arenas() is True  # once per process; asking again is harmless
elif sys.argv[1] == "scan":
    from scanner import engine
    try:
        engine.execute(None, None, None)  # the cap comes first, before anything else the scan does
    except AttributeError:
        pass

barrier = threading.Barrier(24)
def work():
    barrier.wait()
    keep = [bytes(2048 + i) for i in range(3000)]
    barrier.wait()
    del keep
threads = [threading.Thread(target=work) for _ in range(24)]
for t in threads: t.start()
for t in threads: t.join()

libc = ctypes.CDLL(None)
libc.open_memstream.restype = ctypes.c_void_p
libc.open_memstream.argtypes = [ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(ctypes.c_size_t)]
libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
libc.fclose.argtypes = [ctypes.c_void_p]
buf, size = ctypes.c_char_p(), ctypes.c_size_t()
stream = libc.open_memstream(ctypes.byref(buf), ctypes.byref(size))
libc.malloc_info(0, stream)
libc.fclose(stream)
print(len(re.findall(rb'<heap nr="\d+">', buf.value)))
"""


def _arenas(mode: str) -> int:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    out = subprocess.run([sys.executable, "-c", PROGRAM, mode], capture_output=True, text=True, env=env,
                         timeout=120, check=True)
    return int(out.stdout.strip())


@pytest.mark.skipif(not (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc"), reason="glibc only")
def test_a_scan_caps_malloc_arenas_at_two() -> None:
    from scanner.malloc import ARENAS

    assert ARENAS == 2
    uncapped = _arenas("none")
    assert uncapped > ARENAS, "the threads did not make arenas of their own: the test proves nothing"
    assert _arenas("cap") <= ARENAS
    assert _arenas("scan") <= ARENAS


def test_a_user_setting_is_left_alone() -> None:
    env = dict(os.environ, MALLOC_ARENA_MAX="8")
    out = subprocess.run([sys.executable, "-c", "from scanner.malloc import cap_arenas; print(cap_arenas())"],
                         capture_output=True, text=True, env=env, timeout=60, check=True)
    assert out.stdout.strip() == "False"
