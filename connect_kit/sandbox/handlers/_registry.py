"""The handler registry: what a handler gets (:class:`Context`) and where it is registered.

Handler modules import :func:`handles` and :class:`Context` from here; this module imports no
handler, so the registry and its handlers form no import cycle.
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
