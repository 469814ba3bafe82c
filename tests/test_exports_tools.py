"""Round trips with the real tools: newman runs the exported Postman collection and its
environment, httpyac the exported .http file, green against the sandbox the flow was recorded
on (its CA given to Node; the client id and secret on the command line only)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from test_exports import FILES, record_flow
from test_record_replay import recorded_sandbox  # noqa: F401 (a fixture)
from tools import need

import connect_kit as ck

TOOLS = Path(__file__).parent.parent / ".tools" / "node" / "node_modules" / ".bin"


def _tool(name: str) -> str:
    local = TOOLS / name
    if local.exists():
        return str(local)
    return need(name, f"npm's {name} (make test installs it into .tools/node)")


def _run(args: list[str], sb, secret: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NODE_EXTRA_CA_CERTS": sb.ca_file, "NO_COLOR": "1"}
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    done.stdout = done.stdout.replace(secret, "[canary]")  # a failure shows no secret
    return done


@pytest.fixture
def exported(recorded_sandbox, tmp_path):  # noqa: F811
    sb, secrets = recorded_sandbox
    record_flow(tmp_path / "rec" / "dev.har")
    for name in FILES:
        ck.export(tmp_path / "rec" / "dev.har", tmp_path / name)
    client_id = os.environ["INSTACART_DEV_CLIENT_ID"]
    return sb, client_id, secrets.client_secret, tmp_path


def test_newman_runs_the_postman_collection_green(exported):
    sb, client_id, secret, folder = exported
    newman = _tool("newman")
    args = [newman, "run", "flow.postman_collection.json", "-e", "flow.postman_environment.json"]
    args += ["--env-var", f"client_id={client_id}", "--env-var", f"client_secret={secret}"]
    args += ["--ssl-extra-ca-certs", sb.ca_file, "--reporters", "cli", "--color", "off"]
    done = _run(args, sb, secret, folder)
    assert done.returncode == 0, done.stdout[-4000:]
    assert "create_delivery_order answers 200" in done.stdout
    for path in folder.iterdir():
        if path.is_file():
            assert secret not in path.read_text(), path.name


def test_httpyac_runs_the_http_file_green(exported):
    sb, client_id, secret, folder = exported
    httpyac = _tool("httpyac")
    args = [httpyac, "send", "--all", "flow.http", "-o", "short"]
    args += ["--var", f"client_id={client_id}", "--var", f"client_secret={secret}"]
    done = _run(args, sb, secret, folder)
    assert done.returncode == 0, done.stdout[-4000:]
    assert "6 requests processed (6 succeeded" in done.stdout, done.stdout[-4000:]
    assert "✖" not in done.stdout, done.stdout[-4000:]
    assert done.stdout.count("✓") == 5
