"""Recording: every exchange of a session written to a HAR 1.2 file as it happens, redacted.

``ck.connect("dev", record="flows/dev.har")`` starts one (:func:`start_recording`). Each
exchange is recorded once :meth:`ConnectSession.send <connect_kit.client.ConnectSession.send>`
has its answer (token calls included; the attempts that a retry replaced are not), and is on
disk before the call returns: after every call the file is one valid HAR, so a crash loses
nothing. The file is created whole, atomically (a temporary file, then ``os.replace``); each
exchange then replaces the closing brackets with itself and the brackets again, in one
``pwrite`` at the end of the file, so that a recording costs the same per call at 10 calls as
at 10,000. A write that fails warns, and the next exchange writes the whole file again,
atomically. The file opens in a browser's devtools and imports into Postman.

Redacted, with :mod:`connect_kit._redact`'s list of secrets:

- the ``Authorization`` and ``Proxy-Authorization`` headers are left out (the request's
  ``comment`` says so); ``Cookie`` and ``Set-Cookie`` keep the cookies' names only;
- every string of a secret-marked field (client secret, tokens, codes, passwords, at any depth
  of a request or response body, and in a query string) becomes a placeholder,
  ``[redacted:<field>:<n>]``: the same value always the same placeholder within a recording,
  whatever field it sits in next, so that a request carrying a token received earlier still
  matches on replay (:mod:`connect_kit.client._replay`);
- any secret seen (the environment's client secret, the bearer token, every secret field) is
  replaced by its placeholder wherever else it shows: other strings of a body, URLs, headers
  (values shorter than 6 characters only where a secret field holds them).

The values behind the placeholders stay in memory, never in the file.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
import threading
import weakref
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from .. import _redact as redact
from .._version import __version__
from ..errors import ConfigurationError, warn_at_caller
from ._config import Environment
from ._placeholders import Placeholders, parse_body

if TYPE_CHECKING:
    from requests.adapters import BaseAdapter

    from ..spec.base import Operation

LEFT_OUT = frozenset({"authorization", "proxy-authorization"})
HTTP_VERSIONS = {10: "HTTP/1.0", 11: "HTTP/1.1", 20: "HTTP/2"}
COMMENT = (
    "Recorded by connect-kit. Secrets are replaced by [redacted:<field>:<n>] placeholders "
    "(the same value, the same placeholder); Authorization headers are left out."
)


def _text(value: Any) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def _pairs(pairs: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"name": name, "value": value} for name, value in pairs]


class Recorder:
    """One recording: its file, the placeholders of its secrets, and its entries so far.

    Shared by a session and the sessions its :meth:`for_user` makes; thread-safe (each
    exchange is redacted and the file written under one lock).
    """

    def __init__(
        self, path: str | os.PathLike[str] | None, env: Environment, base_url: str
    ) -> None:
        """``path`` None: a recording in memory only (what :func:`history_document` makes)."""
        self.path = Path(path).expanduser() if path is not None else None
        self.env, self.base_url = env, base_url
        self.placeholders = Placeholders()
        if env.client_secret:
            self.placeholders.of("client_secret", env.client_secret)
        self._entries: list[str] = []  # each entry's JSON text, as the file holds it
        self._lock = threading.Lock()
        self._head, self._closing = self._frame()
        self._end = 0  # where the closing brackets start in the file
        self._whole = True  # the next exchange writes the whole file (none yet; a failed write)
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._write()
        except OSError as exc:
            raise ConfigurationError(f"record={str(path)!r}: cannot write there: {exc}") from None

    def __repr__(self) -> str:
        return f"<Recorder {self.path} ({len(self)} exchanges of {self.env.name})>"

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, response: requests.Response, op: Operation | None) -> None:
        """Record one exchange: on disk when this returns."""
        with self._lock:
            entry = self._entry(response, op)
            text = _indent(json.dumps(entry, indent=2, ensure_ascii=False), "      ")
            self._entries.append(text)
            if self.path is None:
                return
            try:
                if self._whole:
                    self._write()
                else:
                    self._append(("\n" if len(self._entries) == 1 else ",\n") + text)
            except OSError as exc:
                self._whole = True
                warn_at_caller(
                    f"recording {self.path}: could not write the file ({exc}); "
                    "it is written again, whole, after the next exchange"
                )

    # -- the file ---------------------------------------------------------------------------

    def document(self) -> str:
        """The HAR document of the entries so far: what the file holds."""
        return self._head + self._entries_text() + self._closing

    def _frame(self) -> tuple[str, str]:
        """The document's text before its entries, and after them."""
        log = {
            "version": "1.2",
            "creator": {"name": "connect-kit", "version": __version__},
            "pages": [],
            "comment": COMMENT,
            "_connectKit": {
                "env": self.env.name,
                "url": self.base_url,
                "kind": self.env.kind,
                "kindReason": self.env.kind_reason,
                "scope": self.env.scope,
                "sandbox": self.env.sandbox,
            },
            "entries": [],
        }
        head, _, tail = json.dumps({"log": log}, indent=2).rpartition('"entries": []')
        return head + '"entries": [', "\n    ]" + tail + "\n"

    def _entries_text(self) -> str:
        return "".join(("\n" if i == 0 else ",\n") + t for i, t in enumerate(self._entries))

    def _write(self) -> None:
        """Write the whole file, atomically."""
        assert self.path is not None
        head = (self._head + self._entries_text()).encode()
        handle, temporary = tempfile.mkstemp(
            dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp"
        )
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(head + self._closing.encode())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self._end, self._whole = len(head), False

    def _append(self, text: str) -> None:
        """Put ``text`` (an entry and its separator) before the closing brackets, which follow
        it again: one write, at the end of the file."""
        assert self.path is not None
        data = text.encode()
        written = data + self._closing.encode()
        handle = os.open(self.path, os.O_WRONLY)
        try:
            done = 0
            while done < len(written):  # a regular file takes it in one write, save a full disk
                done += os.pwrite(handle, written[done:], self._end + done)
        finally:
            os.close(handle)
        self._end += len(data)

    # -- one entry --------------------------------------------------------------------------

    def _entry(self, response: requests.Response, op: Operation | None) -> dict[str, Any]:
        request = response.request
        found = self.placeholders
        sent_text, sent, sent_json = parse_body(request.body)
        got_text, got, got_json = parse_body(response.content or b"")
        for name, value in request.headers.items():  # learn every secret before writing any
            if name.lower() in LEFT_OUT:
                scheme, _, credentials = _text(value).strip().rpartition(" ")
                kind = "access_token" if scheme.lower() == "bearer" else "credentials"
                found.of(kind, credentials.strip())
        query = parse_qsl(urlsplit(request.url or "").query, keep_blank_values=True)
        for name, value in query:
            if name in redact.secret_fields():
                found.of(name, value)
        found.learn(sent)
        found.learn(got)
        elapsed = response.elapsed.total_seconds()
        answered = getattr(response, "answered_at", None) or datetime.now(UTC)
        started = answered.timestamp() - elapsed
        ms = round(elapsed * 1000, 3)
        return {
            "startedDateTime": datetime.fromtimestamp(started, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "time": ms,
            "request": self._request(request, sent_text, sent, sent_json),
            "response": self._response(response, got_text, got, got_json),
            "cache": {},
            "timings": {
                **{"blocked": -1, "dns": -1, "connect": -1, "ssl": -1},
                **{"send": 0, "wait": ms, "receive": 0},
            },
            "_connectKit": {
                "operation": op.name if op else None,
                "attempts": getattr(response, "attempts", 1),
            },
        }

    def _body(self, text: str | None, value: Any, is_json: bool) -> str | None:
        if text is None:
            return None
        if is_json:
            shown = self.placeholders.json(value)
            return text if shown == value else json.dumps(shown, ensure_ascii=False)
        return self.placeholders.text(text)

    def _headers(self, headers: Any, length: int | None) -> tuple[list[dict[str, str]], bool]:
        """The headers as HAR pairs (``Content-Length`` the recorded body's ``length`` when
        given), and whether a credential header was left out."""
        shown, left_out = [], False
        for name, value in headers.items():
            lowered = name.lower()
            if lowered in LEFT_OUT:
                left_out = True
                continue
            if lowered in redact.SECRET_HEADERS:
                text = redact.headers({name: _text(value)})[name]
            elif lowered == "content-length" and length is not None:
                text = str(length)
            else:
                text = self.placeholders.text(_text(value))
            shown.append((name, text))
        return _pairs(shown), left_out

    def _request(
        self, request: requests.PreparedRequest, text: str | None, value: Any, is_json: bool
    ) -> dict[str, Any]:
        body = self._body(text, value, is_json)
        if body is None and request.body is not None:
            body = f"[a body of {len(request.body)} bytes that is not UTF-8 text]"
        parts = urlsplit(request.url or "")
        raw = parse_qsl(parts.query, keep_blank_values=True)
        secrets, found = redact.secret_fields(), self.placeholders
        query = [
            (found.text(name), found.of(name, item) if name in secrets else found.text(item))
            for name, item in raw
        ]
        url = urlunsplit(
            parts._replace(
                path=self.placeholders.text(parts.path),
                query=parts.query if query == raw else urlencode(query),
            )
        )
        size = len(body.encode()) if body is not None else 0
        headers, left_out = self._headers(request.headers, size if body is not None else None)
        shown: dict[str, Any] = {
            "method": request.method or "GET",
            "url": url,
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": headers,
            "queryString": _pairs(query),
            "headersSize": -1,
            "bodySize": size,
        }
        if body is not None:
            mime = request.headers.get("Content-Type") or "application/json"
            shown["postData"] = {"mimeType": _text(mime), "text": body}
        if left_out:
            shown["comment"] = "Authorization header left out by connect-kit"
        return shown

    def _response(
        self, response: requests.Response, text: str | None, value: Any, is_json: bool
    ) -> dict[str, Any]:
        content: dict[str, Any] = {
            "mimeType": response.headers.get("Content-Type") or "x-unknown",
        }
        body = self._body(text, value, is_json)
        if body is None:  # not UTF-8: kept as it came, in base64
            body = base64.b64encode(response.content).decode("ascii")
            content.update(size=len(response.content), text=body, encoding="base64")
        else:
            content.update(size=len(body.encode()), text=body)
        changed = text is not None and body != text  # redacted: the recorded length
        headers, _ = self._headers(response.headers, content["size"] if changed else None)
        return {
            "status": response.status_code,
            "statusText": response.reason or "",
            "httpVersion": HTTP_VERSIONS.get(getattr(response.raw, "version", 11), "HTTP/1.1"),
            "cookies": [],
            "headers": headers,
            "content": content,
            "redirectURL": self.placeholders.text(response.headers.get("Location", "")),
            "headersSize": -1,
            "bodySize": content["size"],
        }


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.splitlines())


# -- the session's side: what ``send`` and ``for_user`` call ---------------------------------


class _Session(Protocol):
    env: Environment
    base_url: str

    def operation_of(self, request: requests.PreparedRequest) -> Operation | None: ...
    def mount(self, prefix: str, adapter: BaseAdapter) -> None: ...


_S = TypeVar("_S", bound=_Session)
_RECORDERS: weakref.WeakKeyDictionary[Any, Recorder] = weakref.WeakKeyDictionary()
_TRANSPORTS: weakref.WeakKeyDictionary[Any, BaseAdapter] = weakref.WeakKeyDictionary()


def start_recording(session: _Session, path: str | os.PathLike[str]) -> Recorder:
    """Record every exchange of ``session`` (and of its :meth:`for_user` sessions) to the
    HAR 1.2 file at ``path``, created (with its folder) or started again."""
    recorder = Recorder(path, session.env, session.base_url)
    _RECORDERS[session] = recorder
    return recorder


def recorder_of(session: Any) -> Recorder | None:
    """The recording that ``session`` writes to, if any."""
    return _RECORDERS.get(session)


def answer_from(session: _Session, adapter: BaseAdapter) -> None:
    """Send every https request of ``session`` (and of its :meth:`for_user` sessions) through
    ``adapter`` instead of the network: what replay mounts."""
    session.mount("https://", adapter)
    _TRANSPORTS[session] = adapter


def recorded(session: _Session, response: requests.Response) -> requests.Response:
    """``response``, recorded first when ``session`` records (called by ``send``)."""
    recorder = _RECORDERS.get(session)
    if recorder is not None:
        recorder.add(response, session.operation_of(response.request))
    return response


def carry(session: _Session, user: _S) -> _S:
    """``user`` (a :meth:`for_user` session of ``session``), recording to the same file and
    answering from the same transport as ``session``."""
    if (recorder := _RECORDERS.get(session)) is not None:
        _RECORDERS[user] = recorder
    if (adapter := _TRANSPORTS.get(session)) is not None:
        answer_from(user, adapter)
    return user


def history_document(session: Any) -> str:
    """A HAR 1.2 document of the exchanges ``session``'s history keeps, redacted as a recording
    is (placeholders of its own); what ``session.exchanges`` and ``ck.export(session)`` read."""
    recorder = Recorder(None, session.env, session.base_url)
    for response in session._history.responses():
        recorder.add(response, session.operation_of(response.request))
    return recorder.document()
