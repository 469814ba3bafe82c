"""A local receiver for Instacart's order callbacks: the retailer's side of the webhooks.

Instacart fetches an OAuth token from the retailer's own token endpoint (a form-encoded
client-credentials POST), then POSTs each order event as JSON with that token. ``listen()``
plays the retailer: it serves both endpoints over HTTPS on loopback, with its own local CA,
keeps each event once (callbacks may come twice, and in any order) and shows them as a
DataFrame.

>>> import connect_kit as ck
>>> receiver = ck.callbacks.listen()  # doctest: +SKIP
>>> sb = ck.sandbox.start()           # doctest: +SKIP
>>> sb.callbacks("dev", receiver)     # doctest: +SKIP
>>> receiver.wait_for(1, timeout=5)   # doctest: +SKIP
>>> receiver.events                   # doctest: +SKIP
>>> receiver.stop()                   # doctest: +SKIP
"""

from __future__ import annotations

from ._events import InvalidEvent, events_frame, validate_event
from ._receiver import Receiver, listen

__all__ = ["InvalidEvent", "Receiver", "events_frame", "listen", "validate_event"]
