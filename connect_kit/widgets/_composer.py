"""The request composer: pick an environment and an operation, fill the form, send.

The form is generated from the spec; Send calls the same ``session.call`` a Python user
calls. Results land in tabs: Table, JSON, Headers, Code and History.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from typing import Any, TypeVar

import ipywidgets as w

from .. import _redact as redact
from .. import spec
from ..client import ConnectSession, Result, kind_of, resolve, sandbox_instance, settings
from ..data._frames import to_frame
from ..errors import ConnectError, InvalidRequestError
from ..snippets import LANGUAGES, snippet
from ._fields import MISSING, Field, form_fields

T = TypeVar("T")
TABS = ("Table", "JSON", "Headers", "Code", "History")


def environment_options() -> list[tuple[str, str]]:
    """Every configured environment, sandbox ones marked; where ``dev`` or ``prod`` has
    credentials, its sandbox instance by name after them (``sandbox:dev``)."""
    options, named = [], []
    for name, raw in settings().items():
        live = bool(raw.get("CLIENT_ID") and raw.get("CLIENT_SECRET"))
        options.append((name if live else f"{name} (sandbox)", name))
        if live and sandbox_instance(f"sandbox:{name}"):
            named.append((f"sandbox:{name} (sandbox)", f"sandbox:{name}"))
    return options + named


def operation_options(text: str = "") -> list[tuple[str, str]]:
    """Operations grouped by area and group, filtered by ``text`` (name or summary)."""
    wanted = text.strip().lower()
    ops = [
        op
        for op in spec.OPERATIONS.values()
        if op.area != "auth" and (wanted in op.name or wanted in op.summary.lower())
    ]
    ops.sort(key=lambda op: (op.area, op.group, op.name))
    return [
        (f"{op.area} · {op.group} · {op.name}{' (deprecated)' if op.deprecated else ''}", op.name)
        for op in ops
    ]


def _pre(text: str) -> str:
    return f'<pre style="font-size:12px;max-height:400px;overflow:auto">{html.escape(text)}</pre>'


class Composer(w.VBox):
    """The composer widget; its parts are attributes so code (and tests) can drive it."""

    def __init__(self, env: str | None = None, operation: str | None = None) -> None:
        envs = environment_options()
        self.env = w.Dropdown(options=envs, value=env or envs[0][1], description="environment")
        self.search = w.Text(placeholder="type to filter operations", description="find")
        self.operation = w.Dropdown(
            options=operation_options(),
            value=operation or "find_delivery_stores",
            description="operation",
            layout=w.Layout(width="620px"),
        )
        self.about = w.HTML()
        self.as_user = w.Text(
            description="as user *",
            placeholder="Connect user_id: this call speaks for one user",
            layout=w.Layout(width="420px"),
            style={"description_width": "190px"},
        )
        self.form = w.VBox()
        self.confirm = w.Checkbox(
            value=False,
            indent=False,
            description="I mean it: this changes state on a production server",
        )
        self.send = w.Button(description="Send", button_style="primary", icon="paper-plane")
        self.message = w.HTML()
        self.outputs = {name: w.HTML() for name in TABS}
        self.tabs = w.Tab(children=list(self.outputs.values()), titles=list(TABS))
        self.fields: list[Field] = []
        self.sessions: dict[tuple[str, bool], ConnectSession] = {}
        self.user_sessions: dict[tuple[tuple[str, bool], str], ConnectSession] = {}
        self.result: Result | None = None
        self.search.observe(self._filter, names="value")
        self.operation.observe(lambda change: self._build(), names="value")
        self.env.observe(lambda change: self._guard(), names="value")
        self.confirm.observe(lambda change: self._guard(), names="value")
        self.send.on_click(lambda button: self.submit())
        self._build()
        super().__init__(self._rows([w.HBox([self.env, self.search])], self.tabs))

    def _rows(self, head: list[w.Widget], answer: w.Widget) -> list[w.Widget]:
        """The form's rows: ``head`` (where to send), the request, then ``answer``."""
        form = [self.operation, self.about, self.form, self.confirm, self.send, self.message]
        return [*head, *form, answer]

    # building -----------------------------------------------------------------------------

    @property
    def op(self) -> spec.Operation:
        return spec.get(self.operation.value)

    def _filter(self, change: dict[str, Any]) -> None:
        options = operation_options(change["new"])
        if options:
            current = self.operation.value
            self.operation.options = options
            if current in dict((v, k) for k, v in options):
                self.operation.value = current

    def _build(self) -> None:
        op = self.op
        notice = ""
        if op.deprecated:
            instead = f"use <code>{op.replacement}</code>" if op.replacement else "no replacement"
            notice = f'<div style="color:#9a6700">Deprecated: {instead}.</div>'
        self.about.value = (
            f"<div><code>{op.method} {html.escape(op.path)}</code> — {html.escape(op.summary)}"
            f"</div>{notice}"
        )
        self.fields = form_fields(op)
        user = [self.as_user] if op.user_token else []
        self.form.children = [*user, *(field.box for field in self.fields)]
        self.message.value = ""
        self._guard()

    def _writes_to_prod(self) -> bool:
        """A write to an environment of the production kind (whatever its name)."""
        return self.op.mutating and kind_of(self.env.value) == "production"

    def _guard(self) -> None:
        """Send stays disabled for a write to production until the confirmation is ticked."""
        risky = self._writes_to_prod()
        self.confirm.layout.display = None if risky else "none"
        self.send.disabled = risky and not self.confirm.value

    # sending ------------------------------------------------------------------------------

    def session(self) -> ConnectSession:
        """The session to send with: the environment's, or a user's for calls that speak for
        one user (Post-checkout, the frontend Recommendations and Order Feedback calls)."""
        allow = self._writes_to_prod() and self.confirm.value
        key = (self.env.value, allow)
        if key not in self.sessions:
            self.sessions[key] = ConnectSession(
                resolve(self.env.value), allow_writes=True if allow else None
            )
        session = self.sessions[key]
        user = self.as_user.value.strip()
        if not self.op.user_token or not user:
            return session
        if (key, user) not in self.user_sessions:
            self.user_sessions[(key, user)] = session.for_user(user)
        return self.user_sessions[(key, user)]

    def params(self) -> dict[str, Any] | None:
        """The form's values, or None after marking the fields that cannot be read."""
        params: dict[str, Any] = {}
        ok = True
        for field in self.fields:
            try:
                value = field.read()
            except ValueError as exc:
                field.show_error(str(exc))
                ok = False
                continue
            field.show_error(None)
            if value is not MISSING:
                params[field.name] = value
        return params if ok else None

    def submit(self) -> Result | None:
        """What the Send button does; returns the result (None after an error).

        It never raises: every failure, foreseen or not, becomes a message in the form.
        """
        return self._safely(self._send_request)

    def _safely(self, action: Callable[[], T]) -> T | None:
        """``action()``, with any failure shown in the form instead of raised."""
        self.message.value = ""
        try:
            return action()
        except InvalidRequestError as error:
            self._field_errors(error)
        except ConnectError as error:
            self._fail(_describe(error))
        except Exception as error:  # a button's callback must not raise: say what happened
            self._fail(f"Unexpected {_describe(error)}")
        return None

    def _send_request(self) -> Result | None:
        params = self.params()
        if params is None:
            self._fail("Some fields need attention.")
            return None
        if self.op.user_token and not self.as_user.value.strip():
            self._fail(f"{self.op.name} speaks for one user: fill in 'as user'.")
            return None
        result = self.session().call(self.op.name, **params)
        self.result = result
        self._show(result)
        return result

    def _field_errors(self, error: InvalidRequestError) -> None:
        by_name = {field.name: field for field in self.fields}
        loose = []
        for item in error.errors:
            top = (item.key or "").split(".")[0].split("[")[0]
            if top in by_name:
                by_name[top].show_error(
                    self._scrub(f"{item.key}: {item.message}" if item.key != top else item.message)
                )
            else:
                loose.append(str(item))
        where = "the server" if error.status else "the spec"
        text = f"Refused by {where}" + (f": {'; '.join(loose)}" if loose else "; see the fields.")
        self._fail(text)

    def _fail(self, text: str) -> None:
        self.message.value = f'<div style="color:#cf222e">{html.escape(self._scrub(text))}</div>'

    def _secrets(self) -> list[str]:
        """The client secrets and tokens of the sessions this form has used."""
        found: list[str | None] = []
        for session in (*self.sessions.values(), *self.user_sessions.values()):
            token = session.auth.current
            found += [session.env.client_secret, token.value if token else None]
        return [secret for secret in found if secret]

    def _scrub(self, text: str) -> str:
        """``text`` without any secret of the form's sessions (a last line of defence: every
        rendering is redacted before it gets here)."""
        return redact.scrub(text, *self._secrets())

    def _show(self, result: Result) -> None:
        """Every tab from the result, each rendering redacted."""
        ms = result.elapsed.total_seconds() * 1000
        self.message.value = (
            f'<div style="color:#1a7f37">{result.status_code} in {ms:.0f} ms — '
            f"{len(result.records)} record(s)</div>"
        )
        shown = redact.body(result.json)  # the table too is made from the redacted JSON
        headers = {
            "request": result.request.headers,  # redacted when the request was recorded
            "response": redact.headers(dict(result.response.headers)),
        }
        tabs = {
            "Table": to_frame(result.operation, shown).to_html(max_rows=200, border=0),
            "JSON": _pre(json.dumps(shown, indent=2, ensure_ascii=False)),
            "Headers": _pre(json.dumps(headers, indent=2)),
            "Code": _code(result),
            "History": self.session().history.tail(50).to_html(border=0),
        }
        for name, text in tabs.items():
            self.outputs[name].value = self._scrub(text)


def _describe(error: BaseException) -> str:
    status = getattr(error, "status", None)
    head = f"{type(error).__name__}" + (f" {status}" if status else "")
    text = getattr(error, "message", None) or str(error) or "no details"
    return f"{head}: {text}"


def _code(result: Result) -> str:
    parts = []
    for lang in LANGUAGES:
        parts.append(f"<b>{lang}</b>{_pre(str(snippet(result, lang)))}")
    return "".join(parts)


def composer(env: str | None = None, operation: str | None = None) -> Composer:
    """The request composer for any environment and any operation of the spec."""
    return Composer(env, operation)
