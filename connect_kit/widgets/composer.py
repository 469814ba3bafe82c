"""The request composer: pick an environment and an operation, fill the form, send.

The form is generated from the spec; Send calls the same ``session.call`` a Python user
calls. Results land in tabs: Table, JSON, Headers, Code and History.
"""

from __future__ import annotations

import html
import json
from typing import Any

import ipywidgets as w

from .. import config, spec
from ..errors import ConnectError, InvalidRequestError
from ..result import Result
from ..session import ConnectSession, connect
from .fields import MISSING, Field, make_field

TABS = ("Table", "JSON", "Headers", "Code", "History")
LANGUAGES = ("curl", "python", "java", "go")


def environment_options() -> list[tuple[str, str]]:
    """Every configured environment, sandbox ones marked."""
    options = []
    for name, raw in config.settings().items():
        live = bool(raw.get("CLIENT_ID") and raw.get("CLIENT_SECRET"))
        options.append((name if live else f"{name} (sandbox)", name))
    return options


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


def fields_for(op: spec.Operation) -> list[Field]:
    """Inputs for the operation's path parameters, query parameters and body fields."""
    fields = [make_field(name, kind, None, True, "path") for name, kind in op.path_params.items()]
    fields += [make_field(name, kind, None, True, "query") for name, kind in op.query.items()]
    if op.request is not None:
        for name, info in op.request.model_fields.items():
            if info.deprecated:
                continue
            fields.append(make_field(name, info.annotation, info, info.is_required(), "body"))
    return fields


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
            placeholder="Connect user_id: Post-checkout calls speak for one user",
            layout=w.Layout(width="420px"),
            style={"description_width": "190px"},
        )
        self.form = w.VBox()
        self.confirm = w.Checkbox(
            value=False, indent=False, description="I mean it: this changes state on prod"
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
        super().__init__(
            [
                w.HBox([self.env, self.search]),
                self.operation,
                self.about,
                self.form,
                self.confirm,
                self.send,
                self.message,
                self.tabs,
            ]
        )

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
        self.fields = fields_for(op)
        user = [self.as_user] if op.area == "post_checkout" else []
        self.form.children = [*user, *(field.box for field in self.fields)]
        self.message.value = ""
        self._guard()

    def _writes_to_prod(self) -> bool:
        return self.op.mutating and self.env.value == "prod"

    def _guard(self) -> None:
        """Send stays disabled for a write to prod until the confirmation is ticked."""
        risky = self._writes_to_prod()
        self.confirm.layout.display = None if risky else "none"
        self.send.disabled = risky and not self.confirm.value

    # sending ------------------------------------------------------------------------------

    def session(self) -> ConnectSession:
        """The session to send with: the environment's, or a user's for Post-checkout."""
        allow = self._writes_to_prod() and self.confirm.value
        key = (self.env.value, allow)
        if key not in self.sessions:
            self.sessions[key] = connect(self.env.value, allow_writes=True if allow else None)
        session = self.sessions[key]
        user = self.as_user.value.strip()
        if self.op.area != "post_checkout" or not user:
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
        """What the Send button does; returns the result (None after an error)."""
        self.message.value = ""
        params = self.params()
        if params is None:
            self._fail("Some fields need attention.")
            return None
        if self.op.area == "post_checkout" and not self.as_user.value.strip():
            self._fail("Post-checkout calls speak for one user: fill in 'as user'.")
            return None
        try:
            result = self.session().call(self.op.name, **params)
        except InvalidRequestError as error:
            self._field_errors(error)
            return None
        except ConnectError as error:
            self._fail(_describe(error))
            return None
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
                    f"{item.key}: {item.message}" if item.key != top else item.message
                )
            else:
                loose.append(str(item))
        where = "the server" if error.status else "the spec"
        text = f"Refused by {where}" + (f": {'; '.join(loose)}" if loose else "; see the fields.")
        self._fail(text)

    def _fail(self, text: str) -> None:
        self.message.value = f'<div style="color:#cf222e">{html.escape(text)}</div>'

    def _show(self, result: Result) -> None:
        from .. import redact

        ms = result.elapsed.total_seconds() * 1000
        self.message.value = (
            f'<div style="color:#1a7f37">{result.status_code} in {ms:.0f} ms — '
            f"{len(result.records)} record(s)</div>"
        )
        self.outputs["Table"].value = result.frame.to_html(max_rows=200, border=0)
        self.outputs["JSON"].value = _pre(json.dumps(result.json, indent=2, ensure_ascii=False))
        headers = {
            "request": result.request.headers,
            "response": redact.headers(dict(result.response.headers)),
        }
        self.outputs["Headers"].value = _pre(json.dumps(headers, indent=2))
        self.outputs["Code"].value = _code(result)
        self.outputs["History"].value = self.session().history.tail(50).to_html(border=0)


def _describe(error: ConnectError) -> str:
    status = getattr(error, "status", None)
    head = f"{type(error).__name__}" + (f" {status}" if status else "")
    return f"{head}: {getattr(error, 'message', None) or error}"


def _code(result: Result) -> str:
    try:
        from ..snippets import snippet
    except ImportError:  # snippets are optional here
        return _pre("(code snippets are not available)")
    parts = []
    for lang in LANGUAGES:
        parts.append(f"<b>{lang}</b>{_pre(str(snippet(result, lang)))}")
    return "".join(parts)


def composer(env: str | None = None, operation: str | None = None) -> Composer:
    """The request composer for any environment and any operation of the spec."""
    return Composer(env, operation)
