"""The spec: every operation of the API, described once, and the one reader of its fields.

It follows the docs of :data:`SPEC_DATE`; the API may have added optional fields since.

>>> from connect_kit import spec
>>> op = spec.get("find_delivery_stores")
>>> op.method, op.path
('POST', '/v2/fulfillment/stores/delivery')
>>> spec.field(op, "request", "find_by.postal_code").type
'string'
"""

from __future__ import annotations

from ._deprecated import deprecated_fields, deprecated_fields_in
from ._docs import SPEC_DATE
from ._operations import OPERATIONS, UnknownOperationError, get, match, operations
from ._reference import describe
from ._shape import (
    FieldShape,
    UnknownFieldError,
    field,
    fields,
    fields_of,
    json_type,
    model_of,
    shape_of,
)
from ._status_codes import ERROR_CODES, OAUTH_ERRORS, STATUSES, SUCCESS_STATUS
from .base import Deprecation, Operation, RequestModel, ResponseModel

__all__ = [
    "ERROR_CODES",
    "OAUTH_ERRORS",
    "OPERATIONS",
    "SPEC_DATE",
    "STATUSES",
    "SUCCESS_STATUS",
    "Deprecation",
    "FieldShape",
    "Operation",
    "RequestModel",
    "ResponseModel",
    "UnknownFieldError",
    "UnknownOperationError",
    "deprecated_fields",
    "deprecated_fields_in",
    "describe",
    "field",
    "fields",
    "fields_of",
    "get",
    "json_type",
    "match",
    "model_of",
    "operations",
    "shape_of",
]
