"""Environments, from ``.env`` (found from the working directory upwards) and the process.

Each environment is a set of ``INSTACART_<NAME>_<SETTING>`` variables; the process
environment wins over ``.env``. ``dev`` and ``prod`` always exist: without credentials they
are served by the embedded sandbox instance of the same name. ``.env.example`` lists every
setting.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values, find_dotenv

from ..errors import ConfigurationError
from ._guard import Kind, environment_kind

PREFIX = "INSTACART_"
SETTINGS = (
    "URL",
    "CLIENT_ID",
    "CLIENT_SECRET",
    "SCOPE",
    "CA_BUNDLE",
    "ALLOW_WRITES",
    "KIND",
    "STRICT",
)
SANDBOX_NAMES = ("dev", "prod")
SANDBOX_PREFIX = "sandbox:"  # sandbox:dev, sandbox:prod: the embedded instances by name
DEFAULT_URLS = {
    "dev": "https://connect.dev.instacart.tools",
    "prod": "https://connect.instacart.com",
}
DEFAULT_SCOPE = "connect:fulfillment"
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Environment:
    """One environment's settings. ``client_secret`` never shows in its repr.

    ``kind`` is ``"development"`` or ``"production"`` (see :mod:`connect_kit.client._guard`), and
    ``kind_reason`` says how it was decided. When left out, both are worked out from the name
    and the URL (pass both to set them). ``strict`` is how calls check fields the spec does
    not know (``INSTACART_<ENV>_STRICT``; None: the default, see ``ConnectSession.call``).
    """

    name: str
    url: str
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    scope: str | None = DEFAULT_SCOPE
    ca_bundle: str | None = None
    allow_writes: bool = False
    sandbox: bool = False  # served by the embedded sandbox
    kind: Kind = "production"
    kind_reason: str = ""  # empty: kind and reason are worked out from the name and URL
    strict: bool | None = None

    def __post_init__(self) -> None:
        if not self.kind_reason:
            kind, reason = environment_kind(self.name, self.url, None)
            object.__setattr__(self, "kind", kind)
            object.__setattr__(self, "kind_reason", reason)

    @property
    def has_credentials(self) -> bool:
        return bool(self.client_id and self.client_secret)


def _variables(dotenv_path: str | os.PathLike[str] | None) -> dict[str, str]:
    """``.env`` values overlaid by the process environment (which wins)."""
    path = dotenv_path if dotenv_path is not None else find_dotenv(usecwd=True)
    values = {k: v for k, v in dotenv_values(path).items() if v is not None} if path else {}
    values.update(os.environ)
    return {k: v for k, v in values.items() if k.startswith(PREFIX)}


def _split(key: str) -> tuple[str, str] | None:
    rest = key[len(PREFIX) :]
    for setting in SETTINGS:
        if rest.endswith("_" + setting):
            name = rest[: -len(setting) - 1].lower()
            if _NAME.match(name) and name != "sandbox":
                return name, setting
    return None


def _flag(variable: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigurationError(f"{variable}={value!r} is not a boolean: expected true or false")


def url_problem(url: str) -> str | None:
    """What is wrong with a server URL, and what was expected; None when it is usable.

    >>> url_problem("connect.dev.instacart.tools")
    'has no scheme: expected https://connect.dev.instacart.tools'
    """
    url = url.strip()
    if "://" not in url:  # "host:port" would otherwise read as a scheme called host
        return f"has no scheme: expected https://{url.lstrip('/')}"
    parts = urlsplit(url)
    if parts.scheme.lower() != "https":
        return (
            "is not https: connect-kit only speaks HTTPS (Connect refuses plain HTTP); "
            f"expected https://{url.split('://', 1)[1]}"
        )
    if not parts.hostname:
        return "has no host: expected https://<host>"
    return None


def _check_url(variable: str, url: str) -> str:
    problem = url_problem(url)
    if problem is not None:
        raise ConfigurationError(f"{variable}={url.strip()!r} {problem}")
    return url.strip().rstrip("/")


def settings(dotenv_path: str | os.PathLike[str] | None = None) -> dict[str, dict[str, str]]:
    """The raw settings of every declared environment (``dev`` and ``prod`` always)."""
    found: dict[str, dict[str, str]] = {name: {} for name in SANDBOX_NAMES}
    for key, value in _variables(dotenv_path).items():
        split = _split(key)
        if split:
            found.setdefault(split[0], {})[split[1]] = value
    return found


def environments(dotenv_path: str | os.PathLike[str] | None = None) -> dict[str, Environment]:
    """Every configured environment by name; a wrong setting anywhere is an error."""
    return {name: from_settings(name, raw) for name, raw in settings(dotenv_path).items()}


def from_settings(name: str, raw: dict[str, str]) -> Environment:
    """One environment from its raw settings (as :func:`settings` gives them)."""
    var = f"{PREFIX}{name.upper()}_"
    client_id = raw.get("CLIENT_ID", "").strip() or None
    secret = raw.get("CLIENT_SECRET", "").strip() or None
    if bool(client_id) != bool(secret):
        missing = "CLIENT_SECRET" if client_id else "CLIENT_ID"
        raise ConfigurationError(
            f"{var}{missing} is missing: an environment needs both a client id and a secret "
            "(or neither, to use the sandbox)"
        )
    ca_bundle = raw.get("CA_BUNDLE", "").strip() or None
    if ca_bundle and not Path(ca_bundle).expanduser().is_file():
        raise ConfigurationError(f"{var}CA_BUNDLE={ca_bundle!r}: expected a PEM file; none there")
    url = raw.get("URL", "").strip() or DEFAULT_URLS.get(name, "")
    if not url:
        raise ConfigurationError(f"{var}URL is missing: expected https://<your Connect server>")
    url = _check_url(f"{var}URL", url)
    kind, reason = environment_kind(name, url, raw.get("KIND"))
    if not client_id and name not in SANDBOX_NAMES:
        raise ConfigurationError(
            f"environment {name!r} has no credentials ({var}CLIENT_ID, {var}CLIENT_SECRET), and "
            f"only {' and '.join(SANDBOX_NAMES)} have a sandbox to fall back on"
        )
    return Environment(
        name=name,
        url=url,
        client_id=client_id,
        client_secret=secret,
        scope=raw.get("SCOPE", DEFAULT_SCOPE).strip() or None,
        ca_bundle=str(Path(ca_bundle).expanduser()) if ca_bundle else None,
        allow_writes=_flag(f"{var}ALLOW_WRITES", raw.get("ALLOW_WRITES", "")),
        sandbox=not client_id,
        kind=kind,
        kind_reason=reason,
        strict=_flag(f"{var}STRICT", raw["STRICT"]) if raw.get("STRICT", "").strip() else None,
    )


def sandbox_instance(name: object) -> str | None:
    """The embedded sandbox's instance that ``name`` names (``"sandbox:dev"`` -> ``"dev"``),
    or None for any other name. Such a name has no settings: it is always the instance."""
    if not isinstance(name, str) or not name.lower().startswith(SANDBOX_PREFIX):
        return None
    instance = name.lower().removeprefix(SANDBOX_PREFIX)
    return instance if instance in SANDBOX_NAMES else None


def environment(name: str, dotenv_path: str | os.PathLike[str] | None = None) -> Environment:
    """One environment's settings; an unknown name lists the known ones."""
    if not isinstance(name, str) or not name:
        raise ConfigurationError(f"environment name must be a non-empty string, got {name!r}")
    known = settings(dotenv_path)
    if name.lower() not in known:
        named = ", ".join(SANDBOX_PREFIX + instance for instance in SANDBOX_NAMES)
        raise ConfigurationError(
            f"unknown environment {name!r}: expected one of {', '.join(sorted(known))} "
            f"(declare more with {PREFIX}<NAME>_URL), or {named} for the embedded sandbox"
        )
    return from_settings(name.lower(), known[name.lower()])


def sandbox_state() -> str | None:
    """Where the embedded sandbox keeps its state (``INSTACART_SANDBOX_STATE``), if anywhere."""
    return _variables(None).get(f"{PREFIX}SANDBOX_STATE", "").strip() or None
