"""call() at its edges: deprecation warnings only for what the caller asked, at the caller's
own line; a body field called ``body``; arguments that never echo a secret."""

from __future__ import annotations

import traceback
import warnings

import pytest
from helpers import ADDRESS, delivery_order
from test_post_checkout import Customer
from test_session import session_for

from connect_kit.client import _arguments as session_module
from connect_kit.errors import ConnectError, DeprecatedWarning

CANARY = "canary-argument-secret-91f3"


@pytest.fixture
def fresh_warnings(monkeypatch):
    """Deprecations warn once per process: this test starts with none given."""
    monkeypatch.setattr(session_module, "_warned", set())


def test_a_deprecated_operation_warns_at_the_callers_own_line(sandbox, unique, fresh_warnings):
    with session_for(sandbox) as dev:
        dev.call("create_user", user_id=f"line-{unique}", first_name="Line")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            dev.call("lastmile_validate_address", user_id=f"line-{unique}", **ADDRESS)
            line = traceback.extract_stack(limit=1)[0].lineno - 1
    deprecations = [w for w in caught if issubclass(w.category, DeprecatedWarning)]
    assert len(deprecations) == 1
    assert (deprecations[0].filename, deprecations[0].lineno) == (__file__, line)


def test_a_deprecated_request_field_warns_when_the_caller_sends_it(sandbox, unique, fresh_warnings):
    fields = {"email": f"{unique}@example.com", "phone": "4155550142", "password": "pw"}
    with session_for(sandbox) as dev:
        with pytest.warns(DeprecatedWarning, match="express_member.*instacartplus_member"):
            dev.call("create_instacart_user", express_member=True, **fields)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # not sent: no warning
            fields["email"] = f"other-{unique}@example.com"
            dev.call("create_instacart_user", instacartplus_member=True, **fields)


def test_deprecated_fields_in_an_answer_are_notes_not_warnings(
    sandbox, dev, unique, fresh_warnings
):
    user_id, order_id = f"note-{unique}", f"note-order-{unique}"
    delivery_order(dev, user_id, order_id)
    with session_for(sandbox) as session, warnings.catch_warnings():
        warnings.simplefilter("error")  # the caller did not send is_express: nothing to warn
        result = session.call("get_order", user_id=user_id, order_id=order_id)
    assert "is_express" in result.json
    assert any("is_express is deprecated: use is_instacartplus" in w for w in result.warnings)


def test_send_chat_message_takes_its_body_field_by_name(sandbox, dev, unique):
    customer = Customer(dev, unique).batched("picking")
    with session_for(sandbox) as session:
        user = session.for_user(customer.user_id)
        sent = user.call("send_chat_message", order_id=customer.order_id, body="Ripe ones")
        assert sent.json["type"] == "CHAT"
        messages = user.call("get_chat_messages", order_id=customer.order_id).json
        assert messages["chat_messages"][-1]["body"] == "Ripe ones"
        # the whole body at once still works
        again = user.call("send_chat_message", order_id=customer.order_id, body={"body": "Two"})
        assert again.status_code == 200
        user.close()


def test_argument_errors_never_echo_a_secret(sandbox):
    with session_for(sandbox) as dev:
        cases = [
            lambda: dev.call(
                "create_token",
                body={"grant_type": "client_credentials"},
                client_id="me",
                client_secret=CANARY,
            ),
            lambda: dev.call("revoke_token", client_id="me", client_secret=CANARY, token=CANARY),
            lambda: dev.call("create_token", client_id="me", client_secret=CANARY, grant_type=5),
            lambda: dev.call("create_token", client_id="me", client_secret=CANARY, scope=[CANARY]),
        ]
        for case in cases:
            try:
                case()
            except ConnectError as error:  # refused before sending, or answered 401
                rendered = [
                    str(error),
                    repr(error),
                    *map(str, error.errors),
                    "".join(traceback.format_exception(error)),
                ]
                assert not any(CANARY in text for text in rendered), rendered
            else:
                raise AssertionError("expected an error")
