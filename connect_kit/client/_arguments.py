"""A call's arguments, checked against the spec before anything is sent.

Path and query parameters are taken out by name; the rest is the body. The spec advises, the
server decides: how closely the body is checked is the call's ``strict``:

- ``None`` (the default): the fields the spec knows are validated strictly with the
  operation's request model, as the server would validate them. A field the spec does not
  know, at the top level or inside a known object, is refused when it looks like a typo of a
  known one (``find_by.postal_cod``: did you mean ``postal_code``?); any other is sent as
  given, with a :class:`~connect_kit.errors.SpecWarning` (once per operation and field)
  naming the date of the spec, since the API adds optional fields over time.
- ``True``: every field the spec does not know is refused as well.
- ``False``: nothing is checked (the server decides); path parameters must still be given,
  to make the URL.

What is sent is always the body the caller gave, fields the spec does not know included.

>>> from connect_kit import spec
>>> op = spec.get("find_delivery_stores")
>>> [(u.key, u.close) for u in unknown_fields(op, {"find_by": {"postal_cod": "94105"}})]
[('find_by.postal_cod', 'postal_code')]
>>> [(u.path, u.close) for u in unknown_fields(op, {"find_by": {}, "new_optional_flag": 1})]
[('new_optional_flag', None)]
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import (
    ConfigurationError,
    DeprecatedWarning,
    FieldError,
    InvalidRequestError,
    SpecWarning,
    warn_at_caller,
)
from ..spec import SPEC_DATE, FieldShape, deprecated_fields_in, fields_of
from ..spec.base import Operation
from ..spec.validation import field_errors

#: How alike (difflib's ratio) an unknown name and a known one must be for the unknown one to
#: be a typo: ``postal_cod`` and ``postal_code`` are 0.95 alike, ``nmae`` and ``name`` 0.75;
#: ``user`` and ``user_id`` 0.73, ``new_optional_flag`` and any known field 0.55 at most.
CLOSE = 0.75
STRICT = "strict"  # the call's option, unless the operation has a field of that name


@dataclass(frozen=True)
class Unknown:
    """A field of a body that the spec does not know.

    Attributes:
        key: where it is in this body: ``items[0].item.upc_code``.
        path: where it is in the spec's words: ``items[].item.upc_code``.
        where: the object it is in: the operation's name, or the path of a known object.
        known: the fields the spec knows there.
        close: the known field it looks like a typo of, if any.
    """

    key: str
    path: str
    where: str
    known: tuple[str, ...]
    close: str | None


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def split(
    op: Operation, body: Any, params: dict[str, Any], strict: bool | None = None
) -> tuple[dict[str, Any], dict[str, Any], Any, list[str]]:
    """Path parameters, query parameters and body of a call, checked against the spec, and
    notes on the fields sent that the spec does not know (for ``Result.warnings``).

    Body fields come by name, or all at once as ``body``; an operation whose body has a field
    called ``body`` (``send_chat_message``) takes that field by name as well. ``strict`` given
    by name in ``params`` is the call's own (see the module), and wins over ``strict`` (the
    session's); an operation with a field or parameter called ``strict`` takes it as that
    field, and the session's holds.

    Raises :class:`InvalidRequestError` listing every field that is wrong; nothing is sent.
    """
    strict = _strictness(op, params, strict)
    if body is not None and not isinstance(body, Mapping) and _takes(op, "body"):
        params["body"], body = body, None  # the field called body, given by name
    errors: list[FieldError] = []
    path_params: dict[str, Any] = {}
    for name, kind in op.path_params.items():
        if name not in params:
            errors.append(FieldError("is required (a path parameter)", None, name))
            continue
        value = params.pop(name)
        if strict is False:
            pass  # the server decides
        elif kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            if not (isinstance(value, str) and value.isdigit()):
                errors.append(FieldError(f"must be an integer, got {value!r}", None, name))
        elif kind is str and not isinstance(value, str | int):
            errors.append(FieldError(f"must be a string, got {value!r}", None, name))
        path_params[name] = value
    query = {}
    for name in op.query:
        if name in params:
            query[name] = params.pop(name)
        elif strict is not False:
            errors.append(FieldError("is required (a query parameter)", None, name))
    if body is not None and params:
        names = ", ".join(map(str, params))  # names only: a value may be a secret
        errors.append(FieldError(f"give body fields either as body= or by name, not both: {names}"))
    payload: Any = dict(body) if body is not None else params
    sent: list[Unknown] = []
    if op.request is None:
        if payload:
            first = next(iter(payload))
            close = _close(str(first), (*op.path_params, *op.query))
            hint = f"; did you mean {close}?" if close else ""
            unexpected = ", ".join(map(str, payload))
            message = f"{op.name} takes no body; unexpected {unexpected}{hint}"
            errors.append(FieldError(message, None, first))
        payload = None
    elif strict is not False:
        found, sent = check_body(op, payload, strict)
        errors.extend(found)
    if errors:
        raise InvalidRequestError(
            f"{op.name}: invalid arguments, nothing was sent",
            key=errors[0].key,
            method=op.method,
            path=op.path,
            errors=errors,
        )
    notes = []
    for field_path in dict.fromkeys(unknown.path for unknown in sent):
        notes.append(_note(op, field_path))
        _warn_once(f"unknown:{op.name}.{field_path}", notes[-1], SpecWarning)
    warn_deprecated(op, payload)
    return path_params, query, payload, notes


def check_body(
    op: Operation, payload: Any, strict: bool | None = None
) -> tuple[list[FieldError], list[Unknown]]:
    """The body's errors, found as the server would (JSON, then strict validation of the
    fields the spec knows), and the fields the spec does not know that may be sent."""
    assert op.request is not None
    if not isinstance(payload, Mapping):
        wrong = FieldError(f"body must be a mapping, got {type(payload).__name__}", None, "body")
        return [wrong], []
    unknown: list[Unknown] = []
    known = _sift(op.request, payload, "", "", op.name, unknown)
    refused = [u for u in unknown if strict or u.close is not None]
    errors = [FieldError(_refusal(u, strict), None, u.key) for u in refused]
    try:
        json.dumps(payload, default=_jsonable)  # what is sent: every field the caller gave
        text = json.dumps(known, default=_jsonable)
    except (TypeError, ValueError) as exc:
        return [*errors, FieldError(str(exc), None, "body")], []
    try:
        op.request.model_validate_json(text, strict=True)
    except ValidationError as exc:
        errors.extend(FieldError(msg, None, key) for key, msg in field_errors(exc))
    return errors, [u for u in unknown if u not in refused]


def unknown_fields(op: Operation, payload: Any) -> list[Unknown]:
    """The fields of a body that the spec does not know, at any depth inside the objects it
    knows (a free-form object, ``dict``, has no unknown fields)."""
    found: list[Unknown] = []
    if op.request is not None and isinstance(payload, Mapping):
        _sift(op.request, payload, "", "", op.name, found)
    return found


def _sift(
    model: type[BaseModel],
    data: Mapping[Any, Any],
    key: str,
    path: str,
    where: str,
    found: list[Unknown],
) -> dict[Any, Any]:
    """``data`` without the fields the spec does not know (each added to ``found``)."""
    shapes = _shapes(model)
    kept = {}
    for name, value in data.items():
        inner_key = f"{key}.{name}" if key else str(name)
        inner_path = f"{path}.{name}" if path else str(name)
        shape = shapes.get(name) if isinstance(name, str) else None
        if shape is None:
            close = _close(str(name), tuple(shapes))
            found.append(Unknown(inner_key, inner_path, where, tuple(shapes), close))
        else:
            kept[name] = _sift_value(shape, value, inner_key, inner_path, found)
    return kept


def _sift_value(shape: FieldShape, value: Any, key: str, path: str, found: list[Unknown]) -> Any:
    if shape.model is None:  # a value, or a free-form object: nothing is unknown in it
        return value
    if shape.type == "array" and isinstance(value, list):
        return [
            _sift(shape.model, item, f"{key}[{i}]", f"{path}[]", f"{path}[]", found)
            if isinstance(item, Mapping)
            else item
            for i, item in enumerate(value)
        ]
    if isinstance(value, Mapping):
        return _sift(shape.model, value, key, path, path, found)
    return value


@cache
def _shapes(model: type[BaseModel]) -> dict[str, FieldShape]:
    return {shape.name: shape for shape in fields_of(model)}


def _close(name: str, known: tuple[str, ...]) -> str | None:
    """The known name that ``name`` looks like a typo of (case aside), if any."""
    lowered = {k.lower(): k for k in known}
    found = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=CLOSE)
    return lowered[found[0]] if found else None


def _refusal(unknown: Unknown, strict: bool | None) -> str:
    name = unknown.key.rsplit(".", 1)[-1]
    if not strict:  # a typo
        return (
            f"is not a field of {unknown.where}: did you mean {unknown.close}? (if {name} is "
            f"newer than the spec of {SPEC_DATE}, strict=False sends it unchecked)"
        )
    hint = f"; did you mean {unknown.close}?" if unknown.close else ""
    return (
        f"is not a field of {unknown.where} in the spec of {SPEC_DATE} (strict=True); "
        f"expected one of {', '.join(sorted(unknown.known))}{hint}"
    )


def _note(op: Operation, field_path: str) -> str:
    return (
        f"{op.name}: field {field_path} is not in the spec of {SPEC_DATE}; sent as given, "
        "the server decides (strict=True refuses such fields)"
    )


def _takes(op: Operation, name: str) -> bool:
    """Whether ``name`` is a parameter or a body field of ``op``."""
    if name in op.path_params or name in op.query:
        return True
    return op.request is not None and name in _shapes(op.request)


def _strictness(op: Operation, params: dict[str, Any], default: bool | None) -> bool | None:
    """The call's ``strict`` (taken out of ``params``) if it gave one, else ``default``."""
    strict = default
    if STRICT in params and not _takes(op, STRICT):
        strict = params.pop(STRICT)
        if strict is None:
            strict = default
    if strict is not None and not isinstance(strict, bool):
        raise ConfigurationError(
            f"strict must be True (refuse fields the spec does not know), False (check "
            f"nothing) or None (the default: refuse typos, send new fields), got {strict!r}"
        )
    return strict


_warned: set[str] = set()  # warnings already given in this process (deprecations, unknowns)


def _warn_once(item: str, message: str, category: type[Warning] = DeprecatedWarning) -> None:
    """A warning, once per item, at the caller's own line."""
    if item not in _warned:
        _warned.add(item)
        warn_at_caller(message, category)


def warn_deprecated(op: Operation, payload: Any) -> None:
    """Warn (once each) of a deprecated operation and of the deprecated fields the caller
    sends, naming the replacement; what an answer carries is only noted, in its Result."""
    if op.deprecation is not None:
        replacement = f"use {op.replacement}" if op.replacement else "it has no replacement"
        _warn_once(
            f"op:{op.name}", f"{op.name} is deprecated: {replacement}. {op.deprecation.note}"
        )
    for field_path, instead in deprecated_fields_in(op.request, payload):
        advice = f"use {instead}" if instead else "it has no replacement"
        _warn_once(
            f"request:{op.name}.{field_path}",
            f"{op.name}: field {field_path} is deprecated: {advice}",
        )


def deprecated_in_answer(op: Operation, data: Any) -> list[str]:
    """Notes on the deprecated fields an answer carries: for ``Result.warnings`` (and
    compare's drift), not a Python warning, as the caller did not ask for them."""
    return [
        f"{op.name}: field {path} is deprecated: "
        + (f"use {replacement}" if replacement else "no replacement")
        for path, replacement in deprecated_fields_in(op.response, data)
    ]
