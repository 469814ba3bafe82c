"""Placeholders: each secret of a recording (or a replay) as ``[redacted:<field>:<n>]``, the
same value always the same placeholder, so that a request carrying a token received earlier
still matches on replay. The values stay in memory, never in a file."""

from __future__ import annotations

import json
import re
import threading
from typing import Any

from .. import _redact as redact

PLACEHOLDER = re.compile(r"\[redacted:[A-Za-z0-9_.-]+:\d+\]")
SCRUB_MIN = 6  # shorter secrets are replaced where a secret field holds them only


def is_placeholder(value: Any) -> bool:
    return isinstance(value, str) and PLACEHOLDER.fullmatch(value) is not None


class Placeholders:
    """Secret values and their placeholders, for one recording (or one replay)."""

    def __init__(self) -> None:
        self._of: dict[str, str] = {}
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<Placeholders: {len(self._of)} secrets>"

    def of(self, name: str, value: str) -> str:
        """The placeholder of ``value``, a secret (first) seen in field ``name``."""
        if not value or is_placeholder(value):
            return value
        with self._lock:
            found = self._of.get(value)
            if found is None:
                count = self._counts[name] = self._counts.get(name, 0) + 1
                found = self._of[value] = f"[redacted:{name}:{count}]"
            return found

    def learn(self, value: Any) -> None:
        """Give every secret field's string in a JSON value its placeholder."""
        if isinstance(value, dict):
            for name, item in value.items():
                if name in redact.secret_fields() and isinstance(item, str):
                    self.of(name, item)
                else:
                    self.learn(item)
        elif isinstance(value, list):
            for item in value:
                self.learn(item)

    def json(self, value: Any) -> Any:
        """``value`` with each secret field's string replaced by its placeholder, and every
        secret known replaced inside the other strings."""
        if isinstance(value, dict):
            secrets = redact.secret_fields()
            return {
                self.text(name): (
                    self.of(name, item)
                    if name in secrets and isinstance(item, str)
                    else self.json(item)
                )
                for name, item in value.items()
            }
        if isinstance(value, list):
            return [self.json(item) for item in value]
        return self.text(value) if isinstance(value, str) else value

    def text(self, text: str) -> str:
        """``text`` with every secret known (of 6 characters or more) replaced."""
        with self._lock:
            known = sorted(self._of.items(), key=lambda pair: -len(pair[0]))
        for value, placeholder in known:
            if len(value) >= SCRUB_MIN and value in text:
                text = text.replace(value, placeholder)
        return text


def parse_body(body: bytes | str | None) -> tuple[str | None, Any, bool]:
    """(text, parsed JSON, is JSON) of a body; text ``None`` for no body or bytes that are not
    UTF-8."""
    if body is None:
        return None, None, False
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError:
            return None, None, False
    try:
        return body, json.loads(body), True
    except ValueError:
        return body, None, False
