"""HAR 1.2 out of a recording (the file as it is: already redacted) or a list of Results
(each request and response redacted again here)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from .. import _redact as redact
from .._version import __version__
from ..client import Result
from ..client._recording import COMMENT


def _pairs(headers: dict[str, str]) -> list[dict[str, str]]:
    shown = redact.headers(dict(headers))
    return [
        {"name": name, "value": str(value)}
        for name, value in shown.items()
        if name.lower() not in ("authorization", "proxy-authorization")
    ]


def _entry(result: Result) -> dict[str, Any]:
    info = result.request
    body = None if info.body is None else json.dumps(info.body, ensure_ascii=False)
    answer = result.json
    text = "" if answer is None else json.dumps(redact.body(answer), ensure_ascii=False)
    ms = round(result.elapsed.total_seconds() * 1000, 3)
    request: dict[str, Any] = {
        "method": info.method,
        "url": info.url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": _pairs(info.headers),
        "queryString": [],
        "headersSize": -1,
        "bodySize": len(body.encode()) if body is not None else 0,
    }
    if body is not None:
        request["postData"] = {"mimeType": "application/json", "text": body}
    response = result.response
    return {
        "startedDateTime": datetime.now(UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
        "time": ms,
        "request": request,
        "response": {
            "status": result.status_code,
            "statusText": response.reason or "",
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": [
                h for h in _pairs(dict(response.headers)) if h["name"].lower() != "content-length"
            ],
            "content": {
                "size": len(text.encode()),
                "mimeType": response.headers.get("Content-Type") or "application/json",
                "text": text,
            },
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": len(text.encode()),
        },
        "cache": {},
        "timings": {"send": 0, "wait": ms, "receive": 0},
        "_connectKit": {"operation": result.operation.name, "attempts": 1},
    }


def render(results: list[Result]) -> str:
    """A HAR 1.2 document of ``results``."""
    env, url = "", ""
    if results:
        env = results[0].request.env
        full, path = results[0].request.url, results[0].request.path
        url = full[: len(full) - len(path)] if full.endswith(path) else ""
    log = {
        "version": "1.2",
        "creator": {"name": "connect-kit", "version": __version__},
        "pages": [],
        "comment": COMMENT,
        "_connectKit": {"env": env, "url": url},
        "entries": [_entry(result) for result in results],
    }
    return json.dumps({"log": log}, indent=2, ensure_ascii=False) + "\n"
