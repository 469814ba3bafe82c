"""The HTTP statuses and error codes the docs give: what an answer of any operation may carry.

The docs give them for the whole API, not per operation: every operation answers 200 when it
succeeds (creates too: Connect uses no 201 or 204), and an error with one of the statuses of
the table on connect/api/error_and_status_codes. Error codes are given by the endpoints' own
error tables and that page's two formats; they are gathered here once. Live conformance
(``session.conformance``) reports a status or code outside these as a ``status`` finding.

>>> from connect_kit import spec
>>> spec.SUCCESS_STATUS, 429 in spec.STATUSES, 502 in spec.STATUSES
(200, True, False)
>>> 9999 in spec.ERROR_CODES, 1234 in spec.ERROR_CODES
(True, False)
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

#: The status of every successful answer.
SUCCESS_STATUS = 200

#: Every HTTP status Connect documents (connect/api/error_and_status_codes), with its reason.
STATUSES: Mapping[int, str] = MappingProxyType(
    {
        200: "Success",
        400: "Bad request",
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not found",
        408: "Request timeout",
        429: "Too many requests",
        500: "Internal server error",
        503: "Service unavailable",
    }
)

#: The error codes of the API's envelope (``error.code``) that the docs give, with what they
#: mean. 1001 and 9999 are the two formats of connect/api/error_and_status_codes; the others
#: come from the endpoints' error tables and the changelog; ``None`` is the code of the
#: documented 403 refusals ("User Not Active", "Shopper PII"). 2003, 4002 and 5000 are the
#: reference's "unconfirmed" codes: listed, so that a real server using them is not flagged.
ERROR_CODES: Mapping[Any, str] = MappingProxyType(
    {
        1001: "a parameter is invalid or missing; meta.key names it",
        2000: "invalid items (list time slots; 1001 before 2023-12-13)",
        2001: "params error; meta maps each field to its message",
        2003: "retry later (unconfirmed)",
        4000: "resource not found",
        4001: "user ID not found, or the order cannot do this (pickup)",
        4002: "could not resolve a valid context (unconfirmed)",
        5000: "internal error (unconfirmed)",
        9999: "several errors at once: error.errors lists them",
        None: "no code: refusals of a valid request (403)",
    }
)

#: The ``error`` values of the OAuth endpoints' errors: the two of the revoke page's table,
#: and OAuth 2.0's own (RFC 6749 section 5.2), which the token endpoint answers in.
OAUTH_ERRORS: frozenset[str] = frozenset(
    {
        "query_params_forbidden",
        "unauthorized_client",
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "invalid_scope",
        "unsupported_grant_type",
    }
)
