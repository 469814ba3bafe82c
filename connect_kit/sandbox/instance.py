"""One simulated Connect server (dev or prod): its state, profile, faults and clock."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .faults import Faults
from .state import State

if TYPE_CHECKING:
    from .delivery import Sender


@dataclass(frozen=True)
class Profile:
    """How one environment differs from the other, the way real dev and prod servers do.

    Attributes:
        name: ``dev`` or ``prod``.
        latency_ms, jitter_ms: the environment's own small response time.
        preview_fields: dev serves a new optional field (``Store.time_zone``) ahead of prod
            and of the published reference.
        sandbox_api: whether ``/v2/fulfillment_sandbox`` is enabled (dev only, as documented).
    """

    name: str
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    preview_fields: bool = False
    sandbox_api: bool = False


PROFILES = {
    "dev": Profile("dev", latency_ms=6.0, jitter_ms=3.0, preview_fields=True, sandbox_api=True),
    "prod": Profile("prod", latency_ms=2.0, jitter_ms=1.0),
}


@dataclass
class Instance:
    """The server side of one environment."""

    profile: Profile
    state: State
    token_ttl: int = 86400
    faults: Faults = field(default_factory=Faults)
    clock_offset: timedelta = timedelta(0)
    base_url: str = ""
    callbacks: Sender | None = field(default=None, repr=False)  # where events are sent

    def __post_init__(self) -> None:
        self.faults.base_latency_ms = self.profile.latency_ms
        self.faults.base_jitter_ms = self.profile.jitter_ms
        if self.state.setting("primary_client") is None:
            client_id, _ = self.create_client()
            self.state.set_setting("primary_client", client_id)

    @property
    def name(self) -> str:
        return self.profile.name

    def now(self) -> datetime:
        """The instance's clock (UTC), which tests may move forward."""
        return datetime.now(UTC) + self.clock_offset

    def deliver(self, event: dict[str, Any]) -> None:
        """Hand a recorded event to the callback sender, if callbacks are configured."""
        sender = self.callbacks
        if sender is not None:
            sender.submit(event)

    def create_client(self) -> tuple[str, str]:
        """Register an OAuth application; returns its (client_id, client_secret)."""
        client_id = f"sandbox-{self.name}-{secrets.token_hex(6)}"
        client_secret = secrets.token_urlsafe(32)
        self.state.put("client", client_id, {"client_id": client_id, "secret": client_secret})
        return client_id, client_secret

    def credentials(self) -> tuple[str, str]:
        """The first OAuth application's (client_id, client_secret)."""
        client = self.state.get("client", self.state.setting("primary_client") or "")
        assert client is not None, "the sandbox state has lost its OAuth application"
        return client["client_id"], client["secret"]
