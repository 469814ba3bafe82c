"""Environments from .env and the process environment, and how connect() uses them."""

from __future__ import annotations

import logging
import warnings

import pytest

import connect_kit as ck
from connect_kit.client import _config as config
from connect_kit.errors import ConfigurationError


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project folder with a .env at its top, the working directory two levels below."""
    inner = tmp_path / "notebooks" / "deep"
    inner.mkdir(parents=True)
    monkeypatch.chdir(inner)

    def write(text: str) -> None:
        (tmp_path / ".env").write_text(text)

    return write


def test_dotenv_is_found_from_the_working_directory_upwards(project):
    project(
        "INSTACART_DEV_URL=https://dev.example.com\n"
        "INSTACART_DEV_CLIENT_ID=dev-id\n"
        "INSTACART_DEV_CLIENT_SECRET=dev-secret\n"
        "INSTACART_DEV_SCOPE=connect:fulfillment,connect:recommendations\n"
    )
    env = config.environment("dev")
    assert (env.url, env.client_id, env.client_secret) == (
        "https://dev.example.com",
        "dev-id",
        "dev-secret",
    )
    assert env.scope == "connect:fulfillment,connect:recommendations"
    assert not env.sandbox and env.kind == "production"  # an unknown server: the safe side
    assert "dev-secret" not in repr(env)


def test_the_process_environment_wins(project, monkeypatch):
    project("INSTACART_DEV_CLIENT_ID=from-file\nINSTACART_DEV_CLIENT_SECRET=s\n")
    monkeypatch.setenv("INSTACART_DEV_CLIENT_ID", "from-process")
    assert config.environment("dev").client_id == "from-process"


def test_dev_and_prod_always_exist_and_more_can_be_declared(project):
    project(
        "INSTACART_STAGING_EU_URL=https://staging.example.com/\n"
        "INSTACART_STAGING_EU_CLIENT_ID=id\n"
        "INSTACART_STAGING_EU_CLIENT_SECRET=secret\n"
        "INSTACART_SANDBOX_STATE=/tmp/somewhere\n"
    )
    found = config.environments()
    assert set(found) == {"dev", "prod", "staging_eu"}
    assert found["staging_eu"].url == "https://staging.example.com"
    assert found["dev"].sandbox and found["prod"].sandbox
    assert found["prod"].url == "https://connect.instacart.com"
    assert config.sandbox_state() == "/tmp/somewhere"


@pytest.mark.parametrize(
    ("dotenv", "match"),
    [
        (
            "INSTACART_DEV_URL=http://connect.dev.instacart.tools\n",
            r"INSTACART_DEV_URL=.*only speaks HTTPS.*https://",
        ),
        ("INSTACART_DEV_URL=https://\n", "has no host"),
        ("INSTACART_DEV_CLIENT_ID=only-id\n", "INSTACART_DEV_CLIENT_SECRET is missing"),
        ("INSTACART_DEV_CLIENT_SECRET=only-secret\n", "INSTACART_DEV_CLIENT_ID is missing"),
        ("INSTACART_DEV_CA_BUNDLE=/no/such/file.pem\n", "CA_BUNDLE.*expected a PEM file"),
        ("INSTACART_PROD_ALLOW_WRITES=maybe\n", "INSTACART_PROD_ALLOW_WRITES.*true or false"),
    ],
)
def test_wrong_settings_name_the_variable_and_what_was_expected(project, dotenv, match):
    project(dotenv)
    env = "prod" if "PROD" in dotenv else "dev"
    with pytest.raises(ConfigurationError, match=match):
        ck.connect(env)


def test_wrong_settings_never_echo_the_secret(project):
    project(
        "INSTACART_DEV_URL=http://x\nINSTACART_DEV_CLIENT_ID=i\nINSTACART_DEV_CLIENT_SECRET=s3cr3t-value\n"
    )
    with pytest.raises(ConfigurationError) as caught:
        ck.connect("dev")
    assert "s3cr3t-value" not in str(caught.value)


def test_unknown_environments_list_the_known_ones(project):
    project("")
    with pytest.raises(ConfigurationError, match=r"unknown environment 'staging'.*dev, prod"):
        ck.connect("staging")
    with pytest.raises(ConfigurationError, match="non-empty string"):
        ck.connect(42)  # type: ignore[arg-type]


def test_a_declared_environment_without_credentials_has_no_sandbox(project):
    project("INSTACART_QA_URL=https://qa.example.com\n")
    with pytest.raises(ConfigurationError, match="only dev and prod have a sandbox"):
        ck.connect("qa")


def test_allow_writes_from_the_settings(project):
    project("INSTACART_PROD_ALLOW_WRITES=true\n")
    assert config.environment("prod").allow_writes
    assert not config.environment("dev").allow_writes


def test_without_credentials_the_sandbox_serves_and_says_so_once_quietly(project, capfd, caplog):
    from connect_kit.client import _embedded as embedded

    embedded._announced.discard("dev")
    project("")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # information, not a warning
        with caplog.at_level(logging.INFO, logger="connect_kit"):
            first = ck.connect("dev")
            second = ck.connect("dev")
    assert first.env.sandbox and "embedded sandbox" in repr(first)
    assert first.base_url == ck.sandbox.running().url("dev")
    notices = [r for r in caplog.records if "embedded sandbox" in r.getMessage()]
    assert len(notices) == 1 and notices[0].levelno == logging.INFO
    assert "dev has no credentials" in notices[0].getMessage()
    assert "embedded sandbox" not in capfd.readouterr().err  # no line on stderr
    first.close()
    second.close()
