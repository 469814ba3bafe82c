"""The Hurl file: the token request, then each request with its status asserted and captures
for the token and for every id a later request uses.

Run it with ``hurl --test --variable base_url=... --variable client_id=... --variable
client_secret=... flow.hurl`` (add ``--cacert`` for a private CA). A fresh id is made new on
each run from Hurl's ``newUuid``.
"""

from __future__ import annotations

from ._collection import Collection, dotted
from ._http import TOKEN_PATH, token_body


def render(collection: Collection) -> str:
    """The collection as a Hurl file."""
    out = [
        f"# {collection.name}: exported by connect-kit. Supply the variables:",
        f"#   hurl --test --variable base_url={collection.base_url} \\",
        "#        --variable client_id=... --variable client_secret=... THIS.hurl",
        *(f"# and {name} (a redacted value): --variable {name}=..." for name in collection.inputs),
        "# The client secret is never written here.",
        "",
        "# create_token: client credentials",
        f"POST {{{{base_url}}}}{TOKEN_PATH}",
        "Content-Type: application/json",
    ]
    if collection.fresh:
        out.append("[Options]")
        out += [
            f"variable: {name}={value}-{{{{newUuid}}}}" for name, value in collection.fresh.items()
        ]
    out += [
        token_body(collection.scope),
        "HTTP 200",
        "[Captures]",
        'access_token: jsonpath "$.access_token"',
    ]
    for request in collection.requests:
        out += [
            "",
            f"# {request.name}" + (f": {request.description}" if request.description else ""),
        ]
        out += [
            f"{request.method} {{{{base_url}}}}{request.path}",
            "Authorization: Bearer {{access_token}}",
        ]
        if request.body is not None:
            out += ["Content-Type: application/json", request.body]
        out.append(f"HTTP {request.status}" if request.status else "HTTP *")
        if request.captures:
            out.append("[Captures]")
            out += [
                f'{name}: jsonpath "$.{dotted(where)}"' for name, where in request.captures.items()
            ]
    return "\n".join(out) + "\n"
