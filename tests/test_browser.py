"""A real browser drives the composer in JupyterLab: pick, fill, Send, read the table.

JupyterLab serves a copy of notebooks/ against the embedded sandbox (no INSTACART_*
variables); Playwright drives Debian's Chromium, which ``make test`` installs.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from tools import need

ROOT = Path(__file__).parent.parent
NOTEBOOK = "05_composer.ipynb"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FIND_BY = {"address_line_1": "50 Beale St", "postal_code": "94105"}
FIRST_STORE = "000-3801"  # the first store near 94105 in the sandbox
SCREENSHOT = ROOT / "test-output" / "browser-composer.png"


@pytest.fixture(scope="session")
def browser_tools() -> Path:
    """Debian's Chromium (``make test`` installs it), JupyterLab and Playwright."""
    chromium = Path(need("chromium", "chromium"))
    for module, extra in (("jupyterlab", "lab"), ("playwright", "test")):
        if importlib.util.find_spec(module) is None:
            pytest.fail(f"{module} is not installed: pip install -e '.[{extra}]'")
    return chromium


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(server: subprocess.Popen, url: str, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"JupyterLab exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    pytest.fail(f"JupyterLab did not answer within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def jupyterlab(browser_tools: Path, tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    """JupyterLab on a free port serving a copy of notebooks/; yields (base URL, token,
    the Chromium to drive it with)."""
    root = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    state = tmp_path / "jupyter"
    settings = state / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    # no "receive Jupyter news?" toast over the notebook
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    env = {name: value for name, value in os.environ.items() if not name.startswith("INSTACART_")}
    env.update(
        JUPYTER_CONFIG_DIR=str(state / "config"),
        JUPYTER_RUNTIME_DIR=str(state / "runtime"),
        JUPYTER_DATA_DIR=str(state / "data"),
        JUPYTERLAB_SETTINGS_DIR=str(state / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(state / "workspaces"),
        JUPYTER_PLATFORM_DIRS="1",
    )
    port, token = _free_port(), secrets.token_hex(16)
    command = [
        str(Path(sys.executable).parent / "jupyter"),
        "lab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--allow-root",
    ]
    log = tmp_path / "jupyterlab.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT, text=True
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(server, f"{base}/api/status?token={token}", log)
        yield base, token, browser_tools
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)


def test_composer_sends_from_a_real_browser(jupyterlab, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    base, token, chromium = jupyterlab
    shot = tmp_path / "browser-composer.png"
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=str(chromium),
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 1800},
        )
        context.set_default_timeout(30_000)
        page = context.pages[0] if context.pages else context.new_page()
        try:
            page.goto(f"{base}/lab/tree/{NOTEBOOK}?token={token}", timeout=45_000)
            notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").first
            expect(notebook.locator(".jp-CodeCell").first).to_be_visible(timeout=45_000)
            status = page.locator(".jp-StatusBar-Widget", has_text="Idle")
            expect(status.first).to_be_visible(timeout=45_000)  # the kernel has started

            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
            cell = notebook.locator(".jp-CodeCell").first  # form = ck.composer(); form
            running = notebook.locator(".jp-InputPrompt", has_text="[*]")
            expect(notebook.locator(".jp-CodeCell .widget-tab").last).to_be_visible(timeout=60_000)
            expect(running).to_have_count(0, timeout=60_000)

            operation = cell.locator(".widget-dropdown", has_text="operation").locator("select")
            # ipywidgets sends labels to the browser ("area · group · name"), not values
            labels = operation.evaluate("select => Array.from(select.options, o => o.value)")
            matches = [label for label in labels if label.endswith(" find_delivery_stores")]
            assert len(matches) == 1 and len(labels) > 1, f"operation options: {labels}"
            wanted, other = matches[0], next(label for label in labels if label != matches[0])
            expect(operation).to_have_value(wanted)
            operation.select_option(value=other)  # a round trip through the kernel...
            find_by = cell.locator(".widget-textarea", has_text="find_by").locator("textarea")
            expect(find_by).to_have_count(0)
            operation.select_option(value=wanted)  # ...and back
            expect(find_by).to_be_visible()

            find_by.fill(json.dumps(FIND_BY))
            find_by.blur()
            cell.locator("button", has_text="Send").click()

            message = cell.locator(".widget-html", has_text="record(s)")
            expect(message).to_contain_text("200", timeout=30_000)
            table = cell.locator(".widget-tab table").first  # the Table tab (History is last)
            expect(table).to_be_visible()
            expect(table).to_contain_text(FIRST_STORE)
            cell.scroll_into_view_if_needed()
        finally:
            try:
                page.screenshot(path=str(shot), full_page=True, timeout=10_000)
                SCREENSHOT.parent.mkdir(exist_ok=True)
                shutil.copyfile(shot, SCREENSHOT)
            except Exception as exc:  # the screenshot must not hide the real failure
                print(f"no screenshot: {exc}")
            context.close()
    assert shot.exists()
