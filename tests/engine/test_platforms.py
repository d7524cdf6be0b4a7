"""A control's `platforms` against a target's OS family: only a known, different family makes it not
applicable; an unknown family (no readable os-release: `other`) never turns a control into notapplicable."""

import pytest

from scanner.evaluate import off_platform


@pytest.mark.parametrize("platforms, tags, off", [
    ((), ("linux", "debian"), False),                 # no restriction
    (("linux",), ("linux", "rhel"), False),
    (("debian",), ("linux", "debian"), False),
    (("debian",), ("linux", "rhel"), True),           # a known other family: not applicable
    (("rhel",), ("linux", "debian"), True),
    (("debian",), ("linux", "other"), False),         # unknown family: the control applies (fail closed)
    (("rhel",), ("linux", "other"), False),
    (("debian",), None, False),                        # nothing known about the target
    (("linux",), ("aws",), True),                     # another kind of target altogether
])
def test_off_platform(platforms, tags, off):
    assert off_platform(platforms, tags) is off
