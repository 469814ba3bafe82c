"""What every language's renderer shares: the call, its secrets, literals, templates, the result.

A :class:`Call` is a redacted request reduced to what a snippet needs. Its body is kept as a
JSON value in which each secret stands as a marker string; a renderer lays the body out with
:meth:`Call.json_text`, escapes it for its language, then :meth:`Call.fill` puts back, in place
of each marker, the language's expression that reads the secret's environment variable.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jinja2
import requests

from .. import _redact as redact
from .. import spec
from ..client._result import RequestInfo, Result

TOKEN_VAR = "INSTACART_TOKEN"

# Headers that the program's HTTP client sets itself, or that never belong in a snippet.
_LEFT_OUT = frozenset(
    {
        "accept",
        "accept-encoding",
        "authorization",
        "connection",
        "content-length",
        "content-type",
        "expect",
        "host",
        "upgrade",
        "user-agent",
    }
    | redact.SECRET_HEADERS
)

_FENCE = {"curl": "bash", "python": "python", "java": "java", "go": "go"}
_FILENAME = {"curl": "request.sh", "python": "request.py", "java": "Main.java", "go": "main.go"}

# Stands in for a secret in the body's JSON text: unguessable, and no escaping changes it.
_MARK = "secret" + uuid.uuid4().hex


# -- the result ----------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class Snippet:
    """A program that makes a request again, in one language.

    ``str(snippet)`` is the code; in a notebook it shows as a highlighted code block.

    Attributes:
        lang: ``"curl"``, ``"python"``, ``"java"`` or ``"go"``.
        code: the program's text.
        env_vars: the secrets the program reads from the environment
            (``("INSTACART_TOKEN",)``, ``("INSTACART_CLIENT_SECRET",)``...).
    """

    lang: str
    code: str
    env_vars: tuple[str, ...] = ()

    @property
    def filename(self) -> str:
        """A file name the program runs under (Java needs ``Main.java``)."""
        return _FILENAME[self.lang]

    def __str__(self) -> str:
        return self.code

    def __repr__(self) -> str:
        return f"<Snippet {self.lang}: {self.code.count(chr(10)) + 1} lines>"

    def _repr_markdown_(self) -> str:
        longest = max((len(run) for run in re.findall(r"`+", self.code)), default=0)
        fence = "`" * max(3, longest + 1)
        return f"{fence}{_FENCE[self.lang]}\n{self.code}\n{fence}\n"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.code)


# -- the call ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """A redacted request reduced to what a snippet needs."""

    title: str
    method: str
    url: str
    scheme: str | None  # of the Authorization header ("Bearer"), its value from INSTACART_TOKEN
    headers: tuple[tuple[str, str], ...]  # literal headers, in order
    body: Any  # JSON value with a marker where a secret was; None when there is no body
    secrets: tuple[str, ...]  # the variables the body's secrets are read from, marker order

    @classmethod
    def of(cls, source: Result | RequestInfo | requests.PreparedRequest) -> Call:
        info = _request_info(source)
        # redacted again: a RequestInfo can be made by hand, and redaction is idempotent
        headers = redact.headers(info.headers)
        body = redact.body(info.body)
        if body == "[non-JSON body]" or isinstance(body, bytes):
            raise ValueError("snippets render JSON bodies only")
        if not re.fullmatch(r"[A-Za-z]+", info.method):
            raise ValueError(f"not an HTTP method: {info.method!r}")
        found = spec.match(info.method, urlsplit(info.url).path)
        op = found[0] if found else None
        scheme = None
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
        if auth is not None and (op is None or op.needs_token):
            given = re.match(r"\w+(?= )", auth)
            scheme = given.group() if given else "Bearer"
        literal = [("Accept", "application/json")]
        if body is not None:
            literal.append(("Content-Type", "application/json"))
        literal += [
            (k, v)
            for k, v in headers.items()
            if k.lower() not in _LEFT_OUT and redact.REDACTED not in str(v)
        ]
        env = re.sub(r"[^\w.-]", "", info.env)
        what = op.name if op else f"{info.method.upper()} request"
        secrets: dict[str, int] = {}
        marked = _marked(body, "", secrets)
        return cls(
            title=f"{what} on {env}" if env else what,
            method=info.method.upper(),
            url=info.url,
            scheme=scheme,
            headers=tuple(literal),
            body=marked,
            secrets=tuple(secrets),
        )

    @property
    def env_vars(self) -> tuple[str, ...]:
        """Every variable the program reads: the token's, then the body's secrets'."""
        return tuple(dict.fromkeys(([TOKEN_VAR] if self.scheme else []) + list(self.secrets)))

    @property
    def reads(self) -> str:
        """A sentence naming the variables the program reads."""
        names = self.env_vars
        return f"Reads {' and '.join(names)} from the environment." if names else ""

    @property
    def headline(self) -> str:
        """The program's first comment: what it calls, and what it reads."""
        return f"{self.title}. {self.reads}".rstrip()

    def json_text(self, indent: int) -> str:
        """The body as ``json.dumps`` lays it out, unprintable characters escaped, secrets
        as marker strings; empty when there is no body."""
        if self.body is None:
            return ""
        return visible(json.dumps(self.body, indent=indent, ensure_ascii=False))

    def fill(self, text: str, secret: Callable[[str], str], quote: str = '"') -> str:
        """``text`` with each marker string (its quotes written as ``quote``) replaced by
        ``secret(variable)``, the language's expression that reads the variable."""
        q = re.escape(quote)
        return re.sub(rf"{q}{_MARK}(\d+){q}", lambda m: secret(self.secrets[int(m[1])]), text)


def _request_info(source: Any) -> RequestInfo:
    if isinstance(source, Result):
        return source.request
    if isinstance(source, RequestInfo):
        return source
    if isinstance(source, requests.PreparedRequest):
        parts = urlsplit(source.url or "")
        return RequestInfo.of(source, f"{parts.scheme}://{parts.netloc}", "")
    raise TypeError(
        f"snippet() takes a Result, a RequestInfo or a requests.PreparedRequest, "
        f"not {type(source).__name__}"
    )


def _marked(value: Any, key: str, secrets: dict[str, int]) -> Any:
    """``value`` with each redacted string replaced by the marker of ``INSTACART_<FIELD>``."""
    if isinstance(value, dict):
        return {k: _marked(v, k, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_marked(v, key, secrets) for v in value]
    if value == redact.REDACTED and key:
        var = "INSTACART_" + re.sub(r"\W", "_", key).upper()
        return f"{_MARK}{secrets.setdefault(var, len(secrets))}"
    return value


# -- literals and templates ----------------------------------------------------------------


def visible(text: str, wide: bool = False) -> str:
    """``text`` with each unprintable character but newline escaped as ``\\uXXXX``.

    With ``wide``, a character beyond the BMP is escaped as ``\\UXXXXXXXX`` (Python, Go)
    instead of JSON's surrogate pair.
    """
    return "".join(c if c.isprintable() or c == "\n" else _escape(c, wide) for c in text)


def _escape(char: str, wide: bool) -> str:
    return f"\\U{ord(char):08x}" if wide and ord(char) > 0xFFFF else json.dumps(char)[1:-1]


def quoted(text: str) -> str:
    """A double-quoted string literal for Python and Go: JSON's escapes, ``\\U...`` beyond the
    BMP; printable characters as they are."""
    return visible(json.dumps(text, ensure_ascii=False), wide=True)


def template(source: str, **filters: Callable[[str], str]) -> jinja2.Template:
    """A program's template: block tags take no line of their own; ``filters`` write the
    language's string literals."""
    env = jinja2.Environment(
        autoescape=False,  # code, not HTML
        keep_trailing_newline=True,
        lstrip_blocks=True,
        trim_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(filters)
    return env.from_string(source)
