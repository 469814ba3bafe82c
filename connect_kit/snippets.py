"""The request a session made, as a runnable program in cURL, Python, Java or Go.

>>> import connect_kit as ck
>>> res = ck.connect("dev").call("find_delivery_stores",          # doctest: +SKIP
...                              find_by={"postal_code": "94105"})
>>> print(ck.snippet(res, "go"))                                   # doctest: +SKIP

Each program makes the same call (server URL as it was called, method, path, query string, the
JSON body pretty-printed) and prints ``HTTP status: <code>`` and the response body.

Secrets never appear in a snippet: the input is redacted by :mod:`connect_kit._redact` first, and
the program reads each secret from an environment variable at run time:

- the access token from ``INSTACART_TOKEN`` (sent as ``Authorization: Bearer ...``; left out for
  the token endpoints, which take no token);
- each redacted body field from ``INSTACART_<FIELD>``: ``client_secret`` from
  ``INSTACART_CLIENT_SECRET``, ``linking_token`` from ``INSTACART_LINKING_TOKEN``...

TLS against a private CA (the sandbox's): cURL adds ``--cacert "$INSTACART_CA_BUNDLE"`` when that
variable is set; Python passes it to ``verify=``; Java uses the JVM's truststore
(``-Djavax.net.ssl.trustStore=...``); Go uses ``SSL_CERT_FILE``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from . import _redact as redact
from . import spec
from .client._result import RequestInfo, Result

__all__ = ["LANGUAGES", "Snippet", "snippet"]

#: The languages :func:`snippet` renders, in the order a menu shows them.
LANGUAGES = ("curl", "python", "java", "go")

TOKEN_VAR = "INSTACART_TOKEN"
CA_VAR = "INSTACART_CA_BUNDLE"

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


def snippet(source: Result | RequestInfo | requests.PreparedRequest, lang: str) -> Snippet:
    """The request behind ``source`` as a runnable program in ``lang``.

    Args:
        source: a :class:`~connect_kit.client._result.Result`, its ``.request``, or a
            ``requests.PreparedRequest`` (redacted here before anything else reads it).
        lang: ``"curl"``, ``"python"`` (requests), ``"java"`` (java.net.http, run with
            ``java Main.java``) or ``"go"`` (net/http, run with ``go run main.go``).

    Secrets are read from environment variables, never written out (no placeholders): the
    token from ``INSTACART_TOKEN``, a redacted body field such as ``client_secret`` from
    ``INSTACART_CLIENT_SECRET`` (see the module's docstring). Python, Java and Go encode such a
    value as a JSON string; cURL pastes it between the JSON quotes as it is, so there it must
    not hold ``"`` or ``\\`` (client secrets and tokens do not).

    Raises:
        ValueError: ``lang`` is not one of the four, or the body is not JSON.
        TypeError: ``source`` is none of the three.
    """
    key = str(lang).strip().lower()
    if key not in _RENDERERS:
        raise ValueError(f"unknown language {lang!r}: choose one of {', '.join(LANGUAGES)}")
    call = _Call.of(_request_info(source))
    return Snippet(key, _RENDERERS[key](call), call.env_vars)


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


# -- what every language renders -----------------------------------------------------------


@dataclass(frozen=True)
class _Secret:
    """A redacted body value: the program reads it from ``INSTACART_<FIELD>``."""

    field: str

    @property
    def var(self) -> str:
        return "INSTACART_" + re.sub(r"\W", "_", self.field).upper()


_Part = str | _Secret  # a piece of a JSON text: literal text, or a secret read at run time


@dataclass(frozen=True)
class _Call:
    """A redacted request reduced to what a snippet needs."""

    title: str
    method: str
    url: str
    scheme: str | None  # of the Authorization header ("Bearer"), its value from INSTACART_TOKEN
    headers: tuple[tuple[str, str], ...]  # literal headers, in order
    body: Any  # JSON value with _Secret where a secret was; _NO_BODY when there is none

    @classmethod
    def of(cls, info: RequestInfo) -> _Call:
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
        return cls(
            title=f"{what} on {env}" if env else what,
            method=info.method.upper(),
            url=info.url,
            scheme=scheme,
            headers=tuple(literal),
            body=_NO_BODY if body is None else _secrets(body),
        )

    @property
    def has_body(self) -> bool:
        return self.body is not _NO_BODY

    @property
    def secrets(self) -> list[_Secret]:
        return list(dict.fromkeys(_walk_secrets(self.body))) if self.has_body else []

    @property
    def env_vars(self) -> tuple[str, ...]:
        names = [TOKEN_VAR] if self.scheme else []
        return tuple(dict.fromkeys(names + [s.var for s in self.secrets]))

    def json_parts(self) -> list[_Part]:
        """The body as pretty-printed JSON (2 spaces), split around its secrets."""
        return _merge(_pretty(self.body, _json_scalar, indent=2, trailing_comma=False))

    def reads(self) -> str:
        """A sentence naming the variables the program reads."""
        names = self.env_vars
        return f"Reads {' and '.join(names)} from the environment." if names else ""


_NO_BODY = object()


def _secrets(value: Any, key: str = "") -> Any:
    """The body with each redacted value replaced by the :class:`_Secret` of its field."""
    if isinstance(value, dict):
        return {k: _secrets(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_secrets(v, key) for v in value]
    if value == redact.REDACTED and key:
        return _Secret(key)
    return value


def _walk_secrets(value: Any) -> Iterator[_Secret]:
    if isinstance(value, _Secret):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _walk_secrets(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk_secrets(v)


def _json_str(text: str, python: bool = False) -> str:
    """A JSON string literal: printable characters as they are, the others escaped.

    With ``python``, a character beyond the BMP is escaped as Python's ``\\U...`` instead of
    JSON's surrogate pair.
    """
    return "".join(
        char if char.isprintable() else _escape(char, python)
        for char in json.dumps(text, ensure_ascii=False)
    )


def _escape(char: str, python: bool) -> str:
    if ord(char) > 0xFFFF:
        return f"\\U{ord(char):08x}" if python else json.dumps(char)[1:-1]
    return f"\\u{ord(char):04x}"


def _json_scalar(value: Any) -> str:
    return _json_str(value) if isinstance(value, str) else json.dumps(value)


def _python_scalar(value: Any) -> str:
    if isinstance(value, str):
        return _py_str(value)
    if value is None or isinstance(value, bool):
        return repr(value)
    return json.dumps(value)


def _pretty(
    value: Any, scalar: Callable[[Any], str], indent: int, trailing_comma: bool, depth: int = 0
) -> Iterator[_Part]:
    """``value`` laid out one item a line, as ``json.dumps(indent=...)`` does."""
    if isinstance(value, _Secret):
        yield value
        return
    if not isinstance(value, dict | list):
        yield scalar(value)
        return
    if not value:
        yield "{}" if isinstance(value, dict) else "[]"
        return
    opening, closing = ("{", "}") if isinstance(value, dict) else ("[", "]")
    items = list(value.items()) if isinstance(value, dict) else [(None, v) for v in value]
    inner = " " * (indent * (depth + 1))
    yield opening + "\n"
    for i, (key, item) in enumerate(items):
        yield inner + (f"{scalar(key)}: " if key is not None else "")
        yield from _pretty(item, scalar, indent, trailing_comma, depth + 1)
        yield ",\n" if trailing_comma or i < len(items) - 1 else "\n"
    yield " " * (indent * depth) + closing


def _merge(parts: Iterator[_Part]) -> list[_Part]:
    merged: list[_Part] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        else:
            merged.append(part)
    return merged


def _lines(parts: list[_Part]) -> list[list[_Part]]:
    """The parts split at newlines (each line keeps its ``\\n``, the last has none)."""
    lines: list[list[_Part]] = [[]]
    for part in parts:
        if isinstance(part, _Secret):
            lines[-1].append(part)
            continue
        pieces = part.split("\n")
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            text = piece if last else piece + "\n"
            if text:
                lines[-1].append(text)
            if not last:
                lines.append([])
    return [line for line in lines if line]


# -- cURL ----------------------------------------------------------------------------------


def _sh(text: str) -> str:
    """A single-quoted shell word."""
    return "'" + text.replace("'", "'\\''") + "'"


def _curl(call: _Call) -> str:
    lines = [f"# {call.title}. {call.reads()}".rstrip()]
    lines.append(f"# A private CA (the sandbox's): export {CA_VAR}=/path/to/ca.pem")
    args = [
        f'curl --silent --show-error ${{{CA_VAR}:+--cacert "${CA_VAR}"}}',
        f"--request {call.method} {_sh(call.url)}",
    ]
    if call.scheme:
        args.append(f'--header "Authorization: {call.scheme} ${{{TOKEN_VAR}:?set {TOKEN_VAR}}}"')
    args += [f"--header {_sh(f'{k}: {v}')}" for k, v in call.headers]
    if call.has_body:
        args.append("--data-raw " + _curl_data(call.json_parts()))
    args.append("--write-out '\\nHTTP status: %{http_code}\\n'")
    return "\n".join(lines) + "\n" + " \\\n  ".join(args) + "\n"


def _curl_data(parts: list[_Part]) -> str:
    """The body as one single-quoted word; each secret is expanded between its JSON quotes."""
    word = ""
    for part in parts:
        if isinstance(part, _Secret):  # leave the single quotes for a double-quoted expansion
            word += f'"\'"${{{part.var}:?set {part.var}}}"\'"'
        else:
            word += part.replace("'", "'\\''")
    return f"'{word}'"


# -- Python --------------------------------------------------------------------------------


def _py_str(text: str) -> str:
    """A Python string literal, quoted the way ruff and black quote it."""
    literal = _json_str(text, python=True)  # JSON's string escapes are all valid in Python
    if text.count('"') <= text.count("'"):
        return literal
    inner = literal[1:-1].replace('\\"', '"').replace("'", "\\'")
    return f"'{inner}'"


def _python(call: _Call) -> str:
    reads = f"{call.reads()}\n" if call.reads() else ""
    lines = [
        f'"""{call.title}.',
        "",
        f"{reads}A private CA (the sandbox's): export {CA_VAR}=/path/to/ca.pem",
        '"""',
        "",
        "import os",
        "",
        "import requests",
        "",
        f"url = {_py_str(call.url)}",
        "headers = {",
    ]
    if call.scheme:
        lines.append(
            f'    "Authorization": {_py_str(call.scheme + " ")} + os.environ["{TOKEN_VAR}"],'
        )
    lines += [f"    {_py_str(k)}: {_py_str(v)}," for k, v in call.headers]
    lines.append("}")
    if call.has_body:
        body = _pretty(call.body, _python_scalar, indent=4, trailing_comma=True)
        text = "".join(f'os.environ["{p.var}"]' if isinstance(p, _Secret) else p for p in body)
        lines.append(f"body = {text}")
    lines += [
        "",
        "response = requests.request(",
        f"    {_py_str(call.method)},",
        "    url,",
        "    headers=headers,",
        *(["    json=body,"] if call.has_body else []),
        f'    verify=os.environ.get("{CA_VAR}") or True,',
        "    timeout=30,",
        ")",
        'print("HTTP status:", response.status_code)',
        "print(response.text)",
    ]
    return "\n".join(lines) + "\n"


# -- Java ----------------------------------------------------------------------------------


def _java_str(text: str) -> str:
    """A Java string literal in ASCII (the source's encoding then never matters)."""
    out = []
    for char in text:
        if char in _JAVA_ESCAPES:
            out.append(_JAVA_ESCAPES[char])
        elif " " <= char <= "~":
            out.append(char)
        else:
            units = char.encode("utf-16-be", "surrogatepass")
            out += [f"\\u{units[i] << 8 | units[i + 1]:04x}" for i in range(0, len(units), 2)]
    return '"' + "".join(out) + '"'


_JAVA_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}

_JAVA_ENV = """
    static String env(String name) {
        String value = System.getenv(name);
        if (value == null || value.isEmpty()) {
            throw new IllegalStateException("set the environment variable " + name);
        }
        return value;
    }"""

_JAVA_JSON = """
    static String json(String text) {
        StringBuilder out = new StringBuilder("\\"");
        for (char c : text.toCharArray()) {
            if (c == '"' || c == '\\\\') {
                out.append('\\\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }"""


def _java_expression(line: list[_Part]) -> str:
    return " + ".join(
        f'json(env("{p.var}"))' if isinstance(p, _Secret) else _java_str(p) for p in line
    )


def _java(call: _Call) -> str:
    lines = [f"// {call.title}. {call.reads()}".rstrip()]
    lines += [
        "// A private CA (the sandbox's): put it in a truststore and run",
        "//   java -Djavax.net.ssl.trustStore=trust.p12 -Djavax.net.ssl.trustStorePassword=changeit"
        " Main.java",
        "import java.io.PrintStream;",
        "import java.net.URI;",
        "import java.net.http.HttpClient;",
        "import java.net.http.HttpRequest;",
        "import java.net.http.HttpResponse;",
        "import java.nio.charset.StandardCharsets;",
        "",
        "public class Main {",
        "    public static void main(String[] args) throws Exception {",
    ]
    publisher = "HttpRequest.BodyPublishers.noBody()"
    if call.has_body:
        body = [_java_expression(line) for line in _lines(call.json_parts())]
        lines.append("        String body = " + "\n            + ".join(body) + ";")
        publisher = "HttpRequest.BodyPublishers.ofString(body)"
    lines += [
        f"        HttpRequest request = HttpRequest.newBuilder(URI.create({_java_str(call.url)}))",
        f"            .method({_java_str(call.method)}, {publisher})",
    ]
    if call.scheme:
        token = f'{_java_str(call.scheme + " ")} + env("{TOKEN_VAR}")'
        lines.append(f'            .header("Authorization", {token})')
    lines += [f"            .header({_java_str(k)}, {_java_str(v)})" for k, v in call.headers]
    lines += [
        "            .build();",
        "        HttpResponse<String> response = HttpClient.newHttpClient()",
        "            .send(request, HttpResponse.BodyHandlers.ofString());",
        "        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);",
        '        out.println("HTTP status: " + response.statusCode());',
        "        out.println(response.body());",
        "    }",
    ]
    if call.env_vars:
        lines.append(_JAVA_ENV)
    if call.secrets:
        lines.append(_JAVA_JSON)
    lines.append("}")
    return "\n".join(lines) + "\n"


# -- Go ------------------------------------------------------------------------------------


def _go_str(text: str) -> str:
    """An interpreted Go string literal."""
    out = []
    for char in text:
        if char in _GO_ESCAPES:
            out.append(_GO_ESCAPES[char])
        elif char.isprintable():
            out.append(char)
        elif ord(char) <= 0xFFFF:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return '"' + "".join(out) + '"'


_GO_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _go_raw_ok(text: str) -> bool:
    """Whether ``text`` can be a raw string literal (backquotes) as it is."""
    return "`" not in text and all(c.isprintable() or c == "\n" for c in text)


def _go_body(parts: list[_Part]) -> str:
    def secret(p: _Secret) -> str:
        return f'jsonString(env("{p.var}"))'

    if all(_go_raw_ok(p) for p in parts if isinstance(p, str)):
        return " + ".join(secret(p) if isinstance(p, _Secret) else f"`{p}`" for p in parts)
    lines = [
        " + ".join(secret(p) if isinstance(p, _Secret) else _go_str(p) for p in line)
        for line in _lines(parts)
    ]
    return " +\n\t\t".join(lines)


_GO_ENV = """
func env(name string) string {
	value := os.Getenv(name)
	if value == "" {
		fmt.Fprintln(os.Stderr, "set the environment variable "+name)
		os.Exit(2)
	}
	return value
}"""

_GO_JSON = """
func jsonString(text string) string {
	data, _ := json.Marshal(text)
	return string(data)
}"""


def _go(call: _Call) -> str:
    imports = ["fmt", "io", "net/http"]
    if call.has_body:
        imports.append("bytes")
    if call.env_vars:
        imports.append("os")
    if call.secrets:
        imports.append("encoding/json")
    lines = [f"// {call.title}. {call.reads()}".rstrip()]
    lines += [
        "// A private CA (the sandbox's): export SSL_CERT_FILE=/path/to/ca.pem",
        "package main",
        "",
        "import (",
        *(f'\t"{name}"' for name in sorted(imports)),
        ")",
        "",
        "func main() {",
    ]
    reader = "nil"
    if call.has_body:
        lines.append(f"\tbody := {_go_body(call.json_parts())}")
        reader = "bytes.NewBufferString(body)"
    lines += [
        f"\treq, err := http.NewRequest({_go_str(call.method)}, {_go_str(call.url)}, {reader})",
        "\tif err != nil {",
        "\t\tpanic(err)",
        "\t}",
    ]
    if call.scheme:
        token = f'{_go_str(call.scheme + " ")}+env("{TOKEN_VAR}")'
        lines.append(f'\treq.Header.Set("Authorization", {token})')
    lines += [f"\treq.Header.Set({_go_str(k)}, {_go_str(v)})" for k, v in call.headers]
    lines += [
        "\tresp, err := http.DefaultClient.Do(req)",
        "\tif err != nil {",
        "\t\tpanic(err)",
        "\t}",
        "\tdefer resp.Body.Close()",
        "\tdata, err := io.ReadAll(resp.Body)",
        "\tif err != nil {",
        "\t\tpanic(err)",
        "\t}",
        '\tfmt.Println("HTTP status:", resp.StatusCode)',
        "\tfmt.Println(string(data))",
        "}",
    ]
    if call.env_vars:
        lines.append(_GO_ENV)
    if call.secrets:
        lines.append(_GO_JSON)
    return "\n".join(lines) + "\n"


_RENDERERS: dict[str, Callable[[_Call], str]] = {
    "curl": _curl,
    "python": _python,
    "java": _java,
    "go": _go,
}
