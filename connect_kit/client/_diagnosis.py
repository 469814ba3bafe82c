"""Errors that say what to fix: the environment, its host, the reason, and the ``.env`` key.

A transport failure's reason is decided from the exception's types and attributes (the
classes of requests, urllib3, ``ssl`` and ``socket``, ``errno``, ``verify_code``), never from
its text::

    dev: could not connect to connect.dev.instacart.tools for POST /v2/oauth/token: name
    not found (no address for connect.dev.instacart.tools). Check INSTACART_DEV_URL in .env
    (now https://connect.dev.instacart.tools).

An error answer gets a :attr:`~connect_kit.errors.APIError.hint` when the client can tell
what is at fault: the client id and secret, the scope, a Post-checkout call made with the
app's token (``session.for_user(user_id)``), a sandbox-API call to a production server. The
variable named is the environment's own (``INSTACART_<NAME>_<SETTING>``); an environment
served by the embedded sandbox has no URL, credentials or CA of its own to change, and
``sandbox:dev`` has no settings at all. Nothing here ever shows a secret.
"""

from __future__ import annotations

import errno
import json
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import NameResolutionError

from ..errors import APIError, ConfigurationError, TransportError
from ..spec.base import Operation
from . import _responses
from ._auth import Tokens
from ._config import Environment
from ._guard import setting_variable

#: Production servers by what they are, not by what they are called (see ``_guard``): the
#: sandbox API is "not enabled in production" there, so a call to it is refused before sending.
PRODUCTION_SERVERS = ("Instacart's production host", "the sandbox's prod instance")
SANDBOX_API = "/v2/fulfillment_sandbox"
#: What an environment served by the embedded sandbox takes from the sandbox, not from .env.
_SERVED = frozenset({"URL", "CLIENT_ID", "CLIENT_SECRET", "CA_BUNDLE"})
#: OpenSSL's verify codes (``ssl.SSLCertVerificationError.verify_code``) by what they mean.
_EXPIRED, _NOT_YET_VALID, _REVOKED, _HOSTNAME_MISMATCH = 10, 9, 23, 62
_NAME_NOT_FOUND = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}


def host(env: Environment) -> str:
    """``host[:port]`` of the environment's server (never a user or password in the URL)."""
    parts = urlsplit(env.url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{parts.hostname or env.url}{f':{port}' if port else ''}"


def where(env: Environment) -> str:
    """``dev (connect.dev.instacart.tools)``: the environment and its host."""
    return f"{env.name} ({host(env)})"


def variable(env: Environment, setting: str) -> str | None:
    """The variable of ``setting`` that the user can change for ``env``; None when there is
    none (``sandbox:dev``, or the sandbox's own URL, credentials and CA)."""
    if env.sandbox and setting in _SERVED:
        return None
    return setting_variable(env.name, setting)


def _shown_url(env: Environment) -> str:
    parts = urlsplit(env.url)
    return f"{parts.scheme}://{host(env)}{parts.path}"


# -- transport -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """Why no answer came: in a few words, in more, and the setting that may be at fault."""

    what: str
    detail: str = ""
    setting: str | None = "URL"
    said: bool = False  # the headline already says it: not repeated in the message


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what it wraps: arguments that are exceptions, urllib3's ``reason``,
    ``__cause__`` and ``__context__``, each once."""
    seen: set[int] = set()
    todo = [exc]
    while todo and len(seen) < 32:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        wrapped = [*current.args, getattr(current, "reason", None)]
        wrapped += [current.__cause__, current.__context__]
        todo += [item for item in wrapped if isinstance(item, BaseException)]


def _certificate(error: ssl.SSLCertVerificationError, where_to: str) -> Reason:
    code = error.verify_code
    if code == _HOSTNAME_MISMATCH:
        return Reason("certificate for another host", f"not valid for {where_to}")
    if code == _EXPIRED:
        return Reason("certificate expired", "the server's certificate is out of date")
    if code == _NOT_YET_VALID:
        return Reason("certificate not yet valid", "is this machine's clock right?", None)
    if code == _REVOKED:
        return Reason("certificate revoked", "")
    return Reason(
        "certificate not trusted",
        "signed by a CA this machine does not trust",
        "CA_BUNDLE",
    )


def transport_reason(exc: BaseException, where_to: str, deadline: float | None = None) -> Reason:
    """Why a request got no answer, from the exception's types and attributes."""
    if deadline is not None:
        return Reason("timed out")
    causes = list(_causes(exc))
    for cause in causes:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return _certificate(cause, where_to)
    for cause in causes:
        if isinstance(cause, socket.gaierror | NameResolutionError):
            number = cause.errno if isinstance(cause, socket.gaierror) else None
            if number is not None and number not in _NAME_NOT_FOUND:
                return Reason("name lookup failed", "no answer from DNS: offline?")
            name = urlsplit(f"https://{where_to}").hostname or where_to
            return Reason("name not found", f"no address for {name}")
    for cause in causes:
        if isinstance(cause, ssl.SSLError):
            if getattr(cause, "reason", None) == "WRONG_VERSION_NUMBER":
                return Reason("TLS handshake failed", "the server there does not speak TLS")
            return Reason("TLS handshake failed", str(getattr(cause, "reason", "") or ""))
    numbers = {getattr(cause, "errno", None) for cause in causes}
    if errno.ECONNREFUSED in numbers:
        return Reason("connection refused", f"nothing listens on {where_to}")
    if errno.EHOSTUNREACH in numbers or errno.ENETUNREACH in numbers:
        return Reason("host unreachable", "no route to it from this machine")
    if isinstance(exc, requests.exceptions.ProxyError):
        return Reason("the proxy failed", "check HTTPS_PROXY in the process environment", None)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return Reason("timed out", "no connection made")
    if isinstance(exc, requests.exceptions.Timeout):
        return Reason("timed out", "connected, and no answer came")
    if errno.ECONNRESET in numbers or errno.EPIPE in numbers:
        return Reason("connection reset", "the server closed it", None)
    if _responses.reached_server(exc):  # dropped, or cut short: the server's doing
        return Reason("connection dropped", setting=None, said=True)
    return Reason("no connection", said=True)


def _fix(env: Environment, reason: Reason) -> tuple[str, str | None]:
    """What to change, and the variable named (None when no setting is at fault)."""
    setting = reason.setting
    if setting is None:
        return "", None
    var = variable(env, setting)
    if var is None:
        if env.sandbox and reason.what == "connection refused":
            return f"{env.name} is served by the embedded sandbox: is it still running?", None
        return "", None
    if setting == "CA_BUNDLE":
        now = f" (now {env.ca_bundle})" if env.ca_bundle else ""
        return (
            f"If a proxy or a private CA signs the server's certificate, give that CA in .env: "
            f"{var}=/path/to/ca.pem{now}; else check {variable(env, 'URL')}.",
            var,
        )
    return f"Check {var} in .env (now {_shown_url(env)}).", var


def transport_error(
    env: Environment,
    exc: BaseException,
    method: str,
    path: str,
    *,
    deadline: float | None = None,
) -> TransportError:
    """The error of a request that got no answer: the environment, the host, the reason, and
    the variable to check; whether it may have reached the server, from the exception's type.

    ``deadline`` (seconds) is set when the attempt was cut off at the overall deadline.
    """
    to = host(env)
    base = _responses.transport_error(exc, method, path, deadline=deadline, host=to)
    reason = transport_reason(exc, to, deadline)
    fix, var = _fix(env, reason)
    detail = f" ({reason.detail})" if reason.detail else ""
    message = f"{env.name}: {base}" + ("." if reason.said else f": {reason.what}{detail}.")
    message += f" {fix}" if fix else ""
    return TransportError(
        message,
        method=method,
        path=path,
        sent=base.sent,
        deadline=base.deadline,
        reason=reason.what,
        setting=var,
    )


def ca_bundle_error(env: Environment, bundle: Any, exc: OSError) -> ConfigurationError:
    """requests reads the CA bundle only when it sends: a bundle it cannot read."""
    var = variable(env, "CA_BUNDLE")
    check = f" Check {var} in .env." if var else ""
    return ConfigurationError(
        f"{env.name}: cannot use the CA bundle {bundle!r}: "
        f"{exc.strerror or type(exc).__name__}.{check}"
    )


# -- error answers -------------------------------------------------------------------------


def sandbox_only(env: Environment, op: Operation) -> str:
    """Why a sandbox-API operation cannot work on a production environment."""
    text = (
        f"{op.name} belongs to the sandbox API ({SANDBOX_API}), which exists on development "
        f"servers only, and {where(env)} is a production environment ({env.kind_reason})."
    )
    kind = setting_variable(env.name, "KIND")
    if kind and env.kind_reason.startswith(("an unknown server", "named")):
        text += f" If {host(env)} is a development server, declare it: {kind}=development."
    return text + " Call it on a development environment (ck.connect('dev'))."


def check_sandbox_api(env: Environment, op: Operation | None) -> None:
    """Refuse, before sending, a sandbox-API operation to a server known to be production
    (Instacart's production host, the sandbox's prod instance), which would answer 404. Any
    other production environment may be a development server not declared as one: there,
    the answer decides (and a 404 says why)."""
    if op is not None and op.area == "sandbox" and env.kind_reason in PRODUCTION_SERVERS:
        raise ConfigurationError(f"{sandbox_only(env, op)} Refused before sending.")


def _asked(request: requests.PreparedRequest | None) -> tuple[str | None, str | None]:
    """The scope and grant type a token request asked for (nothing else of its body)."""
    body = request.body if request is not None else None
    try:
        data = json.loads(body or b"{}")
    except (TypeError, ValueError):
        return None, None
    if not isinstance(data, dict):
        return None, None
    scope, grant = data.get("scope"), data.get("grant_type")
    return (scope if isinstance(scope, str) else None), (grant if isinstance(grant, str) else None)


def _token_hint(env: Environment, error: APIError, tokens: Tokens, scope: str | None) -> str | None:
    client_id, secret, var = (variable(env, s) for s in ("CLIENT_ID", "CLIENT_SECRET", "SCOPE"))
    if error.code == "invalid_client" or error.status == 401:
        fix = (
            f" Check {client_id} and {secret} in .env: they must be the pair issued for "
            f"{host(env)}."
            if client_id and secret
            else ""
        )
        return f"{where(env)} refused the client id and secret (invalid client).{fix}"
    if error.code == "invalid_scope":
        if tokens.user_id is not None:
            return f"{where(env)} refused the scope {scope!r} for a user's token."
        fix = (
            f" Check {var} in .env: it names the APIs a token asks for (connect:fulfillment, "
            f"connect:recommendations...), or leave it empty to ask for every API the app may use."
            if var
            else ""
        )
        return f"{where(env)} refused the scope {scope!r} for this client (invalid scope).{fix}"
    if error.code == "invalid_grant" and tokens.user_id is not None:
        return (
            f"{where(env)} refused a token for Connect user {tokens.user_id!r}: is it a user of "
            f"{env.name}? (create_user makes one.)"
        )
    return None


def _scope_hint(env: Environment, op: Operation, granted: frozenset[str], user: str | None) -> str:
    has = " ".join(sorted(granted))
    if user is not None:
        return (
            f"{op.name} needs the app's token (scope {op.scope}), and this session's token speaks "
            f"for Connect user {user!r} (scope {has}): call it on the app's session, the one "
            "for_user was called on."
        )
    text = (
        f"{where(env)} refused the token's scope for {op.name}: it needs {op.scope}, and the "
        f"token has {has}."
    )
    var = variable(env, "SCOPE")
    if var:
        text += (
            f" Add {op.scope} to {var} in .env, or leave {var} empty to ask for every API the "
            "app may use"
        )
    return text + "; if the server still leaves it out, ask Instacart to enable that API."


def hint(
    env: Environment,
    op: Operation | None,
    error: APIError,
    tokens: Tokens,
    request: requests.PreparedRequest | None = None,
) -> str | None:
    """What to fix for an error answer, when the client can tell; None otherwise."""
    status = error.status
    if op is None or status is None:
        return None
    if op.name == "create_token":
        return _token_hint(env, error, tokens, _asked(request)[0])
    if op.area == "auth":
        return None
    if op.user_token and tokens.user_id is None and status in (400, 401, 403):
        return (
            f"{op.name} needs a user's token (one that speaks for a Connect user), and "
            f"{where(env)} was sent the app's token: call it as "
            f"session.for_user(user_id).call({op.name!r}, ...)."
        )
    if op.area == "sandbox" and status == 404 and env.kind == "production":
        return sandbox_only(env, op)
    if status == 403 and op.scope:
        granted = tokens.granted(op.scope)
        if granted and op.scope not in granted:
            return _scope_hint(env, op, granted, tokens.user_id)
    if status == 401:
        fix = [variable(env, s) for s in ("CLIENT_ID", "CLIENT_SECRET", "URL")]
        check = (
            f" Check that {fix[0]} and {fix[1]} in .env were issued for {fix[2]}'s server."
            if all(fix)
            else ""
        )
        return f"{where(env)} refused the access token, a newly fetched one too.{check}"
    return None


def explain(
    error: APIError,
    env: Environment,
    op: Operation | None,
    tokens: Tokens,
    request: requests.PreparedRequest | None = None,
) -> APIError:
    """``error``, with its :attr:`~connect_kit.errors.APIError.hint` set when one applies."""
    error.hint = hint(env, op, error, tokens, request)
    return error
