"""What the command line writes: one-line errors in its own words, and JSON as it is."""

from __future__ import annotations

import json
import re
import sys
from typing import Any

# the library's advice, said the way a shell user acts on it
_WORDS = (
    (re.compile(r"pass allow_writes=True to connect\(\)"), "pass --allow-writes"),
    (re.compile(r"allow_writes=True"), "--allow-writes"),
    (
        re.compile(r"(connect_kit|ck)\.operations\(\) lists them all"),
        "connect-kit ops lists them all",
    ),
    (re.compile(r"(?:connect_kit|ck)\.describe\((?:[^)]*)\)"), "connect-kit describe OPERATION"),
    (re.compile(r"\b\w+\.for_user\((?:[^)]*)\)"), "--as-user USER_ID"),
)


def in_cli_words(message: str) -> str:
    """``message`` with the library's advice (``allow_writes=True``) turned into flags."""
    for pattern, words in _WORDS:
        message = pattern.sub(words, message)
    return message


def error(command: str, exc: BaseException, *secrets: str) -> None:
    """One line on stderr: ``connect-kit COMMAND: Kind: what happened`` (never a secret)."""
    from .. import _redact as redact

    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    text = redact.scrub(in_cli_words(text), *secrets)
    print(f"connect-kit {command}: {type(exc).__name__}: {text}", file=sys.stderr)


def dumps(value: Any) -> str:
    """JSON for people and scripts: indented, UTF-8 as it is, ``/`` unescaped."""
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def frame_records(frame: Any) -> list[dict[str, Any]]:
    """A DataFrame's rows as JSON values (dates in ISO 8601, missing values null): pandas'
    own JSON writer escapes every ``/``, so its text is read back and written again."""
    return list(json.loads(frame.to_json(orient="records", date_format="iso")))
