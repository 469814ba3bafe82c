"""The request composer: pick an environment and an operation, fill the form, send.

The form is generated from the spec; Send calls the same ``session.call`` a Python user
calls, with only what was typed or chosen (the spec's examples are placeholders). Answers,
error answers too, land in tabs: Table, JSON, Headers, Code and History. Values carry from
one operation to the next, and ids seen in answers are offered to the fields that take them.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any, TypeVar

import ipywidgets as w

from .. import _redact as redact
from .. import spec
from ..client import ConnectSession, RequestInfo, Result, kind_of, resolve
from ..errors import APIError, ConnectError, InvalidRequestError
from ._answers import error_tabs, result_tabs
from ._choices import check_choice, environment_options, operation_options, unusable_environments
from ._fields import MISSING, UNSET, Field, form_fields
from ._memory import Memory, Sent, takes_ids
from ._tabs import Tabs

T = TypeVar("T")
TABS = ("Table", "JSON", "Headers", "Code", "History")
HEAD = {"description_width": "90px"}  # the pickers' labels, whole
__all__ = ["Composer", "composer", "environment_options", "operation_options"]


class Composer(w.VBox):
    """The composer widget; its parts are attributes so code (and tests) can drive it."""

    def __init__(self, env: str | None = None, operation: str | None = None) -> None:
        envs = environment_options(also=env)
        check_choice(env, operation, envs)
        self.env = w.Dropdown(
            options=envs, value=env or envs[0][1], description="environment", style=HEAD
        )
        self.unusable = w.HTML(_unusable_note())
        self.search = w.Text(
            placeholder="type to filter operations", description="find", style=HEAD
        )
        self.operation = w.Dropdown(
            options=operation_options(),
            value=operation or "find_delivery_stores",
            description="operation",
            layout=w.Layout(width="660px"),
            style=HEAD,
        )
        self.about = w.HTML()
        self.as_user = w.Text(
            description="as user *",
            placeholder="Connect user_id: this call speaks for one user",
            layout=w.Layout(width="560px"),
            style={"description_width": "230px"},
        )
        self.form = w.VBox()
        self.confirm = w.Checkbox(
            value=False,
            indent=False,
            description="I mean it: this changes state on a production server (this Send only)",
            layout=w.Layout(width="auto"),
        )
        self.send = w.Button(description="Send", button_style="primary", icon="paper-plane")
        self.message = w.HTML()
        self.message.add_class("ck-message")
        self.answer = Tabs(TABS, self._load)
        self.outputs = self.answer.outputs
        self.tabs = self.answer.tabs
        self.fields: list[Field] = []
        self.seen_choices: dict[str, w.Dropdown] = {}
        self.memory = Memory()
        self.sessions: dict[tuple[str, bool], ConnectSession] = {}
        self.user_sessions: dict[tuple[tuple[str, bool], str], ConnectSession] = {}
        self.result: Result | None = None
        self._last_request: RequestInfo | None = None
        self.search.observe(self._filter, names="value")
        self.operation.observe(lambda change: self._build(), names="value")
        self.env.observe(lambda change: self._switched(), names="value")
        self.confirm.observe(lambda change: self._guard(), names="value")
        self.send.on_click(lambda button: self.submit())
        self._build()
        head = [w.HBox([self.env, self.search]), self.unusable]
        super().__init__(self._rows(head, self.tabs))

    def _rows(self, head: list[w.Widget], answer: w.Widget) -> list[w.Widget]:
        """The form's rows: ``head`` (where to send), the request, then ``answer``."""
        form = [self.operation, self.about, self.form, self.confirm, self.send, self.message]
        return [*head, *form, answer]

    # building -----------------------------------------------------------------------------

    @property
    def op(self) -> spec.Operation:
        """The operation picked."""
        return spec.get(self.operation.value)

    def _filter(self, change: dict[str, Any]) -> None:
        options = operation_options(change["new"])
        if options:
            current = self.operation.value
            self.operation.options = options
            if current in dict((v, k) for k, v in options):
                self.operation.value = current

    def values(self) -> dict[str, Any]:
        """The inputs as filled (a secret field: the name of its variable), by field name."""
        return {field.name: field.widget.value for field in self.fields}

    def _build(self) -> None:
        self.memory.carry(self.values())  # what was typed carries to the next operation
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
        self.seen_choices = {}
        for field in self.fields:
            if takes_ids(field.name) and not field.secret:
                self.seen_choices[field.name] = self._seen_choice(field)
                field.row = w.HBox([field.widget])
            if field.name in self.memory.carried:
                field.take(self.memory.carried[field.name])
        self._offer_seen()
        user = [self.as_user] if op.user_token else []
        self.form.children = [*user, *(field.box for field in self.fields)]
        self._switched()

    def _seen_choice(self, field: Field) -> w.Dropdown:
        """A list of the ids seen in earlier answers; picking one fills the field."""
        choice = w.Dropdown(
            options=[("from an earlier answer…", UNSET)], layout=w.Layout(width="400px")
        )
        choice.add_class("ck-seen")

        def picked(change: dict[str, Any]) -> None:
            if change["new"] != UNSET:  # the pick stays shown: what the field took
                field.take(change["new"])

        choice.observe(picked, names="value")
        return choice

    def _offer_seen(self) -> None:
        """Beside each field that takes an id, the ids seen so far (nothing when none)."""
        for field in self.fields:
            choice = self.seen_choices.get(field.name)
            if choice is None or field.row is None:
                continue
            seen = self.memory.seen.get(field.name, [])
            choice.options = [("from an earlier answer…", UNSET), *seen]
            field.row.children = [field.widget, choice] if seen else [field.widget]

    def _switched(self) -> None:
        """Another operation or environment: the answer shown belongs to neither."""
        self.answer.clear()
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
            self.sessions[key] = self._watched(
                ConnectSession(resolve(self.env.value), allow_writes=True if allow else None)
            )
        session = self.sessions[key]
        user = self.as_user.value.strip()
        if not self.op.user_token or not user:
            return session
        if (key, user) not in self.user_sessions:
            self.user_sessions[(key, user)] = self._watched(session.for_user(user))
        return self.user_sessions[(key, user)]

    def _watched(self, session: ConnectSession) -> ConnectSession:
        """``session``, keeping the last request it sent (redacted) for an error's tabs."""

        def keep(response: Any, *args: Any, **kwargs: Any) -> None:
            self._last_request = RequestInfo.of(
                response.request, session.base_url, session.env.name
            )

        session.hooks["response"].append(keep)
        return session

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

        It never raises: every failure, foreseen or not, becomes a message in the form. A
        ticked confirmation covers this Send only.
        """
        try:
            return self._safely(self._send_request)
        finally:
            if self.confirm.value:
                self.confirm.value = False

    def _safely(self, action: Callable[[], T]) -> T | None:
        """``action()``, with any failure shown in the form instead of raised."""
        self.message.value = ""
        self._last_request = None
        try:
            return action()
        except APIError as error:
            if error.status is not None:
                self._show_error(error)
            if isinstance(error, InvalidRequestError):
                self._field_errors(error)
            else:
                self._fail(_describe(error))
        except ConnectError as error:
            self._remember_sent(None, None, _describe(error))
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
        self.memory.carry(self.values())
        result = self.session().call(self.op.name, **params)
        self.result = result
        self._show(result)
        return result

    def _remember_sent(self, status: int | None, code: Any, outcome: str) -> None:
        """A History row for a request that left (or was refused on its way out)."""
        user = self.as_user.value.strip() if self.op.user_token else ""
        sent = Sent(self.env.value, self.op.name, self.values(), user, status, code, outcome)
        self.memory.add(sent)
        self.answer.history(self.memory.sent, self._scrub)

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
        head = f"Refused by {where}" + (
            f" ({error.status}, code {error.code})" if error.status else ""
        )
        self._fail(head + (f": {'; '.join(loose)}" if loose else "; see the fields."))

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
        outcome = f"{len(result.records)} record(s)"
        self.message.value = (
            f'<div style="color:#1a7f37">{result.status_code} in {ms:.0f} ms — {outcome}</div>'
        )
        self.memory.saw(result.operation, result.json)
        self._offer_seen()
        self._remember_sent(result.status_code, None, outcome)
        self.answer.show(result_tabs(result), result.request, self._env_info(), self._scrub)

    def _show_error(self, error: APIError) -> None:
        """An error answer is an answer: status, code, message and envelope in the tabs."""
        self._remember_sent(error.status, error.code, error.message)
        tabs = error_tabs(error, self._last_request)
        self.answer.show(tabs, self._last_request, self._env_info(), self._scrub)

    def _env_info(self) -> tuple[str, str | None]:
        env = self.session().env
        return env.name, (str(env.ca_bundle) if env.ca_bundle else None)

    def _load(self, sent: Sent) -> None:
        """A History row back into the form, to look at, change and send again."""
        self.env.value = sent.env
        self.search.value = ""
        self.operation.value = sent.operation
        by_name = {field.name: field for field in self.fields}
        for name, value in sent.values.items():
            if name in by_name:
                by_name[name].take(value)
        self.as_user.value = sent.as_user
        self.message.value = (
            f'<div style="color:#57606a">Loaded {html.escape(sent.operation)} on '
            f"{html.escape(sent.env)} from History: press Send to send it again.</div>"
        )


def _unusable_note() -> str:
    reasons = unusable_environments()
    lines = "".join(f"<div>{html.escape(n)}: {html.escape(r)}</div>" for n, r in reasons.items())
    return f'<div style="color:#57606a;font-size:12px">Not offered: {lines}</div>' if lines else ""


def _describe(error: BaseException) -> str:
    status = getattr(error, "status", None)
    head = f"{type(error).__name__}" + (f" {status}" if status else "")
    code = getattr(error, "code", None)
    head += f" (code {code})" if code is not None else ""
    text = getattr(error, "message", None) or str(error) or "no details"
    return f"{head}: {text}"


def composer(env: str | None = None, operation: str | None = None) -> Composer:
    """The request composer for any environment and any operation of the spec.

    Raises:
        UnknownOperationError: ``operation`` is not in the spec (the closest names are given).
        ConfigurationError: ``env`` is not an environment this form can send to (and why).
    """
    return Composer(env, operation)
