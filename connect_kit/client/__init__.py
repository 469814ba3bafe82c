"""The client: environments, tokens, retries, the session, results, bulk and ready-made pulls.

Every module here is private; these are its names.
"""

from __future__ import annotations

from ._bulk import Bulk
from ._config import Environment, sandbox_instance, settings
from ._drive import OrderDriver, drive
from ._embedded import instance_environment, kind_of, resolve
from ._guard import check_write, environment_kind
from ._recording import Recorder, recorder_of, start_recording
from ._replay import ReplayAdapter, replay_session
from ._result import RequestInfo, Result
from ._retry import RetryPolicy
from ._session import ConnectSession
from ._status import status

__all__ = [
    "Bulk",
    "ConnectSession",
    "Environment",
    "OrderDriver",
    "Recorder",
    "ReplayAdapter",
    "RequestInfo",
    "Result",
    "RetryPolicy",
    "check_write",
    "drive",
    "environment_kind",
    "instance_environment",
    "kind_of",
    "recorder_of",
    "replay_session",
    "resolve",
    "sandbox_instance",
    "settings",
    "start_recording",
    "status",
]
