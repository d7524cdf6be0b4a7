"""JSON Schema validation of policy documents, with messages a policy author can act on."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

from scanner.errors import Diagnostic
from scanner.policy.yamlpos import Document
from scanner.suggest import did_you_mean

KINDS = ("Control", "Profile", "Waiver", "Inventory")
_SCHEMA_FILES = {"Control": "control.json", "Profile": "profile.json", "Waiver": "waiver.json"}


@functools.lru_cache(maxsize=None)
def validator(kind: str) -> Any:
    import jsonschema

    text = resources.files("scanner.policy").joinpath("schemas").joinpath(_SCHEMA_FILES[kind]).read_text()
    schema = json.loads(text)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _describe_type(value: Any) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "list",
            dict: "mapping", type(None): "null"}.get(type(value), type(value).__name__)


def _message(err: Any) -> tuple[tuple[Any, ...], str, bool]:
    """(path, message, points-at-key) for one jsonschema error."""
    path = tuple(err.absolute_path)
    v = err.validator
    if v == "additionalProperties":
        allowed = sorted(err.schema.get("properties", {}))
        extra = [k for k in err.instance if k not in err.schema.get("properties", {})]
        key = extra[0] if extra else "?"
        where = ".".join(str(p) for p in path) or "document"
        return path + (key,), f"unknown key {key!r} in {where}{did_you_mean(str(key), allowed)}", True
    if v == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        where = ".".join(str(p) for p in path) or "document"
        return path, f"missing required key {missing!r} in {where}", False
    if v == "enum":
        options = [str(o) for o in err.validator_value]
        return path, (f"{err.instance!r} is not one of {', '.join(options)}"
                      f"{did_you_mean(str(err.instance), options)}"), False
    if v == "const":
        return path, f"{err.instance!r} must be {err.validator_value!r}", False
    if v == "type":
        want = err.validator_value
        want = " or ".join(want) if isinstance(want, list) else want
        want = {"object": "mapping", "array": "list"}.get(want, want)
        return path, f"expected a {want}, got {_describe_type(err.instance)} {err.instance!r}", False
    if v == "pattern":
        hint = {
            "^[a-z0-9][a-z0-9-]{2,63}$": "lowercase letters, digits and dashes, 3 to 64 characters",
            r"^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$": "a semantic version such as 1.0.0",
            r"^\d{4}-\d{2}-\d{2}$": "a date YYYY-MM-DD",
            "^[1-9][0-9]{0,3}[dh]$": "a duration such as 3d or 12h (days or hours)",
        }.get(err.validator_value, f"pattern {err.validator_value}")
        return path, f"{err.instance!r} is not valid: expected {hint}", False
    if v == "oneOf":
        # explain with the alternative of the same shape as the instance (a mapping vs a string)
        shaped = [e for e in err.context if e.schema.get("type") in (None, "object" if isinstance(err.instance, dict)
                                                                      else "string")]
        from jsonschema.exceptions import best_match

        inner = best_match(shaped or err.context)
        if inner is not None and inner.validator != "type":
            sub_path, message, is_key = _message(inner)
            return path + sub_path[len(path):] if sub_path[:len(path)] == path else path, message, is_key
        return path, f"{err.instance!r} is not a valid entry here", False
    if v in ("minLength", "minItems"):
        return path, f"{err.instance!r} is too short", False
    if v == "format":
        return path, f"{err.instance!r} is not a valid {err.validator_value}", False
    return path, err.message, False


def validate(doc: Document) -> list[Diagnostic]:
    """Schema problems of one document (kind and apiVersion first)."""
    data = doc.data
    if not isinstance(data, dict):
        return [doc.diag((), f"expected a mapping with apiVersion and kind, got {_describe_type(data)}")]
    api = data.get("apiVersion")
    if api != "govscan/v1":
        if api is None:
            return [doc.diag((), "missing required key 'apiVersion' (expected govscan/v1)")]
        return [doc.diag(("apiVersion",), f"unsupported apiVersion {api!r} (expected govscan/v1)")]
    kind = data.get("kind")
    if kind not in KINDS:
        if kind is None:
            return [doc.diag((), "missing required key 'kind' (Control, Profile, Waiver or Inventory)")]
        return [doc.diag(("kind",), f"unknown kind {kind!r}{did_you_mean(str(kind), KINDS)}")]
    if kind not in _SCHEMA_FILES:
        return []
    key = _VALID.key(data)
    if key in _VALID.hashes():
        return []
    out = []
    seen: set[tuple[Any, ...]] = set()
    errors = sorted(validator(kind).iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.validator))
    for err in errors:
        path, message, is_key = _message(err)
        if (path, message) in seen:
            continue
        seen.add((path, message))
        out.append(doc.diag(path, message, key=is_key))
    if not out:
        _VALID.add(key)
    return out


class _ValidCache:
    """Hashes of documents already found schema-valid, kept under the user's cache directory.

    Validating the ~270 built-in documents (and importing jsonschema to do it) is a fifth of a
    scan's start-up. Whether a document is valid depends only on its data and the schemas, so a
    document whose hash was recorded as valid *by these schema files and this jsonschema* is not
    validated again; any change to the document, a schema, govscan or jsonschema misses the cache.
    Only successes are recorded: a document with problems is always validated, so its diagnostics
    are always produced. The file is ignored unless it is the user's own and not writable by others
    (like ssh's files), and ignored whole when unreadable or from other schemas. ``GOVSCAN_NO_CACHE=1``
    turns it off.
    """

    LIMIT = 20000

    def __init__(self) -> None:
        self._hashes: set[str] | None = None
        self._new: set[str] = set()
        self._stamp = ""

    @staticmethod
    def path() -> Path | None:
        if os.environ.get("GOVSCAN_NO_CACHE"):
            return None
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        return Path(base) / "govscan" / "valid-documents.json"

    @staticmethod
    def key(data: Any) -> str:
        # repr tells 1 from "1", True and 1.0 apart (canonical JSON would not); key order only costs a miss.
        return hashlib.sha256(repr(data).encode("utf-8", "surrogatepass")).hexdigest()

    @staticmethod
    def stamp() -> str:
        from importlib.util import find_spec

        from scanner import __version__

        h = hashlib.sha256(__version__.encode())
        for name in sorted(_SCHEMA_FILES.values()):
            h.update(resources.files("scanner.policy").joinpath("schemas").joinpath(name).read_bytes())
        spec = find_spec("jsonschema")
        origin = spec.origin if spec and spec.origin else ""
        try:
            st = os.stat(origin)
            h.update(f"{origin}:{st.st_size}:{st.st_mtime_ns}".encode())
        except OSError:
            h.update(origin.encode())
        return h.hexdigest()

    def hashes(self) -> set[str]:
        if self._hashes is None:
            self._hashes = set()
            path = self.path()
            if path is not None:
                self._stamp = self.stamp()
                try:
                    with open(path, "rb") as fh:
                        st = os.fstat(fh.fileno())
                        if st.st_uid == os.getuid() and not st.st_mode & 0o022:
                            data = json.loads(fh.read())
                            if isinstance(data, dict) and data.get("stamp") == self._stamp:
                                self._hashes = {h for h in data.get("valid", ()) if isinstance(h, str)}
                except (OSError, ValueError):
                    pass
        return self._hashes

    def add(self, key: str) -> None:
        if self.path() is not None:
            self.hashes()
            self._new.add(key)

    def save(self) -> None:
        """Record the documents validated since the last save (best effort: errors are ignored)."""
        path = self.path()
        if not self._new or path is None:
            return
        known = self.hashes()
        known |= self._new
        self._new = set()
        keep = sorted(known)[-self.LIMIT:]
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".valid-", dir=path.parent)  # mode 0600
            with os.fdopen(fd, "w") as fh:
                json.dump({"stamp": self._stamp, "valid": keep}, fh)
            os.replace(tmp, path)
        except OSError:
            pass


_VALID = _ValidCache()


def save_cache() -> None:
    """Write the hashes of newly validated documents to the cache (see :class:`_ValidCache`)."""
    _VALID.save()
