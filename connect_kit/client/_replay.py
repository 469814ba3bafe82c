"""Replay: a session that answers from a recording, with no network and no credentials.

``ck.connect("dev", replay="flows/dev.har")`` (:func:`replay_session`) makes a session whose
https requests go to a :class:`ReplayAdapter` instead of the network. Everything else is the
session's own: the checks before sending (its own origin, no credentials in a query string, no
write to production unless allowed), tokens, retries, results, frames and typed errors. So a
replay gives the same Results, frames and errors as the recorded calls did.

The environment is the recording's (``log._connectKit``: its name, server, kind and scope),
not ``.env``'s: the recording needs no sandbox, no ``.env`` and no credentials. The name given
to ``connect`` must be the recorded one (a ``sandbox:`` prefix aside). Writes to a production
recording are refused as they would be live, unless ``allow_writes=True`` or the process or
``.env`` sets ``INSTACART_<ENV>_ALLOW_WRITES``. A HAR file recorded by something else (a
browser's devtools) replays too: its server is its first entry's origin, and its kind is
worked out from that server as for any environment (``INSTACART_<ENV>_KIND`` if declared;
unknown: production). Those two are the only settings read; Instacart's production host is
production whatever a recording says.

How a request finds its answer:

- token calls are not looked up: ``create_token`` gets a fresh token made up here (shaped like
  the recorded answer for the same grant and scope; the recorded error when that grant and
  scope only ever failed), ``revoke_token`` an empty 200;
- any other request matches a recorded one on method, path, query and JSON body (secrets
  compared as placeholders: a placeholder sent back matches itself, and a real secret matches
  a recorded placeholder when it is the same secret each time); the same request recorded
  several times is answered in the recorded order, and once its answers run out the last one
  is repeated (a retry of a recorded error gets that error again);
- anything else raises :class:`~connect_kit.errors.ReplayMissError` naming the closest
  recorded request and what differs. Nothing is ever sent.

Retries do not wait on replay (the answers are already there), unless ``retry=`` says how.
"""

from __future__ import annotations

import base64
import io
import json
import os
import threading
import uuid
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPHeaderDict, HTTPResponse

from .. import _redact as redact
from .. import spec
from ..errors import ConfigurationError, ReplayMissError
from ._config import DEFAULT_SCOPE, Environment, _flag, settings
from ._guard import KINDS, environment_kind
from ._placeholders import is_placeholder, parse_body
from ._recording import answer_from
from ._retry import RetryPolicy
from ._session import ConnectSession

TOKEN_CALLS = ("create_token", "revoke_token")
NOT_REPLAYED = frozenset({"content-encoding", "transfer-encoding", "content-length"})
SHOWN = 5  # differences a miss lists


@dataclass
class Exchange:
    """One recorded request and its answer."""

    number: int  # 1-based, in the file
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any  # parsed JSON, the text, or None
    json: bool
    status: int
    reason: str
    headers: list[tuple[str, str]]
    content: bytes
    operation: str | None = None
    answer: Any = field(default=None, repr=False)  # the content, parsed when JSON

    @property
    def label(self) -> str:
        query = "?" + urlencode(self.query, doseq=True) if self.query else ""
        return f"#{self.number} {self.method} {self.path}{query}"


@dataclass
class Recording:
    """A HAR file read for replay: its environment's settings and its exchanges."""

    path: Path
    env: dict[str, Any]
    exchanges: list[Exchange]


def _fail(path: Path, what: str) -> ConfigurationError:
    return ConfigurationError(f"replay={str(path)!r}: {what}")


def load(path: str | os.PathLike[str]) -> Recording:
    """Read a HAR file (connect-kit's, or any HAR 1.2 of one server) for replay."""
    where = Path(path).expanduser()
    try:
        document = json.loads(where.read_text(encoding="utf-8"))
        log = document["log"]
        entries = log["entries"]
        meta = dict(log.get("_connectKit") or {})
    except OSError as exc:
        raise _fail(where, f"cannot read it: {exc}") from None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise _fail(where, "not a HAR file (expected JSON with log.entries)") from None
    if not meta.get("url"):
        if not entries:
            raise _fail(where, "holds no request, and no server to replay")
        first = urlsplit(str(entries[0]["request"]["url"]))
        meta["url"] = urlunsplit((first.scheme, first.netloc, "", "", ""))
    base = str(meta["url"]).rstrip("/")
    try:
        exchanges = [_exchange(n, entry, base) for n, entry in enumerate(entries, 1)]
    except (KeyError, TypeError, ValueError) as exc:
        raise _fail(where, f"an entry is not a HAR 1.2 entry ({exc!r})") from None
    return Recording(where, meta, exchanges)


def _target(url: str, base: str) -> tuple[str, dict[str, list[str]]]:
    """The path of ``url`` relative to the server ``base``, and its query."""
    parts = urlsplit(url)
    path = url[len(base) :].split("?", 1)[0] if url.startswith(base + "/") else parts.path
    query: dict[str, list[str]] = {}
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        query.setdefault(name, []).append(value)
    return path, query


def _exchange(number: int, entry: dict[str, Any], base: str) -> Exchange:
    request, response = entry["request"], entry["response"]
    method = str(request["method"]).upper()
    path, query = _target(str(request["url"]), base)
    text = (request.get("postData") or {}).get("text")
    _, body, is_json = parse_body(text)
    content = response.get("content") or {}
    raw = content.get("text") or ""
    payload = base64.b64decode(raw) if content.get("encoding") == "base64" else raw.encode()
    _, answer, _ = parse_body(payload)
    operation = (entry.get("_connectKit") or {}).get("operation")
    if operation is None and (found := spec.match(method, path)):
        operation = found[0].name
    return Exchange(
        number=number,
        method=method,
        path=path,
        query=query,
        body=body if is_json else text,
        json=is_json,
        status=int(response["status"]),
        reason=str(response.get("statusText") or ""),
        headers=[(h["name"], h["value"]) for h in response.get("headers") or []],
        content=payload,
        operation=operation,
        answer=answer,
    )


# -- matching --------------------------------------------------------------------------------


class _Comparison:
    """The differences of a sent request from a recorded one, and the secrets it binds."""

    def __init__(self, bound: dict[str, str]) -> None:
        self.bound = bound  # real secret sent -> the recorded placeholder it stands for
        self.binds: dict[str, str] = {}
        self.differences: list[str] = []

    def _taken(self, placeholder: str) -> bool:
        return placeholder in self.bound.values() or placeholder in self.binds.values()

    def compare(self, recorded: Any, sent: Any, where: str) -> None:
        if is_placeholder(recorded) and recorded != sent:
            self._secret(recorded, sent, where)
        elif isinstance(recorded, dict) and isinstance(sent, dict):
            for key in [*recorded, *(k for k in sent if k not in recorded)]:
                at = f"{where}.{key}"
                if key not in sent:
                    self.differences.append(f"{at}: recorded, not sent")
                elif key not in recorded:
                    self.differences.append(f"{at}: sent, not recorded")
                else:
                    self.compare(recorded[key], sent[key], at)
        elif isinstance(recorded, list) and isinstance(sent, list):
            if len(recorded) != len(sent):
                self.differences.append(
                    f"{where}: {len(recorded)} items recorded, {len(sent)} sent"
                )
            for n, (old, new) in enumerate(zip(recorded, sent, strict=False)):
                self.compare(old, new, f"{where}[{n}]")
        elif not _same(recorded, sent):
            self.differences.append(
                f"{where}: recorded {self._show(recorded, where)}, sent {self._show(sent, where)}"
            )

    def _show(self, value: Any, where: str) -> str:
        """``value`` for a message: no secret it may hold shows."""
        name = where.rsplit(".", 1)[-1].split("[", 1)[0]
        if name in redact.secret_fields() and isinstance(value, str) and not is_placeholder(value):
            return redact.REDACTED
        if value is None:
            return "nothing"
        text = json.dumps(redact.body(value), ensure_ascii=False)
        text = redact.scrub(text, *self.bound, *self.binds)
        return text if len(text) <= 60 else text[:57] + "..."

    def _secret(self, recorded: str, sent: Any, where: str) -> None:
        if not isinstance(sent, str) or not sent or is_placeholder(sent):
            shown = self._show(sent, where)
            self.differences.append(f"{where}: recorded {recorded}, sent {shown}")
            return
        known = self.bound.get(sent) or self.binds.get(sent)
        if known == recorded or (known is None and not self._taken(recorded)):
            self.binds[sent] = recorded
        else:
            self.differences.append(f"{where}: a different secret than the recorded {recorded}")


def _same(a: Any, b: Any) -> bool:
    return isinstance(a, bool) == isinstance(b, bool) and a == b


@dataclass
class _Sent:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    json: bool

    def compare(self, exchange: Exchange, bound: dict[str, str]) -> _Comparison:
        found = _Comparison(bound)
        if exchange.method != self.method:
            found.differences.append(f"method: recorded {exchange.method}, sent {self.method}")
        if exchange.path != self.path:
            found.differences.append(f"path: recorded {exchange.path}, sent {self.path}")
        found.compare(exchange.query, self.query, "query")
        if exchange.json and self.json:
            found.compare(exchange.body, self.body, "body")
        elif exchange.body != self.body:  # text (or none): its secrets are not compared
            found.differences.append("body: not the recorded one (compared as text)")
        return found


# -- the adapter ---------------------------------------------------------------------------


class ReplayAdapter(HTTPAdapter):
    """Answers every request from a :class:`Recording`; never opens a connection."""

    def __init__(self, recording: Recording) -> None:
        super().__init__(max_retries=0)
        self.recording = recording
        self.base_url = str(recording.env["url"]).rstrip("/")
        self._by_key: dict[tuple[str, str], list[Exchange]] = {}
        for exchange in recording.exchanges:
            key = (exchange.method, exchange.path)
            self._by_key.setdefault(key, []).append(exchange)
        self._used: set[int] = set()
        self._bound: dict[str, str] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<ReplayAdapter {self.recording.path} ({len(self.recording.exchanges)} exchanges)>"

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        sent = self._sent(request)
        found = spec.match(sent.method, sent.path)
        operation = found[0].name if found and found[0].area == "auth" else None
        if operation in TOKEN_CALLS:
            status, reason, headers, content = self._token(operation, sent)
        else:
            exchange = self._answer(sent)
            status, reason, content = exchange.status, exchange.reason, exchange.content
            headers = [(n, v) for n, v in exchange.headers if n.lower() not in NOT_REPLAYED]
        headers.append(("Content-Length", str(len(content))))
        raw = HTTPResponse(
            body=io.BytesIO(content),
            headers=HTTPHeaderDict(headers),
            status=status,
            version=11,
            reason=reason,
            preload_content=False,
            decode_content=False,
            request_method=sent.method,
            request_url=request.url,
        )
        return self.build_response(request, raw)

    def _sent(self, request: requests.PreparedRequest) -> _Sent:
        path, query = _target(request.url or "", self.base_url)
        text, body, is_json = parse_body(request.body)
        method = (request.method or "GET").upper()
        return _Sent(method, path, query, body if is_json else text, is_json)

    def _answer(self, sent: _Sent) -> Exchange:
        """The first recorded answer to ``sent`` not given yet, else the last one given."""
        with self._lock:
            recorded = self._by_key.get((sent.method, sent.path), [])
            unused = [e for e in recorded if e.number not in self._used]
            used = [e for e in reversed(recorded) if e.number in self._used]
            for exchange in (*unused, *used):
                found = sent.compare(exchange, self._bound)
                if not found.differences:
                    self._used.add(exchange.number)
                    self._bound.update(found.binds)
                    return exchange
            raise self._miss(sent)

    def _miss(self, sent: _Sent) -> ReplayMissError:
        where = f"{sent.method} {sent.path}"
        recording = f"the recording {self.recording.path}"
        candidates = [
            e for e in self.recording.exchanges if e.operation not in TOKEN_CALLS
        ] or self.recording.exchanges
        if not candidates:
            message = f"{where} is not in {recording}, which holds no request: nothing was sent"
            return ReplayMissError(message, method=sent.method, path=sent.path)

        def rank(exchange: Exchange) -> tuple[Any, ...]:
            differences = sent.compare(exchange, self._bound).differences
            return (
                exchange.path == sent.path,
                exchange.method == sent.method,
                SequenceMatcher(None, exchange.path, sent.path).ratio(),
                -len(differences),
            )

        closest = max(candidates, key=rank)
        differences = sent.compare(closest, self._bound).differences
        shown = "; ".join(differences[:SHOWN])
        if len(differences) > SHOWN:
            shown += f"; and {len(differences) - SHOWN} more"
        return ReplayMissError(
            f"{where} is not in {recording} ({len(self.recording.exchanges)} exchanges): "
            f"nothing was sent. The closest recorded request is {closest.label}, which differs "
            f"in {shown}. Record the flow again to replay this request.",
            method=sent.method,
            path=sent.path,
            closest=closest.label,
            differences=differences,
        )

    def _token(self, operation: str, sent: _Sent) -> tuple[int, str, list[tuple[str, str]], bytes]:
        json_type = [("Content-Type", "application/json")]
        if operation == "revoke_token":
            return 200, "OK", json_type, b"{}"
        asked = sent.body if isinstance(sent.body, dict) else {}
        same = [
            e
            for e in self.recording.exchanges
            if e.operation == "create_token"
            and isinstance(e.body, dict)
            and all(e.body.get(k) == asked.get(k) for k in ("grant_type", "scope"))
        ]
        answered = next((e for e in same if e.status == 200 and isinstance(e.answer, dict)), None)
        if answered is None and same:  # this grant and scope only ever failed: so it does
            failed = same[0]
            headers = [(n, v) for n, v in failed.headers if n.lower() not in NOT_REPLAYED]
            return failed.status, failed.reason, headers, failed.content
        token = dict(answered.answer) if answered else {"token_type": "Bearer"}
        if answered is None:
            token.update(expires_in=7200, scope=asked.get("scope") or "")
        token["access_token"] = f"replay-{uuid.uuid4().hex}"
        if "refresh_token" in token:
            token["refresh_token"] = f"replay-{uuid.uuid4().hex}"
        return 200, "OK", json_type, json.dumps(token).encode()


# -- the session -----------------------------------------------------------------------------


def _no_wait(seconds: float) -> None:
    """Retries on replay do not wait: the answers are already there."""


def _bare(name: str) -> str:
    return name.lower().removeprefix("sandbox:")


def _environment(
    name: str, recording: Recording, dotenv_path: str | os.PathLike[str] | None
) -> Environment:
    meta = recording.env
    url = str(meta["url"]).rstrip("/")
    recorded = str(meta.get("env") or name)
    if _bare(name) != _bare(recorded):
        raise _fail(
            recording.path,
            f"a recording of {recorded!r}, not {name!r}: connect({recorded!r}, replay=...)",
        )
    raw = settings(dotenv_path).get(recorded.lower(), {})
    kind, reason = meta.get("kind"), f"{meta.get('kindReason') or 'recorded'}, as recorded"
    if kind not in KINDS:  # not connect-kit's: from its server, as for any environment
        kind, reason = environment_kind(recorded, url, raw.get("KIND"))
    host_kind, host_reason = environment_kind(recorded, url, None)
    if host_reason == "Instacart's production host":
        kind, reason = host_kind, host_reason
    variable = f"INSTACART_{recorded.upper()}_ALLOW_WRITES"
    return Environment(
        name=recorded,
        url=url,
        client_id="connect-kit-replay",
        client_secret="replay",  # token calls are answered here: no credentials are needed
        scope=meta.get("scope", DEFAULT_SCOPE),
        allow_writes=_flag(variable, raw.get("ALLOW_WRITES", "")),
        sandbox=bool(meta.get("sandbox", False)),
        kind=kind,
        kind_reason=reason,
    )


def replay_session(
    name: str,
    path: str | os.PathLike[str],
    *,
    allow_writes: bool | None = None,
    dotenv_path: str | os.PathLike[str] | None = None,
    retry: RetryPolicy | None = None,
    **options: Any,
) -> ConnectSession:
    """A session for environment ``name`` that answers from the recording at ``path``, with
    no network (see this module). Other options go to :class:`ConnectSession`."""
    recording = load(path)
    env = _environment(name, recording, dotenv_path)
    session = ConnectSession(
        env,
        allow_writes=allow_writes,
        retry=retry or RetryPolicy(sleep=_no_wait),
        **options,
    )
    answer_from(session, ReplayAdapter(recording))
    return session
