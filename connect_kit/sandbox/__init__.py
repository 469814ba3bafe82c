"""The embedded Connect sandbox: dev and prod simulated on loopback over HTTPS.

>>> import connect_kit as ck
>>> sb = ck.sandbox.start()          # idempotent; runs in a background thread
>>> sb.url("dev")                    # doctest: +ELLIPSIS
'https://127.0.0.1:...'
>>> client_id, client_secret = sb.credentials("dev")
>>> sb.stop()

What is documented and what is simulated is told apart in ``SANDBOX.md`` beside this file.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import weakref
from datetime import timedelta
from pathlib import Path
from typing import Any

from ..serve.server import ServerThread, bind, make_server
from ..serve.tls import make_certificates
from .app import build_app
from .delivery import CallbackSettings, Sender
from .faults import Faults, FaultSettings
from .handlers import Context, lifecycle
from .instance import PROFILES, Instance
from .oauth import expire_all
from .state import State

__all__ = ["ENVIRONMENTS", "FaultSettings", "Sandbox", "running", "start", "stop"]

ENVIRONMENTS = ("dev", "prod")


class Sandbox:
    """Two simulated Connect servers (dev and prod), each on its own loopback port.

    Args:
        state_dir: where to keep state (one SQLite file per instance) and the CA; ``None``
            keeps state in memory and the CA in a temporary folder removed on stop.
        token_ttl: lifetime of access tokens in seconds (24 h, as Connect's).
        faults: initial faults per environment, e.g. ``{"dev": {"latency_ms": 50}}``.
        ports: fixed ports per environment (default: free ones).
        latency: ``False`` turns off the environments' own small latency profiles.
    """

    def __init__(
        self,
        state_dir: str | Path | None = None,
        *,
        token_ttl: int = 86400,
        faults: dict[str, dict[str, Any]] | None = None,
        ports: dict[str, int] | None = None,
        latency: bool = True,
    ) -> None:
        if not isinstance(token_ttl, int) or token_ttl <= 0:
            raise ValueError(f"token_ttl must be a positive number of seconds, got {token_ttl!r}")
        unknown = set(faults or {}) - set(ENVIRONMENTS)
        if unknown:
            raise ValueError(
                f"faults for unknown environment(s) {sorted(unknown)}: expected dev, prod"
            )
        for env_faults in (faults or {}).values():  # all checked before anything is bound
            Faults().update(**env_faults)
        self.state_dir = Path(state_dir).expanduser() if state_dir else None
        self._tmp = (
            None if self.state_dir else Path(tempfile.mkdtemp(prefix="connect-kit-sandbox-"))
        )
        folder = self.state_dir or self._tmp
        assert folder is not None
        if self._tmp is not None:  # removed on stop, or at exit if never stopped
            weakref.finalize(self, shutil.rmtree, self._tmp, True)
        self.certificates = make_certificates(folder)
        self.instances: dict[str, Instance] = {}
        servers = []
        for env in ENVIRONMENTS:
            profile = PROFILES[env]
            if not latency:
                profile = type(profile)(**{**vars(profile), "latency_ms": 0.0, "jitter_ms": 0.0})
            state = State(self.state_dir / f"{env}.sqlite3" if self.state_dir else None)
            instance = Instance(profile, state, token_ttl=token_ttl)
            if faults and env in faults:
                instance.faults.update(**faults[env])
            sock = bind((ports or {}).get(env, 0))
            instance.base_url = f"https://127.0.0.1:{sock.getsockname()[1]}"
            servers.append((make_server(build_app(instance), self.certificates), sock))
            self.instances[env] = instance
        self._thread = ServerThread(servers)
        self.running = False
        _all.add(self)

    # lifecycle ---------------------------------------------------------------------------

    def start(self) -> Sandbox:
        """Serve in a background thread; returns once both instances accept connections."""
        if not self.running:
            self._thread.start()
            self.running = True
        return self

    def serve_forever(self) -> None:
        """Serve in the foreground until Ctrl-C (what ``connect-kit sandbox`` does)."""
        self.running = True
        try:
            self._thread.run_forever()
        finally:
            self._close()

    def stop(self) -> None:
        """Stop both instances and release their ports (state files stay)."""
        if self.running:
            self._thread.stop()
        self._close()

    def _close(self) -> None:
        self.running = False
        for instance in self.instances.values():
            sender, instance.callbacks = instance.callbacks, None
            if sender is not None:
                sender.stop()
        self._thread.close_sockets()
        for instance in self.instances.values():
            instance.state.close()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # facts -------------------------------------------------------------------------------

    def _instance(self, env: str) -> Instance:
        try:
            return self.instances[env]
        except KeyError:
            raise ValueError(f"unknown sandbox environment {env!r}: expected dev or prod") from None

    def url(self, env: str) -> str:
        """The server URL of an instance, e.g. ``https://127.0.0.1:54321``."""
        return self._instance(env).base_url

    def credentials(self, env: str) -> tuple[str, str]:
        """The (client_id, client_secret) of the instance's OAuth application."""
        return self._instance(env).credentials()

    def create_client(self, env: str) -> tuple[str, str]:
        """Register one more OAuth application on an instance; returns its credentials."""
        return self._instance(env).create_client()

    @property
    def ca_file(self) -> str:
        """PEM file of the local CA that signed the instances' certificates."""
        return str(self.certificates.ca_file)

    # control -----------------------------------------------------------------------------

    def faults(self, env: str, **changes: Any) -> FaultSettings:
        """Read, or change, the faults of an instance while it runs."""
        return self._instance(env).faults.update(**changes)

    def reset_faults(self, env: str | None = None) -> None:
        """Turn every fault off (on one instance, or both)."""
        for name in [env] if env else ENVIRONMENTS:
            self._instance(name).faults.reset()

    def expire_tokens(self, env: str) -> int:
        """Expire every token of an instance now; returns how many were live."""
        return expire_all(self._instance(env))

    def advance_clock(self, env: str, seconds: float) -> None:
        """Move an instance's clock forward (holds and tokens expire as time passes)."""
        self._instance(env).clock_offset += timedelta(seconds=seconds)

    def set_user_active(self, env: str, user_id: str, active: bool) -> None:
        """Deactivate (or reactivate) a Connect user, to see the API's "User Not Active"."""
        state = self._instance(env).state
        with state.lock:
            user = state.get("user", user_id)
            if user is None:
                raise ValueError(f"no user {user_id!r} in the {env} sandbox")
            state.put("user", user_id, {**user, "active": bool(active)})

    def events(self, env: str, order_id: str | None = None) -> list[dict[str, Any]]:
        """The order events recorded so far (shaped like Instacart's callbacks), oldest first."""
        events = [data for _, data in self._instance(env).state.items("event")]
        if order_id is not None:
            events = [e for e in events if e["event_metadata"]["order_id"] == order_id]
        return events

    def simulate_event(self, env: str, order_id: str, event_name: str) -> dict[str, Any]:
        """Record (and send, when callbacks are on) a documented event that no step of the
        sandbox triggers: ``fulfillment.customer_missing`` (delivery, last mile),
        ``fulfillment.unable_to_find_customer`` or ``fulfillment.runner_not_found`` (pickup).
        A control of the sandbox's own, not an API of Instacart's; returns the event."""
        instance = self._instance(env)
        with instance.state.transaction():
            order = instance.state.get("order", order_id)
            if order is None:
                raise ValueError(f"no order {order_id!r} in the {env} sandbox")
            return lifecycle.simulate_event(Context(instance, None, {}, None), order, event_name)

    def callbacks(
        self,
        env: str,
        url: Any,
        *,
        auth_url: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        ca_file: str | None = None,
        duplicates: float = 0.0,
        shuffle: bool = False,
        seed: int = 0,
        retailer_id: str | None = None,
    ) -> Sender | None:
        """Send an instance's order events as callbacks to ``url`` (``None`` turns it off).

        Every event recorded from then on is POSTed as JSON with a bearer token fetched from
        ``auth_url`` (form-encoded client credentials), from a background thread, retried with
        backoff. ``url`` may also be a receiver (anything with ``url``, ``auth_url``,
        ``client_id``, ``client_secret`` and ``ca_file``, e.g. ``ck.callbacks.listen()``).
        ``duplicates`` is the probability that an event is sent twice; ``shuffle`` delivers
        small batches out of order (both seeded by ``seed``). ``retailer_id`` is added to
        every envelope sent (the docs' optional field, which Instacart's site configuration
        enables). Returns the sender (its ``flush()``, ``delivered`` and ``failures``), or None
        when turned off.
        """
        instance = self._instance(env)
        settings = None
        if url is not None:
            if not isinstance(url, str):  # a receiver
                auth_url = auth_url or url.auth_url
                client_id = client_id or url.client_id
                client_secret = client_secret or url.client_secret
                ca_file = ca_file or url.ca_file
                url = url.url
            missing = [
                name
                for name, value in (
                    ("auth_url", auth_url),
                    ("client_id", client_id),
                    ("client_secret", client_secret),
                )
                if value is None
            ]
            if missing:
                raise ValueError(f"callbacks to {url!r} need {', '.join(missing)}")
            assert auth_url is not None and client_id is not None and client_secret is not None
            settings = CallbackSettings(
                url,
                auth_url,
                client_id,
                client_secret,
                ca_file,
                duplicates,
                shuffle,
                seed,
                retailer_id,
            )
        old, instance.callbacks = instance.callbacks, None
        if old is not None:
            old.stop()
        if settings is None:
            return None
        state = instance.state

        def still_recorded(event: dict[str, Any]) -> bool:
            # a rolled-back request's event is gone (or its id reused by another event)
            return state.get("event", f"{event['event_id']:020d}") == event

        instance.callbacks = Sender(settings, still_recorded)
        return instance.callbacks

    def __repr__(self) -> str:
        status = "running" if self.running else "stopped"
        urls = ", ".join(f"{env}={self.url(env)}" for env in ENVIRONMENTS)
        return f"<Sandbox {status}: {urls}>"


_lock = threading.Lock()
_current: Sandbox | None = None


def start(state_dir: str | Path | None = None, **options: Any) -> Sandbox:
    """Start the embedded sandbox, or return it if it is already running.

    Its state goes to ``state_dir``, else to ``$INSTACART_SANDBOX_STATE`` when set, else memory.

    Options are those of :class:`Sandbox`; asking for different ones while it runs is an
    error (stop it first).
    """
    global _current
    if state_dir is None:  # the same setting as the client's (.env is the client's to read)
        state_dir = os.environ.get("INSTACART_SANDBOX_STATE") or None
    with _lock:
        if _current is not None and _current.running:
            wanted = Path(state_dir).expanduser() if state_dir else None
            if options or (state_dir is not None and wanted != _current.state_dir):
                raise RuntimeError(
                    "the sandbox is already running with other options; call "
                    "connect_kit.sandbox.stop() first"
                )
            return _current
        _current = Sandbox(state_dir, **options).start()
        return _current


_all: weakref.WeakSet[Sandbox] = weakref.WeakSet()  # every sandbox of this process


def instance_at(url: str) -> str | None:
    """``"dev"`` or ``"prod"`` when ``url`` is an instance of a sandbox running in this
    process (the embedded one or any other), else ``None``."""
    wanted = url.rstrip("/")
    for sb in list(_all):
        if sb.running:
            for env, instance in sb.instances.items():
                if instance.base_url == wanted:
                    return env
    return None


def running() -> Sandbox | None:
    """The embedded sandbox if it is running."""
    return _current if _current is not None and _current.running else None


def stop() -> None:
    """Stop the embedded sandbox (a no-op when it is not running)."""
    global _current
    with _lock:
        if _current is not None:
            _current.stop()
            _current = None
