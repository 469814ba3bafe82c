"""Live conformance: how one answer departs from the spec, checked as it arrives.

The session hands every answer to an operation of the spec here (:func:`findings`); what does
not fit lands in ``session.conformance``, one row per finding. The kinds:

- ``additive``: a field the spec lacks (the API adds optional fields over time);
- ``missing``: a field the spec requires, absent;
- ``type``: a value of another JSON type than the spec's;
- ``enum``: a value outside the spec's list (for an open list, the API may add values: this is
  how one learns that it did; never an error);
- ``status``: an HTTP status, error code or OAuth error that the docs do not give
  (:data:`connect_kit.spec.STATUSES`, :data:`~connect_kit.spec.ERROR_CODES`,
  :data:`~connect_kit.spec.OAUTH_ERRORS`); every success is documented as 200;
- ``deprecated``: a deprecated field served without its replacement, or an operation the
  server marks deprecated (a ``Deprecation`` or ``Sunset`` header) while the spec does not.
  A deprecated field served beside its replacement is what the docs describe: no finding
  (``Result.warnings`` names it).

Successful answers are read against the operation's response model, error answers against
the error shape of the docs (the envelope; OAuth's for the token endpoints). The walk is
drift's (:mod:`connect_kit.data._drift`): the same reading of the spec as ``compare``'s.
Details never carry a value from the answer, except a value outside an enum's list (what one
wants to learn) when the field is not secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import spec
from ..spec.auth import OAuthErrorBody
from ..spec.base import Operation
from ..spec.common import ErrorEnvelope
from ._drift import Found, _walk

#: The columns of ``session.conformance``.
COLUMNS = ["time", "env", "operation", "status", "kind", "path", "detail", "count"]
#: The kinds of finding, in the order the report lists them.
KINDS = ("additive", "missing", "type", "enum", "status", "deprecated")
#: Kinds whose detail names the value (a status, a code, an enum value): one row per value.
PER_VALUE = frozenset({"enum", "status"})

#: Where a finding about the whole answer sits (the ``path`` column).
BODY = "(body)"
STATUS = "(status)"
OPERATION = "(operation)"

NOT_JSON: Any = type("NotJSON", (), {"__repr__": lambda self: "NOT_JSON"})()
"""The body of an answer that is not JSON."""
UNREAD: Any = type("Unread", (), {"__repr__": lambda self: "UNREAD"})()
"""The body of an answer that was not read (a streamed request): its status is still checked."""

Finding = tuple[str, str, str]  # kind, path, detail
_NAMES = {"type_changed": "type"}  # drift's word -> conformance's
_DEPRECATION_HEADERS = ("Deprecation", "Sunset")
_MAX_HEADER = 60


def key(operation: str, kind: str, path: str, detail: str) -> tuple[str, str, str, str]:
    """What makes two findings one: operation, kind and path, and the value for ``status``
    and ``enum`` findings (each new status, code or enum value is a finding of its own)."""
    return operation, kind, path, detail if kind in PER_VALUE else ""


def findings(
    op: Operation, status: int, body: Any, headers: Mapping[str, str] | None = None
) -> list[Finding]:
    """Where one answer of ``op`` departs from the spec: ``(kind, path, detail)`` each.

    Args:
        op: the operation answered.
        status: the HTTP status.
        body: the parsed JSON body; ``None`` for an empty body, :data:`NOT_JSON` for a body
            that is not JSON, :data:`UNREAD` for one that was not read.
        headers: the answer's headers (case-insensitive, as ``requests`` gives them).
    """
    found: Found = {}
    if status not in spec.STATUSES:
        documented = "200 for every success" if 200 <= status < 300 else "no such status"
        found[("status", STATUS)] = f"HTTP {status}: the docs give {documented}"
    if headers is not None and not op.deprecated:
        for name in _DEPRECATION_HEADERS:
            value = headers.get(name)
            if value is not None:
                shown = value if len(value) <= _MAX_HEADER else value[: _MAX_HEADER - 3] + "..."
                found[("deprecated", OPERATION)] = (
                    f"the server marks it deprecated ({name}: {shown}); the spec does not"
                )
                break
    if body is not UNREAD and (status < 300 or status >= 400):
        _body(op, status, body, found)
    return [(_NAMES.get(kind, kind), path, detail) for (kind, path), detail in found.items()]


def _body(op: Operation, status: int, body: Any, found: Found) -> None:
    error = status >= 400
    model: Any = _error_model(op, body) if error else op.response
    if model is None:
        return
    what = "the error shape of the docs" if error else "an object"
    if body is NOT_JSON:
        found[("type", BODY)] = f"not JSON where the spec has {what}"
    elif not isinstance(body, dict):
        kind = "an empty body" if body is None else spec.json_type(body)
        found[("type", BODY)] = f"{kind} where the spec has {what}"
    else:
        _walk(model, body, "", None, found, strict=True)
        if error:
            _codes(model, body, found)


def _error_model(op: Operation, body: Any) -> type[ErrorEnvelope] | type[OAuthErrorBody]:
    """The envelope; for the token endpoints OAuth's shape, unless the body is an envelope
    (the documented 429, 500 and 503 come as one on any path)."""
    envelope = isinstance(body, dict) and isinstance(body.get("error"), dict)
    return OAuthErrorBody if op.area == "auth" and not envelope else ErrorEnvelope


def _codes(model: Any, body: dict[str, Any], found: Found) -> None:
    """Error codes (and OAuth errors) the docs do not give."""
    error = body.get("error")
    if model is OAuthErrorBody:
        if isinstance(error, str) and error not in spec.OAUTH_ERRORS:
            found[("status", "error")] = f"OAuth error {error[:40]!r}: not one the docs give"
        return
    if not isinstance(error, dict):
        return
    _code(error.get("code"), "error.code", found)
    errors = error.get("errors")
    for item in errors if isinstance(errors, list) else ():
        inner = item.get("error") if isinstance(item, dict) else None
        if isinstance(inner, dict):
            _code(inner.get("code"), "error.errors[*].error.code", found)


def _code(code: Any, path: str, found: Found) -> None:
    if (code is None or spec.json_type(code) == "integer") and code not in spec.ERROR_CODES:
        found.setdefault(("status", path), f"error code {code}: not one the docs give")
