"""``conformance_report(*sessions)``: where answers did not fit the spec, for notebooks.

Grouped by operation, then path, with the environments side by side: each cell says how
often that environment's answers did it, and how. Plain HTML (no scripts, no stylesheet to
load), like a comparison's, so that it renders in any notebook front end and survives being
saved. It reads sessions through what it shows (``conformance`` and ``env.name``) and imports
none of the client.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ._conformance import COLUMNS, KINDS, key
from ._page import save_page

if TYPE_CHECKING:
    import pandas as pd

COLORS = {
    "additive": "#ddf4ff",
    "missing": "#fff8c5",
    "type": "#ffebe9",
    "enum": "#dafbe1",
    "status": "#ffebe9",
    "deprecated": "#fbefff",
}
MEANING = {
    "additive": "a field the spec lacks",
    "missing": "a required field absent",
    "type": "another JSON type than the spec's",
    "enum": "a value outside the spec's list",
    "status": "a status or error code the docs do not give",
    "deprecated": "deprecated, and served without its replacement or marked by the server",
}
CELL = "padding:2px 8px;border-bottom:1px solid #d0d7de;text-align:left;vertical-align:top"
MAX_ROWS = 500


class _Env(Protocol):
    @property
    def name(self) -> str: ...


class Checked(Protocol):
    """What the report reads of a session."""

    @property
    def env(self) -> _Env: ...
    @property
    def conformance(self) -> pd.DataFrame: ...


class ConformanceReport:
    """The findings of one or more sessions; shown as HTML in a notebook.

    Attributes:
        frame: every finding, one row per environment and finding (the sessions'
            ``conformance`` frames together; one environment's sessions added up).
        envs: the environments, in the order given.
    """

    def __init__(self, frame: pd.DataFrame, envs: list[str]) -> None:
        self.frame = frame
        self.envs = envs

    def __len__(self) -> int:
        """How many findings, environments apart (a finding of two environments counts once)."""
        return len(self._grouped())

    @property
    def operations(self) -> list[str]:
        return list(dict.fromkeys(self.frame["operation"]))

    def __repr__(self) -> str:
        where = ", ".join(self.envs)
        count = len(self)
        if not count:
            return f"<ConformanceReport {where}: every answer fit the spec>"
        ops = _many(len(self.operations), "operation")
        return f"<ConformanceReport {where}: {_many(count, 'finding')} in {ops}>"

    def _grouped(self) -> dict[tuple[str, str, str, str], dict[str, dict[str, Any]]]:
        """finding -> env -> its row, in report order (operation, path, kind)."""
        grouped: dict[tuple[str, str, str, str], dict[str, dict[str, Any]]] = {}
        rows = self.frame.to_dict("records")
        order = {kind: i for i, kind in enumerate(KINDS)}
        rows.sort(key=lambda r: (str(r["operation"]), str(r["path"]), order.get(r["kind"], 9)))
        for row in rows:
            found = key(row["operation"], row["kind"], row["path"], row["detail"])
            grouped.setdefault(found, {})[row["env"]] = row
        return grouped

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the report to ``path`` (``.html``), a page that opens in any browser."""
        return save_page(path, f"Conformance: {', '.join(self.envs)}", self._repr_html_())

    def _repr_html_(self) -> str:
        grouped = self._grouped()
        envs = self.envs
        title = f"<b>Conformance to the spec</b>: {html.escape(', '.join(envs))}"
        if not grouped:
            body = "<div>Every answer checked fit the spec: no finding.</div>"
            return f'<div style="font-family:sans-serif"><div>{title}</div>{body}</div>'
        per_env = {env: int((self.frame["env"] == env).sum()) for env in envs}
        counts = "; ".join(f"{html.escape(env)}: {n}" for env, n in per_env.items())
        parts = [
            f"<div>{title} — {_many(len(grouped), 'finding')} in "
            f"{_many(len(self.operations), 'operation')} ({counts})</div>"
        ]
        by_op: dict[str, list[tuple[tuple[str, str, str, str], dict[str, dict[str, Any]]]]] = {}
        for found, sides in list(grouped.items())[:MAX_ROWS]:
            by_op.setdefault(found[0], []).append((found, sides))
        for operation, entries in by_op.items():
            parts.append(f'<div style="margin-top:8px"><b>{html.escape(operation)}</b></div>')
            rows = [
                [
                    f"<code>{html.escape(found[2])}</code>",
                    html.escape(found[1]),
                    *(_cell(sides.get(env)) for env in envs),
                ]
                for found, sides in entries
            ]
            shades = [COLORS.get(found[1], "") for found, _ in entries]
            parts.append(_table(["path", "kind", *envs], rows, shades))
        if len(grouped) > MAX_ROWS:
            parts.append(f"<div>… {len(grouped) - MAX_ROWS} more in .frame</div>")
        kinds = sorted({found[1] for found in grouped}, key=KINDS.index)
        legend = "; ".join(f"<b>{k}</b>: {html.escape(MEANING[k])}" for k in kinds)
        parts.append(f'<div style="color:#57606a;font-size:11px">{legend}</div>')
        return f'<div style="font-family:sans-serif">{"".join(parts)}</div>'


def _many(count: int, what: str) -> str:
    return f"{count} {what}{'s' if count != 1 else ''}"


def _cell(row: dict[str, Any] | None) -> str:
    if row is None:
        return '<span style="color:#8c959f">—</span>'
    status = "" if _missing(row["status"]) else f" (HTTP {int(row['status'])})"
    return (
        f'<span style="color:#57606a">{int(row["count"])}&times;{status}</span> '
        f"{html.escape(str(row['detail']))}"
    )


def _missing(value: Any) -> bool:
    return value is None or str(value) in ("<NA>", "nan")


def _table(header: list[str], rows: list[list[str]], shades: list[str]) -> str:
    head = "".join(f'<th style="{CELL}">{html.escape(h)}</th>' for h in header)
    body = "".join(
        f'<tr style="background:{shade}">'
        + "".join(f'<td style="{CELL}">{c}</td>' for c in row)
        + "</tr>"
        for row, shade in zip(rows, shades, strict=True)
    )
    return (
        '<table style="border-collapse:collapse;font-size:12px;margin:4px 0 10px 0">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def conformance_report(*sessions: Checked | pd.DataFrame) -> ConformanceReport:
    """Where the answers of ``sessions`` did not fit the spec, by operation and path, the
    environments side by side (HTML in a notebook).

    Args:
        sessions: sessions (their ``conformance``), or ``conformance`` frames kept earlier.

    >>> import connect_kit as ck
    >>> ck.conformance_report(ck.connect("dev"), ck.connect("prod"))   # doctest: +SKIP
    """
    import pandas as pd

    if not sessions:
        raise ValueError("conformance_report needs at least one session")
    frames = [_frame_of(session, pd) for session in sessions]
    envs: list[str] = []
    for session, frame in zip(sessions, frames, strict=True):
        if isinstance(session, pd.DataFrame):  # a saved frame: the environments it holds
            envs += [str(env) for env in frame["env"]]
        else:
            envs.append(str(session.env.name))
    frame = pd.concat(frames, ignore_index=True)
    return ConformanceReport(_merged(frame), list(dict.fromkeys(envs)))


def _frame_of(session: Any, pd: Any) -> pd.DataFrame:
    if isinstance(session, pd.DataFrame):
        frame = session
    else:
        frame = getattr(session, "conformance", None)
        if not isinstance(frame, pd.DataFrame) or not hasattr(session, "env"):
            raise TypeError(
                f"conformance_report takes sessions (or their conformance frames), "
                f"not {type(session).__name__}"
            )
    absent = [c for c in COLUMNS if c not in frame.columns]
    if absent:
        raise ValueError(f"not a conformance frame: no column {', '.join(absent)}")
    return frame[COLUMNS]


def _merged(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per environment and finding: an environment's sessions added up (the earliest
    time, the first status and detail, the counts summed)."""
    if frame.empty:
        return frame.reset_index(drop=True)
    rows = frame[["operation", "kind", "path", "detail"]].itertuples(index=False)
    keys = ["\x1f".join(key(*(str(v) for v in row))) for row in rows]
    frame = frame.assign(_key=keys).sort_values("time", kind="stable")
    merged = frame.groupby(["env", "_key"], sort=False, dropna=False).agg(
        time=("time", "first"),
        operation=("operation", "first"),
        status=("status", "first"),
        kind=("kind", "first"),
        path=("path", "first"),
        detail=("detail", "first"),
        count=("count", "sum"),
    )
    return merged.reset_index()[COLUMNS].reset_index(drop=True)
