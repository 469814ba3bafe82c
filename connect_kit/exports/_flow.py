"""From what was recorded to a :class:`Collection`: token calls left out, ids turned into
variables.

An id (a field ``id`` or ``..._id``, or a path parameter) that a request sends is

- a capture when an earlier response held it (the hold's ``id``, a listed service option's):
  taken from that response again on every run;
- a fresh id when the request is the first to hold it (``user_id`` and ``order_id`` are the
  caller's own): a new value on every run, so that the flow runs again on the same server;
- kept as it is otherwise.

A secret (a ``[redacted:<field>:<n>]`` placeholder, or ``[redacted]``) is never written as a
value: it becomes an input variable named after its field, for the user to supply.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from .. import _redact as redact
from .. import spec
from ..client import Recorder, Result, recorder_of
from ..client._placeholders import is_placeholder
from ..client._replay import load as load_recording
from ._collection import Collection, Path, Request

IDS = ("id",)


@dataclass
class Seen:
    """One exchange, as any source gives it."""

    method: str
    path: str
    query: list[tuple[str, str]]
    body: Any
    status: int | None
    answer: Any
    operation: str | None


def _is_id(key: str) -> bool:
    return key == "id" or key.endswith("_id")


def _secret(value: Any) -> bool:
    return isinstance(value, str) and (is_placeholder(value) or redact.REDACTED in value)


def _singular(name: str) -> str:
    return name[:-1] if name.endswith("s") else name


class _Builder:
    def __init__(self) -> None:
        self.known: dict[str, str] = {}  # value -> variable
        self.pending: dict[str, tuple[Request, Path, str, bool]] = {}
        self.names: set[str] = {"base_url", "client_id", "client_secret", "access_token"}
        self.collection = Collection(requests=[])
        self.counts: dict[str, int] = {}

    def _name(self, wanted: str) -> str:
        name, n = wanted, 1
        while name in self.names:
            n += 1
            name = f"{wanted}_{n}"
        self.names.add(name)
        return name

    def _input(self, key: str) -> str:
        name = key or "secret"
        if name not in self.collection.inputs:
            self.collection.inputs.append(name)
            self.names.add(name)
        return name

    def value(self, key: str, value: Any, id_like: bool) -> Any:
        """``value`` as sent, or ``{{variable}}`` for an id or a secret."""
        if _secret(value):
            return "{{" + self._input(key) + "}}"
        if isinstance(value, bool) or not isinstance(value, str | int) or not id_like:
            return value
        text = str(value)
        if text in self.known:
            name = self.known[text]
        elif text in self.pending:
            request, where, wanted, number = self.pending.pop(text)
            name = self.known[text] = self._name(wanted)
            request.captures[name] = where
            if number:
                self.collection.ints.add(name)
        elif isinstance(value, str) and text:
            name = self.known[text] = self._name(key or "id")
            self.collection.fresh[name] = text
        else:
            return value
        return "{{" + name + "}}"

    def body(self, value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: self.body(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.body(v, key) for v in value]
        return self.value(key, value, _is_id(key))

    def learn(self, request: Request, value: Any, where: Path, group: str) -> None:
        """Remember each id of a response as a capture to make if a later request sends it."""
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, dict | list):
                    self.learn(request, item, (*where, key), group)
                elif _is_id(key) and isinstance(item, str | int) and not isinstance(item, bool):
                    text = str(item)
                    if text and not _secret(item) and text not in self.known | self.pending:
                        names = [p for p in where if isinstance(p, str)]
                        parent = _singular(names[-1]) if names else _singular(group)
                        wanted = key if key != "id" else f"{parent}_id"
                        self.pending[text] = (request, (*where, key), wanted, isinstance(item, int))
        elif isinstance(value, list):
            for n, item in enumerate(value):
                self.learn(request, item, (*where, n), group)

    def add(self, seen: Seen) -> None:
        found = spec.match(seen.method, seen.path)
        op = spec.get(seen.operation) if seen.operation in spec.OPERATIONS else None
        op = op or (found[0] if found else None)
        if op is not None and op.area == "auth":
            return  # token calls: each format makes its own
        if op is not None and found is not None and found[0] is op:
            params = {k: self.value(k, v, True) for k, v in found[1].items()}
            path = op.path.format(**params)
        else:
            path = seen.path
        if seen.query:
            pairs = [(k, str(self.value(k, v, _is_id(k)))) for k, v in seen.query]
            path += "?" + urlencode(pairs, safe="{}")
        text = None
        if seen.body is not None:
            body = self.body(seen.body) if not isinstance(seen.body, str) else seen.body
            text = json.dumps(body, indent=2, ensure_ascii=False)
        base = op.name if op else f"{seen.method.lower()}_request"
        count = self.counts[base] = self.counts.get(base, 0) + 1
        request = Request(
            name=base if count == 1 else f"{base}_{count}",
            method=seen.method.upper(),
            path=path,
            body=text,
            status=seen.status,
            operation=op.name if op else None,
            keys=tuple(seen.answer) if isinstance(seen.answer, dict) else (),
        )
        self.collection.requests.append(request)
        self.learn(request, seen.answer, (), op.group if op else "record")

    def done(self) -> Collection:
        collection = self.collection
        for request in collection.requests:  # numbers travel unquoted
            for name in collection.ints:
                if request.body:
                    request.body = request.body.replace(f'"{{{{{name}}}}}"', f"{{{{{name}}}}}")
        return collection


def build(seen: list[Seen], base_url: str, scope: str | None = None, name: str = "") -> Collection:
    """The collection of ``seen``'s exchanges (see this module)."""
    builder = _Builder()
    for exchange in seen:
        builder.add(exchange)
    collection = builder.done()
    collection.base_url = base_url.rstrip("/")
    collection.scope = scope or collection.scope
    collection.name = name or collection.name
    return collection


def from_har(path: str | os.PathLike[str]) -> Collection:
    """The collection of a HAR recording."""
    recording = load_recording(path)
    seen = [
        Seen(
            method=e.method,
            path=e.path,
            query=[(k, v) for k, values in e.query.items() for v in values],
            body=e.body,
            status=e.status,
            answer=e.answer,
            operation=e.operation,
        )
        for e in recording.exchanges
    ]
    meta = recording.env
    return build(seen, str(meta["url"]), meta.get("scope"), os.path.basename(str(path)))


def from_results(results: list[Any]) -> Collection:
    """The collection of a list of :class:`~connect_kit.Result`."""
    seen, base = [], ""
    for n, result in enumerate(results):
        if not isinstance(result, Result):
            raise TypeError(f"export(): item {n} is a {type(result).__name__}, not a Result")
        info = result.request
        parts = urlsplit(info.url)
        base = base or f"{parts.scheme}://{parts.netloc}"
        path = info.path.split("?", 1)[0] if info.path.startswith("/") else parts.path
        query = [tuple(p.split("=", 1)) for p in parts.query.split("&") if "=" in p]
        seen.append(
            Seen(
                method=info.method,
                path=path,
                query=[(k, v) for k, v in query],
                body=info.body,
                status=result.status_code,
                answer=redact.body(result.json),
                operation=result.operation.name,
            )
        )
    return build(seen, base, name="results")


def har_path_of(source: Any) -> str | os.PathLike[str] | None:
    """The HAR file behind ``source`` (a path to one, a Recorder, a recording session)."""
    if isinstance(source, Recorder):
        return source.path
    if isinstance(source, str | os.PathLike):
        return source
    recorder = recorder_of(source)
    if recorder is not None:
        return recorder.path
    return None
