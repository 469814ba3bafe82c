"""One input widget per field of the spec: the widget follows what the spec's reader says
the field is (:class:`connect_kit.spec.FieldShape`)."""

from __future__ import annotations

import html
import json
import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import ipywidgets as w
from pydantic.fields import FieldInfo

from .. import spec

MISSING = object()  # an optional field left empty: not sent
LAYOUT = w.Layout(width="420px")
STYLE = {"description_width": "190px"}
# JSON type -> input kind; objects, arrays and unions of them are typed as JSON
_KINDS = {"boolean": "bool", "integer": "int", "number": "float", "object": "json", "array": "json"}


def _kind(shape: spec.FieldShape) -> str:
    """``choice`` (a closed list of values), ``bool``, ``int``, ``float``, ``time``, ``json``
    or ``text``."""
    if shape.enum and not shape.open_enum:
        return "choice"
    if shape.type == "string" and shape.format in ("date-time", "date"):
        return "time"
    if len(shape.types) > 1:  # a union: JSON if it holds an object or an array
        return "json" if {"object", "array"} & set(shape.types) else "text"
    return _KINDS.get(shape.type, "text")


@dataclass
class Field:
    """A field's input, its error line, and how to read it back."""

    name: str
    kind: str
    required: bool
    secret: bool
    widget: w.Widget
    error: w.HTML
    where: str  # "path", "query" or "body"
    shape: spec.FieldShape | None = None

    @property
    def box(self) -> w.Widget:
        return w.VBox([self.widget, self.error])

    def show_error(self, message: str | None) -> None:
        self.error.value = (
            f'<span style="color:#cf222e;margin-left:194px">{html.escape(message)}</span>'
            if message
            else ""
        )

    def read(self) -> Any:
        """The value to send, ``MISSING`` to leave it out; raises ValueError when unusable."""
        value = self.widget.value
        if self.secret:  # the widget holds the name of an environment variable, not a secret
            name = str(value).strip()
            if not name:
                if self.required:
                    raise ValueError("name the environment variable that holds it")
                return MISSING
            if name not in os.environ:
                raise ValueError(f"environment variable {name} is not set")
            return os.environ[name]
        if self.kind in ("bool", "choice") and not self.required:
            return MISSING if value is None else value
        if self.kind == "bool":
            return bool(value)
        text = str(value).strip() if value is not None else ""
        if not text:
            if self.required:
                raise ValueError("required")
            return MISSING
        if self.kind == "int":
            try:
                return int(text)
            except ValueError:
                raise ValueError(f"expected a whole number, got {text!r}") from None
        if self.kind == "float":
            try:
                return float(text)
            except ValueError:
                raise ValueError(f"expected a number, got {text!r}") from None
        if self.kind == "json":
            try:
                return json.loads(text)
            except ValueError as exc:
                raise ValueError(f"invalid JSON: {exc}") from None
        if self.kind == "time":
            try:
                datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                raise ValueError("expected an ISO 8601 time, e.g. 2026-11-27T18:00:00Z") from None
        return text


def form_fields(op: spec.Operation) -> list[Field]:
    """Inputs for the operation's path parameters, query parameters and body fields (the
    deprecated ones left out), read from the spec."""
    fields = [
        field_for(spec.shape_of(k, n, required=True), "path") for n, k in op.path_params.items()
    ]
    fields += [field_for(spec.shape_of(k, n, required=True), "query") for n, k in op.query.items()]
    if op.request is not None:
        fields += [field_for(f, "body") for f in spec.fields_of(op.request) if not f.deprecated]
    return fields


def make_field(
    name: str, annotation: Any, info: FieldInfo | None, required: bool, where: str
) -> Field:
    """The input for a field given by its annotation (see :func:`field_for`)."""
    return field_for(spec.shape_of(annotation, name, info=info, required=required), where)


def field_for(shape: spec.FieldShape, where: str) -> Field:
    """The input for one field: text, number, checkbox, dropdown, time, or JSON."""
    name, required, example = shape.name, shape.required, shape.example
    kind = _kind(shape)
    label = f"{name}{' *' if required else ''}"
    common = {"description": label, "layout": LAYOUT, "style": STYLE}
    if shape.secret:
        widget: w.Widget = w.Text(
            value=f"INSTACART_{name.upper()}",
            placeholder="environment variable holding it",
            **common,
        )
        widget.description = f"{label} (env var)"
    elif kind == "bool":
        widget = (
            w.Checkbox(value=False, indent=False, **common)
            if required
            else w.Dropdown(options=[("—", None), ("true", True), ("false", False)], **common)
        )
    elif kind == "choice":
        choices = [(str(v), v) for v in shape.enum]
        widget = w.Dropdown(options=choices if required else [("—", None), *choices], **common)
    elif kind == "json":
        text = json.dumps(example, indent=2) if example is not None else ""
        widget = w.Textarea(value=text, placeholder="JSON", rows=4, **common)
    else:
        placeholder = {
            "int": "whole number",
            "float": "number",
            "time": "2026-11-27T18:00:00Z",
        }.get(kind, "")
        text = "" if example is None else str(example)
        widget = w.Text(value=text, placeholder=placeholder, **common)
    field = Field(name, kind, required, shape.secret, widget, w.HTML(""), where, shape)
    if kind == "json":  # validated as you type
        widget.observe(lambda change: _check_json(field), names="value")
    return field


def _check_json(field: Field) -> None:
    """Syntax first, then the spec's type for the field, as the server would check it."""
    try:
        value = field.read()
    except ValueError as exc:
        field.show_error(str(exc))
        return
    problems = field.shape.problems(value) if value is not MISSING and field.shape else []
    field.show_error(f"{problems[0][0]}: {problems[0][1]}" if problems else None)
