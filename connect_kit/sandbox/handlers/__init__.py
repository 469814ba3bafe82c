"""The sandbox's operation handlers, one module per API area, registered by name.

A handler takes a :class:`Context` and returns the response body as plain data; it raises
:class:`~connect_kit.sandbox.errors.ApiError` for the API's documented errors. Handlers run
under the state's lock, so a handler's reads and writes are atomic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..instance import Instance
from ..oauth import Grant
from ..state import State

Handler = Callable[["Context"], Any]
HANDLERS: dict[str, Handler] = {}


@dataclass
class Context:
    """What a handler gets: the instance, the caller, the typed parameters and the body."""

    instance: Instance
    grant: Grant | None
    params: dict[str, Any]
    body: Any

    @property
    def state(self) -> State:
        return self.instance.state


def handles(name: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of operation ``name``."""

    def register(function: Handler) -> Handler:
        HANDLERS[name] = function
        return function

    return register


from . import (  # noqa: E402, F401
    last_mile,
    lifecycle,
    orders,
    post_checkout,
    service_options,
    stores,
    users,
)
