"""The Post-checkout chat: the conversation between the customer and the shopper, and the
order's messages (the chat with the order's lifecycle). See :mod:`.post_checkout`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ..errors import ApiError
from ._registry import Context, handles
from .common import country_of, iso, preferred_locale, record_event
from .post_checkout import (
    customer_doc,
    order_store,
    own_order,
    reached,
    save_doc,
    shopper_name,
    stable_number,
    workflow_state,
)

CHAT_CLOSED = ("delivered", "canceled")
CHAT_KEPT = timedelta(hours=24)  # messages stay readable this long after the order ends
LIFECYCLE_TEXT = {
    "brand_new": "We received your order.",
    "acknowledged": "A shopper accepted your order.",
    "picking": "Your shopper started shopping your order.",
    "verifying_replacements": "Your shopper is checking replacements with you.",
    "checkout": "Your shopper is checking out.",
    "receipt_sanity_check": "Your shopper is checking the receipt.",
    "bags_check": "Your order is being bagged.",
    "ready_for_pickup": "Your order is ready for pickup.",
    "staged": "Your order is staged.",
    "delivering": "Your order is on its way.",
    "delivered": "Your order was delivered.",
    "canceled": "Your order was canceled.",
}
# the same in Canadian French, for an answer whose language is fr-CA (Accept-Language, else
# the order's locale: connect/api/request_headers, connect/api/localization)
LIFECYCLE_TEXT_FR = {
    "brand_new": "Nous avons reçu votre commande.",
    "acknowledged": "Un acheteur a accepté votre commande.",
    "picking": "Votre acheteur a commencé à faire vos achats.",
    "verifying_replacements": "Votre acheteur vérifie les remplacements avec vous.",
    "checkout": "Votre acheteur passe à la caisse.",
    "receipt_sanity_check": "Votre acheteur vérifie le reçu.",
    "bags_check": "Votre commande est mise en sacs.",
    "ready_for_pickup": "Votre commande est prête pour le ramassage.",
    "staged": "Votre commande est prête.",
    "delivering": "Votre commande est en route.",
    "delivered": "Votre commande a été livrée.",
    "canceled": "Votre commande a été annulée.",
}
FIRST_MESSAGE_ID = 1


def _lifecycle_text(ctx: Context, order: dict[str, Any], state: str) -> str:
    """A lifecycle message in the answer's language: the one Accept-Language prefers among
    the order's country's locales, else the order's own locale."""
    locale = preferred_locale(ctx, country_of(order_store(ctx, order)))
    if locale is None:
        locale = order.get("locale") or "en_US"
    if locale.replace("_", "-") == "fr-CA":
        return LIFECYCLE_TEXT_FR.get(state, f"Votre commande : {state.replace('_', ' ')}.")
    return LIFECYCLE_TEXT.get(state, f"Your order is {state.replace('_', ' ')}.")


def _expired(ctx: Context, order: dict[str, Any]) -> bool:
    if order["status"] not in CHAT_CLOSED:
        return False
    ended = reached(order, order["status"])
    return ended is not None and ctx.instance.now() - datetime.fromisoformat(ended) > CHAT_KEPT


def _ids(order: dict[str, Any]) -> tuple[int, int, int]:
    """(internal order id, customer id, shopper id): stable integers for the string ids."""
    return (
        stable_number(f"order:{order['id']}"),
        stable_number(f"user:{order['user_id']}"),
        stable_number(f"shopper:{order['id']}", 7),
    )


def _chat(ctx: Context, order: dict[str, Any], doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The conversation; the shopper opens it when picking starts (the greeting is written
    the first time the chat is looked at after that)."""
    messages = doc.setdefault("messages", [])
    started = reached(order, "picking")
    if started and not any(m["sender_type"] == "driver" for m in messages):
        messages.insert(
            0,
            {
                "id": ctx.state.next_id("chat_message", FIRST_MESSAGE_ID),
                "sender_type": "driver",
                "body": f"Hi, I'm {shopper_name(order)}, I'm shopping your order now.",
                "created_at": started,
                "read": False,
            },
        )
        save_doc(ctx, doc)
    return messages


def _render_message(order: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
    internal, customer, shopper = _ids(order)
    from_user = message["sender_type"] == "user"
    return {
        "id": message["id"],
        "order_id": internal,
        "created_at": message["created_at"],
        "recipient_id": shopper if from_user else customer,
        "recipient_type": "driver" if from_user else "user",
        "sender_id": customer if from_user else shopper,
        "sender_type": message["sender_type"],
        "read": message["read"],
        "body": message["body"],
    }


def _chat_answer(ctx: Context, order: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    expired = _expired(ctx, order)
    messages = [] if expired else _chat(ctx, order, doc)
    return {
        "chat_messages": [_render_message(order, m) for m in messages],
        "metadata": {"is_expired": expired},
    }


@handles("get_chat_messages")
def get_chat_messages(ctx: Context) -> dict[str, Any]:
    order = own_order(ctx)
    return _chat_answer(ctx, order, customer_doc(ctx, order))


@handles("send_chat_message")
def send_chat_message(ctx: Context) -> dict[str, Any]:
    order = own_order(ctx)
    doc = customer_doc(ctx, order)
    if reached(order, "picking") is None or order["status"] in CHAT_CLOSED:
        raise ApiError(403, "Sending a message is not allowed at this time", None)
    messages = _chat(ctx, order, doc)
    now = iso(ctx.instance.now())
    message = {
        "id": ctx.state.next_id("chat_message", FIRST_MESSAGE_ID),
        "sender_type": "user",
        "body": ctx.body.body,
        "created_at": now,
        "read": False,
    }
    messages.append(message)
    save_doc(ctx, doc)
    record_event(ctx, order, "chat_message_created", topic_id=str(_ids(order)[0]))
    return {"id": message["id"], "type": "CHAT", "created_at": now, "timezone": "UTC"}


@handles("mark_chat_messages_read")
def mark_chat_messages_read(ctx: Context) -> dict[str, Any]:
    order = own_order(ctx)
    doc = customer_doc(ctx, order)
    count = 0
    for message in _chat(ctx, order, doc):
        if message["sender_type"] == "driver" and not message["read"]:
            message["read"] = True
            count += 1
    if count:
        save_doc(ctx, doc)
    return {"messages_read_count": count}


@handles("get_order_messages")
def get_order_messages(ctx: Context) -> dict[str, Any]:
    order = own_order(ctx)
    doc = customer_doc(ctx, order)
    answer = _chat_answer(ctx, order, doc)
    lifecycle = []
    for i, step in enumerate(order.get("history", []), 1):
        state = workflow_state({**order, "status": step["status"]})
        lifecycle.append(
            {
                "id": f"{order['id']}-{i}",
                "workflow_state": state,
                "message": _lifecycle_text(ctx, order, state),
                "created_at": step["at"],
            }
        )
    answer["lifecycle_messages"] = [] if answer["metadata"]["is_expired"] else lifecycle
    return answer
