"""System tools the suite drives. ``make test`` installs them; a test never does. A missing
tool skips its tests with the reason on a workstation, and fails them under CI."""

from __future__ import annotations

import os
import shutil

import pytest


def need(command: str, package: str) -> str:
    """The path of ``command``; without it, skip (or fail under ``CI=true``) saying why."""
    found = shutil.which(command)
    if found:
        return found
    reason = f"{command} is missing: `make test` installs Debian's {package} (as root)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason)
    pytest.skip(reason)
