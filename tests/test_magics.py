"""The IPython magics, run by IPython's own shell against the embedded sandbox over HTTPS:
``%load_ext connect_kit`` registers ``%connect`` (the command line's words) and ``%%connect``
(a request in ``.http`` syntax, ``{{name}}`` from the notebook's variables); both answer with a
Result through one kept session per environment, say what went wrong in one clear message, and
refuse writes to production unless ``--allow-writes``."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid

import pytest
from helpers import ADDRESS, PEANUT_BUTTER, cart
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

import connect_kit as ck
from connect_kit.errors import ProdWriteRefused

STORES = "sandbox:dev find_delivery_stores --find_by.address_line_1 '50 Beale St' "
PHONE = "+14155550100"


@pytest.fixture(scope="module")
def shell() -> InteractiveShell:
    ipython = InteractiveShell.instance()
    ipython.run_line_magic("load_ext", "connect_kit")
    return ipython


def kept(shell: InteractiveShell, env: str) -> ck.ConnectSession:
    session = shell.run_line_magic("connect", env)
    assert isinstance(session, ck.ConnectSession)
    return session


def new_user(shell: InteractiveShell, env: str = "sandbox:dev") -> str:
    user = f"magic-{uuid.uuid4().hex[:10]}"
    shell.user_ns["user_id"] = user
    made = shell.run_cell_magic(
        "connect",
        env + (" --allow-writes" if env.endswith("prod") else ""),
        "POST /v2/fulfillment/users\n"
        "Content-Type: application/json\n\n"
        f'{{"user_id": "{{{{user_id}}}}", "first_name": "Ada", "phone_number": "{PHONE}"}}\n',
    )
    assert made.status_code == 200 and made.json["user_id"] == user
    return user


def test_load_ext_registers_the_magics_and_importing_stays_light():
    code = (
        "import sys\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "shell = InteractiveShell.instance()\n"
        "import connect_kit\n"
        "before = shell.find_line_magic('connect'), shell.find_cell_magic('connect')\n"
        "assert before == (None, None), before\n"
        "assert 'connect_kit.exports._magics' not in sys.modules\n"
        "shell.run_line_magic('load_ext', 'connect_kit')\n"
        "assert shell.find_line_magic('connect') and shell.find_cell_magic('connect')\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def test_the_line_magic_calls_an_operation_with_the_command_lines_words(shell):
    session = kept(shell, "sandbox:dev")
    before = len(session.history)
    res = shell.run_line_magic("connect", STORES + "--find_by.postal_code 94105")
    assert isinstance(res, ck.Result)
    assert res.status_code == 200 and res.operation.name == "find_delivery_stores"
    assert res.request.body == {"find_by": ADDRESS}  # a postal code stays text: the spec's type
    assert len(res.frame) > 0
    assert kept(shell, "sandbox:dev") is session  # one session per environment, kept
    made = list(session.history["operation"])[before:]
    assert made[-1] == "find_delivery_stores" and len(made) <= 2  # and a token, the first time


def test_the_line_magic_takes_the_notebooks_values_and_json(shell):
    shell.user_ns["postal_code"] = "94105"
    done = shell.run_cell(f"stores = %connect {STORES}--find_by.postal_code $postal_code")
    assert done.success and shell.user_ns["stores"].request.body == {"find_by": ADDRESS}
    done = shell.run_cell(
        "%connect sandbox:dev find_delivery_stores --find_by "
        """'{"address_line_1": "50 Beale St", "postal_code": "94105"}'"""
    )
    assert done.success and done.result.request.body == {"find_by": ADDRESS}


def test_a_cell_holds_a_request_with_the_notebooks_variables(shell):
    user = new_user(shell)
    shell.user_ns["items"] = cart(PEANUT_BUTTER)  # a list: written into the body as JSON
    shell.user_ns["address"] = ADDRESS
    slots = shell.run_cell_magic(
        "connect",
        "sandbox:dev",
        "# a comment before the request\n"
        "POST {{base_url}}/v2/fulfillment/users/{{user_id}}/service_options/cart/delivery\n"
        "Content-Type: application/json\n\n"
        '{"location_code": "000-3801", "address": {{address}}, "items": {{items}}}\n',
    )
    assert slots.operation.name == "list_delivery_service_options"
    assert slots.request.body["items"] == cart(PEANUT_BUTTER)
    shell.user_ns["slots"] = slots
    hold = shell.run_cell_magic(
        "connect",
        "sandbox:dev",
        "POST /v2/fulfillment/users/{{user_id}}/service_options/"
        "{{slots.json.service_options.0.id}}/reserve\n",
    )
    assert hold.operation.name == "reserve_service_option" and hold.status_code == 200
    assert hold.request.path.endswith(f"/{slots.json['service_options'][0]['id']}/reserve")
    assert f"/users/{user}/" in hold.request.path


def test_a_cells_headers_go_with_its_request_only_and_the_session_authenticates(shell):
    session = kept(shell, "sandbox:dev")
    res = shell.run_cell_magic(
        "connect",
        "sandbox:dev",
        "POST /v2/fulfillment/stores/delivery\n"
        "Authorization: Bearer not-a-token\n"
        "Accept-Language: fr-CA\n\n"
        '{"find_by": {"address_line_1": "50 Beale St", "postal_code": "94105"}}\n',
    )
    assert res.status_code == 200  # the session's own token, not the cell's
    assert res.request.headers.get("Accept-Language") == "fr-CA"
    assert "Accept-Language" not in session.headers


def test_an_unknown_operation_says_did_you_mean_without_a_traceback(shell, capsys):
    with pytest.raises(UsageError, match="Did you mean find_delivery_stores") as caught:
        shell.run_line_magic("connect", "sandbox:dev find_delivery_store --find_by.postal_code 1")
    assert isinstance(caught.value.__cause__, KeyError)
    capsys.readouterr()
    done = shell.run_cell("%connect sandbox:dev find_delivery_store --find_by.postal_code 1")
    assert not done.success
    shown = capsys.readouterr()
    assert "Did you mean find_delivery_stores" in shown.err
    assert "Traceback" not in shown.err + shown.out and len(shown.err.splitlines()) == 1


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("", "usage: %connect ENV"),
        (STORES + "--find_by.postal_code", "--find_by.postal_code needs a value"),
        ("sandbox:dev find_delivery_stores postal_code 94105", "expected --field value"),
        ("sandbox:dev --as-user", "expected one argument"),
        ("sandbox:nowhere find_delivery_stores --find_by.postal_code 1", "sandbox:nowhere"),
    ],
)
def test_mistakes_in_a_line_are_clear_messages(shell, line, says):
    with pytest.raises(UsageError, match=re.escape(says)):
        shell.run_line_magic("connect", line)


def test_a_missing_variable_or_a_bad_cell_is_refused_before_sending(shell):
    session = kept(shell, "sandbox:dev")
    before = len(session.history)
    with pytest.raises(UsageError, match="no variable 'nobody_knows'"):
        shell.run_cell_magic(
            "connect", "sandbox:dev", "GET /v2/fulfillment/users/{{nobody_knows}}/link"
        )
    shell.user_ns["picked"] = [{"id": 7}]
    for name, says in [
        ("picked.3.id", "3 is past the end"),
        ("picked.0.nope", "no 'nope' in it"),
        ("picked.0.__class__", "'__class__' is private"),
    ]:
        with pytest.raises(UsageError, match=re.escape(f"{{{{{name}}}}}: {says}")):
            shell.run_cell_magic("connect", "sandbox:dev", f"GET /v2/x/{{{{{name}}}}}")
    with pytest.raises(UsageError, match="METHOD PATH"):
        shell.run_cell_magic("connect", "sandbox:dev", "/v2/fulfillment/users\n")
    with pytest.raises(UsageError, match="JSONDecodeError"):
        shell.run_cell_magic("connect", "sandbox:dev", "POST /v2/fulfillment/users\n\n{not json\n")
    with pytest.raises(UsageError, match="one request"):
        shell.run_cell_magic("connect", "sandbox:dev", "GET /v2/a\n\n### two\nGET /v2/b\n")
    with pytest.raises(UsageError, match="its own tokens"):
        shell.run_cell_magic(
            "connect", "sandbox:dev", 'POST /v2/oauth/token\n\n{"grant_type": "client_credentials"}'
        )
    assert len(session.history) == before  # nothing was sent


def test_an_error_answer_is_the_packages_message(shell):
    user = new_user(shell)
    with pytest.raises(UsageError, match=r"NotFoundError: .*404") as caught:
        shell.run_cell_magic(
            "connect", "sandbox:dev", f"GET /v2/fulfillment/users/{user}/orders/no-such-order"
        )
    assert caught.value.__cause__.status == 404


def test_a_write_to_production_is_refused_unless_allow_writes(shell):
    session = kept(shell, "sandbox:prod")
    before = len(session.history)
    user = f"magic-{uuid.uuid4().hex[:10]}"
    create = f"sandbox:prod create_user --user_id {user} --first_name Ada --phone_number {PHONE}"
    with pytest.raises(UsageError, match=r"refused before sending.*add --allow-writes") as caught:
        shell.run_line_magic("connect", create)
    assert isinstance(caught.value.__cause__, ProdWriteRefused)
    shell.user_ns["user_id"] = user
    cell = 'POST /v2/fulfillment/users\n\n{"user_id": "{{user_id}}", "first_name": "Ada"}\n'
    with pytest.raises(UsageError, match="ProdWriteRefused"):
        shell.run_cell_magic("connect", "sandbox:prod", cell)
    assert len(session.history) == before  # refused before a byte was sent
    made = shell.run_line_magic("connect", create + " --allow-writes")
    assert made.status_code == 200 and made.json["user_id"] == user
    assert session.allow_writes is False  # for that call only
    with pytest.raises(UsageError, match="ProdWriteRefused"):
        shell.run_line_magic("connect", create.replace(user, user + "-2"))
    reads = shell.run_line_magic(
        "connect", STORES.replace("dev", "prod") + "--find_by.postal_code 94105"
    )
    assert reads.status_code == 200  # reading prod needs no opting in


def test_as_user_calls_with_a_users_token_from_a_kept_session(shell):
    with pytest.raises(UsageError, match="app's token: add --as-user USER_ID"):
        shell.run_line_magic("connect", "sandbox:dev get_post_checkout_order --order_id o-1")
    user = new_user(shell)
    line = f"sandbox:dev --as-user {user} get_post_checkout_order --order_id no-such-order"
    with pytest.raises(UsageError, match="NotFoundError") as caught:
        shell.run_line_magic("connect", line)
    assert caught.value.__cause__.status == 404  # the user's token went, and was taken
    customer = shell.run_line_magic("connect", f"sandbox:dev --as-user {user}")
    assert customer.user_id == user and customer is not kept(shell, "sandbox:dev")
    assert list(customer.history["operation"])[-1] == "get_post_checkout_order"
