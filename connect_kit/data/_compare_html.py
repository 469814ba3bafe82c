"""A comparison as HTML for notebooks: summary first, then the differences highlighted.

Plain HTML and inline SVG (no scripts, no stylesheet to load), so it renders the same in
JupyterLab, Notebook 7, VS Code and Colab, and survives being saved in the notebook. It reads
a comparison through the few attributes it shows (:class:`Shown`), and imports nothing of it.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from ._diff import MISSING, Difference

if TYPE_CHECKING:
    import pandas as pd

    from ..spec.base import Operation


class ShownSide(Protocol):
    @property
    def env(self) -> str: ...
    @property
    def latencies_ms(self) -> list[float]: ...
    @property
    def error_answers(self) -> int: ...


class Shown(Protocol):
    """What the HTML shows of a comparison."""

    @property
    def operation(self) -> Operation: ...
    @property
    def a(self) -> ShownSide: ...
    @property
    def b(self) -> ShownSide: ...
    @property
    def differences(self) -> Sequence[Difference]: ...
    @property
    def notes(self) -> list[str]: ...
    @property
    def ignored(self) -> tuple[str, ...]: ...

    @property
    def verdict(self) -> str: ...

    @property
    def summary(self) -> pd.DataFrame: ...

    @property
    def drift(self) -> pd.DataFrame: ...


MAX_ROWS = 200
COLORS = {
    "same": "#1a7f37",
    "differs": "#9a6700",
    "one failed": "#cf222e",
    "both failed": "#cf222e",
    "changed": "#fff8c5",
    "type_changed": "#ffebe9",
    "only_in_a": "#ddf4ff",
    "only_in_b": "#dafbe1",
    "additive": "#ddf4ff",
    "missing": "#fff8c5",
    "deprecated": "#fbefff",
}
CELL = "padding:2px 8px;border-bottom:1px solid #d0d7de;text-align:left;vertical-align:top"


def _value(value: Any) -> str:
    if value is MISSING:
        return '<span style="color:#8c959f">—</span>'
    text = json.dumps(value, ensure_ascii=False, default=str)
    if len(text) > 120:
        text = text[:117] + "..."
    return f"<code>{html.escape(text)}</code>"


def _values(values: list[Any]) -> str:
    """The values of a grouped line: the one value, or how many and the first few."""
    distinct = list({json.dumps(v, sort_keys=True, default=str): v for v in values}.values())
    if len(distinct) == 1:
        return _value(distinct[0])
    shown = ", ".join(_value(v) for v in distinct[:3])
    more = ", …" if len(distinct) > 3 else ""
    return f"{len(distinct)} values: {shown}{more}"


def _text(value: Any) -> str:
    """A frame's cell as text: empty where it is missing (``<NA>``, ``NaN``, ``None``)."""
    try:
        missing = value is None or bool(value != value) or str(value) == "<NA>"
    except (TypeError, ValueError):  # pd.NA refuses bool(); arrays are not missing
        missing = str(value) == "<NA>"
    return "" if missing else html.escape(str(value))


# Grouping: a difference repeated on every record is one line --------------------------

_KEYED = re.compile(r"\[([^\]=]+)=[^\]]*\]")  # [location_code=000-3801]
_POSITION = re.compile(r"\[\d+\]")  # [3]


def grouped(differences: Sequence[Difference]) -> list[tuple[str, list[Difference]]]:
    """The lines that show ``differences``: (path, the differences of that line).

    The same field differing the same way in several records (``time_zone`` only in dev on
    every store) is one line, its path with the records' keys as ``*``
    (``stores[location_code=*].time_zone``); a record that one side lacks stays a line of its
    own. Lines keep the order of their first difference.
    """
    groups: dict[tuple[str, str], list[Difference]] = {}
    for d in differences:
        repeated = "[*]" in d.pattern and not d.pattern.endswith("]")
        groups.setdefault((d.pattern if repeated else d.path, d.kind), []).append(d)
    lines = []
    for members in groups.values():
        path = members[0].path
        if len(members) > 1:
            path = _POSITION.sub("[*]", _KEYED.sub(r"[\1=*]", path))
        lines.append((path, members))
    return lines


def _table(header: list[str], rows: list[list[str]], shades: list[str] | None = None) -> str:
    head = "".join(f'<th style="{CELL}">{html.escape(h)}</th>' for h in header)
    body = []
    for i, row in enumerate(rows):
        shade = f"background:{shades[i]};" if shades and shades[i] else ""
        cells = "".join(f'<td style="{CELL}">{cell}</td>' for cell in row)
        body.append(f'<tr style="{shade}">{cells}</tr>')
    return (
        '<table style="border-collapse:collapse;font-size:12px;margin:4px 0 10px 0">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def _strip(side: ShownSide, scale: float, color: str) -> str:
    """One row of dots: each call's latency, with a tick at the median."""
    if not side.latencies_ms:
        return ""
    values = sorted(side.latencies_ms)
    median = values[len(values) // 2]
    dots = "".join(
        f'<circle cx="{10 + v * scale:.1f}" cy="10" r="3" fill="{color}" fill-opacity="0.5"/>'
        for v in values
    )
    tick = f'<line x1="{10 + median * scale:.1f}" x2="{10 + median * scale:.1f}" y1="2" y2="18" '
    tick += 'stroke="#24292f" stroke-width="2"/>'
    errors = f", {side.error_answers} error answers" if side.error_answers else ""
    label = html.escape(f"{side.env}: {len(values)} calls{errors}, p50 {median:.1f} ms")
    return (
        f'<div style="font-size:11px">{label}</div>'
        f'<svg width="{WIDTH}" height="20" role="img">{dots}{tick}</svg>'
    )


def _step(span: float) -> float:
    """A round step (1, 2 or 5 times a power of ten) giving about four ticks over ``span``."""
    power = 10 ** math.floor(math.log10(span / 4))
    return next(m * power for m in (1, 2, 5, 10) if m * power * 4 >= span)


def _axis(longest: float, scale: float) -> str:
    """The milliseconds axis under the strips: round ticks from 0, labelled in ms."""
    step = _step(longest)
    ticks = [i * step for i in range(int(longest / step) + 1)]
    marks = "".join(
        f'<line x1="{10 + v * scale:.1f}" x2="{10 + v * scale:.1f}" y1="0" y2="4" '
        'stroke="#57606a"/>'
        f'<text x="{10 + v * scale:.1f}" y="15" text-anchor="middle">{v:g}</text>'
        for v in ticks
    )
    line = f'<line x1="10" x2="{10 + longest * scale:.1f}" y1="0" y2="0" stroke="#57606a"/>'
    unit = f'<text x="{WIDTH - 2}" y="15" text-anchor="end">ms</text>'
    return (
        f'<svg width="{WIDTH}" height="18" role="img" aria-label="milliseconds" '
        f'style="font-size:10px;fill:#57606a">{line}{marks}{unit}</svg>'
    )


WIDTH = 340  # the plot's width: 300 for the values, room for the labels


def latency_plot(comparison: Shown) -> str:
    """A small strip plot of every call's latency per environment (inline SVG), on an axis
    in milliseconds."""
    sides = (comparison.a, comparison.b)
    longest = max((max(s.latencies_ms) for s in sides if s.latencies_ms), default=0)
    if longest <= 0 or max(len(s.latencies_ms) for s in sides) < 2:
        return ""
    scale = 300 / longest
    strips = "".join(
        _strip(side, scale, color)
        for side, color in zip(sides, ("#0969da", "#1a7f37"), strict=True)
    )
    return strips + _axis(longest, scale)


def render(comparison: Shown) -> str:
    """The whole comparison: verdict, summary, notes, differences, drift, latency."""
    c = comparison
    verdict = (
        f"<b>{html.escape(c.operation.name)}</b>: {html.escape(c.a.env)} vs "
        f'{html.escape(c.b.env)} — <b style="color:{COLORS[c.verdict]}">{c.verdict}</b>'
    )
    summary = c.summary.reset_index()
    rows = [[_text(v) for v in row] for row in summary.itertuples(index=False)]
    parts = [f"<div>{verdict}</div>", _table(list(summary.columns), rows)]
    parts += [f'<div style="color:#9a6700">⚠ {html.escape(note)}</div>' for note in c.notes]
    names = {"only_in_a": f"only in {c.a.env}", "only_in_b": f"only in {c.b.env}"}
    if c.differences:
        lines = grouped(c.differences)
        shown = lines[:MAX_ROWS]
        head = f"{len(c.differences)} differences"
        if len(lines) < len(c.differences):
            head += f" in {len(lines)} lines (a line with a count: the same field on every record)"
        parts.append(f"<div><b>{html.escape(head)}</b></div>")
        parts.append(
            _table(
                ["path", c.a.env, c.b.env, "kind", "count"],
                [
                    [
                        f"<code>{html.escape(path)}</code>",
                        _values([d.a for d in group]),
                        _values([d.b for d in group]),
                        html.escape(names.get(group[0].kind, group[0].kind)),
                        str(len(group)) if len(group) > 1 else "",
                    ]
                    for path, group in shown
                ],
                [COLORS.get(group[0].kind, "") for _, group in shown],
            )
        )
        if len(lines) > MAX_ROWS:
            parts.append(f"<div>… {len(lines) - MAX_ROWS} more lines in .diff</div>")
    drift = c.drift
    if len(drift):
        parts.append("<div><b>Drift against the spec</b></div>")
        parts.append(
            _table(
                list(drift.columns),
                [[_text(v) for v in row] for row in drift.itertuples(index=False)],
                [COLORS.get(str(k), "") for k in drift["kind"]],
            )
        )
    if c.ignored:
        ignored = ", ".join(html.escape(p) for p in c.ignored)
        parts.append(f'<div style="color:#57606a;font-size:11px">left out: {ignored}</div>')
    parts.append(latency_plot(c))
    return f'<div style="font-family:sans-serif">{"".join(parts)}</div>'
