"""A call's arguments, checked against the spec before anything is sent.

Path and query parameters are taken out by name; the rest is the body, serialised to JSON
and validated strictly with the operation's request model, as the server would validate it.
Unknown fields are errors here (the server would ignore them: they are usually typos).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError

from ..errors import DeprecatedWarning, FieldError, InvalidRequestError, warn_at_caller
from ..spec import deprecated_fields_in
from ..spec.base import Operation
from ..spec.validation import field_errors


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def split(
    op: Operation, body: Any, params: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], Any]:
    """Path parameters, query parameters and body of a call, checked against the spec.

    Body fields come by name, or all at once as ``body``; an operation whose body has a field
    called ``body`` (``send_chat_message``) takes that field by name as well.

    Raises :class:`InvalidRequestError` listing every field that is wrong; nothing is sent.
    """
    if body is not None and not isinstance(body, Mapping) and _has_body_field(op):
        params["body"], body = body, None  # the field called body, given by name
    errors: list[FieldError] = []
    path_params: dict[str, Any] = {}
    for name, kind in op.path_params.items():
        if name not in params:
            errors.append(FieldError("is required (a path parameter)", None, name))
            continue
        value = params.pop(name)
        if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            if not (isinstance(value, str) and value.isdigit()):
                errors.append(FieldError(f"must be an integer, got {value!r}", None, name))
        elif kind is str and not isinstance(value, str | int):
            errors.append(FieldError(f"must be a string, got {value!r}", None, name))
        path_params[name] = value
    query = {}
    for name in op.query:
        if name not in params:
            errors.append(FieldError("is required (a query parameter)", None, name))
        else:
            query[name] = params.pop(name)
    if body is not None and params:
        names = ", ".join(map(str, params))  # names only: a value may be a secret
        errors.append(FieldError(f"give body fields either as body= or by name, not both: {names}"))
    payload: Any = dict(body) if body is not None else params
    if op.request is None:
        if payload:
            errors.append(
                FieldError(
                    f"{op.name} takes no body; unexpected {', '.join(map(str, payload))}",
                    None,
                    next(iter(payload)),
                )
            )
        payload = None
    else:
        errors.extend(check_body(op, payload))
    if errors:
        raise InvalidRequestError(
            f"{op.name}: invalid arguments, nothing was sent",
            key=errors[0].key,
            method=op.method,
            path=op.path,
            errors=errors,
        )
    return path_params, query, payload


def check_body(op: Operation, payload: Any) -> list[FieldError]:
    """The body's errors, found as the server would: JSON, then strict validation."""
    assert op.request is not None
    if not isinstance(payload, Mapping):
        return [FieldError(f"body must be a mapping, got {type(payload).__name__}", None, "body")]
    known = set(op.request.model_fields)
    unknown = [name for name in payload if name not in known]
    errors = [
        FieldError(
            f"is not a field of {op.name}; expected one of {', '.join(sorted(known))}",
            None,
            name,
        )
        for name in unknown
    ]
    try:
        text = json.dumps(payload, default=_jsonable)
    except TypeError as exc:
        return [*errors, FieldError(str(exc), None, "body")]
    try:
        op.request.model_validate_json(text, strict=True)
    except ValidationError as exc:
        errors.extend(FieldError(msg, None, key) for key, msg in field_errors(exc))
    return errors


def _has_body_field(op: Operation) -> bool:
    return op.request is not None and "body" in op.request.model_fields


_warned: set[str] = set()  # deprecation notices already given in this process


def _warn_once(item: str, message: str) -> None:
    """A deprecation warning, once per item, at the caller's own line."""
    if item not in _warned:
        _warned.add(item)
        warn_at_caller(message, DeprecatedWarning)


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
