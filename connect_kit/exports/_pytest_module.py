"""A pytest module that replays the flow through connect-kit: one test a request, in order,
each asserting the status and the response's top-level keys, ids carried from one to the next.

It connects with ``connect_kit.connect(os.environ.get("CONNECT_KIT_ENV", <recorded env>))``:
credentials come from ``.env`` or the ``INSTACART_*`` variables, as for any session.
"""

from __future__ import annotations

import re

from .. import spec
from ._collection import Collection, Request

_HEAD = '''"""{title}: exported by connect-kit. Each test sends one request of the flow, in order.

Credentials come from .env or INSTACART_* variables (connect_kit.connect); set CONNECT_KIT_ENV
to choose the environment ({env} by default).{inputs}
"""

import json
import os
import re
import uuid

import pytest

import connect_kit as ck
from connect_kit.errors import APIError

ENV = os.environ.get("CONNECT_KIT_ENV", {env!r})
RUN = uuid.uuid4().hex[:10]
V = {{{fresh}}}


def fill(text):
    return re.sub(r"{{{{(\\w+)}}}}", lambda m: str(V[m[1]]), text)


def pick(value, path):
    for part in path:
        value = value[part]
    return value


@pytest.fixture(scope="module")
def session():
    with ck.connect(ENV) as s:
        yield s
'''


def _arguments(request: Request) -> str:
    op = spec.get(request.operation or "")
    pattern = re.sub(r"{(\w+)}", r"(?P<\1>[^/?]+)", op.path) + r"(?:\?.*)?$"
    found = re.match(pattern, request.path)
    parts = []
    for name, value in (found.groupdict() if found else {}).items():
        parts.append(f"{name}=fill({value!r})")
    if request.body is not None:
        parts.append(f"body=json.loads(fill({request.body!r}))")
    return ", ".join([repr(op.name), *parts])


def _test(n: int, request: Request) -> list[str]:
    slug = re.sub(r"\W", "_", request.name)
    lines = ["", "", f"def test_{n:02d}_{slug}(session):"]
    if request.operation is None:
        lines.append(f"    res = session.request({request.method!r}, fill({request.path!r}))")
        status = "res.status_code"
        answer = "res.json()"
    elif request.status is not None and request.status >= 400:
        lines += [
            "    with pytest.raises(APIError) as caught:",
            f"        session.call({_arguments(request)})",
            f"    assert caught.value.status == {request.status}",
        ]
        return lines
    else:
        lines.append(f"    res = session.call({_arguments(request)})")
        status, answer = "res.status_code", "res.json"
    if request.status is not None:
        lines.append(f"    assert {status} == {request.status}")
    if request.keys:
        lines.append(f"    assert set({list(request.keys)!r}) <= set({answer})")
    for name, where in request.captures.items():
        lines.append(f"    V[{name!r}] = pick({answer}, {list(where)!r})")
    return lines


def render(collection: Collection, env: str) -> str:
    """The collection as a pytest module's text."""
    fresh = ", ".join(f"{k!r}: {v + '-'!r} + RUN" for k, v in collection.fresh.items())
    inputs = "".join(
        f"\nSet {name} (a redacted value) in V before running." for name in collection.inputs
    )
    text = _HEAD.format(title=collection.name, env=env, fresh=fresh, inputs=inputs)
    lines = text.splitlines()
    for n, request in enumerate(collection.requests, 1):
        lines += _test(n, request)
    return "\n".join(lines) + "\n"
