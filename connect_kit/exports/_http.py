"""The ``.http`` file (httpyac, JetBrains' HTTP client; VS Code REST Client reads the requests):
written from a :class:`Collection`, and read back into one.

Variables: ``base_url`` is set to the environment's URL; ``client_id`` and ``client_secret``
are left for the user (``httpyac send --all flow.http --var client_id=... --var
client_secret=...``). A fresh id is ``@user_id = <recorded>-{{$guid}}``. The first request gets
the token with client credentials; each later one carries it and checks its status in a
response handler (``> {% ... %}``), which also stores what a later request uses.
"""

from __future__ import annotations

import json
import re

from ._collection import TOKEN_PATH, Collection, dotted


def token_body(scope: str) -> str:
    """The client-credentials request, its secrets as ``{{variables}}``."""
    return json.dumps(
        {
            "client_id": "{{client_id}}",
            "client_secret": "{{client_secret}}",
            "grant_type": "client_credentials",
            "scope": scope,
        },
        indent=2,
    )


def _handler(lines: list[str]) -> list[str]:
    return ["", "> {%", *(f"  {line}" for line in lines), "%}"]


def render(collection: Collection) -> str:
    """The collection as a ``.http`` file."""
    out = [
        f"# {collection.name}: exported by connect-kit.",
        "# Supply client_id and client_secret (the secret is never written here), e.g.",
        "#   httpyac send --all THIS.http --var client_id=... --var client_secret=...",
        *(f"# and {name}: a redacted value, --var {name}=..." for name in collection.inputs),
        "",
        f"@base_url = {collection.base_url}",
        *(f"@{name} = {value}-{{{{$guid}}}}" for name, value in collection.fresh.items()),
        "",
        "### create_token",
        "# @name create_token",
        "# Client credentials: the token for every request below.",
        f"POST {{{{base_url}}}}{TOKEN_PATH}",
        "Content-Type: application/json",
        "",
        token_body(collection.scope),
        *_handler(['client.global.set("access_token", response.body.access_token);']),
    ]
    for request in collection.requests:
        out += ["", f"### {request.name}", f"# @name {request.name}"]
        if request.description:
            out.append(f"# {request.description}")
        out += [
            f"{request.method} {{{{base_url}}}}{request.path}",
            "Authorization: Bearer {{access_token}}",
        ]
        if request.body is not None:
            out += ["Content-Type: application/json", "", request.body]
        script = []
        if request.status is not None:
            script.append(
                f'client.test("{request.name} answers {request.status}", function () {{ '
                f"client.assert(response.status === {request.status}, "
                f'"expected {request.status}, got " + response.status); }});'
            )
        for name, where in request.captures.items():
            script.append(f'client.global.set("{name}", response.body.{dotted(where)});')
        if script:
            out += _handler(script)
    return "\n".join(out) + "\n"


_VARIABLE = re.compile(r"^@(\w+)\s*=\s*(.*?)\s*$")
_STATUS = re.compile(r"response\.status\s*===?\s*(\d{3})")
_SET = re.compile(r"client\.global\.set\(\s*[\"'](\w+)[\"']\s*,\s*response\.body\.?([^)]*?)\)")
_METHOD = re.compile(r"^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s+(\S+)(?:\s+HTTP/[\d.]+)?$")


def parse(text: str, name: str = "") -> Collection:
    """A collection from a ``.http`` file's text (the token request left out)."""
    collection = Collection(requests=[], name=name or "http file")
    for block in re.split(r"^###.*$", text, flags=re.M):
        lines = block.splitlines()
        request_name = ""
        at = 0
        while at < len(lines) and not _METHOD.match(lines[at].strip()):
            line = lines[at].strip()
            if found := _VARIABLE.match(line):
                key, value = found.groups()
                if key == "base_url":
                    collection.base_url = value.rstrip("/")
                elif value.endswith("-{{$guid}}"):
                    collection.fresh[key] = value.removesuffix("-{{$guid}}")
            elif found := re.match(r"^(?:#|//)\s*@name\s+(\S+)", line):
                request_name = found[1]
            at += 1
        if at == len(lines):
            continue
        found = _METHOD.match(lines[at].strip())
        assert found is not None
        method, url = found.groups()
        at += 1
        while at < len(lines) and lines[at].strip():  # headers
            at += 1
        body_lines, script = [], ""
        for n in range(at, len(lines)):
            if lines[n].startswith("> {%"):
                script = "\n".join(lines[n:])
                break
            body_lines.append(lines[n])
        body = "\n".join(body_lines).strip() or None
        status = _STATUS.search(script)
        collection.take(
            request_name,
            method,
            url,
            body,
            int(status[1]) if status else None,
            _SET.findall(script),
        )
    return collection
