"""A real browser drives the composer in JupyterLab (pick, fill, Send, read the table) and
runs the teaching notebooks (Run All), saving screenshots of their key outputs.

JupyterLab serves a copy of notebooks/ against the embedded sandbox (no INSTACART_*
variables); Playwright drives Debian's Chromium, which ``make test`` installs.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
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
import requests
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
    state = tmp_path / "jupyter"  # no "Jupyter news?" toast: make's defaults for the venv
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


def _launch(playwright, chromium: Path, tmp_path: Path, size: tuple[int, int]):
    """Debian's Chromium, headless, with a profile of the test's own: (context, page)."""
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "chromium-profile"),
        executable_path=str(chromium),
        headless=True,
        args=CHROMIUM_FLAGS,
        viewport={"width": size[0], "height": size[1]},
    )
    context.set_default_timeout(30_000)
    return context, context.pages[0] if context.pages else context.new_page()


def _open(page, base: str, token: str, name: str):
    """Notebook ``name`` opened in JupyterLab, its kernel started: its panel."""
    from playwright.sync_api import expect

    page.goto(f"{base}/lab/tree/{name}?token={token}", timeout=45_000)
    notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").first
    expect(notebook.locator(".jp-CodeCell").first).to_be_visible(timeout=45_000)
    status = page.locator(".jp-StatusBar-Widget", has_text="Idle")
    expect(status.first).to_be_visible(timeout=45_000)  # the kernel has started
    return notebook


def test_jupyterlab_asks_nothing_about_news_as_make_lab_opens_it(jupyterlab):
    """The venv's JupyterLab defaults (``make`` writes them): no news question, no update
    check; a user's own settings would still win."""
    base, token, _ = jupyterlab
    plugin = "@jupyterlab/apputils-extension:notification"
    answer = requests.get(f"{base}/lab/api/settings/{plugin}?token={token}", timeout=30)
    defaults = answer.json()["schema"]["properties"]
    assert (defaults["fetchNews"]["default"], defaults["checkForUpdates"]["default"]) == (
        "false",
        False,
    )


def test_composer_sends_from_a_real_browser(jupyterlab, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    base, token, chromium = jupyterlab
    shot = tmp_path / "browser-composer.png"
    with sync_playwright() as playwright:
        context, page = _launch(playwright, chromium, tmp_path, (1400, 1800))
        try:
            notebook = _open(page, base, token, NOTEBOOK)

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

            message = cell.locator(".ck-message", has_text="record(s)")
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


FLOW_NOTEBOOK = {
    "cells": [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "flow-dev",
            "metadata": {},
            "outputs": [],
            "source": [
                "import connect_kit as ck\n",
                "\n",
                'form = ck.composer("dev", "create_user")\n',
                "form",
            ],
        },
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "flow-prod",
            "metadata": {},
            "outputs": [],
            "source": ['prod_form = ck.composer("prod", "create_user")\n', "prod_form"],
        },
    ],
    "metadata": {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}
ITEMS = [{"line_num": "1", "count": 1, "item": {"upc": "987665788999"}}]


def _open_and_run(page, base: str, token: str, name: str):
    from playwright.sync_api import expect

    notebook = _open(page, base, token, name)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    expect(notebook.locator(".jp-CodeCell .widget-tab")).to_have_count(2, timeout=60_000)
    expect(notebook.locator(".jp-InputPrompt", has_text="[*]")).to_have_count(0, timeout=60_000)
    return notebook


def test_the_delivery_flow_in_a_real_browser(jupyterlab, tmp_path):
    """User, cart slots, reserve, order: with carried values and ids from earlier answers;
    then a prod form sends only what was typed, one confirmation for one Send."""
    from playwright.sync_api import expect, sync_playwright

    base, token, chromium = jupyterlab
    (tmp_path / "notebooks" / "flow.ipynb").write_text(json.dumps(FLOW_NOTEBOOK))
    user_id, order_id = f"browser-{secrets.token_hex(4)}", f"browser-order-{secrets.token_hex(4)}"
    shots = ROOT / "test-output"
    shots.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        context, page = _launch(playwright, chromium, tmp_path, (1400, 2200))

        def shot(name: str, where=None) -> None:
            (where or page).screenshot(path=str(shots / f"browser-flow-{name}.png"))

        try:
            notebook = _open_and_run(page, base, token, "flow.ipynb")
            form, prod = (
                notebook.locator(".jp-CodeCell").nth(0),
                notebook.locator(".jp-CodeCell").nth(1),
            )

            def box(cell, name: str, kind: str = "input"):
                return cell.locator(f".ck-field-{name} {kind}").first

            def pick_operation(cell, name: str) -> None:
                select = cell.locator(".widget-dropdown", has_text="operation").locator("select")
                labels = select.evaluate("s => Array.from(s.options, o => o.value)")
                select.select_option(value=next(x for x in labels if x.endswith(f" {name}")))

            def send(cell) -> None:
                cell.locator("button", has_text="Send").click()
                expect(cell.locator(".ck-message", has_text="record(s)")).to_contain_text(
                    "200", timeout=30_000
                )

            def tab(cell, title: str):
                cell.locator(".lm-TabBar-tab", has_text=title).first.click()
                return cell.locator(".widget-tab-contents .widget-html:visible").first

            # 1. the user: only what is typed (placeholders are grey examples)
            expect(box(form, "last_name")).to_have_value("")
            expect(box(form, "last_name")).to_have_attribute("placeholder", "e.g. Singh")
            box(form, "user_id").fill(user_id)
            box(form, "first_name").fill("Pat")
            box(form, "phone_number").fill("+14155550100")
            box(form, "phone_number").blur()
            send(form)
            shot("1-user", form)

            # 2. the cart's slots: user_id carried from the last form
            pick_operation(form, "list_delivery_service_options")
            expect(box(form, "address", "textarea")).to_be_visible()
            expect(box(form, "user_id")).to_have_value(user_id)
            box(form, "address", "textarea").fill(json.dumps(FIND_BY))
            box(form, "items", "textarea").fill(json.dumps(ITEMS))
            box(form, "items", "textarea").blur()
            send(form)
            expect(tab(form, "Table")).to_contain_text("available")
            shot("2-slots", form)

            # 3. reserve: the slot picked from the last answer
            pick_operation(form, "reserve_service_option")
            expect(box(form, "user_id")).to_have_value(user_id)
            slots = form.locator(".ck-field-service_option_id .ck-seen select")
            labels = slots.evaluate("s => Array.from(s.options, o => o.value)")
            slot = next(label for label in labels if label.endswith("· available"))
            slots.select_option(value=slot)
            expect(box(form, "service_option_id")).to_have_value(slot.split(" ")[0])
            shot("3-reserve", form)
            send(form)

            # 4. the order: address and items carried, the hold from the reserve answer
            pick_operation(form, "create_delivery_order")
            expect(box(form, "order_id")).to_be_visible()
            expect(box(form, "user_id")).to_have_value(user_id)
            assert json.loads(box(form, "items", "textarea").input_value()) == ITEMS
            holds = form.locator(".ck-field-service_option_hold_id .ck-seen select")
            hold = holds.evaluate("s => s.options[1].value")
            holds.select_option(value=hold)
            expect(box(form, "service_option_hold_id")).to_have_value(hold.split(" ")[0])
            box(form, "order_id").fill(order_id)
            box(form, "order_id").blur()
            send(form)
            expect(tab(form, "JSON")).to_contain_text("brand_new")
            expect(tab(form, "JSON")).to_contain_text(order_id)
            shot("4-order", form)
            expect(tab(form, "Code")).to_contain_text("connect-kit token dev")
            program = form.locator("textarea.ck-code")
            expect(program).to_have_attribute("readonly", "")
            assert "curl --silent" in program.input_value() and order_id in program.input_value()
            form.locator(".widget-toggle-button", has_text="go").click()  # one language at a time
            expect(program).to_have_value(re.compile(r"package main"))
            shot("4-code", form)
            tab(form, "History")
            expect(form.locator(".ck-load")).to_have_count(4)
            shot("5-history", form)

            # 5. prod: only what was typed is sent; one confirmation covers one Send
            prod.scroll_into_view_if_needed()
            button = prod.locator("button", has_text="Send")
            confirm = prod.locator(".widget-checkbox", has_text="I mean it").locator("input")
            expect(button).to_be_disabled()
            box(prod, "user_id").fill(f"{user_id}-prod")
            box(prod, "first_name").fill("Pat")
            box(prod, "first_name").blur()
            confirm.check()
            expect(button).to_be_enabled()
            send(prod)
            answer = tab(prod, "JSON")
            expect(answer).to_contain_text('"first_name": "Pat"')
            for example in ("Kamal", "Singh", "+14155550100", "kamalsingh1234"):
                expect(answer).not_to_contain_text(example)
            expect(tab(prod, "Headers")).to_contain_text(f'"user_id": "{user_id}-prod"')
            expect(tab(prod, "Headers")).not_to_contain_text("Kamal")
            expect(confirm).not_to_be_checked()
            expect(button).to_be_disabled()
            shot("6-prod", prod)
        finally:
            try:
                page.screenshot(path=str(shots / "browser-flow-page.png"), full_page=True)
            except Exception as exc:  # the screenshot must not hide the real failure
                print(f"no screenshot: {exc}")
            context.close()


# The teaching notebooks, run as a reader runs them: Run All in JupyterLab. Each key output is
# named by a line of its cell's source and a text it must show; its screenshot is saved to
# test-output/browser-<notebook>-<label>.png.
KEY_OUTPUTS = {
    "01_getting_started.ipynb": [
        ("stores", "stores.frame", FIRST_STORE),
        ("field-errors", "except ck.errors.InvalidRequestError", "nothing was sent"),
        ("prod-guard", "except ck.errors.ProdWriteRefused", "prod"),
        ("history", "dev.history", "/v2/fulfillment/stores/delivery"),
    ],
    "06_delivery.ipynb": [
        ("stores", 'stores = dev.call("find_delivery_stores"', FIRST_STORE),
        (
            "validation",
            'dev.call("validate_items", location_code=location_code, items=wrong)',
            "2000",
        ),
        ("slots", '"list_delivery_service_options",', "availability.available"),
        ("order", "order = dev.call(", "brand_new"),
        ("update", '"update_order", user_id=user_id, order_id=order_id, items=new_items', "lb"),
        ("refused", 'dev.call("cancel_order", user_id=user_id, order_id=order_id)', "no longer"),
        ("timeline", 'driver.advance(to="delivered")', "delivered"),
        ("canceled", 'canceled = dev.call("cancel_order"', "retailer_driven"),
    ],
}


def _code_cell_index(name: str, marker: str) -> int:
    """The index, among the notebook's code cells, of the one whose source holds ``marker``."""
    notebook = json.loads((ROOT / "notebooks" / name).read_text())
    sources = ["".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code"]
    found = [index for index, source in enumerate(sources) if marker in source]
    assert len(found) == 1, f"{name}: {len(found)} code cells hold {marker!r}"
    return found[0]


@pytest.mark.parametrize("name", sorted(KEY_OUTPUTS))
def test_teaching_notebook_runs_all_in_a_real_browser(jupyterlab, tmp_path, name):
    """Run All, wait for the last cell, no error anywhere on the page, key outputs shown."""
    from playwright.sync_api import expect, sync_playwright

    base, token, chromium = jupyterlab
    shots = ROOT / "test-output"
    shots.mkdir(exist_ok=True)
    stem = name.removesuffix(".ipynb")
    key_cells = [
        (label, _code_cell_index(name, marker), text) for label, marker, text in KEY_OUTPUTS[name]
    ]
    with sync_playwright() as playwright:
        context, page = _launch(playwright, chromium, tmp_path, (1900, 1800))
        try:
            notebook = _open(page, base, token, name)
            cells = notebook.locator(".jp-CodeCell")
            started = time.monotonic()
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()

            prompts = cells.locator(".jp-InputPrompt")
            expect(prompts.last).to_have_text(re.compile(r"\[(\*|\d+)\]"))  # queued or done
            running = notebook.locator(".jp-InputPrompt", has_text="[*]")
            expect(running).to_have_count(0, timeout=180_000)
            # an error output (or anything on stderr) anywhere in the notebook fails the run
            stderr = notebook.locator('[data-mime-type="application/vnd.jupyter.stderr"]')
            assert stderr.count() == 0, f"{name}: {stderr.all_text_contents()}"
            numbered = [text for text in prompts.all_text_contents() if re.search(r"\[\d+\]", text)]
            assert len(numbered) == cells.count(), f"{name}: not every cell ran"
            print(f"{name}: Run All took {time.monotonic() - started:.1f} s in the browser")

            for label, index, text in key_cells:
                cell = cells.nth(index)
                output = cell.locator(".jp-OutputArea")
                expect(output).to_contain_text(text)
                cell.scroll_into_view_if_needed()
                cell.screenshot(path=str(shots / f"browser-{stem}-{label}.png"))
        finally:
            try:
                page.screenshot(path=str(shots / f"browser-{stem}-page.png"))
            except Exception as exc:  # the screenshot must not hide the real failure
                print(f"no screenshot: {exc}")
            context.close()
