"""What the composer offers: the environments that can work, the operations by area, and a
clear error for a name that is neither."""

from __future__ import annotations

from .. import spec
from ..client import sandbox_instance, settings
from ..client._config import SANDBOX_NAMES, from_settings
from ..errors import ConfigurationError


def environment_options(also: str | None = None) -> list[tuple[str, str]]:
    """Every configured environment that can work, sandbox ones marked; where ``dev`` or
    ``prod`` has credentials, its sandbox instance by name after them (``sandbox:dev``), and
    ``also`` when it names a sandbox instance (asked for by name, it is always there)."""
    options, named = [], []
    unusable = unusable_environments()
    for name, raw in settings().items():
        if name in unusable:
            continue
        live = bool(raw.get("CLIENT_ID") and raw.get("CLIENT_SECRET"))
        options.append((name if live else f"{name} (sandbox)", name))
        if live and sandbox_instance(f"sandbox:{name}"):
            named.append((f"sandbox:{name} (sandbox)", f"sandbox:{name}"))
    if also and sandbox_instance(also) and also not in (value for _, value in options + named):
        named.append((f"{also} (sandbox)", also))
    return options + named


def unusable_environments() -> dict[str, str]:
    """The declared environments that cannot work, each with the reason and what to set."""
    found = {}
    for name, raw in settings().items():
        var = f"INSTACART_{name.upper()}_"
        try:
            env = from_settings(name, raw)
        except ConfigurationError as error:
            found[name] = str(error)
            continue
        if not env.has_credentials and name not in SANDBOX_NAMES:
            found[name] = (
                f"no credentials ({var}CLIENT_ID and {var}CLIENT_SECRET are not set) and no "
                "sandbox of that name"
            )
    return found


def operation_options(text: str = "") -> list[tuple[str, str]]:
    """Operations grouped by area and group, filtered by ``text`` (name or summary)."""
    wanted = text.strip().lower()
    ops = [
        op
        for op in spec.OPERATIONS.values()
        if op.area != "auth" and (wanted in op.name or wanted in op.summary.lower())
    ]
    ops.sort(key=lambda op: (op.area, op.group, op.name))
    return [
        (f"{op.area} · {op.group} · {op.name}{' (deprecated)' if op.deprecated else ''}", op.name)
        for op in ops
    ]


def check_choice(env: str | None, operation: str | None, envs: list[tuple[str, str]]) -> None:
    """Raise the package's error for an operation or environment the form cannot offer.

    Raises:
        UnknownOperationError: not in the spec ("did you mean", as ``call()`` says it).
        ConfigurationError: not a declared environment, or one that cannot work (and why).
    """
    if operation is not None:
        op = spec.get(operation)
        if op.area == "auth":
            raise ConfigurationError(
                f"{op.name} is an OAuth call: the session makes it; pick an API operation"
            )
    if env is None or env in dict((v, k) for k, v in envs):
        return
    why = unusable_environments().get(env)
    if why:
        raise ConfigurationError(f"the composer cannot use {env!r}: {why}")
    offered = ", ".join(v for _, v in envs)
    raise ConfigurationError(f"unknown environment {env!r}: the composer offers {offered}")
