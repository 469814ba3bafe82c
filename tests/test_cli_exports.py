"""``connect-kit openapi`` writes ``ck.openapi()``; ``connect-kit export`` turns a recording
into the format its output's name tells, as ``ck.export`` does. Each command runs in a
subprocess from a folder of its own; the flow is recorded against the embedded sandbox."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest
from helpers import ADDRESS
from test_cli_state import run_cli

import connect_kit as ck


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    """A short flow against the embedded sandbox's dev, recorded to ``dev.har``."""
    path = tmp_path / "dev.har"
    user = f"cli-export-{uuid.uuid4().hex[:8]}"
    with ck.connect("dev", record=path) as dev:
        dev.call("create_user", user_id=user, first_name="Ada", phone_number="+14155550100")
        dev.call("find_delivery_stores", find_by=ADDRESS)
    return path


def test_openapi_writes_the_spec_to_a_file(tmp_path):
    done = run_cli(tmp_path, "openapi", "-o", "spec/connect.json")
    assert done.returncode == 0 and done.stdout == ""
    assert "spec/connect.json" in done.stderr
    document = json.loads((tmp_path / "spec" / "connect.json").read_text(encoding="utf-8"))
    assert document == json.loads(json.dumps(ck.openapi()))
    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": "https://connect.instacart.com"}]
    assert "/v2/fulfillment/users" in document["paths"]
    assert not [p for p in document["paths"] if p.startswith("/v2/fulfillment_sandbox/")]


def test_openapi_prints_to_stdout_and_takes_a_server_and_the_sandbox_api(tmp_path):
    done = run_cli(tmp_path, "openapi", "--server", "https://connect.example.test", "--sandbox")
    assert done.returncode == 0 and done.stderr == ""
    document = json.loads(done.stdout)
    assert document == json.loads(
        json.dumps(ck.openapi(server="https://connect.example.test", sandbox=True))
    )
    assert [p for p in document["paths"] if p.startswith("/v2/fulfillment_sandbox/")]
    assert "\\/" not in done.stdout
    assert list(tmp_path.iterdir()) == []  # nothing written where it ran


@pytest.mark.parametrize("name", ["flow.http", "flow.hurl", "test_flow.py", "copy.har"])
def test_export_writes_what_ck_export_writes(tmp_path, recording, name):
    done = run_cli(tmp_path, "export", "dev.har", f"out/{name}")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and f"dev.har -> out/{name}" in done.stderr
    ck.export(recording, tmp_path / "mine" / name)
    written = (tmp_path / "out" / name).read_text(encoding="utf-8")
    assert written == (tmp_path / "mine" / name).read_text(encoding="utf-8")
    assert "create_user" in written or name.endswith(".har")
    secret = ck.sandbox.running().credentials("dev")[1]
    assert secret not in written


def test_export_to_postman_writes_the_environment_beside_and_runs_again(tmp_path, recording):
    done = run_cli(tmp_path, "export", "dev.har", "flow.postman_collection.json")
    assert done.returncode == 0, done.stderr
    assert "its environment -> flow.postman_environment.json" in done.stderr
    environment = json.loads((tmp_path / "flow.postman_environment.json").read_text())
    values = {v["key"]: v["value"] for v in environment["values"]}
    assert values["client_secret"] == "" and values["base_url"].startswith("https://127.0.0.1:")
    collection = ck.load(tmp_path / "flow.postman_collection.json")
    assert [r.operation for r in collection] == ["create_user", "find_delivery_stores"]
    with ck.connect("dev") as dev:
        outcome = collection.run(dev)
    assert outcome.ok and outcome.statuses == [200, 200], outcome.frame


def test_export_takes_a_format_whatever_the_name(tmp_path, recording):
    done = run_cli(tmp_path, "export", "dev.har", "flow.txt", "--format", "hurl")
    assert done.returncode == 0, done.stderr
    assert "POST {{base_url}}/v2/fulfillment/users" in (tmp_path / "flow.txt").read_text()


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (("export", "missing.har", "flow.http"), "FileNotFoundError: missing.har: no such file"),
        (("export", "dev.har", "flow.txt"), "cannot tell the format of 'flow.txt'"),
    ],
)
def test_export_mistakes_are_one_line(tmp_path, recording, argv, says):
    done = run_cli(tmp_path, *argv)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("connect-kit export: ") and says in done.stderr
    assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dev.har"]


def test_an_unwritable_openapi_file_is_one_line(tmp_path):
    (tmp_path / "taken").write_text("a file, not a folder")
    done = run_cli(tmp_path, "openapi", "-o", "taken/spec.json")
    assert done.returncode == 1 and done.stdout == ""
    assert re.match(r"connect-kit openapi: \w+Error: ", done.stderr)
    assert len(done.stderr.splitlines()) == 1


@pytest.mark.parametrize("command", ["openapi", "export"])
def test_help_is_plain_prose_and_the_top_level_names_them(tmp_path, command):
    done = run_cli(tmp_path, command, "--help")
    assert done.returncode == 0
    for code in ("``", "connect_kit.", "=True", "()", "(s)"):
        assert code not in done.stdout, f"{command} --help shows {code!r}"
    options = re.findall(r"^  (-[^\n]*?)  +(\S[^\n]*)$", done.stdout, re.MULTILINE)
    assert options and all(help_[0].isupper() for _, help_ in options), options
    assert command in run_cli(tmp_path, "--help").stdout
