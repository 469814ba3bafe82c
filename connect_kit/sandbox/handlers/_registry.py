"""The handler registry: what a handler gets (:class:`Context`) and where it is registered.

Handler modules import :func:`handles` and :class:`Context` from here; this module imports no
handler, so the registry and its handlers form no import cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from ..errors import ApiError
from ..instance import Instance
from ..oauth import Grant
from ..state import State

Handler = Callable[["Context"], Any]
HANDLERS: dict[str, Handler] = {}
#: Operations whose documented body errors differ from the sandbox's usual ones: the
#: function turns the request model's ValidationError into the API's error.
BODY_ERRORS: dict[str, Callable[[ValidationError], ApiError]] = {}


@dataclass
class Context:
    """What a handler gets: the instance, the caller, the typed parameters, the body and the
    request's headers (case-insensitive: ``Accept-Language``, ``X-Retailer-Id``)."""

    instance: Instance
    grant: Grant | None
    params: dict[str, Any]
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        """A request header's value (any case of its name), or None when it was not sent."""
        value = self.headers.get(name)
        if value is None:  # a plain dict (tests, the Python API) keeps the case it was given
            lower = name.lower()
            value = next((v for k, v in self.headers.items() if k.lower() == lower), None)
        return value

    @property
    def state(self) -> State:
        return self.instance.state

    def __post_init__(self) -> None:
        CURRENT.set(self)


#: The request being handled (set as its Context is made; each request runs in its own task),
#: for lookups that are given no Context: a cart's products may be this instance's own, sent
#: through the Catalog API (``catalog.catalog_product``).
CURRENT: ContextVar[Context | None] = ContextVar("sandbox_request", default=None)


def body_errors(
    name: str,
) -> Callable[[Callable[[ValidationError], ApiError]], Callable[[ValidationError], ApiError]]:
    """Register the decorated function as what operation ``name`` answers for a body that
    its request model refuses (instead of ``errors.from_validation``)."""

    def register(
        function: Callable[[ValidationError], ApiError],
    ) -> Callable[[ValidationError], ApiError]:
        BODY_ERRORS[name] = function
        return function

    return register


def handles(name: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of operation ``name``."""

    def register(function: Handler) -> Handler:
        HANDLERS[name] = function
        return function

    return register
