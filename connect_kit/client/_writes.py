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

from ..errors import APIError, ConnectError
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


def recoverable(
    op: Operation, error: APIError, payload: Any, where: tuple[str, str, str], doubt: str | None
) -> bool:
    """A create carrying the caller's own id that met "already exists" because an earlier
    attempt of it may have been carried out: in this call (``doubt``: a lost answer, a
    connection broken after sending, a 5xx), or in an earlier call that ended in doubt
    (``where`` is its server, operation and path). Anything else is a genuine duplicate."""
    ident = identity(op, payload)
    if not (
        ident is not None
        and error.status == 400
        and error.key == op.identity
        and "already exists" in error.message
    ):
        return False
    in_doubt = IN_DOUBT.take((*where, ident))
    return doubt is not None or in_doubt


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


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def changes_state(op: Operation | None, method: str) -> bool:
    """Whether a request changes state: as the spec says, else by its method. Token calls
    change nothing of the partner's."""
    if op is None:
        return method not in SAFE_METHODS
    return op.mutating and op.area != "auth"


def in_doubt(
    error: ConnectError, op: Operation | None, ident: str | None, doubt: str | None
) -> ConnectError:
    """``error``, saying so (and how to recover) when the write it ended may have been
    carried out (``doubt`` says why)."""
    if doubt is None:
        return error
    error.may_have_been_processed = True
    note = recovery(op, ident, doubt)
    if isinstance(error, APIError):  # after the server's own words, as a hint is
        error.hint = f"{note} {error.hint}" if error.hint else note
        return error
    head = str(error.args[0]).rstrip(". ") if error.args else ""
    error.args = (f"{head}. {note}" if head else note, *error.args[1:])
    return error


def read_back_failed(
    error: ConnectError, op: Operation, where: tuple[str, str, str], payload: Any
) -> ConnectError:
    """``error``, which ended the read-back of a create that was carried out (sending it again
    met "already exists"): it says so, and the create stays in doubt, so that sending it again
    reads it back again rather than failing as a duplicate."""
    ident = identity(op, payload)
    if ident is not None:
        IN_DOUBT.add((*where, ident))
    error.may_have_been_processed = True
    note = (
        f"{op.name} was carried out (sending it again met 'already exists'), but reading it "
        f"back with {op.read_back} failed. Send it again with the same {op.identity} "
        f"({ident!r}) to read it back."
    )
    if isinstance(error, APIError):
        error.hint = f"{note} {error.hint}" if error.hint else note
        return error
    head = str(error.args[0]).rstrip(". ") if error.args else ""
    error.args = (f"{head}. {note}" if head else note, *error.args[1:])
    return error
