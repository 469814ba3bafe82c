"""A collection: the requests of a flow, their variables and captures, and how to run them.

Every export is written from a :class:`Collection`, and :func:`connect_kit.load` reads every
format back into one. Templates use ``{{name}}``, as the tools do; a variable is one of

- an input the user supplies (``base_url``, ``client_id``, ``client_secret``, a redacted field);
- a fresh id (``user_id``, ``order_id``: the caller's own), a new value on every run;
- a capture, taken from an earlier response (``service_option_hold.id``), so that the flow runs
  again against a fresh server.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from .. import spec
from ..errors import ConfigurationError, ConnectError

if TYPE_CHECKING:
    import pandas as pd
    import requests

    from ..client import ConnectSession, Result

TEMPLATE = re.compile(r"{{\s*([A-Za-z_][\w.]*)\s*}}")
INPUTS = ("base_url", "client_id", "client_secret")
TOKEN_PATH = "/v2/oauth/token"  # each format obtains the token its own way: never a request
Path = tuple[str | int, ...]


def dotted(path: Path) -> str:
    """``("service_options", 0, "id")`` as ``service_options[0].id``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def parse_dotted(text: str) -> Path:
    """The inverse of :func:`dotted` (a leading ``$.`` allowed)."""
    text = text.strip().removeprefix("$").lstrip(".")
    parts: list[str | int] = []
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", text):
        parts.append(int(index) if index else name)
    return tuple(parts)


def pick(value: Any, path: Path) -> Any:
    """The value at ``path`` inside a JSON value (``None`` where there is none)."""
    for part in path:
        if isinstance(part, int) and isinstance(value, list) and part < len(value):
            value = value[part]
        elif isinstance(part, str) and isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value


@dataclass
class Request:
    """One request of a collection, its text templated with ``{{variables}}``.

    Attributes:
        name: the request's name (its operation's, numbered when it repeats).
        method, path: ``path`` relative to the server, templated.
        body: the JSON body's text, templated (``None``: no body).
        status: the status the flow expects (the recorded one).
        operation: the spec's operation the request matches, if any.
        captures: variable -> where it sits in this request's response.
        keys: the response's top-level keys, for a check of its shape.
    """

    name: str
    method: str
    path: str
    body: str | None = None
    status: int | None = None
    operation: str | None = None
    captures: dict[str, Path] = field(default_factory=dict)
    keys: tuple[str, ...] = ()

    @property
    def description(self) -> str:
        """The operation's summary from the spec (empty when it matches none)."""
        if self.operation and self.operation in spec.OPERATIONS:
            op = spec.get(self.operation)
            return f"{op.summary} ({op.area}: {op.method} {op.path})"
        return ""

    @property
    def area(self) -> str:
        return spec.get(self.operation).area if self.operation in spec.OPERATIONS else "other"


def _fill(text: str, values: dict[str, str]) -> str:
    def one(found: re.Match[str]) -> str:
        name = found[1]
        if name not in values:
            raise ConfigurationError(f"variable {name!r} has no value: supply it to run()")
        return values[name]

    return TEMPLATE.sub(one, text)


class Results(list[Any]):
    """What :meth:`Collection.run` returns: one :class:`~connect_kit.Result` (or the
    ``ConnectError`` raised, or a plain response) per request, and a :attr:`frame` summary."""

    def __init__(self, rows: list[dict[str, Any]], items: list[Any]) -> None:
        super().__init__(items)
        self.rows = rows

    @property
    def frame(self) -> pd.DataFrame:
        """One row per request: name, operation, method, path, expected, status, ok."""
        import pandas as pd

        return pd.DataFrame(
            self.rows, columns=["name", "operation", "method", "path", "expected", "status", "ok"]
        )

    @property
    def ok(self) -> bool:
        """Whether every request answered with the status the flow expects."""
        return all(row["ok"] for row in self.rows)

    @property
    def statuses(self) -> list[int | None]:
        return [row["status"] for row in self.rows]


@dataclass
class Collection:
    """The requests of a flow, in order, with their variables (see this module).

    Attributes:
        requests: the requests, token requests left out (a session makes its own).
        base_url: the server the flow was made against.
        fresh: variable -> the recorded value of a caller's own id (made new on each run).
        inputs: variables the user supplies that are not ``base_url``, ``client_id`` or
            ``client_secret`` (a redacted field a request sends).
        scope: the scope of the token the flow used.
        name: a title.
    """

    requests: list[Request]
    base_url: str = ""
    fresh: dict[str, str] = field(default_factory=dict)
    inputs: list[str] = field(default_factory=list)
    scope: str = "connect:fulfillment"
    name: str = "connect-kit flow"
    ints: set[str] = field(default_factory=set)  # variables holding numbers
    _named: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def __repr__(self) -> str:
        names = ", ".join(r.name for r in self.requests[:5])
        more = f", and {len(self.requests) - 5} more" if len(self.requests) > 5 else ""
        return f"<Collection {self.name!r}: {len(self)} requests ({names}{more})>"

    def __len__(self) -> int:
        return len(self.requests)

    def take(
        self,
        name: str | None,
        method: str,
        url: str,
        body: str | None,
        status: int | None,
        captures: list[tuple[str, str]],
    ) -> None:
        """Add a request read from a file (``.http``, Postman): a token request gives only its
        scope (every run obtains its own token); the others are named after their operation,
        numbered when one repeats."""
        path = re.sub(r"^{{\s*base_url\s*}}", "", url)
        found = spec.match(method, path.split("?", 1)[0])
        op = found[0] if found else None
        if path == TOKEN_PATH or (op is not None and op.area == "auth"):
            if body and (scope := re.search(r'"scope"\s*:\s*"([^"]*)"', body)):
                self.scope = scope[1]
            return
        base = name or (op.name if op else f"{method.lower()}_request")
        count = self._named[base] = self._named.get(base, 0) + 1
        self.requests.append(
            Request(
                name=base if count == 1 else f"{base}_{count}",
                method=method,
                path=path,
                body=body,
                status=status,
                operation=op.name if op else None,
                captures={variable: parse_dotted(where) for variable, where in captures},
            )
        )

    def __iter__(self) -> Iterator[Request]:
        return iter(self.requests)

    @property
    def captured(self) -> dict[str, tuple[str, Path]]:
        """variable -> (the request that captures it, where in its response)."""
        return {v: (r.name, p) for r in self.requests for v, p in r.captures.items()}

    def fresh_values(self) -> dict[str, str]:
        """A new value for each fresh id: the recorded one with a new suffix."""
        suffix = uuid.uuid4().hex[:10]
        return {name: f"{value}-{suffix}" for name, value in self.fresh.items()}

    def run(self, session: ConnectSession, **values: str) -> Results:
        """Send the requests through ``session`` in order, with fresh ids and the captures.

        Each request that matches an operation goes through :meth:`ConnectSession.call`
        (checked, and answered as a :class:`~connect_kit.Result`); a ``ConnectError`` it
        raises is kept in its place. ``values`` supply inputs (a redacted field's value).

        Returns:
            :class:`Results`: the items in order, ``.frame`` (expected and actual statuses)
            and ``.ok``.
        """
        known: dict[str, str] = {**self.fresh_values(), **values}
        known["base_url"] = session.base_url
        rows: list[dict[str, Any]] = []
        items: list[Any] = []
        for request in self.requests:
            path = _fill(request.path, known)
            body = json.loads(_fill(request.body, known)) if request.body else None
            item, status, answer = _send(session, request.method, path, body)
            for name, where in request.captures.items():
                found = pick(answer, where)
                if found is not None:
                    known[name] = str(found)
            items.append(item)
            expected = request.status
            rows.append(
                {
                    "name": request.name,
                    "operation": request.operation,
                    "method": request.method,
                    "path": path,
                    "expected": expected,
                    "status": status,
                    "ok": expected is None or status == expected,
                }
            )
        return Results(rows, items)


def _send(
    session: ConnectSession, method: str, path: str, body: Any
) -> tuple[Result | ConnectError | requests.Response, int | None, Any]:
    route, _, query = path.partition("?")
    found = spec.match(method, route)
    if found is None or not (body is None or isinstance(body, dict)):
        response = session.request(method, path, json=body)
        try:
            answer = response.json()
        except ValueError:
            answer = None
        return response, response.status_code, answer
    op, params = found
    arguments = {**params, **dict(parse_qsl(query, keep_blank_values=True))}
    try:
        result = session.call(op.name, body=body, **arguments)
    except ConnectError as error:
        return error, getattr(error, "status", None), getattr(error, "body", None)
    return result, result.status_code, result.json
