"""The command line keeps its sandbox between commands: each ``connect-kit`` run is a new
process, yet a user created by one is found by the next, through the state folder or through
a running ``connect-kit sandbox``. ``token`` and ``env`` hand its credentials to scripts.

Every test runs the real command in a subprocess, from a folder of its own, against the
sandbox over HTTPS.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from connect_kit.cli import _state

_ids = itertools.count(1)
SCRIPT = Path(sys.executable).with_name("connect-kit")


def run_cli(
    cwd: Path, *argv: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``connect-kit ARGV`` run from ``cwd``, as a shell would (a new process each time)."""
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "connect_kit.cli"]
    return subprocess.run(
        [*command, *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=90,
    )


def user_id(tmp_path: Path) -> str:
    return f"cli-{tmp_path.name}-{next(_ids)}"[-60:]


def create_user(cwd: Path, user: str, env: str = "dev") -> subprocess.CompletedProcess[str]:
    return run_cli(cwd, "call", env, "create_user", "--user_id", user, "--first_name", "Ana")


def link_error(cwd: Path, user: str, env: str = "dev") -> str:
    """What ``get_user_link`` says of ``user``: ``User Not Linked`` when the sandbox knows the
    user, ``User Not Found`` when it does not."""
    done = run_cli(cwd, "call", env, "get_user_link", "--user_id", user)
    assert done.returncode == 1, done.stderr
    return done.stderr.strip().splitlines()[-1]


def test_a_user_created_by_one_command_is_found_by_the_next(tmp_path):
    user = user_id(tmp_path)
    assert "User Not Found" in link_error(tmp_path, user)
    created = create_user(tmp_path, user)
    assert created.returncode == 0, created.stderr
    # a new process, a new embedded sandbox on a new port: the same users and OAuth clients
    assert "User Not Linked" in link_error(tmp_path, user)
    folder = tmp_path / ".connect-kit"
    assert (folder / "dev.sqlite3").is_file() and (folder / "ca.pem").is_file()
    assert (folder / ".gitignore").read_text().splitlines()[-1] == "*"
    assert oct(folder.stat().st_mode & 0o777) == oct(0o700)


def test_the_state_folder_follows_the_setting(tmp_path):
    elsewhere = tmp_path / "state"
    work = tmp_path / "work"
    work.mkdir()
    setting = {"INSTACART_SANDBOX_STATE": str(elsewhere)}
    user = user_id(tmp_path)
    assert create_user(work, user).returncode == 0
    done = run_cli(work, "call", "dev", "get_user_link", "--user_id", user, env=setting)
    assert "User Not Found" in done.stderr  # another folder, another sandbox
    again = run_cli(
        work, "call", "dev", "create_user", "--user_id", user, "--first_name", "A", env=setting
    )
    assert again.returncode == 0
    assert (elsewhere / "dev.sqlite3").is_file()
    done = run_cli(work, "call", "dev", "get_user_link", "--user_id", user, env=setting)
    assert "User Not Linked" in done.stderr


def test_the_gitignore_of_the_project_has_the_state_folder():
    root = Path(__file__).resolve().parents[1]
    assert ".connect-kit/" in (root / ".gitignore").read_text().splitlines()


@pytest.fixture
def running(tmp_path: Path) -> Iterator[_state.RunningSandbox]:
    """``connect-kit sandbox`` in the foreground of another process, serving tmp_path."""
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "connect_kit.cli"]
    process = subprocess.Popen(
        [*command, "sandbox", "--no-latency"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        found = None
        while found is None and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.2)
            found = _state.running(tmp_path / ".connect-kit")
        assert found is not None, process.stderr.read() if process.poll() is not None else ""
        assert found.pid == process.pid
        yield found
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_running_sandbox_serves_the_other_commands(tmp_path, running):
    user = user_id(tmp_path)
    created = create_user(tmp_path, user)
    assert created.returncode == 0
    assert f"served by the running connect-kit sandbox at {running.url('dev')}" in created.stderr
    # a token from the command line works against the running sandbox with plain HTTPS
    token = run_cli(tmp_path, "token", "dev")
    assert token.returncode == 0
    answer = requests.get(
        f"{running.url('dev')}/v2/fulfillment/users/{user}/link",
        headers={"Authorization": f"Bearer {token.stdout.strip()}"},
        verify=running.ca_file,
        timeout=30,
    )
    assert answer.status_code == 400 and answer.json()["error"]["message"] == "User Not Linked"
    # a second sandbox for the same folder is refused: one serves it
    again = run_cli(tmp_path, "sandbox")
    assert again.returncode == 2 and "already running" in again.stderr


def test_env_prints_a_ready_dotenv_block_for_the_running_sandbox(tmp_path, running):
    done = run_cli(tmp_path, "env", "sandbox")
    assert done.returncode == 0
    assert "secret" in done.stderr
    values = dict(
        line.split("=", 1) for line in done.stdout.splitlines() if line and line[0] != "#"
    )
    for env, kind in (("dev", "development"), ("prod", "production")):
        prefix = f"INSTACART_{env.upper()}_"
        assert values[prefix + "URL"] == running.url(env)
        assert (values[prefix + "CLIENT_ID"], values[prefix + "CLIENT_SECRET"]) == (
            running.credentials(env)
        )
        assert values[prefix + "CA_BUNDLE"] == running.ca_file
        assert values[prefix + "KIND"] == kind
    # the block, as another project's .env: its dev is the sandbox, and its prod refuses writes
    other = tmp_path / "other"
    other.mkdir()
    (other / ".env").write_text(done.stdout)
    user = user_id(tmp_path)
    created = create_user(other, user)
    assert created.returncode == 0 and "served by" not in created.stderr
    assert "User Not Linked" in link_error(tmp_path, user)  # the same sandbox saw it
    refused = create_user(other, user, "prod")
    assert refused.returncode == 1 and "pass --allow-writes" in refused.stderr
    assert not (other / ".connect-kit").exists()  # nothing was started there


def test_env_without_a_running_sandbox_says_how_to_start_one(tmp_path):
    done = run_cli(tmp_path, "env", "sandbox")
    assert done.returncode == 1 and done.stdout == ""
    assert "Start one with connect-kit sandbox" in done.stderr


def test_after_the_running_sandbox_stops_its_state_stays_for_the_next_command(tmp_path):
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "connect_kit.cli"]
    process = subprocess.Popen(
        [*command, "sandbox", "--no-latency"], cwd=tmp_path, stdout=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while _state.running(tmp_path / ".connect-kit") is None:
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.2)
        user = user_id(tmp_path)
        assert "served by" in create_user(tmp_path, user).stderr
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert _state.running(tmp_path / ".connect-kit") is None  # its announcement is stale now
    done = run_cli(tmp_path, "call", "dev", "get_user_link", "--user_id", user)
    assert "served by" not in done.stderr and "User Not Linked" in done.stderr


@pytest.mark.parametrize("env", ["dev", "sandbox:prod"])
def test_token_goes_to_stdout_only_and_never_into_logs(tmp_path, env):
    done = run_cli(tmp_path, "--verbose", "token", env)
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    assert done.stdout == token + "\n" and len(token) >= 20
    assert "secret" in done.stderr
    assert "urllib3" in done.stderr or "connect_kit" in done.stderr  # logging was on
    assert token not in done.stderr
    # nor anywhere in the state the command left behind (the sandbox keeps digests)
    for path in (tmp_path / ".connect-kit").iterdir():
        assert token.encode() not in path.read_bytes(), path.name


def test_a_token_outlives_the_command_that_printed_it(tmp_path, running):
    token = run_cli(tmp_path, "token", "sandbox:dev").stdout.strip()
    answer = requests.post(
        f"{running.url('dev')}/v2/fulfillment/stores/delivery",
        json={"find_by": {"address_line_1": "50 Beale St", "postal_code": "94105"}},
        headers={"Authorization": f"Bearer {token}"},
        verify=running.ca_file,
        timeout=30,
    )
    assert answer.status_code == 200 and answer.json()["stores"]


def test_token_errors_are_one_line(tmp_path):
    done = run_cli(tmp_path, "token", "staging")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.strip().startswith("connect-kit token: ConfigurationError: unknown")
    assert "Traceback" not in done.stderr


def test_state_files_do_not_leave_the_folder(tmp_path):
    user = user_id(tmp_path)
    assert create_user(tmp_path, user).returncode == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [".connect-kit"]
    shutil.rmtree(tmp_path / ".connect-kit")
    assert "User Not Found" in link_error(tmp_path, user)  # the folder was the state
