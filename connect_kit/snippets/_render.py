"""snippet(): the request behind a result, in the language asked for."""

from __future__ import annotations

from collections.abc import Callable

import requests

from ..client._result import RequestInfo, Result
from . import _curl, _go, _java, _python
from ._common import Call, Snippet

_RENDERERS: dict[str, Callable[[Call], str]] = {
    "curl": _curl.render,
    "python": _python.render,
    "java": _java.render,
    "go": _go.render,
}

#: The languages :func:`snippet` renders, in the order a menu shows them.
LANGUAGES = tuple(_RENDERERS)


def snippet(source: Result | RequestInfo | requests.PreparedRequest, lang: str) -> Snippet:
    """The request behind ``source`` as a runnable program in ``lang``.

    Args:
        source: a :class:`~connect_kit.client._result.Result`, its ``.request``, or a
            ``requests.PreparedRequest`` (redacted here before anything else reads it).
        lang: ``"curl"``, ``"python"`` (requests), ``"java"`` (java.net.http, run with
            ``java Main.java``) or ``"go"`` (net/http, run with ``go run main.go``).

    Secrets are read from environment variables, never written out (no placeholders): the
    token from ``INSTACART_TOKEN``, a redacted body field such as ``client_secret`` from
    ``INSTACART_CLIENT_SECRET`` (see the package's docstring). Python, Java and Go encode such
    a value as a JSON string; cURL pastes it between the JSON quotes as it is, so there it must
    not hold ``"`` or ``\\`` (client secrets and tokens do not).

    Raises:
        ValueError: ``lang`` is not one of the four, or the body is not JSON.
        TypeError: ``source`` is none of the three.
    """
    key = str(lang).strip().lower()
    if key not in _RENDERERS:
        raise ValueError(f"unknown language {lang!r}: choose one of {', '.join(LANGUAGES)}")
    call = Call.of(source)
    return Snippet(key, _RENDERERS[key](call), call.env_vars)
