"""A comparison as HTML for notebooks: summary first, then the differences highlighted.

Plain HTML and inline SVG (no scripts, no stylesheet to load), so it renders the same in
JupyterLab, Notebook 7, VS Code and Colab, and survives being saved in the notebook. It reads
a comparison through the few attributes it shows (:class:`Shown`), and imports nothing of it.
"""

from __future__ import annotations

import html
import json
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
    label = html.escape(f"{side.env}: p50 {median:.1f} ms")
    return (
        f'<div style="font-size:11px">{label}</div>'
        f'<svg width="320" height="20" role="img">{dots}{tick}</svg>'
    )


def latency_plot(comparison: Shown) -> str:
    """A small strip plot of every call's latency per environment (inline SVG)."""
    sides = (comparison.a, comparison.b)
    longest = max((max(s.latencies_ms) for s in sides if s.latencies_ms), default=0)
    if longest <= 0 or max(len(s.latencies_ms) for s in sides) < 2:
        return ""
    scale = 300 / longest
    return "".join(
        _strip(side, scale, color)
        for side, color in zip(sides, ("#0969da", "#1a7f37"), strict=True)
    )


def render(comparison: Shown) -> str:
    """The whole comparison: verdict, summary, notes, differences, drift, latency."""
    c = comparison
    verdict = (
        f"<b>{html.escape(c.operation.name)}</b>: {html.escape(c.a.env)} vs "
        f'{html.escape(c.b.env)} — <b style="color:{COLORS[c.verdict]}">{c.verdict}</b>'
    )
    summary = c.summary.reset_index()
    rows = [
        [html.escape(str(v)) if v is not None and str(v) != "<NA>" else "" for v in row]
        for row in summary.itertuples(index=False)
    ]
    parts = [f"<div>{verdict}</div>", _table(list(summary.columns), rows)]
    parts += [f'<div style="color:#9a6700">⚠ {html.escape(note)}</div>' for note in c.notes]
    names = {"only_in_a": f"only in {c.a.env}", "only_in_b": f"only in {c.b.env}"}
    if c.differences:
        shown = c.differences[:MAX_ROWS]
        parts.append(f"<div><b>{len(c.differences)} differences</b></div>")
        parts.append(
            _table(
                ["path", c.a.env, c.b.env, "kind"],
                [
                    [
                        f"<code>{html.escape(d.path)}</code>",
                        _value(d.a),
                        _value(d.b),
                        html.escape(names.get(d.kind, d.kind)),
                    ]
                    for d in shown
                ],
                [COLORS.get(d.kind, "") for d in shown],
            )
        )
        if len(c.differences) > MAX_ROWS:
            parts.append(f"<div>… {len(c.differences) - MAX_ROWS} more in .diff</div>")
    drift = c.drift
    if len(drift):
        parts.append("<div><b>Drift against the spec</b></div>")
        parts.append(
            _table(
                list(drift.columns),
                [
                    [html.escape("" if v is None or str(v) == "nan" else str(v)) for v in row]
                    for row in drift.itertuples(index=False)
                ],
                [COLORS.get(str(k), "") for k in drift["kind"]],
            )
        )
    if c.ignored:
        ignored = ", ".join(html.escape(p) for p in c.ignored)
        parts.append(f'<div style="color:#57606a;font-size:11px">left out: {ignored}</div>')
    parts.append(latency_plot(c))
    return f'<div style="font-family:sans-serif">{"".join(parts)}</div>'
