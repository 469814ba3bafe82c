"""What kind of server an environment is, and whether a write may go there: the one rule.

Every environment is ``development`` or ``production``. The kind follows where requests go:

1. Instacart's production host (``connect.instacart.com``, and ``*.instacart.com``) and the
   sandbox's prod instance are production whatever the environment is called; declaring
   such a server development is an error.
2. A kind declared with ``INSTACART_<ENV>_KIND`` is taken as it is.
3. The sandbox's dev instance and Instacart's development domain (``*.instacart.tools``) are
   development.
4. Names ``prod``, ``production`` and ``live`` are production.
5. Anything else is unknown, and unknown is production: the safe side.

>>> environment_kind("staging", "https://connect.dev.instacart.tools", None)
('development', "Instacart's development domain")
>>> environment_kind("dev", "https://api.example.com", None)[0]
'production'

A state-changing request to a production environment is refused by :func:`check_write`
unless the environment opts in (``allow_writes=True``, or ``INSTACART_<ENV>_ALLOW_WRITES``).
The session calls it where requests are sent, before a token is fetched or a byte leaves.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal, Protocol
from urllib.parse import urlsplit

from .._redact import credential_params
from ..errors import ConfigurationError, ProdWriteRefused
from ._auth import origin
from ._writes import changes_state

if TYPE_CHECKING:
    from ..spec.base import Operation

Kind = Literal["development", "production"]
KINDS: tuple[Kind, ...] = ("development", "production")
PRODUCTION_DOMAIN = "instacart.com"  # connect.instacart.com and partner hosts under it
DEVELOPMENT_DOMAIN = "instacart.tools"  # connect.dev.instacart.tools
PRODUCTION_NAMES = frozenset({"prod", "production", "live"})
_SETTABLE = re.compile(r"^[a-z][a-z0-9_]*$")  # names that settings can carry


def setting_variable(name: str, setting: str) -> str | None:
    """``INSTACART_<NAME>_<SETTING>``, the variable of one setting of environment ``name``;
    None for a name that no setting can carry (``sandbox:dev``, the embedded instance)."""
    return f"INSTACART_{name.upper()}_{setting}" if _SETTABLE.match(name.lower()) else None


def _under(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


def environment_kind(
    name: str, url: str, declared: str | None, sandbox_instance: str | None = None
) -> tuple[Kind, str]:
    """The kind of environment ``name`` at ``url``, and why (for messages).

    Args:
        name: the environment's name.
        url: its server.
        declared: the value of ``INSTACART_<NAME>_KIND``, if set.
        sandbox_instance: ``"dev"`` or ``"prod"`` when the server is an embedded sandbox
            instance.
    """
    host = (urlsplit(url).hostname or "").lower()
    value = (declared or "").strip().lower() or None
    variable = (setting_variable(name, "KIND") or "the declared kind") if value else ""
    if value is not None and value not in KINDS:
        raise ConfigurationError(f"{variable}={declared!r}: expected development or production")
    production_host = _under(host, PRODUCTION_DOMAIN)
    if production_host or sandbox_instance == "prod":
        if value == "development":
            what = (
                f"{host} is Instacart's production host"
                if production_host
                else (f"{url} is the sandbox's prod instance")
            )
            raise ConfigurationError(
                f"{variable}=development, but {what}: a production server cannot be declared "
                f"development. Remove {variable}."
            )
        return "production", (
            "Instacart's production host" if production_host else "the sandbox's prod instance"
        )
    if value is not None:
        return value, f"declared by {variable}"
    if sandbox_instance == "dev":
        return "development", "the sandbox's dev instance"
    if _under(host, DEVELOPMENT_DOMAIN):
        return "development", "Instacart's development domain"
    if name.lower() in PRODUCTION_NAMES:
        return "production", f"named {name!r}"
    return "production", "an unknown server, taken as production to be safe"


def check_write(
    env_name: str,
    url: str,
    kind: str,
    reason: str,
    allow_writes: bool,
    what: str,
) -> None:
    """Refuse ``what`` (a state-changing request) on a production environment that has not
    opted in, naming the environment, its host, its kind and the setting that opens it."""
    if kind != "production" or allow_writes:
        return
    host = urlsplit(url).netloc
    kind_variable = setting_variable(env_name, "KIND")
    declare = (
        f" If {host} is a development server, declare it: {kind_variable}=development."
        if kind_variable and (reason.startswith("an unknown server") or reason.startswith("named"))
        else ""
    )
    allow = setting_variable(env_name, "ALLOW_WRITES")  # a sandbox name has no settings
    raise ProdWriteRefused(
        f"{what} changes state, and {env_name} ({host}) is a production environment "
        f"({reason}): refused before sending. To allow writes, pass allow_writes=True to "
        f"connect(){f' or set {allow}=true' if allow else ''}.{declare}"
    )


class _Environment(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def kind_reason(self) -> str: ...


def check_request(
    env: _Environment,
    own_origin: str,
    allow_writes: bool,
    method: str,
    url: str,
    path: str,
    op: Operation | None,
) -> None:
    """Everything that must hold before a token is fetched or a byte is sent: HTTPS, the
    environment's own origin (its token belongs there), no credentials in the query string,
    and no write to a production environment that has not opted in."""
    if url[:7].lower() == "http://":
        raise ConfigurationError(f"{url!r}: plain http is refused; Connect is HTTPS only")
    if origin(url) != own_origin:
        raise ConfigurationError(
            f"{method} {origin(url)}: refused, the session for {env.name} sends only to its "
            f"own server {own_origin} (its token belongs there). Use a path, or a session for "
            "that server."
        )
    found = credential_params(urlsplit(url).query)
    if found:
        raise ConfigurationError(
            f"{method} {path}: credentials in the query string "
            f"({', '.join(dict.fromkeys(found))}) are refused before sending: Connect answers "
            "403 and the credentials must then be rotated. Send them in the JSON body."
        )
    if changes_state(op, method):
        what = op.name if op is not None else f"{method} {path}"
        check_write(env.name, env.url, env.kind, env.kind_reason, allow_writes, what)
