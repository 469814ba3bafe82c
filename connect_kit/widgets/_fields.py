"""One input widget per field of the spec: the widget follows what the spec's reader says
the field is (:class:`connect_kit.spec.FieldShape`).

The spec's example is a placeholder (grey text), never a value: an input left empty is not
sent. Object and list fields show a template built from the spec as their placeholder, and
each field shows the spec's description under it (a deprecated field names its replacement).
"""

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
UNSET = ""  # the value of a list's "—" (ipywidgets shows a None value as no selection)
LABEL_WIDTH = "230px"
LAYOUT = w.Layout(width="560px")
JSON_LAYOUT = w.Layout(width="760px")
STYLE = {"description_width": LABEL_WIDTH}
HELP_STYLE = f"color:#57606a;font-size:12px;margin-left:{LABEL_WIDTH};line-height:1.3"
# JSON type -> input kind; objects, arrays and unions of them are typed as JSON
_KINDS = {"boolean": "bool", "integer": "int", "number": "float", "object": "json", "array": "json"}
_BLANK = {"string": "", "integer": 0, "number": 0, "boolean": False}


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


def template(shape: spec.FieldShape, depth: int = 0) -> Any:
    """A value of the field's shape built from the spec, to show as a placeholder: its own
    example, else its model's required fields and the fields that have an example (where
    none is required, the first of them: they are often alternatives), each filled the same
    way (an array holds one such item).

    >>> from connect_kit import spec
    >>> items = next(f for f in spec.fields_of(spec.get("create_delivery_order").request)
    ...              if f.name == "items")
    >>> template(items)[0]["line_num"]
    '1'
    """
    if shape.example is not None:
        return shape.example
    if shape.enum:
        return shape.enum[0]
    one: Any = _object(shape.model, depth) if shape.model is not None else None
    if shape.type == "array":
        if one is None:
            one = _BLANK.get(shape.items or "")
        return [] if one is None else [one]
    if shape.type == "object":
        return {} if one is None else one
    return _BLANK.get(shape.type)


def _object(model: Any, depth: int) -> dict[str, Any] | None:
    if depth > 3:
        return None
    inner = [f for f in spec.fields_of(model) if not f.deprecated]
    examples = [f for f in inner if f.example is not None]
    if any(f.required for f in inner):
        chosen = [f for f in inner if f.required or f.example is not None]
    else:  # nothing required: often alternatives (upc or rrc), so the first one only
        chosen = examples[:1] or inner[:1]
    return {f.name: template(f, depth + 1) for f in chosen}


def help_text(shape: spec.FieldShape | None) -> str:
    """The spec's description of a field, and its replacement when it is deprecated."""
    if shape is None:
        return ""
    parts = []
    if shape.deprecated:
        instead = f"use {shape.replacement}" if shape.replacement else "no replacement"
        parts.append(f'<b style="color:#9a6700">Deprecated: {html.escape(instead)}.</b>')
    description = (shape.description or "").strip()
    if description and not (shape.deprecated and description.startswith("Deprecated")):
        parts.append(html.escape(description))
    return f'<div style="{HELP_STYLE}">{" ".join(parts)}</div>' if parts else ""


@dataclass
class Field:
    """A field's input, its help and error lines, and how to read it back."""

    name: str
    kind: str
    required: bool
    secret: bool
    widget: w.Widget
    error: w.HTML
    where: str  # "path", "query" or "body"
    shape: spec.FieldShape | None = None
    help: w.HTML | None = None
    row: w.Widget | None = None  # the input and what goes beside it (earlier answers)

    @property
    def box(self) -> w.Widget:
        """The field's rows: input (and earlier ids), help, error; classed ``ck-field-NAME``."""
        parts = [self.row or self.widget, *([self.help] if self.help else []), self.error]
        box = w.VBox(parts)
        box.add_class(f"ck-field-{self.name}")
        return box

    def show_error(self, message: str | None) -> None:
        """Show ``message`` under the input (None clears it)."""
        self.error.value = (
            f'<span style="color:#cf222e;margin-left:{LABEL_WIDTH}">{html.escape(message)}</span>'
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
            return MISSING if value is None or value == UNSET else value
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

    def take(self, value: Any) -> bool:
        """Show ``value`` (a value this input held before, or an id from an answer) as the
        input's value; False when this input cannot hold it."""
        if isinstance(self.widget, w.Dropdown):
            if value not in [v for _, v in self.widget.options]:
                return False
        elif isinstance(self.widget, w.Checkbox):
            if not isinstance(value, bool):
                return False
        else:
            value = "" if value is None else str(value)
        self.widget.value = value
        return True


def form_fields(op: spec.Operation) -> list[Field]:
    """Inputs for the operation's path parameters, query parameters and body fields, read
    from the spec (deprecated body fields last, each naming its replacement)."""
    fields = [
        field_for(spec.shape_of(k, n, required=True), "path") for n, k in op.path_params.items()
    ]
    fields += [field_for(spec.shape_of(k, n, required=True), "query") for n, k in op.query.items()]
    if op.request is not None:
        body = spec.fields_of(op.request)
        fields += [field_for(f, "body") for f in body if not f.deprecated]
        fields += [field_for(f, "body") for f in body if f.deprecated]
    return fields


def make_field(
    name: str, annotation: Any, info: FieldInfo | None, required: bool, where: str
) -> Field:
    """The input for a field given by its annotation (see :func:`field_for`)."""
    return field_for(spec.shape_of(annotation, name, info=info, required=required), where)


def field_for(shape: spec.FieldShape, where: str) -> Field:
    """The input for one field: text, number, checkbox, dropdown, time, or JSON; empty, with
    the spec's example (or template) as its placeholder."""
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
            else w.Dropdown(options=[("—", UNSET), ("true", True), ("false", False)], **common)
        )
    elif kind == "choice":
        choices = [(str(v), v) for v in shape.enum]
        widget = w.Dropdown(options=choices if required else [("—", UNSET), *choices], **common)
    elif kind == "json":
        shown = json.dumps(template(shape), indent=2, ensure_ascii=False)
        rows = min(max(shown.count("\n") + 1, 4), 14)
        widget = w.Textarea(
            value="", placeholder=shown, rows=rows, **{**common, "layout": JSON_LAYOUT}
        )
    else:
        hint = {"int": "whole number", "float": "number", "time": "2026-11-27T18:00:00Z"}
        widget = w.Text(
            value="",
            placeholder=f"e.g. {example}" if example is not None else hint.get(kind, ""),
            **common,
        )
    widget.add_class("ck-input")
    field = Field(name, kind, required, shape.secret, widget, w.HTML(""), where, shape)
    field.help = w.HTML(help_text(shape)) if help_text(shape) else None
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
