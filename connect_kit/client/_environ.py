"""What the process environment says to a live session: proxies and a CA bundle.

requests reads the proxies from the environment on every request, scanning every variable
of it (a few hundred microseconds where the environment is large): here they are read again
only when a proxy variable changes. And requests lets ``REQUESTS_CA_BUNDLE`` override a
session's own CA bundle; here the environment's bundle applies only to a session that has
none of its own.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from requests.sessions import merge_setting
from requests.utils import get_environ_proxies

from ._auth import origin

# the variables urllib's getproxies_environment and proxy_bypass read
_PROXY_VARIABLES = (
    *(f"{scheme}_proxy" for scheme in ("http", "https", "all", "no")),
    *(f"{scheme}_PROXY" for scheme in ("HTTP", "HTTPS", "ALL", "NO")),
    "REQUEST_METHOD",
)


class EnvironmentSettings:
    """One session's view of the environment's proxies, cached while they do not change."""

    def __init__(self) -> None:
        self._key: tuple[Any, ...] | None = None
        self._proxies: dict[str, str] = {}
        self._lock = threading.Lock()

    def proxies(self, url: str, no_proxy: str | None) -> dict[str, str]:
        key = (origin(url), no_proxy, tuple(map(os.environ.get, _PROXY_VARIABLES)))
        with self._lock:
            if key != self._key:
                self._proxies = get_environ_proxies(url, no_proxy=no_proxy)
                self._key = key
            return self._proxies

    def merge(
        self,
        session: Any,
        url: str,
        proxies: dict[str, str] | None,
        stream: Any,
        verify: Any,
        cert: Any,
    ) -> dict[str, Any]:
        """What ``requests.Session.merge_environment_settings`` answers, but for the two
        differences in this module's docstring."""
        proxies = {} if proxies is None else proxies
        if session.trust_env:
            for name, value in self.proxies(url, proxies.get("no_proxy")).items():
                proxies.setdefault(name, value)
            if verify in (True, None) and session.verify is True:
                verify = (
                    os.environ.get("REQUESTS_CA_BUNDLE")
                    or os.environ.get("CURL_CA_BUNDLE")
                    or verify
                )
        return {
            "proxies": merge_setting(proxies, session.proxies),
            "stream": merge_setting(stream, session.stream),
            "verify": merge_setting(verify, session.verify),
            "cert": merge_setting(cert, session.cert),
        }
