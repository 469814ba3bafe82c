"""The client's retry policy: it lives in :mod:`connect_kit._retry`, shared with the sandbox's
callback sender; these names stay importable from here."""

from __future__ import annotations

from .._retry import RETRY_STATUSES, RetryPolicy, parse_retry_after

__all__ = ["RETRY_STATUSES", "RetryPolicy", "parse_retry_after"]
