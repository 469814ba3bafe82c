"""IPython magics: ``%connect`` and ``%%connect``, registered by ``%load_ext connect_kit``.

A line calls one operation with the command line's words (``connect-kit call``'s, read by the
same code: ``--a.b value`` nests, values typed by the spec)::

    %connect dev find_delivery_stores --find_by.postal_code 94105 --find_by.address_line_1 "1 Main"
    order = %connect dev get_order --user_id $user_id --order_id $order_id

A cell holds one request in ``.http`` syntax (method and path, headers, a blank line, a JSON
body); ``{{name}}`` is taken from the notebook's variables (``{{hold.json.service_option_hold.id}}``
reaches into a Result's JSON, ``{{slots.0.id}}`` into a list) and ``{{base_url}}`` is the
environment's server::

    %%connect dev
    POST /v2/fulfillment/users
    Content-Type: application/json

    {"user_id": "{{user_id}}", "first_name": "Ada", "phone_number": "+14155550100"}

Both go through ``connect_kit.connect(env)``: one session per environment, kept while the
notebook's kernel lives (``%connect dev`` alone returns it: its ``history``, its
``conformance``). A request the spec knows is made with ``session.call`` (checked first, a
:class:`~connect_kit.Result` back); another path with ``session.request``. The session
authenticates itself: an ``Authorization`` header in a cell is ignored, and so are
``Content-Type`` and ``Accept`` (JSON both ways); other headers (``Accept-Language``,
``X-Retailer-Id``) are sent with that request. Response handlers (``> {% ... %}``) are ignored.

Errors are the package's own messages, without a traceback (IPython's ``UsageError``; ``%tb``
still shows the whole). Writes to a production environment are refused as everywhere, unless
``--allow-writes`` is given for that one call.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
from collections import ChainMap
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class, output_can_be_silenced

from .. import _redact as redact
from .. import spec
from ..cli._fields import fields
from ..client import Result
from ..errors import ConnectError
from ._collection import TEMPLATE, _send
from ._http import _METHOD

if TYPE_CHECKING:
    from ..client import ConnectSession

LINE_USAGE = "%connect ENV [OPERATION] [--allow-writes] [--as-user USER_ID] [--field value ...]"
CELL_USAGE = "%%connect ENV [--allow-writes] [--as-user USER_ID]"
_IGNORED = {"authorization", "content-type", "accept", "content-length", "host"}


class _Words(argparse.ArgumentParser):
    """The magic's own options; a mistake is a ``UsageError``, never ``SystemExit``."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message}\nusage: {self.usage}")


def _words(usage: str, operation: bool) -> _Words:
    words = _Words(prog="%connect", usage=usage, add_help=False, allow_abbrev=False)
    words.add_argument("env")
    if operation:
        words.add_argument("operation", nargs="?")
    words.add_argument("--allow-writes", action="store_true")
    words.add_argument("--as-user", metavar="USER_ID")
    return words


def _in_notebook_words(message: str) -> str:
    """The library's advice, said the way a magic's user acts on it."""
    message = re.sub(r"pass allow_writes=True to connect\(\)", "add --allow-writes", message)
    message = re.sub(
        r"(call it as )?\b\w+\.for_user\([^)]*\)(\.call\([^)]*\))?",
        lambda found: ("add " if found[1] else "") + "--as-user USER_ID",
        message,
    )
    return message.replace("allow_writes=True", "--allow-writes")


@contextmanager
def _clear_errors(sent: Any = None) -> Iterator[None]:
    """The package's errors as one clear message (a ``UsageError``: no traceback), with the
    values of ``sent``'s secret fields scrubbed from what a server may echo back."""
    try:
        yield
    except UsageError:
        raise
    except (ConnectError, ValueError, OSError) as exc:
        text = _in_notebook_words(str(exc) or type(exc).__name__)
        text = redact.scrub(text, *redact.secret_values(sent))
        raise UsageError(f"{type(exc).__name__}: {text}") from exc


def _lookup(name: str, namespace: Mapping[str, Any]) -> Any:
    """``user_id``, ``hold.json.service_option_hold.id`` or ``slots.0.id`` in ``namespace``."""
    first, *rest = name.split(".")
    if first not in namespace:
        raise UsageError(f"{{{{{name}}}}}: the notebook has no variable {first!r}")
    value = namespace[first]
    for part in rest:
        if part.startswith("_"):
            raise UsageError(f"{{{{{name}}}}}: {part!r} is private")
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, Sequence) and not isinstance(value, str) and part.isdigit():
            if int(part) >= len(value):
                raise UsageError(f"{{{{{name}}}}}: {part} is past the end of the list")
            value = value[int(part)]
        elif hasattr(value, part):
            value = getattr(value, part)
        else:
            raise UsageError(f"{{{{{name}}}}}: no {part!r} in it")
    return value


def fill(text: str, namespace: Mapping[str, Any]) -> str:
    """``text`` with each ``{{name}}`` replaced: text as it is, anything else as JSON."""

    def one(found: re.Match[str]) -> str:
        value = _lookup(found[1], namespace)
        return value if isinstance(value, str) else json.dumps(value, default=str)

    return TEMPLATE.sub(one, text)


def parse_cell(cell: str) -> tuple[str, str, dict[str, str], str | None]:
    """A cell's request: method, target, headers and body text (templates not yet filled)."""
    lines = cell.splitlines()
    at = 0
    while at < len(lines) and (not lines[at].strip() or lines[at].lstrip().startswith(("#", "//"))):
        at += 1
    first = lines[at].strip() if at < len(lines) else ""
    found = _METHOD.match(first)
    if found is None:
        raise UsageError(
            f"expected the request's first line, METHOD PATH (GET /v2/...), got {first!r}"
        )
    method, target = found.groups()
    headers: dict[str, str] = {}
    at += 1
    while at < len(lines) and lines[at].strip():
        name, colon, value = lines[at].partition(":")
        if not colon or not name.strip():
            raise UsageError(f"expected a header (Name: value) or a blank line, got {lines[at]!r}")
        headers[name.strip()] = value.strip()
        at += 1
    body: list[str] = []
    for line in lines[at:]:
        if line.startswith("###") and any(_METHOD.match(x.strip()) for x in lines[at:]):
            raise UsageError("a %%connect cell holds one request: put the next in its own cell")
        if line.startswith(("> {%", "###")):
            break
        body.append(line)
    return method, target, headers, "\n".join(body).strip() or None


@magics_class
class ConnectMagics(Magics):
    """``%connect`` and ``%%connect`` (see this module)."""

    def __init__(self, shell: Any, connect: Callable[..., ConnectSession]) -> None:
        super().__init__(shell)
        self._connect = connect
        self.sessions: dict[tuple[str, str | None], ConnectSession] = {}

    def session(self, env: str, user: str | None = None) -> ConnectSession:
        """The kept session of ``env`` (speaking for ``user``, for Post-checkout calls)."""
        key = (env, user)
        if key not in self.sessions:
            if user is None:
                self.sessions[key] = self._connect(env)
            else:
                self.sessions[key] = self.session(env).for_user(user)
        return self.sessions[key]

    @contextmanager
    def _caller(self, args: argparse.Namespace) -> Iterator[ConnectSession]:
        caller = self.session(args.env, args.as_user)
        before = caller.allow_writes
        caller.allow_writes = before or args.allow_writes  # for this call only
        try:
            yield caller
        finally:
            caller.allow_writes = before

    @line_cell_magic
    @output_can_be_silenced
    def connect(self, line: str, cell: str | None = None) -> Any:
        """Call Instacart Connect from the notebook; returns the Result.

        A line takes ``connect-kit call``'s words: ``--a.b value`` fills a nested field, a value
        is text where the spec wants text, else JSON; ``$name`` takes a notebook variable::

            %connect ENV OPERATION [--allow-writes] [--as-user USER_ID] --field value ...
            %connect dev get_order --user_id ada --order_id order-1
            %connect dev        # the environment's session, with its history

        A cell holds one request in ``.http`` syntax (method and path, headers, a blank line,
        a JSON body), ``{{name}}`` taken from the notebook's variables (``{{res.json.id}}``
        reaches inside a Result, ``{{slots.0.id}}`` inside a list)::

            %%connect ENV [--allow-writes] [--as-user USER_ID]
            POST /v2/fulfillment/users/{{user_id}}/service_options/{{slot_id}}/reserve

        One session per environment, kept while the kernel runs. A write to a production
        environment is refused unless ``--allow-writes`` (for that call only).
        """
        return self.line(line) if cell is None else self.cell(line, cell)

    def line(self, line: str) -> Any:
        """``%connect``: call one operation (see :meth:`connect`)."""
        if not line.strip():
            raise UsageError(f"usage: {LINE_USAGE}")
        args, extra = _words(LINE_USAGE, operation=True).parse_known_args(_split(line))
        if args.operation is None and extra and not extra[0].startswith("-"):
            args.operation = extra.pop(0)  # named after an option: --as-user ada get_order
        given: dict[str, Any] = {}
        with _clear_errors(given):
            if args.operation is None:
                if extra:
                    raise UsageError(f"fields without an operation: {' '.join(extra)}")
                return self.session(args.env, args.as_user)
            op = spec.get(args.operation)
            given.update(fields(op, extra))
            with self._caller(args) as caller:
                return caller.call(op.name, **given)

    def cell(self, line: str, cell: str) -> Any:
        """``%%connect``: send the cell's request (see :meth:`connect`)."""
        args = _words(CELL_USAGE, operation=False).parse_args(_split(line))
        method, target, headers, body_text = parse_cell(cell)
        with _clear_errors():
            server = {"base_url": self.session(args.env).base_url}
            namespace = ChainMap(server, self.shell.user_ns if self.shell is not None else {})
            target = fill(target, namespace)
            extra = {
                name: fill(value, namespace)
                for name, value in headers.items()
                if name.lower() not in _IGNORED
            }
            body = json.loads(fill(body_text, namespace)) if body_text else None
        with _clear_errors(body), self._caller(args) as caller:
            if target.startswith(caller.base_url):
                target = target[len(caller.base_url) :] or "/"
            found = spec.match(method, target.partition("?")[0])
            if found is not None and found[0].area == "auth":
                raise UsageError(
                    f"{found[0].name}: the session gets its own tokens; leave this request out"
                )
            with _headers(caller, extra):
                item, _, _ = _send(caller, method, target, body)
            if isinstance(item, ConnectError):
                raise item
            if not isinstance(item, Result):  # a path the spec does not know
                caller.check(item)
            return item


def _split(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError as exc:
        raise UsageError(f"{exc}: {line!r}") from None


@contextmanager
def _headers(session: ConnectSession, extra: dict[str, str]) -> Iterator[None]:
    """``extra`` headers on ``session`` for one request."""
    saved = {name: session.headers.get(name) for name in extra}
    session.headers.update(extra)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                session.headers.pop(name, None)
            else:
                session.headers[name] = value


def register(ipython: Any, connect: Callable[..., ConnectSession]) -> ConnectMagics:
    """Register the magics on ``ipython``, their sessions made by ``connect``."""
    magics = ConnectMagics(ipython, connect)
    ipython.register_magics(magics)
    return magics
