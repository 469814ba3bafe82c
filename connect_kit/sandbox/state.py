"""The sandbox's state: a small document store on SQLite.

Each record is a JSON document filed under a kind (``user``, ``order``, ``hold``...) and a
key. In memory by default; given a file, users and orders survive a restart.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    kind TEXT NOT NULL,
    key  TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (kind, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class State:
    """Documents by (kind, key), counters and settings, behind one lock.

    The sandbox's event loop and the Python API (another thread) share it.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else None
        target = str(self.path) if self.path else ":memory:"
        if self.path:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # it holds the clients' secrets: its owner's only (SQLite's -wal and -shm files
            # take the same permissions)
            os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
        self._db = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL" if self.path else "PRAGMA journal_mode=MEMORY")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self.lock = threading.RLock()
        # write-through cache of raw documents: reads skip SQLite, callers still get copies
        self._cache: dict[tuple[str, str], bytes | None] = {}

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside happen together, or not at all (the cache follows)."""
        with self.lock:
            self._db.execute("BEGIN")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                self._cache.clear()  # re-read from SQLite what the rollback restored
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self.lock:
            self._db.close()

    # documents -----------------------------------------------------------------------

    def get(self, kind: str, key: str | int) -> dict[str, Any] | None:
        slot = (kind, str(key))
        with self.lock:
            if slot in self._cache:
                raw = self._cache[slot]
            else:
                row = self._db.execute(
                    "SELECT data FROM docs WHERE kind = ? AND key = ?", slot
                ).fetchone()
                raw = self._cache[slot] = row[0] if row else None
        return orjson.loads(raw) if raw is not None else None

    def put(self, kind: str, key: str | int, data: dict[str, Any]) -> dict[str, Any]:
        raw = orjson.dumps(data)
        with self.lock:
            self._db.execute(
                "INSERT OR REPLACE INTO docs (kind, key, data) VALUES (?, ?, ?)",
                (kind, str(key), raw),
            )
            self._cache[(kind, str(key))] = raw
        return data

    def add(self, kind: str, key: str | int, data: dict[str, Any]) -> bool:
        """Insert unless the key exists; returns whether it was inserted."""
        raw = orjson.dumps(data)
        with self.lock:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO docs (kind, key, data) VALUES (?, ?, ?)",
                (kind, str(key), raw),
            )
            if cursor.rowcount == 1:
                self._cache[(kind, str(key))] = raw
        return cursor.rowcount == 1

    def delete(self, kind: str, key: str | int) -> None:
        with self.lock:
            self._db.execute("DELETE FROM docs WHERE kind = ? AND key = ?", (kind, str(key)))
            self._cache[(kind, str(key))] = None

    def find(self, kind: str, **where: Any) -> list[dict[str, Any]]:
        """Documents of ``kind`` whose top-level fields equal ``where``, in key order."""
        sql = "SELECT data FROM docs WHERE kind = ?"
        args: list[Any] = [kind]
        for name, value in where.items():
            sql += f" AND json_extract(data, '$.{name}') IS ?"
            args.append(value)
        with self.lock:
            rows = self._db.execute(sql + " ORDER BY key", args).fetchall()
        return [orjson.loads(r[0]) for r in rows]

    def items(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        """Every (key, document) of ``kind``."""
        with self.lock:
            rows = self._db.execute(
                "SELECT key, data FROM docs WHERE kind = ? ORDER BY key", (kind,)
            ).fetchall()
        return [(key, orjson.loads(data)) for key, data in rows]

    def count(self, kind: str) -> int:
        with self.lock:
            return self._db.execute("SELECT count(*) FROM docs WHERE kind = ?", (kind,)).fetchone()[
                0
            ]

    # counters and settings -----------------------------------------------------------

    def next_id(self, name: str, start: int) -> int:
        """The next integer of a sequence that begins at ``start``."""
        with self.lock:
            row = self._db.execute(
                "INSERT INTO counters (name, value) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value",
                (name, start),
            ).fetchone()
        return int(row[0])

    def setting(self, name: str, default: str | None = None) -> str | None:
        with self.lock:
            row = self._db.execute("SELECT value FROM settings WHERE name = ?", (name,)).fetchone()
        return row[0] if row else default

    def set_setting(self, name: str, value: str) -> None:
        with self.lock:
            self._db.execute(
                "INSERT OR REPLACE INTO settings (name, value) VALUES (?, ?)", (name, value)
            )
