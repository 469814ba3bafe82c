"""The Postman Collection v2.1 and its environment, written from a :class:`Collection` and read
back into one.

``NAME.postman_collection.json`` holds a token request whose test script stores the token (and
makes the fresh ids of this run), then the requests in folders by API area, each described from
the spec, its status checked and its captures stored as collection variables.
``NAME.postman_environment.json`` beside it holds ``base_url``, and ``client_id`` and
``client_secret`` empty: supply them (``newman run C -e E --env-var client_id=...
--env-var client_secret=...``).
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from ._collection import Collection, Request, dotted
from ._http import TOKEN_PATH, token_body

SCHEMA = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
SUFFIX = ".postman_collection.json"


def _script(kind: str, lines: list[str]) -> dict[str, Any]:
    return {"listen": kind, "script": {"type": "text/javascript", "exec": lines}}


def _url(path: str) -> dict[str, Any]:
    route, _, query = path.partition("?")
    url: dict[str, Any] = {
        "raw": "{{base_url}}" + path,
        "host": ["{{base_url}}"],
        "path": [part for part in route.split("/") if part],
    }
    if query:
        url["query"] = [
            {"key": k, "value": v} for k, _, v in (p.partition("=") for p in query.split("&"))
        ]
    return url


def _item(name: str, method: str, path: str, body: str | None, description: str) -> dict[str, Any]:
    headers = [{"key": "Content-Type", "value": "application/json"}] if body is not None else []
    request: dict[str, Any] = {"method": method, "header": headers, "url": _url(path)}
    if body is not None:
        request["body"] = {"mode": "raw", "raw": body, "options": {"raw": {"language": "json"}}}
    if description:
        request["description"] = description
    return {"name": name, "request": request}


def _token(collection: Collection) -> dict[str, Any]:
    item = _item(
        "create_token",
        "POST",
        TOKEN_PATH,
        token_body(collection.scope),
        "Client credentials: the token for every request of this collection.",
    )
    item["request"]["auth"] = {"type": "noauth"}
    fresh = [
        "const run = Date.now().toString(36) + Math.random().toString(36).slice(2, 8);",
        *(
            f'pm.collectionVariables.set("{name}", {json.dumps(value + "-")} + run);'
            for name, value in collection.fresh.items()
        ),
    ]
    item["event"] = [
        _script("prerequest", fresh if collection.fresh else []),
        _script(
            "test",
            [
                'pm.test("create_token answers 200", function () {',
                "  pm.response.to.have.status(200);",
                "});",
                'pm.collectionVariables.set("access_token", pm.response.json().access_token);',
            ],
        ),
    ]
    return item


def _request(request: Request) -> dict[str, Any]:
    item = _item(request.name, request.method, request.path, request.body, request.description)
    lines = []
    if request.status is not None:
        lines += [
            f'pm.test("{request.name} answers {request.status}", function () {{',
            f"  pm.response.to.have.status({request.status});",
            "});",
        ]
    for name, where in request.captures.items():
        lines.append(f'pm.collectionVariables.set("{name}", pm.response.json().{dotted(where)});')
    if lines:
        item["event"] = [_script("test", lines)]
    return item


def render(collection: Collection, name: str) -> tuple[str, str]:
    """The collection's and the environment's JSON text."""
    folders: list[dict[str, Any]] = [{"name": "auth", "item": [_token(collection)]}]
    last = "auth"
    for request in collection.requests:
        if request.area != last:
            count = sum(1 for f in folders if f["name"].split(" (")[0] == request.area)
            label = request.area if not count else f"{request.area} ({count + 1})"
            folders.append({"name": label, "item": []})
            last = request.area
        folders[-1]["item"].append(_request(request))
    variables = ["access_token", *collection.fresh, *collection.captured, *collection.inputs]
    document = {
        "info": {
            "_postman_id": str(uuid.uuid4()),
            "name": name,
            "description": f"{collection.name}: exported by connect-kit. The client secret is "
            "never written here: set client_id and client_secret in the environment.",
            "schema": SCHEMA,
        },
        "auth": {
            "type": "bearer",
            "bearer": [{"key": "token", "value": "{{access_token}}", "type": "string"}],
        },
        "item": folders,
        "variable": [{"key": v, "value": ""} for v in dict.fromkeys(variables)],
    }
    environment = {
        "id": str(uuid.uuid4()),
        "name": name,
        "values": [
            {"key": "base_url", "value": collection.base_url, "type": "default", "enabled": True},
            {"key": "client_id", "value": "", "type": "default", "enabled": True},
            {"key": "client_secret", "value": "", "type": "secret", "enabled": True},
        ],
        "_postman_variable_scope": "environment",
    }
    return json.dumps(document, indent=2) + "\n", json.dumps(environment, indent=2) + "\n"


_STATUS = re.compile(r"to\.have\.status\((\d{3})\)")
_SET = re.compile(r"collectionVariables\.set\(\"(\w+)\",\s*pm\.response\.json\(\)\.?([^;]*?)\);")
_FRESH = re.compile(r"collectionVariables\.set\(\"(\w+)\",\s*\"(.*)-\"\s*\+\s*run\);")


def _walk(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for item in items:
        found += _walk(item["item"]) if "item" in item else [item]
    return found


def _text(event: list[dict[str, Any]], kind: str) -> str:
    scripts = [e.get("script", {}).get("exec", []) for e in event if e.get("listen") == kind]
    return "\n".join(line for lines in scripts for line in lines)


def parse(document: dict[str, Any], environment: dict[str, Any] | None) -> Collection:
    """A collection from a Postman collection (and its environment, for ``base_url``)."""
    collection = Collection(requests=[], name=document.get("info", {}).get("name", "postman"))
    for value in (environment or {}).get("values", []):
        if value.get("key") == "base_url":
            collection.base_url = str(value.get("value", "")).rstrip("/")
    for item in _walk(document.get("item", [])):
        request = item.get("request", {})
        url = request.get("url", "")
        raw = url.get("raw", "") if isinstance(url, dict) else str(url)
        method = str(request.get("method", "GET")).upper()
        body = (request.get("body") or {}).get("raw")
        event = item.get("event", [])
        for name, value in _FRESH.findall(_text(event, "prerequest")):
            collection.fresh[name] = json.loads(f'"{value}"')
        tests = _text(event, "test")
        status = _STATUS.search(tests)
        collection.take(
            item.get("name"),
            method,
            raw,
            body,
            int(status[1]) if status else None,
            _SET.findall(tests),
        )
    return collection
