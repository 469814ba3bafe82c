"""What the composer remembers between Sends: the values typed (carried to the next
operation's fields of the same name), the ids seen in answers (offered to the fields that take
them), and every request sent (History, each row loadable back into the form)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .. import spec

MAX_SEEN = 20  # ids kept per field name, newest first
MAX_SENT = 50


def takes_ids(name: str) -> bool:
    """Whether a field of this name takes an id that an earlier answer may hold."""
    return name.endswith("_id") or name == "location_code"


def ids_in(op: spec.Operation, body: Any) -> list[tuple[str, Any, str]]:
    """``(field name, value, label)`` for each id in an answer of ``op``: the ``*_id`` keys,
    and the ``id`` of an object, named after the key holding it (``service_option_hold`` ->
    ``service_option_hold_id``, ``service_options[]`` -> ``service_option_id``; an order
    answered at the top -> ``order_id``)."""
    found: list[tuple[str, Any, str]] = []
    top = "order" if "order" in op.name and isinstance(body, dict) and "status" in body else None
    _walk(body, top, op.name, found)
    return found


def _walk(value: Any, holder: str | None, source: str, found: list[tuple[str, Any, str]]) -> None:
    if isinstance(value, list):
        for item in value:
            _walk(item, holder, source, found)
        return
    if not isinstance(value, dict):
        return
    for key, inner in value.items():
        if isinstance(inner, dict | list):
            _walk(inner, key, source, found)
        elif inner is None or isinstance(inner, bool):
            continue
        elif key == "id" and holder:
            name = holder.removesuffix("s") + "_id"
            found.append((name, inner, _label(inner, value, source)))
        elif takes_ids(key):
            found.append((key, inner, f"{inner} · {source}"))


def _label(ident: Any, record: dict[str, Any], source: str) -> str:
    """An id as a person picks it: a slot with its window and whether it is free."""
    window = record.get("window")
    if isinstance(window, dict) and window.get("start_at"):
        start, end = str(window.get("start_at")), str(window.get("end_at") or "")
        free = (record.get("availability") or {}).get("available")
        state = "" if free is None else (" · available" if free else " · full")
        return f"{ident} · {start[:16].replace('T', ' ')} to {end[11:16]}{state}"
    return f"{ident} · {source}"


@dataclass
class Sent:
    """One request the composer sent: where, what (the form as it was filled), and the
    answer's status, error code and summary."""

    env: str
    operation: str
    values: dict[str, Any]  # the inputs as filled (a secret field holds a variable's name)
    as_user: str = ""
    status: int | None = None
    error_code: str | None = None
    outcome: str = ""
    time: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class Memory:
    """The composer's memory (see the module's docstring)."""

    carried: dict[str, Any] = field(default_factory=dict)
    seen: dict[str, list[tuple[str, Any]]] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)

    def carry(self, values: dict[str, Any]) -> None:
        """Remember what was typed or chosen (empty inputs forget nothing)."""
        for name, value in values.items():
            if value not in (None, ""):
                self.carried[name] = value

    def saw(self, op: spec.Operation, body: Any) -> None:
        """Remember the ids of an answer, newest first."""
        for name, value, label in reversed(ids_in(op, body)):
            known = [(lab, v) for lab, v in self.seen.get(name, []) if v != value]
            self.seen[name] = [(label, value), *known][:MAX_SEEN]

    def add(self, sent: Sent) -> None:
        """Remember a request sent, newest first."""
        self.sent = [sent, *self.sent][:MAX_SENT]
