"""The sandbox's operation handlers, one module per API area, registered by name.

A handler takes a :class:`Context` and returns the response body as plain data; it raises
:class:`~connect_kit.sandbox.errors.ApiError` for the API's documented errors. Handlers run
under the state's lock, so a handler's reads and writes are atomic. The registry itself lives in
:mod:`._registry`; importing this package imports every handler module, which fills it.
"""

from __future__ import annotations

from . import (  # noqa: F401  (imported to register their handlers)
    catalog,
    feedback,
    last_mile,
    lifecycle,
    orders,
    post_checkout,
    post_checkout_chat,
    post_checkout_pickup,
    recommendations,
    service_options,
    stores,
    transaction,
    users,
)
from ._registry import (  # noqa: F401  (the package's names)
    BODY_ERRORS,
    HANDLERS,
    Context,
    Handler,
    handles,
)
