"""The sandbox as a server: start and stop, TLS, loopback, state on disk, OpenAPI, the CLI."""

from __future__ import annotations

import re
import shutil
import socket
import ssl
import subprocess
import sys
import time

import pytest
import requests
from helpers import ADDRESS, Api, delivery_order

import connect_kit as ck
from connect_kit.sandbox import Sandbox


def test_start_is_idempotent_and_stop_releases_the_ports():
    ck.sandbox.stop()  # an earlier test's connect() may have started the embedded one
    sb = ck.sandbox.start(latency=False)
    try:
        assert ck.sandbox.start() is sb
        assert ck.sandbox.running() is sb
        with pytest.raises(RuntimeError, match="stop"):
            ck.sandbox.start(token_ttl=5)
        ports = [int(sb.url(env).rsplit(":", 1)[1]) for env in ("dev", "prod")]
        assert ports[0] != ports[1]
    finally:
        ck.sandbox.stop()
    assert ck.sandbox.running() is None
    for port in ports:  # free again
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", port))
    ck.sandbox.stop()  # stopping twice is harmless


def test_tls_with_its_own_ca_on_loopback_only(sandbox):
    for env in ("dev", "prod"):
        url = sandbox.url(env)
        assert url.startswith("https://127.0.0.1:")
        port = int(url.rsplit(":", 1)[1])
        context = ssl.create_default_context(cafile=sandbox.ca_file)
        for host in ("127.0.0.1", "localhost"):
            with (
                socket.create_connection((host, port), timeout=5) as raw,
                context.wrap_socket(raw, server_hostname=host) as tls,
            ):
                assert tls.version() in ("TLSv1.2", "TLSv1.3")
        with pytest.raises(requests.exceptions.SSLError):  # the system store does not know it
            requests.get(url + "/openapi.json", verify=True, timeout=5)
        with pytest.raises(requests.exceptions.ConnectionError):  # no plain http
            requests.get(url.replace("https", "http") + "/openapi.json", timeout=5)


def test_repr_and_errors_never_show_secrets(sandbox):
    text = repr(sandbox)
    for env in ("dev", "prod"):
        assert sandbox.credentials(env)[1] not in text
    with pytest.raises(ValueError, match="dev or prod"):
        sandbox.url("staging")


def test_openapi_is_served_per_instance(dev, prod):
    dev_doc = dev.http.get(dev.url + "/openapi.json", timeout=10).json()
    prod_doc = prod.http.get(prod.url + "/openapi.json", timeout=10).json()
    assert dev_doc["servers"] == [{"url": dev.url}]
    assert "/v2/fulfillment_sandbox/batches" in dev_doc["paths"]
    assert "/v2/fulfillment_sandbox/batches" not in prod_doc["paths"]
    operation_ids = {
        op["operationId"] for item in dev_doc["paths"].values() for op in item.values()
    }
    assert len(operation_ids) == 63 + 8 + 5  # + Recommendations; Feedback, Transaction, Catalog
    deprecated = dev_doc["paths"]["/v2/fulfillment/users/{user_id}/orders"]["get"]
    assert deprecated["deprecated"] is True


def test_state_on_disk_survives_a_restart(tmp_path, unique):
    with Sandbox(tmp_path, latency=False) as sb:
        api = Api(sb, "dev")
        delivery_order(api, f"keep-{unique}", f"order-{unique}")
        credentials, ca = sb.credentials("dev"), (tmp_path / "ca.pem").read_bytes()
    assert sorted(p.name for p in tmp_path.glob("*.sqlite3")) == ["dev.sqlite3", "prod.sqlite3"]
    with Sandbox(tmp_path, latency=False) as sb:
        assert sb.credentials("dev") == credentials
        assert (tmp_path / "ca.pem").read_bytes() == ca  # a --cacert path stays valid
        api = Api(sb, "dev")
        order = api.ok("GET", f"/v2/fulfillment/users/keep-{unique}/orders/order-{unique}")
        assert order["status"] == "brand_new"


def test_memory_state_and_temporary_ca_go_away_on_stop():
    sb = Sandbox(latency=False).start()
    folder = sb.certificates.ca_file.parent
    assert folder.exists()
    sb.stop()
    assert not folder.exists()


def test_latency_profiles_make_dev_slower_than_nothing():
    with Sandbox() as sb:  # profiles on: dev about 6 ms, prod about 2 ms
        api = Api(sb, "dev")
        started = time.perf_counter()
        for _ in range(5):
            api.ok("POST", "/v2/fulfillment/stores/delivery", {"find_by": ADDRESS})
        assert (time.perf_counter() - started) / 5 >= 0.003  # a lower bound only


def test_bad_options_are_refused_clearly():
    with pytest.raises(ValueError, match="token_ttl"):
        Sandbox(token_ttl=0)
    with pytest.raises(ValueError, match="staging"):
        Sandbox(faults={"staging": {}})
    with pytest.raises(ValueError, match="error_rate"):
        Sandbox(faults={"dev": {"error_rate": 2}})


def test_cli_serves_what_curl_can_call(tmp_path):
    curl = shutil.which("curl")
    assert curl, "curl is needed to check the README's instructions"
    process = subprocess.Popen(
        [sys.executable, "-m", "connect_kit.cli", "sandbox", "--no-latency"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,  # its state folder, .connect-kit/, goes here: not into the checkout
    )
    try:
        lines = []
        while not any("Ctrl-C" in line for line in lines):
            line = process.stdout.readline()
            assert line, f"the sandbox stopped: {process.stderr.read()}"
            lines.append(line)
        text = "".join(lines)
        ca = re.search(r"CA file:\s+(\S+)", text).group(1)
        url = re.search(r"\[dev\]\s+url:\s+(\S+)", text).group(1)
        client_id = re.search(r"\[dev\][^\[]*client_id:\s+(\S+)", text).group(1)
        secret = re.search(r"\[dev\][^\[]*client_secret:\s+(\S+)", text).group(1)
        token_call = subprocess.run(
            [curl, "-sS", "--cacert", ca, f"{url}/v2/oauth/token",
             "-H", "Content-Type: application/json",
             "-d", f'{{"client_id": "{client_id}", "client_secret": "{secret}", '
                   '"grant_type": "client_credentials"}'],
            capture_output=True, text=True, timeout=30, check=True,
        )  # fmt: skip
        token = re.search(r'"access_token":"([^"]+)"', token_call.stdout).group(1)
        stores = subprocess.run(
            [curl, "-sS", "--cacert", ca, f"{url}/v2/fulfillment/stores/delivery",
             "-H", f"Authorization: Bearer {token}", "-H", "Content-Type: application/json",
             "-d", '{"find_by": {"address_line_1": "50 Beale St", "postal_code": "94105"}}'],
            capture_output=True, text=True, timeout=30, check=True,
        )  # fmt: skip
        assert '"location_code":"000-3801"' in stores.stdout
    finally:
        process.terminate()
        process.wait(10)
    assert process.returncode == 0
    assert not re.search(r"Traceback", process.stderr.read())


def test_a_state_file_is_its_owners_only(tmp_path):
    with Sandbox(latency=False, state_dir=tmp_path / "state") as sb:
        sb.credentials("dev")  # a client and its secret, written
        files = sorted((tmp_path / "state").glob("*.sqlite3*"))
        assert files
        modes = {f.name: oct(f.stat().st_mode & 0o777) for f in files}
    assert set(modes.values()) == {"0o600"}, modes
