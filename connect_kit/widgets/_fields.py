"""One input widget per field of the spec: the widget follows the field's type."""

from __future__ import annotations

import html
import json
import os
import types
import typing
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import ipywidgets as w
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from ..spec.validation import field_errors

MISSING = object()  # an optional field left empty: not sent
LAYOUT = w.Layout(width="420px")
STYLE = {"description_width": "190px"}


def _options(annotation: Any) -> tuple[list[Any], bool]:
    """The non-None members of an annotation (through Optional and Annotated), and whether
    None is allowed."""
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = typing.get_args(annotation)
        members = [a for a in args if a is not type(None)]
        flat = [m for member in members for m in _options(member)[0]]
        return flat, type(None) in args
    return [annotation], False


def _kind(annotation: Any) -> tuple[str, Any]:
    members, _ = _options(annotation)
    if len(members) != 1:
        return ("json", None) if any(_is_complex(m) for m in members) else ("text", None)
    (kind,) = members
    if typing.get_origin(kind) is typing.Literal:
        return "choice", typing.get_args(kind)
    for python, name in ((bool, "bool"), (int, "int"), (float, "float"), (str, "text")):
        if kind is python:
            return name, None
    if kind in (datetime, date):
        return "time", kind
    return ("json", None) if _is_complex(kind) else ("text", None)


def _is_complex(kind: Any) -> bool:
    origin = typing.get_origin(kind) or kind
    return origin in (list, dict) or (isinstance(kind, type) and issubclass(kind, BaseModel))


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
    annotation: Any = None

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


def _example(info: FieldInfo | None) -> Any:
    examples = getattr(info, "examples", None) if info is not None else None
    return examples[0] if examples else None


def make_field(
    name: str, annotation: Any, info: FieldInfo | None, required: bool, where: str
) -> Field:
    """The input for one field: text, number, checkbox, dropdown, time, or JSON."""
    kind, extra = _kind(annotation)
    schema_extra = (
        info.json_schema_extra if info and isinstance(info.json_schema_extra, dict) else {}
    )
    secret = bool(schema_extra.get("x-secret"))
    label = f"{name}{' *' if required else ''}"
    example = _example(info)
    common = {"description": label, "layout": LAYOUT, "style": STYLE}
    if secret:
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
        choices = [(str(v), v) for v in extra]
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
    field = Field(name, kind, required, secret, widget, w.HTML(""), where, annotation)
    if kind == "json":  # validated as you type
        widget.observe(lambda change: _check_json(field), names="value")
    return field


def _check_json(field: Field) -> None:
    """Syntax first, then the spec's model for the field, as the server would check it."""
    try:
        value = field.read()
    except ValueError as exc:
        field.show_error(str(exc))
        return
    if value is not MISSING and field.annotation is not None:
        try:
            TypeAdapter(field.annotation).validate_json(json.dumps(value), strict=True)
        except ValidationError as exc:
            key, message = field_errors(exc, field.name)[0]
            field.show_error(f"{key}: {message}")
            return
    field.show_error(None)
