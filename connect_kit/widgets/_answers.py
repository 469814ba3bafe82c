"""What the composer shows of an answer: a success or an error answer in the Table, JSON and
Headers tabs, the Code tab's program, and the History rows. Every rendering is made from
redacted data; the composer scrubs it once more before showing it."""

from __future__ import annotations

import html
import json
from typing import Any

from .. import _redact as redact
from ..client import RequestInfo, Result
from ..data._frames import to_frame
from ..errors import APIError
from ..snippets import snippet
from ._memory import Sent

# a bounded, scrolling box; cells keep ids and codes on one line
_BOX = "max-height:420px;overflow:auto;max-width:100%"
_TABLE_CSS = (
    "<style>.ck-table td,.ck-table th{white-space:nowrap;padding:2px 8px;font-size:12px}"
    ".ck-table th{position:sticky;top:0;background:var(--jp-layout-color1,#fff)}</style>"
)


def pre(text: str) -> str:
    """``text`` as a bounded block of code."""
    return f'<pre style="font-size:12px;{_BOX};white-space:pre">{html.escape(text)}</pre>'


def table(frame_html: str) -> str:
    """A DataFrame's HTML in a box bounded in height, ids unwrapped."""
    return f'{_TABLE_CSS}<div class="ck-table" style="{_BOX}">{frame_html}</div>'


def result_tabs(result: Result) -> dict[str, str]:
    """Table, JSON and Headers of a successful answer."""
    shown = redact.body(result.json)  # the table too is made from the redacted JSON
    frame = to_frame(result.operation, shown)
    return {
        "Table": table(frame.to_html(max_rows=200, border=0)),
        "JSON": pre(json.dumps(shown, indent=2, ensure_ascii=False)),
        "Headers": _exchange(result.request, redact.headers(dict(result.response.headers))),
    }


def error_tabs(error: APIError, request: RequestInfo | None) -> dict[str, str]:
    """Table, JSON and Headers of an error answer: status, code, message, the field at
    fault, and the whole envelope (already redacted by the session)."""
    import pandas as pd

    rows = [
        {
            "status": error.status,
            "code": item.code if item.code is not None else error.code,
            "key": item.key,
            "message": item.message,
        }
        for item in error.errors
    ]
    frame = pd.DataFrame(rows, columns=["status", "code", "key", "message"])
    envelope = redact.body(error.body) if error.body is not None else {"error": error.message}
    answer = {"X-Request-Id": error.request_id} if error.request_id else {}
    return {
        "Table": table(frame.to_html(index=False, border=0)),
        "JSON": pre(json.dumps(envelope, indent=2, ensure_ascii=False)),
        "Headers": _exchange(request, answer),
    }


def _exchange(request: RequestInfo | None, answer: dict[str, Any]) -> str:
    sent: dict[str, Any] = {}
    if request is not None:
        sent = {"line": f"{request.method} {request.url}", "headers": request.headers}
        if request.body is not None:
            sent["body"] = request.body
    shown = {"request": sent, "response": {"headers": answer}}
    return pre(json.dumps(shown, indent=2, ensure_ascii=False))


def code(request: RequestInfo, lang: str, env: str, ca: str | None) -> str:
    """The request as a program in ``lang``, in a box ready to copy, with what it needs
    before it runs: the token, and the CA file ``ca`` of a private CA (the sandbox's)."""
    text = str(snippet(request, lang))
    needs = [f'export INSTACART_TOKEN="$(connect-kit token {env})"']
    if ca and lang != "java":  # Java's program says how to trust a private CA
        needs.append(f"export {'SSL_CERT_FILE' if lang == 'go' else 'INSTACART_CA_BUNDLE'}={ca}")
    setup = "".join(f"<code>{html.escape(line)}</code><br>" for line in needs)
    rows = min(text.count("\n") + 2, 30)
    return (
        f'<div style="font-size:12px;color:#57606a">Before running it, in a shell:<br>{setup}'
        "</div>"
        f'<textarea class="ck-code" readonly spellcheck="false" rows="{rows}" '
        'style="width:100%;min-width:760px;font-family:monospace;font-size:12px;'
        f'white-space:pre">{html.escape(text)}</textarea>'
    )


def sent_summary(sent: Sent) -> str:
    """One History row: when, where, what, and how it went."""
    status = f"{sent.status}" if sent.status is not None else "—"
    code = f" · code {sent.error_code}" if sent.error_code else ""
    color = "#1a7f37" if sent.status is not None and sent.status < 400 else "#cf222e"
    user = f" as {html.escape(sent.as_user)}" if sent.as_user else ""
    return (
        f'<span style="font-size:12px;white-space:nowrap">{sent.time:%H:%M:%S} · '
        f"<b>{html.escape(sent.env)}</b> · <code>{html.escape(sent.operation)}</code>{user} · "
        f'<span style="color:{color}">{status}{code}</span> · '
        f"{html.escape(sent.outcome)}</span>"
    )
