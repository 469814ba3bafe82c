"""The one place where the client starts the embedded sandbox, for environments with no
credentials (and says so once, quietly: information, not an error), and for ``sandbox:dev``
and ``sandbox:prod``, its instances by name, whatever ``.env`` holds.

The notice is a log record at INFO on the ``connect_kit`` logger and, in a notebook, a small
grey note under the cell: never a warning, never a line on stderr."""

from __future__ import annotations

import html
import logging
import sys
from dataclasses import replace
from typing import Protocol

from ..errors import ConfigurationError
from ._config import (
    SANDBOX_NAMES,
    SANDBOX_PREFIX,
    Environment,
    environment,
    sandbox_instance,
    sandbox_state,
)
from ._guard import environment_kind

log = logging.getLogger("connect_kit")
_announced: set[str] = set()


def resolve(name: str, dotenv_path: str | None = None) -> Environment:
    """The environment called ``name``, resolved: from ``.env`` and the process, served by
    the embedded sandbox when it has no credentials (see :func:`with_sandbox`);
    ``sandbox:dev`` and ``sandbox:prod`` are always the sandbox's instances."""
    instance = sandbox_instance(name)
    if instance is None:
        return with_sandbox(environment(name, dotenv_path))
    from .. import sandbox

    sb = sandbox.running() or sandbox.start(sandbox_state())
    kind, reason = environment_kind(name, sb.url(instance), None, instance)
    named = Environment(SANDBOX_PREFIX + instance, sb.url(instance), kind=kind, kind_reason=reason)
    return instance_environment(sb, instance, named)


def with_sandbox(env: Environment) -> Environment:
    """``env`` itself when it has credentials, else its embedded sandbox instance."""
    if env.has_credentials:
        return _as_instance(env)
    if env.name not in SANDBOX_NAMES:
        raise ConfigurationError(f"environment {env.name!r} has no credentials and no sandbox")
    from .. import sandbox

    sb = sandbox.running() or sandbox.start(sandbox_state())
    declared = env.kind if env.kind_reason.startswith("declared") else None
    resolved = instance_environment(sb, env.name, env, declared)
    if env.name not in _announced:
        _announced.add(env.name)
        announce(
            f"{env.name} has no credentials in .env: using the embedded sandbox at {resolved.url}"
        )
    return resolved


def announce(text: str) -> None:
    """Say ``text`` quietly: at INFO on the ``connect_kit`` logger, and in a notebook as a
    grey note (plain text where HTML is not shown)."""
    log.info("connect-kit: %s", text)
    ipython = sys.modules.get("IPython")  # imported by a notebook's kernel, never from here
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or getattr(shell, "kernel", None) is None:  # not a notebook's kernel
        return
    from IPython.display import display

    note = (
        '<div style="color: var(--jp-ui-font-color2, grey); font-size: smaller">'
        f"connect-kit: {html.escape(text)}</div>"
    )
    display({"text/plain": f"connect-kit: {text}", "text/html": note}, raw=True)


def kind_of(name: str) -> str:
    """The kind (development or production) of environment ``name``, without connecting:
    what a form needs to know before a write. A setting that is wrong counts as production."""
    instance = sandbox_instance(name)
    if instance is not None:
        return environment_kind(name, "https://127.0.0.1", None, instance)[0]
    try:
        env = environment(name)
    except ConfigurationError:
        return "production"
    if env.has_credentials:
        return _as_instance(env).kind
    declared = env.kind if env.kind_reason.startswith("declared") else None
    try:  # served by the sandbox instance of its name
        return environment_kind(env.name, "https://127.0.0.1", declared, env.name)[0]
    except ConfigurationError:
        return "production"


def _as_instance(env: Environment) -> Environment:
    """``env``, its kind the instance's when its URL is an instance of a sandbox running in
    this process (the sandbox's prod instance is production whatever the name)."""
    if "connect_kit.sandbox" not in sys.modules:  # no sandbox in this process
        return env
    from .. import sandbox

    instance = sandbox.instance_at(env.url)
    if instance is None:
        return env
    declared = env.kind if env.kind_reason.startswith("declared") else None
    kind, reason = environment_kind(env.name, env.url, declared, instance)
    return replace(env, kind=kind, kind_reason=reason)


class Served(Protocol):
    """A sandbox as a client sees it: this process's, or one another process serves."""

    @property
    def ca_file(self) -> str: ...
    def url(self, env: str) -> str: ...
    def credentials(self, env: str) -> tuple[str, str]: ...


def instance_environment(
    sb: Served,
    instance: str,
    settings: Environment | None = None,
    declared_kind: str | None = None,
) -> Environment:
    """An environment bound to one instance of a sandbox (``"dev"`` or ``"prod"``), its kind
    the instance's (the prod instance is production whatever the name)."""
    base = settings or Environment(instance, sb.url(instance))
    client_id, client_secret = sb.credentials(instance)
    url = sb.url(instance)
    kind, reason = environment_kind(base.name, url, declared_kind, sandbox_instance=instance)
    return replace(
        base,
        url=url,
        client_id=client_id,
        client_secret=client_secret,
        ca_bundle=sb.ca_file,
        sandbox=True,
        kind=kind,
        kind_reason=reason,
    )
