"""The call as a cURL command line, for bash."""

from __future__ import annotations

from ._common import Call, template

_PROGRAM = r"""# {{ call.headline }}
# A private CA (the sandbox's): export INSTACART_CA_BUNDLE=/path/to/ca.pem
curl --silent --show-error ${INSTACART_CA_BUNDLE:+--cacert "$INSTACART_CA_BUNDLE"} \
  --request {{ call.method }} {{ call.url|sh }} \
{% if call.scheme %}
  --header "Authorization: {{ call.scheme }} ${INSTACART_TOKEN:?set INSTACART_TOKEN}" \
{% endif %}
{% for name, value in call.headers %}
  --header {{ (name ~ ": " ~ value)|sh }} \
{% endfor %}
{% if body %}
  --data-raw {{ body }} \
{% endif %}
  --write-out '\nHTTP status: %{http_code}\n'
"""


def _sh(text: str) -> str:
    """A single-quoted shell word."""
    return "'" + text.replace("'", "'\\''") + "'"


_TEMPLATE = template(_PROGRAM, sh=_sh)


def render(call: Call) -> str:
    """A bash command line.

    The body is one single-quoted word; each secret is a double-quoted expansion between its
    JSON quotes, pasted as it is (so it must not hold ``"`` or ``\\``).
    """
    text = call.json_text(indent=2)
    body = text and call.fill(_sh(text), lambda var: f'"\'"${{{var}:?set {var}}}"\'"')
    return _TEMPLATE.render(call=call, body=body)
