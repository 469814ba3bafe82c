"""Canaries: secrets that must never show in any rendering.

A client of the sandbox gets a client secret of the test's own ("canary-secret-..."), and
every secret-marked value that a server answers during a test (access tokens, authorization
codes) is collected as it is parsed. Then each rendering is searched for all of them: the
composer's tabs and its whole widget state, a comparison's differences, drift and HTML with
volatile fields kept, and every output of ``connect-kit call``. Headers are checked on their
own: cookies show their names only, credentials their scheme only.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd
import pytest
import requests

import connect_kit as ck
from connect_kit import _redact as redact
from connect_kit import cli
from connect_kit.client import _conformance as conformance
from connect_kit.client import instance_environment
from connect_kit.client._session import ConnectSession

AUTHORIZE = {"redirect_uri": "https://example.com/callback", "scope": "account_linking"}


@dataclass
class Canary:
    """The canary client, and every secret seen during the test."""

    client_id: str
    client_secret: str = field(repr=False)
    secrets: set[str] = field(default_factory=set, repr=False)

    def collect(self, value: Any) -> None:
        """Keep the values of the secret-marked fields of a parsed answer."""
        if isinstance(value, dict):
            for name, item in value.items():
                if name in redact.secret_fields() and isinstance(item, str) and len(item) >= 8:
                    self.secrets.add(item)
                else:
                    self.collect(item)
        elif isinstance(value, list):
            for item in value:
                self.collect(item)

    def issued(self, name: str) -> set[str]:
        """The secrets seen so far (names the kind, for the message of a failure)."""
        assert self.secrets, f"no {name} was issued: the canary would find nothing"
        return self.secrets

    def leaks(self, *texts: str) -> list[str]:
        """The secrets (shortened) that appear in any of ``texts``."""
        every = {self.client_secret, *self.secrets}
        return sorted(f"{s[:12]}..." for s in every if any(s in text for text in texts))


@pytest.fixture
def canary(sandbox, monkeypatch, tmp_path) -> Iterator[Canary]:
    """A client of both sandbox instances with a secret of our own, declared as ``dev`` and
    ``prod`` in the process environment, and a tap on every JSON answer parsed."""
    found = Canary(f"canary-{uuid.uuid4().hex[:8]}", f"canary-secret-{uuid.uuid4().hex}")
    for env in ("dev", "prod"):
        client = {"client_id": found.client_id, "secret": found.client_secret}
        sandbox.instances[env].state.put("client", found.client_id, client)
        for setting, value in {
            "URL": sandbox.url(env),
            "CLIENT_ID": found.client_id,
            "CLIENT_SECRET": found.client_secret,
            "CA_BUNDLE": sandbox.ca_file,
        }.items():
            monkeypatch.setenv(f"INSTACART_{env.upper()}_{setting}", value)
    monkeypatch.chdir(tmp_path)  # no .env but ours
    parse = requests.Response.json

    def tapped(response: requests.Response, **kwargs: Any) -> Any:
        value = parse(response, **kwargs)
        found.collect(value)
        return value

    monkeypatch.setattr(requests.Response, "json", tapped)
    check_parse = conformance._parse  # the session parses each answer once, as it arrives

    def tapped_check(response: requests.Response) -> Any:
        value = check_parse(response)
        found.collect(value)
        return value

    monkeypatch.setattr(conformance, "_parse", tapped_check)
    yield found


def canary_session(sandbox, canary: Canary, env: str = "dev", **options: Any) -> ConnectSession:
    environment = replace(
        instance_environment(sandbox, env),
        client_id=canary.client_id,
        client_secret=canary.client_secret,
    )
    return ConnectSession(environment, **options)


def _token_body(canary: Canary) -> dict[str, str]:
    return {
        "client_id": canary.client_id,
        "client_secret": canary.client_secret,
        "grant_type": "client_credentials",
    }


def _instacart_user(session: ConnectSession, unique: str) -> int:
    return session.call(
        "create_instacart_user",
        email=f"{unique}@example.com",
        phone="4155550199",
        password=f"canary-password-{unique}",
    ).json["id"]


# Headers ----------------------------------------------------------------------------------


def test_a_cookie_header_shows_the_cookie_names_only():
    shown = redact.headers({"Cookie": "session=abc def; theme=dark-canary; flag"})
    assert shown == {"Cookie": "session=[redacted]; theme=[redacted]"}
    assert redact.headers({"Cookie": b"a=canary-bytes"}) == {"Cookie": "a=[redacted]"}


def test_set_cookie_headers_show_the_cookie_names_only():
    joined = (  # two Set-Cookie headers, as requests joins them; Expires holds a comma
        "sid=s3cr3t-canary; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT; HttpOnly, "
        "csrf=t0k3n-canary; Secure; SameSite=Lax"
    )
    shown = redact.headers({"set-cookie": joined, "Content-Type": "application/json"})
    assert shown == {
        "set-cookie": "sid=[redacted], csrf=[redacted]",
        "Content-Type": "application/json",
    }


def test_credential_headers_keep_their_scheme_only():
    shown = redact.headers(
        {
            "Authorization": "Bearer canary-token value",
            "proxy-authorization": "Basic Y2FuYXJ5OnNlY3JldA==",
            "X-Other": "kept",
        }
    )
    assert shown == {
        "Authorization": "Bearer [redacted]",
        "proxy-authorization": "Basic [redacted]",
        "X-Other": "kept",
    }
    assert redact.headers({"Authorization": "canary-token-alone"}) == {
        "Authorization": "[redacted]"
    }


# The composer -----------------------------------------------------------------------------


def _widgets(widget: Any) -> Iterator[Any]:
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _widgets(child)


def _everything_shown(form: Any) -> list[str]:
    """Every widget's state (the form, its fields, its tabs) and every tab's HTML."""
    states = [json.dumps(w.get_state(), default=str) for w in _widgets(form)]
    return [*states, *(tab.value for tab in form.outputs.values()), form.message.value]


def test_the_composer_never_shows_a_secret_in_its_tabs_or_widget_state(canary, monkeypatch, unique):
    password = f"canary-password-{unique}"
    monkeypatch.setenv("INSTACART_PASSWORD", password)
    form = ck.composer("dev", "create_instacart_user")
    fields = {f.name: f for f in form.fields}
    fields["email"].widget.value = f"{unique}@example.com"
    fields["phone"].widget.value = "4155550199"  # examples are placeholders: typed, as a user would
    created = form.submit()
    assert created is not None, form.message.value
    form.operation.value = "authorize_instacart_user"
    fields = {f.name: f for f in form.fields}
    fields["user_id"].widget.value = str(created.json["id"])
    fields["redirect_uri"].widget.value = AUTHORIZE["redirect_uri"]
    fields["scope"].widget.value = AUTHORIZE["scope"]
    authorized = form.submit()
    assert authorized is not None and authorized.json["code"], form.message.value
    assert "[redacted]" in form.outputs["JSON"].value and "code" in form.outputs["JSON"].value
    shown = _everything_shown(form)
    tokens = {s.auth.current.value for s in form.sessions.values() if s.auth.current}
    canary.secrets |= tokens | {password}
    assert canary.issued("authorization code") >= tokens
    assert canary.leaks(*shown) == []
    form.operation.value = "get_order"  # an error answer too
    fields = {f.name: f for f in form.fields}
    fields["user_id"].widget.value = canary.client_secret  # a secret typed by mistake
    fields["order_id"].widget.value = "none"
    assert form.submit() is None
    assert canary.leaks(form.message.value, *(f.error.value for f in form.fields)) == []


# Compare ----------------------------------------------------------------------------------


def _renderings(cmp: Any) -> list[str]:
    return [
        cmp.diff.to_string(),
        cmp.drift.to_string(),
        cmp.summary.to_string(),
        cmp._repr_html_(),
        repr(cmp),
        repr(cmp.differences),
    ]


def test_a_comparison_of_tokens_never_shows_them_even_with_volatile_fields_kept(sandbox, canary):
    with (
        canary_session(sandbox, canary) as dev,
        canary_session(sandbox, canary, "prod", allow_writes=True) as prod,
    ):
        a = dev.call("create_token", **_token_body(canary))
        b = dev.call("create_token", **_token_body(canary))
        saved = ck.compare_results(a, b, volatile=False)
        both = ck.compare(
            "create_token",
            sessions=(dev, prod),
            allow_writes=True,
            volatile=False,
            **_token_body(canary),
        )
    canary.issued("access token")
    for cmp in (saved, both):
        rows = cmp.diff.set_index("path")
        assert rows.loc["access_token", "kind"] == "changed"  # the difference stays visible
        assert set(rows.loc["access_token"].iloc[:2]) == {"[redacted]"}
        assert canary.leaks(*_renderings(cmp)) == []


def test_a_comparison_of_authorization_codes_never_shows_them(sandbox, canary, unique):
    with canary_session(sandbox, canary) as dev:
        user_id = _instacart_user(dev, unique)
        a = dev.call("authorize_instacart_user", user_id=user_id, **AUTHORIZE)
        b = dev.call("authorize_instacart_user", user_id=user_id, **AUTHORIZE)
    cmp = ck.compare_results(a, b, volatile=False)
    assert list(cmp.diff["path"]) == ["code"]
    canary.issued("authorization code")
    assert canary.leaks(*_renderings(cmp)) == []


# connect-kit call ---------------------------------------------------------------------------


def _cli(capsys, *argv: str) -> str:
    code = cli.main(["call", *argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out + err


@pytest.mark.parametrize("output", ["--raw", "table", "out.json", "out.csv", "out.parquet"])
def test_connect_kit_call_never_prints_or_writes_a_token(canary, capsys, tmp_path, output):
    body = _token_body(canary)
    argv = ["dev", "create_token", *(part for k, v in body.items() for part in (f"--{k}", v))]
    target = tmp_path / output
    extra = {"--raw": ["--raw"], "table": []}.get(output, ["-o", str(target)])
    shown = _cli(capsys, *argv, *extra)
    if target.suffix:
        read = {".json": pd.read_json, ".csv": pd.read_csv, ".parquet": pd.read_parquet}
        shown += target.read_bytes().decode("utf-8", "replace")
        shown += read[target.suffix](target).to_string()
    assert "access_token" in shown and "[redacted]" in shown
    canary.issued("access token")
    assert canary.leaks(shown) == []


@pytest.mark.parametrize("output", ["--raw", "table"])
def test_connect_kit_call_never_prints_an_authorization_code(
    sandbox, canary, capsys, unique, output
):
    with canary_session(sandbox, canary) as dev:
        user_id = _instacart_user(dev, unique)
    argv = ["dev", "authorize_instacart_user", "--user_id", str(user_id)]
    argv += [part for k, v in AUTHORIZE.items() for part in (f"--{k}", v)]
    shown = _cli(capsys, *argv, *([output] if output == "--raw" else []))
    assert "code" in shown
    canary.issued("authorization code")
    assert canary.leaks(shown) == []
