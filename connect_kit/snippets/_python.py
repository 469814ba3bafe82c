"""The call as a Python program (requests), as ruff formats it."""

from __future__ import annotations

import json
import re

from ._common import Call, quoted, template

_PROGRAM = '''"""{{ call.title }}.

{% if call.reads %}
{{ call.reads }}
{% endif %}
A private CA (the sandbox's): export INSTACART_CA_BUNDLE=/path/to/ca.pem
"""

import os

import requests

url = {{ call.url|py }}
headers = {
{% if call.scheme %}
    "Authorization": {{ (call.scheme ~ " ")|py }} + os.environ["INSTACART_TOKEN"],
{% endif %}
{% for name, value in call.headers %}
    {{ name|py }}: {{ value|py }},
{% endfor %}
}
{% if body %}
body = {{ body }}
{% endif %}

response = requests.request(
    {{ call.method|py }},
    url,
    headers=headers,
{% if body %}
    json=body,
{% endif %}
    verify=os.environ.get("INSTACART_CA_BUNDLE") or True,
    timeout=30,
)
print("HTTP status:", response.status_code)
print(response.text)
'''


def _py(text: str) -> str:
    """A Python string literal, quoted the way ruff and black quote it."""
    literal = quoted(text)  # JSON's string escapes are all valid in Python
    if text.count('"') <= text.count("'"):
        return literal
    inner = literal[1:-1].replace('\\"', '"').replace("'", "\\'")
    return f"'{inner}'"


_TEMPLATE = template(_PROGRAM, py=_py)

# a JSON string, or a JSON name that Python spells otherwise
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|true|false|null')
_NAMES = {"true": "True", "false": "False", "null": "None"}


def _literal(json_text: str) -> str:
    """JSON text as a Python literal, laid out as ruff lays it out (magic trailing commas)."""
    text = _TOKEN.sub(lambda m: _NAMES.get(m[0]) or _py(json.loads(m[0])), json_text)
    return re.sub(r"(?=\n *[\]}])", ",", text)  # raw newlines are layout, never in a string


def render(call: Call) -> str:
    """A Python program; each secret is ``os.environ["INSTACART_<FIELD>"]``."""
    text = call.json_text(indent=4)
    body = text and call.fill(_literal(text), lambda var: f'os.environ["{var}"]')
    return _TEMPLATE.render(call=call, body=body)
