"""Writes whose outcome may be unknown: which may be sent again, and how a create that may
already have been carried out is recovered.

Connect has no idempotency header. Its order creates carry the caller's own ``order_id``:
such a create may be sent again after an attempt that may have reached the server, and an
"already exists" answer then means that the earlier attempt was carried out, so the order is
read back. Every other write is sent once: a create without the caller's id, an update, a
cancel. A write whose outcome stays unknown raises an error saying so
(``may_have_been_processed``); a create carrying its own id is remembered here, so that sending
it again recovers it by reading it back instead of failing with "already exists".
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any

from ..spec.base import Operation

Key = tuple[str, str, str, str]  # (server, operation, path, the caller's id)


def identity(op: Operation | None, body: Any) -> str | None:
    """The caller's own id in the JSON body of a create that can read its record back."""
    if op is None or op.read_back is None or op.identity is None or not body:
        return None
    if isinstance(body, bytes | str):
        try:
            body = json.loads(body)
        except ValueError:
            return None
    value = body.get(op.identity) if isinstance(body, dict) else None
    return None if value is None or value == "" else str(value)


class InDoubt:
    """Creates whose outcome is unknown, remembered (the newest ``size``) until sent again."""

    def __init__(self, size: int = 1000) -> None:
        self._keys: OrderedDict[Key, None] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def add(self, key: Key) -> None:
        with self._lock:
            self._keys[key] = None
            self._keys.move_to_end(key)
            while len(self._keys) > self._size:
                self._keys.popitem(last=False)

    def take(self, key: Key) -> bool:
        """Whether ``key`` was in doubt (it no longer is)."""
        with self._lock:
            return self._keys.pop(key, 0) is None


IN_DOUBT = InDoubt()


def recovery(op: Operation | None, ident: str | None, cause: str) -> str:
    """What to tell the caller about a write whose outcome is unknown."""
    name = op.name if op is not None else "this request"
    head = f"{name} may have been carried out ({cause}): its outcome is unknown."
    if op is not None and ident is not None:
        return (
            f"{head} Send it again with the same {op.identity} ({ident!r}): if it was carried "
            f"out, it is read back with {op.read_back} instead of failing with 'already exists'."
        )
    return (
        f"{head} It was not sent again, as repeating it could change state twice; check with "
        "a read before sending it again."
    )
