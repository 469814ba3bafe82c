"""The prod guard: every path to the wire is guarded, the rule follows where a request goes
(the environment's kind, not its name), and a refusal comes before a token or a byte."""

from __future__ import annotations

from dataclasses import replace

import pytest
import requests
from helpers import ADDRESS
from test_session import session_for

import connect_kit as ck
from connect_kit.cli import main
from connect_kit.client import _config as config
from connect_kit.client import instance_environment
from connect_kit.client._guard import environment_kind
from connect_kit.client._session import ConnectSession
from connect_kit.errors import ConfigurationError, ProdWriteRefused

USERS = "/v2/fulfillment/users"


def tokens_issued(sandbox, env="prod") -> int:
    return sandbox.instances[env].state.count("token")


def user_exists(sandbox, user_id: str, env="prod") -> bool:
    return sandbox.instances[env].state.get("user", user_id) is not None


def user(user_id: str) -> dict[str, str]:
    return {"user_id": user_id, "first_name": "Guarded", "phone_number": "+18005550100"}


def declare_staging(monkeypatch, sandbox, instance: str, url: str | None = None) -> None:
    """``staging`` in the process environment, with an instance's credentials and CA."""
    client_id, secret = sandbox.credentials(instance)
    monkeypatch.setenv("INSTACART_STAGING_URL", url or sandbox.url(instance))
    monkeypatch.setenv("INSTACART_STAGING_CLIENT_ID", client_id)
    monkeypatch.setenv("INSTACART_STAGING_CLIENT_SECRET", secret)
    monkeypatch.setenv("INSTACART_STAGING_CA_BUNDLE", str(sandbox.ca_file))


def unknown_host(sandbox) -> str:
    """The sandbox's dev instance under another name of its host: to connect-kit, an unknown
    server."""
    return sandbox.url("dev").replace("127.0.0.1", "localhost")


@pytest.fixture
def prod(sandbox):
    """A session on the sandbox's prod instance, writes not allowed, no token yet."""
    with session_for(sandbox, "prod") as session:
        yield session


# Every path ends at the guard ---------------------------------------------------------


def _call(session, user_id):
    return session.call("create_user", **user(user_id))


def _post(session, user_id):
    return session.post(USERS, json=user(user_id))


def _request(session, user_id):
    return session.request("POST", USERS, json=user(user_id))


def _prepare_and_send(session, user_id):
    prepared = session.prepare_request(
        requests.Request("POST", session.base_url + USERS, json=user(user_id))
    )
    return session.send(prepared)


def _plain_requests_request(session, user_id):
    # requests' own method, past the session's request(): it still ends in send()
    return requests.Session.request(session, "POST", session.base_url + USERS, json=user(user_id))


def _a_write_in_a_response_hook(session, user_id):
    def hook(response, **kwargs):  # a read's hook that writes: the write is its own request
        session.post(USERS, json=user(user_id))

    return session.get(f"{USERS}/{user_id}/link", hooks={"response": hook})


PATHS = [
    _call,
    _post,
    _request,
    _prepare_and_send,
    _plain_requests_request,
    _a_write_in_a_response_hook,
]


@pytest.mark.parametrize("path", PATHS, ids=lambda f: f.__name__.strip("_"))
def test_no_path_around_the_prod_guard(sandbox, prod, unique, path):
    user_id = f"guard-{path.__name__}-{unique}"
    before = tokens_issued(sandbox)
    with pytest.raises(ProdWriteRefused):
        path(prod, user_id)
    assert not user_exists(sandbox, user_id)
    if path is not _a_write_in_a_response_hook:  # the hook's own read fetched a token
        assert tokens_issued(sandbox) == before  # refused before a token was fetched
        assert len(prod.history) == 0  # and before a byte was sent


def test_call_many_of_a_write_to_prod_refuses_every_row(sandbox, prod, unique):
    ids = [f"bulk-{unique}-{n}" for n in range(3)]
    bulk = prod.call_many("create_user", [user(i) for i in ids], progress=False)
    assert set(bulk.errors["error"]) == {"ProdWriteRefused"} and len(bulk.errors) == 3
    assert not any(user_exists(sandbox, i) for i in ids)


def test_the_refusal_names_the_environment_its_host_its_kind_and_the_setting(prod, unique):
    with pytest.raises(ProdWriteRefused) as caught:
        prod.call("create_user", **user(f"named-{unique}"))
    text = str(caught.value)
    host = prod.base_url.removeprefix("https://")
    assert "prod" in text and host in text and "production" in text
    assert "allow_writes=True" in text and "INSTACART_PROD_ALLOW_WRITES=true" in text


def test_allow_writes_opens_production_and_reads_are_never_refused(sandbox, unique):
    with session_for(sandbox, "prod") as prod:
        assert prod.call("find_delivery_stores", find_by=ADDRESS).status_code == 200
    with session_for(sandbox, "prod", allow_writes=True) as prod:
        assert prod.call("create_user", **user(f"open-{unique}")).status_code == 200


# The rule follows where a request goes, not a name -----------------------------------------


def test_the_sandboxs_prod_instance_is_production_whatever_the_environment_is_called(
    sandbox, unique
):
    staging = replace(instance_environment(sandbox, "prod"), name="staging")
    assert staging.kind == "production"
    with ConnectSession(staging) as session, pytest.raises(ProdWriteRefused, match="staging"):
        session.call("create_user", **user(f"staging-{unique}"))
    assert not user_exists(sandbox, f"staging-{unique}")


def test_a_dev_named_environment_on_an_unknown_server_is_production_until_declared(sandbox, unique):
    # credentials of the sandbox's dev instance, but to connect-kit an unknown server
    client_id, secret = sandbox.credentials("dev")
    raw = {"URL": sandbox.url("dev"), "CLIENT_ID": client_id, "CLIENT_SECRET": secret}
    env = replace(config.from_settings("mydev", raw), ca_bundle=sandbox.ca_file)
    assert env.kind == "production"
    with ConnectSession(env) as session, pytest.raises(ProdWriteRefused) as caught:
        session.call("create_user", **user(f"unknown-{unique}"))
    assert "INSTACART_MYDEV_KIND=development" in str(caught.value)  # how to declare it
    declared = replace(
        config.from_settings("mydev", {**raw, "KIND": "development"}), ca_bundle=sandbox.ca_file
    )
    with ConnectSession(declared) as session:
        assert session.call("create_user", **user(f"declared-{unique}")).status_code == 200


def test_a_production_server_cannot_be_declared_development(sandbox, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    declare_staging(monkeypatch, sandbox, "prod")
    monkeypatch.setenv("INSTACART_STAGING_KIND", "development")
    with pytest.raises(ConfigurationError, match="sandbox's prod instance"):
        ck.connect("staging")
    with pytest.raises(ConfigurationError, match="INSTACART_LIVE_KIND"):
        config.from_settings(
            "live", {"URL": "https://connect.instacart.com", "KIND": "development"}
        )


@pytest.mark.parametrize(
    ("name", "url", "declared", "kind"),
    [
        ("dev", "https://connect.instacart.com", None, "production"),
        ("anything", "https://partner.connect.instacart.com", None, "production"),
        ("prod", "https://connect.dev.instacart.tools", None, "development"),
        ("staging", "https://connect.dev.instacart.tools", None, "development"),
        ("staging", "https://connect.dev.instacart.tools", "production", "production"),
        ("prod", "https://proxy.example.com", None, "production"),
        ("production", "https://proxy.example.com", None, "production"),
        ("live", "https://proxy.example.com", None, "production"),
        ("dev", "https://proxy.example.com", None, "production"),
        ("qa", "https://proxy.example.com", "development", "development"),
        ("qa", "https://proxy.example.com", " Development ", "development"),
    ],
)
def test_environment_kinds(name, url, declared, kind):
    assert environment_kind(name, url, declared)[0] == kind


def test_a_kind_that_is_neither_is_a_clear_error():
    with pytest.raises(ConfigurationError, match=r"INSTACART_QA_KIND='staging'.*development or"):
        environment_kind("qa", "https://proxy.example.com", "staging")


# The CLI and the composer go through the same guard ---------------------------------------


def test_the_cli_refuses_a_write_to_a_production_server_named_otherwise(
    sandbox, monkeypatch, tmp_path, capsys, unique
):
    monkeypatch.chdir(tmp_path)
    declare_staging(monkeypatch, sandbox, "dev", unknown_host(sandbox))
    args = ["call", "staging", "create_user", "--user_id", f"cli-{unique}", "--first_name", "C"]
    args += ["--phone_number", "+18005550100"]
    assert main(args) == 1
    assert "ProdWriteRefused" in capsys.readouterr().err
    assert not user_exists(sandbox, f"cli-{unique}", "dev")
    assert main([*args, "--allow-writes"]) == 0
    assert user_exists(sandbox, f"cli-{unique}", "dev")


def test_the_composer_asks_before_a_write_to_a_production_server_named_otherwise(
    sandbox, monkeypatch, tmp_path, unique
):
    monkeypatch.chdir(tmp_path)
    declare_staging(monkeypatch, sandbox, "dev", unknown_host(sandbox))
    form = ck.composer("staging", "create_user")
    assert form.send.disabled and form.confirm.layout.display is None  # it asks first
    fields = {f.name: f for f in form.fields}
    fields["user_id"].widget.value = f"form-{unique}"
    fields["first_name"].widget.value = "Pat"
    form.send.click()  # a click the browser would not allow: the session refuses anyway
    assert "ProdWriteRefused" in form.message.value
    assert not user_exists(sandbox, f"form-{unique}", "dev")
    monkeypatch.setenv("INSTACART_STAGING_KIND", "development")
    form.env.value, form.env.value = "dev", "staging"  # the form reads the kind again
    assert not form.send.disabled and form.confirm.layout.display == "none"
