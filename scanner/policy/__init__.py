"""Policy documents (govscan/v1 Control, Profile, Waiver): loading, schema, lint and tailoring."""

from scanner.policy.loader import PolicySet, collect, load, load_controls

__all__ = ["PolicySet", "collect", "load", "load_controls"]
