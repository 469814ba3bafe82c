"""Redaction in one place: every rendering of a request or response goes through here.

Reprs, logs, history rows, results, errors, snippets and widgets show ``[redacted]``
where a secret was: the ``Authorization`` header, and every body field that the spec marks
as a secret (client secrets, tokens, codes, passwords).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from . import spec

REDACTED = "[redacted]"
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})


@cache
def secret_fields() -> frozenset[str]:
    """Names of body fields that hold secrets: those the spec marks secret, at any depth of
    any operation's request or response, and the OAuth names whatever the spec says."""
    marked = {
        shape.name
        for op in spec.OPERATIONS.values()
        for part in ("request", "response")
        for shape in spec.fields(op, part)
        if shape.secret
    }
    return frozenset({"client_secret", "access_token", "refresh_token", "token", *marked})


def credential_params(query: str) -> list[str]:
    """Names of query parameters that carry credentials (``client_id`` or a secret field)."""
    wanted = secret_fields() | {"client_id"}
    return [name for name, _ in parse_qsl(query, keep_blank_values=True) if name in wanted]


def url(value: str) -> str:
    """``value`` with the values of credential query parameters replaced."""
    parts = urlsplit(value)
    if not parts.query or not credential_params(parts.query):
        return value
    wanted = secret_fields() | {"client_id"}
    pairs = [
        (name, REDACTED if name in wanted else item)
        for name, item in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit(parts._replace(query=urlencode(pairs, safe="[]")))


def headers(values: Mapping[str, Any]) -> dict[str, str]:
    """Headers with their credentials replaced, each kept as readable as is safe.

    ``Authorization`` and ``Proxy-Authorization`` keep their scheme (``Bearer [redacted]``);
    ``Cookie`` and ``Set-Cookie`` keep the cookies' names (``a=[redacted]; b=[redacted]``),
    the attributes of a ``Set-Cookie`` left out.
    """
    shown = {}
    for name, value in values.items():
        text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
        lowered = name.lower()
        if lowered == "cookie":
            text = _cookie(text)
        elif lowered == "set-cookie":
            text = _set_cookie(text)
        elif lowered in SECRET_HEADERS:
            text = _credentials(text)
        shown[name] = text if lowered in SECRET_HEADERS else value
    return shown


def _credentials(value: str) -> str:
    """``Bearer [redacted]`` for ``Bearer <token>``; a value without a scheme all hidden."""
    parts = value.strip().split(None, 1)
    return f"{parts[0]} {REDACTED}" if len(parts) == 2 else REDACTED


def _cookie(value: str) -> str:
    """``a=[redacted]; b=[redacted]``: each cookie's name, never its value."""
    names = [part.split("=", 1)[0].strip() for part in value.split(";") if "=" in part]
    return "; ".join(f"{name}={REDACTED}" for name in names if name) or REDACTED


# A cookie starts the value or follows the comma that joins several Set-Cookie headers; an
# attribute follows a ";", and the comma inside ``Expires=Wed, 21 Oct ...`` is followed by a
# day number, not by ``name=``.
_SET_COOKIE_NAME = re.compile(r"(?:^|,)\s*([^=;,\s]+)=")


def _set_cookie(value: str) -> str:
    """``a=[redacted], b=[redacted]``: the name of each cookie set, no value, no attribute."""
    names = [m.group(1) for m in _SET_COOKIE_NAME.finditer(value)]
    return ", ".join(f"{name}={REDACTED}" for name in names) or REDACTED


def body(value: Any) -> Any:
    """A JSON value with every secret field's string replaced, at any depth."""
    secrets = secret_fields()
    if isinstance(value, Mapping):
        return {
            k: (REDACTED if k in secrets and isinstance(v, str) else body(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [body(v) for v in value]
    return value


def secret_values(value: Any) -> list[str]:
    """The strings held by secret fields anywhere in a JSON value: what a server may echo
    back in a message, to be scrubbed from it."""
    secrets, found = secret_fields(), []
    if isinstance(value, Mapping):
        for name, item in value.items():
            if name in secrets and isinstance(item, str):
                found.append(item)
            else:
                found += secret_values(item)
    elif isinstance(value, list):
        for item in value:
            found += secret_values(item)
    return found


def scrub(text: str, *secrets: str | None) -> str:
    """``text`` with any of the given secret values replaced (for server-echoed messages)."""
    for secret in secrets:
        if secret and len(secret) >= 6:
            text = text.replace(secret, REDACTED)
    return text
