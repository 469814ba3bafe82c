"""The request a session made, as a runnable program in cURL, Python, Java or Go.

>>> import connect_kit as ck
>>> res = ck.connect("dev").call("find_delivery_stores",          # doctest: +SKIP
...                              find_by={"postal_code": "94105"})
>>> print(ck.snippet(res, "go"))                                   # doctest: +SKIP

Each program makes the same call (server URL as it was called, method, path, query string, the
JSON body pretty-printed) and prints ``HTTP status: <code>`` and the response body.

Secrets never appear in a snippet: the input is redacted by :mod:`connect_kit._redact` first, and
the program reads each secret from an environment variable at run time:

- the access token from ``INSTACART_TOKEN`` (sent as ``Authorization: Bearer ...``; left out for
  the token endpoints, which take no token);
- each redacted body field from ``INSTACART_<FIELD>``: ``client_secret`` from
  ``INSTACART_CLIENT_SECRET``, ``linking_token`` from ``INSTACART_LINKING_TOKEN``...

TLS against a private CA (the sandbox's): cURL adds ``--cacert "$INSTACART_CA_BUNDLE"`` when that
variable is set; Python passes it to ``verify=``; Java uses the JVM's truststore
(``-Djavax.net.ssl.trustStore=...``); Go uses ``SSL_CERT_FILE``.

One private module a language (``_curl``, ``_python``, ``_java``, ``_go``), each a template of
its program; ``_common`` holds what they share, ``_render`` the front door.
"""

from ._common import Snippet
from ._render import LANGUAGES, snippet

__all__ = ["LANGUAGES", "Snippet", "snippet"]
