"""Host and user names of SSH targets, checked before they reach anything that interprets them.

A target's host name and login user are substituted into ``~/.ssh/config`` (``Match exec "... %h"``
runs a shell command with them, ``%r`` is the user), into known_hosts lookups and into messages. A
name is therefore accepted only in its plain forms: an RFC 1123 host name, an IPv4 literal or an IPv6
literal (with an optional ``%zone`` of letters, digits, ``_ . -``), and a POSIX-style login name.
Everything else is refused before any configuration is evaluated.
"""

from __future__ import annotations

import ipaddress
import re

_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_ZONE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_USER = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}\$?$")


def host_problem(name: str) -> str | None:
    """Why ``name`` is not an acceptable host name or IP literal, or None when it is."""
    if not name:
        return "empty host name"
    if ":" in name:  # only an IPv6 literal has a colon
        address, _, zone = name.partition("%")
        try:
            ipaddress.IPv6Address(address)
        except ValueError:
            return f"{name!r} is not a valid IPv6 address"
        if "%" in name and not _ZONE.match(zone):
            return f"{name!r}: an IPv6 zone may hold only letters, digits, '_', '.' and '-'"
        return None
    if re.fullmatch(r"[0-9.]+", name):
        try:
            ipaddress.IPv4Address(name)
        except ValueError:
            return f"{name!r} is not a valid IPv4 address"
        return None
    labels = name[:-1].split(".") if name.endswith(".") else name.split(".")
    if len(name) > 253 or not all(_LABEL.match(label) for label in labels):
        return (f"{name!r} is not a valid host name (RFC 1123: labels of letters, digits and '-', "
                "separated by dots) nor an IP address")
    return None


def user_problem(name: str) -> str | None:
    """Why ``name`` is not an acceptable login name, or None when it is."""
    if not _USER.match(name):
        return (f"{name!r} is not a valid login name (letters, digits, '_', '.', '-', at most 64, "
                "not starting with '.' or '-')")
    return None
