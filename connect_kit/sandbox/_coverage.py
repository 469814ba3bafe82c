"""How much of the documented Connect API the spec describes and the sandbox simulates.

Modelled on moto's ``IMPLEMENTATION_COVERAGE``: one entry per operation of the spec in
:data:`COVERAGE` (``full`` or ``partial``, with its known deviations from the docs), plus the
operations that docs.instacart.com documents and the spec does not describe
(``NOT_DESCRIBED`` in ``connect_kit/spec/_docs.py``). :func:`render` makes the Markdown
table that opens SANDBOX.md; ``python -m connect_kit.sandbox._coverage`` writes it there,
``--check`` only compares, and ``tests/test_coverage.py`` fails while SANDBOX.md's copy
differs.

An operation added to the spec needs an entry in :data:`COVERAGE` below (and its docs page in
``connect_kit/spec/_docs.py``); until then :func:`render` refuses, naming it (the command
still writes the table, with a row that says so, and exits 1). A documented
operation that the spec comes to describe leaves the "not described" rows by itself (they are
matched by method and path).

    full     every documented behaviour of the operation is simulated; where the docs are
             silent the sandbox chooses, and SANDBOX.md lists the choice under "Simulated"
    partial  some documented behaviour is missing or differs: the deviations say what
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .. import spec
from ..spec._docs import NO_OPERATIONS, NOT_DESCRIBED, SITE, Documented, docs_page

Status = Literal["full", "partial"]

START = "<!-- coverage:start -->"
END = "<!-- coverage:end -->"
SANDBOX_MD = Path(__file__).with_name("SANDBOX.md")
COMMAND = "python -m connect_kit.sandbox._coverage"
HERE = "connect_kit/sandbox/_coverage.py"


@dataclass(frozen=True)
class Coverage:
    """How the sandbox simulates one operation of the spec."""

    status: Status
    deviations: tuple[str, ...] = ()


FULL = Coverage("full")


def partial(*deviations: str) -> Coverage:
    return Coverage("partial", deviations)


#: Every operation of the spec, by name. Deviations are short; SANDBOX.md has the detail.
COVERAGE: dict[str, Coverage] = {
    # Authentication
    "create_token": FULL,
    "revoke_token": FULL,
    # Fulfillment: users and account linking
    "create_user": FULL,
    "create_user_address": FULL,
    "link_user": FULL,
    "get_user_link": FULL,
    "lastmile_validate_address": FULL,
    "lastmile_create_user_and_validate_address": FULL,
    # Fulfillment: stores
    "find_delivery_stores": FULL,
    "find_pickup_stores": FULL,
    "find_last_mile_stores": FULL,
    "find_dispatch_stores": FULL,
    # Fulfillment: time slots and holds
    "preview_delivery_service_options": FULL,
    "preview_pickup_service_options": FULL,
    "preview_last_mile_service_options": FULL,
    "list_delivery_service_options": FULL,
    "list_pickup_service_options": FULL,
    "list_last_mile_service_options": FULL,
    "lastmile_list_service_options": FULL,
    "reserve_service_option": FULL,
    "reserve_desired_window": FULL,
    "reserve_service_option_with_cart": FULL,
    "lastmile_reserve_service_option": FULL,
    # Fulfillment: delivery and pickup orders
    "create_delivery_order": partial(
        "no over-the-counter medication or beverage-weight limits (the docs name them, "
        "without values)"
    ),
    "create_pickup_order": FULL,
    "get_order": FULL,
    "list_orders": FULL,
    "update_order": FULL,
    "update_tip": FULL,
    "set_replacement_selections": FULL,
    "cancel_order": FULL,
    "validate_items": FULL,
    # Fulfillment: last mile and dispatch last mile
    "create_last_mile_order": FULL,
    "update_last_mile_order": FULL,
    "stage_order": FULL,
    "create_dispatch_order": FULL,
    "get_dispatch_order": FULL,
    "update_dispatch_order": FULL,
    "cancel_dispatch_order": FULL,
    "stage_dispatch_order": FULL,
    "lastmile_create_order": FULL,
    # Sandbox API
    "create_shopper": FULL,
    "generate_batch": FULL,
    "advance_batch": partial(
        "a batch only moves forward (the callback docs say an order may move back and "
        "repeat a status)"
    ),
    "create_shopper_order_item": FULL,
    "update_shopper_order_item": FULL,
    "simulate_order_callback": partial(
        "`rescheduled` sends its event and changes nothing on the order"
    ),
    "create_instacart_user": FULL,
    "authorize_instacart_user": FULL,
    # Post-checkout API
    "get_post_checkout_order": FULL,
    "get_order_handling": partial(
        "no 'remove shopper information' mode; `certified_delivery` always false"
    ),
    "get_order_location": partial("no `Shopper PII` 403 (no PII redaction setting)"),
    "get_order_items": FULL,
    "handle_item_replacement": FULL,
    "get_chat_messages": partial("no 403 under 'remove shopper information'"),
    "send_chat_message": FULL,
    "mark_chat_messages_read": FULL,
    "get_order_messages": FULL,
    "get_pickup_details": FULL,
    "set_vehicle_info": partial("`is_pickup_delegate: true` refused: no pickup delegates"),
    "get_vehicle_info": FULL,
    "record_user_arrival": partial(
        "no runner batch, no `No pickup status found for order` 404; "
        "`is_pickup_delegate: true` refused"
    ),
    "schedule_pickup": partial("keeps the ETA; no store notification"),
    # Order Feedback (under Fulfillment), Transaction API, Catalog API
    "set_order_feedback": FULL,
    "set_order_feedback_as_user": FULL,
    "send_pos_transaction": partial(
        "the tenders, items and taxes tables could not be read: their fields are the "
        "tutorial example's, all optional; nothing is reconciled"
    ),
    "submit_catalog_product": partial(
        "ingested at once (docs: 1-3 business days to create, hours to update)"
    ),
    "submit_catalog_item": partial("ingested at once (docs: 2-3 hours)"),
    # Recommendations API (suggestions and stock levels from the seed catalogue)
    "find_replacement_items": FULL,
    "find_replacement_items_for_order": FULL,
    "find_complementary_items": FULL,
    "find_complementary_items_for_order": FULL,
    "find_replacement_items_as_user": FULL,
    "find_replacement_items_for_order_as_user": FULL,
    "find_complementary_items_as_user": FULL,
    "find_complementary_items_for_order_as_user": FULL,
}

#: Deviations that hold for many operations at once, listed under the table.
CROSS_CUTTING = (
    "No 408 for an idle connection; 429, 500 and 503 only as faults you ask for "
    "(see Faults on demand).",
)


#: Path prefixes of other Instacart products, and what the sandbox answers under them (404).
OTHER_PRODUCTS = {
    "/idp/": (
        "The Developer Platform API (/idp/v1) is another Instacart product, not part of "
        "Connect: the connect-kit sandbox does not simulate it "
        f"(see {SITE}/developer_platform_api/api/overview)"
    ),
}


def out_of_scope(path: str) -> str | None:
    """What the sandbox says about ``path`` when it belongs to another product."""
    return next((text for prefix, text in OTHER_PRODUCTS.items() if path.startswith(prefix)), None)


AREAS = {
    "auth": "Authentication",
    "fulfillment": "Fulfillment",
    "sandbox": "Sandbox API",
    "post_checkout": "Post-checkout API",
    "recommendations": "Recommendations API",
    "transaction": "Transaction API",
    "catalog": "Catalog API",
}
AREA_ORDER = (*AREAS.values(), "Compliance API", "Developer Platform API")


class CoverageError(LookupError):
    """The spec has operations that the coverage (or the docs mapping) does not know."""


def missing() -> list[str]:
    """Operations of the spec without an entry in :data:`COVERAGE`."""
    return [name for name in spec.OPERATIONS if name not in COVERAGE]


def stale() -> list[str]:
    """Entries of :data:`COVERAGE` whose operation the spec no longer has."""
    return [name for name in COVERAGE if name not in spec.OPERATIONS]


def missing_message(names: Iterable[str]) -> str:
    return (
        f"no sandbox coverage for {', '.join(sorted(names))}: add an entry to COVERAGE in "
        f'{HERE} ("full", or partial(...) with its deviations from the docs), then run '
        f"`{COMMAND}` to rewrite the table in connect_kit/sandbox/SANDBOX.md"
    )


def not_described() -> list[Documented]:
    """The documented operations that the spec does not describe now (matched by route)."""
    described = {(op.method, op.path) for op in spec.OPERATIONS.values()}
    return [d for d in NOT_DESCRIBED if (d.method, d.path) not in described]


def area_of(op: spec.Operation) -> str:
    return AREAS.get(op.area, op.area.replace("_", " ").title())


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _link(url: str | None) -> str:
    if not url:
        return "(none recorded)"
    label = re.sub(r"^https://docs\.instacart\.com/(connect/api/)?", "", url).rstrip("/")
    return f"[{label}]({url})"


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _order(area: str) -> int:
    return AREA_ORDER.index(area) if area in AREA_ORDER else len(AREA_ORDER)


NO_ENTRY = Coverage("partial", ("no coverage entry yet: add one to COVERAGE in " + HERE,))


def render(strict: bool = True) -> str:
    """The coverage section of SANDBOX.md, markers included.

    Strict, it refuses while an operation of the spec has no entry in :data:`COVERAGE`;
    otherwise such an operation gets a row that says so (and counts as neither).
    """
    if strict and (names := missing()):
        raise CoverageError(missing_message(names))
    rows: list[tuple[str, list[str]]] = []
    counts: dict[str, list[int]] = {}  # area -> [documented, described, full, partial, out]

    def count(area: str, *adds: int) -> None:
        totals = counts.setdefault(area, [0, 0, 0, 0, 0])
        for i, add in enumerate(adds):
            totals[i] += add

    for op in spec.OPERATIONS.values():
        area, cover = area_of(op), COVERAGE.get(op.name)
        status: str = cover.status if cover else "no entry"
        count(area, 1, 1, status == "full", status == "partial", 0)
        deviations = "; ".join((cover or NO_ENTRY).deviations)
        cells = [area, f"`{op.name}`", f"`{op.method} {op.path}`", _link(docs_page(op.name))]
        rows.append((area, [*cells, status, deviations]))
    for doc in not_described():
        count(doc.area, 1, 0, 0, 0, doc.out_of_scope)
        if doc.out_of_scope:
            status, why = "out of scope", "another product; the sandbox answers 404 saying so"
        else:
            status, why = "not described", "not in the spec yet; the sandbox answers 404"
        cells = [doc.area, doc.title, f"`{doc.method} {doc.path}`", _link(doc.docs)]
        rows.append((doc.area, [*cells, status, why]))
    for area, why, url in NO_OPERATIONS:
        count(area, 0, 0, 0, 0, 0)
        rows.append((area, [area, "(no documented operation)", "", _link(url), "", why]))
    rows.sort(key=lambda row: _order(row[0]))  # stable: spec order inside an area

    documented, described, full, part, out = (sum(c[i] for c in counts.values()) for i in range(5))
    unknown = described - full - part
    lines = [
        START,
        "## Coverage",
        "",
        f"Generated from the spec by `{COMMAND}` and checked by `tests/test_coverage.py`: "
        f"edit `{HERE}`, not this table. The request and response examples the docs "
        "publish are fixtures (`tests/fixtures/docs_examples/`): `tests/test_docs_examples.py` "
        "holds them against the spec and replays them against the sandbox.",
        "",
        f"**{documented} documented operations** ({out} of them out of scope: another "
        f"product), **{described} described** by the spec and served by the sandbox: "
        f"**{full} simulated fully, {part} partly**"
        + (f", {unknown} without a coverage entry yet" if unknown else "")
        + ". *full*: every documented behaviour is simulated (where the docs are silent, the "
        "sandbox's choice is listed under Simulated below); *partial*: some documented "
        "behaviour is missing or differs, as the deviations say. Documented operations that "
        "the spec does not describe answer 404.",
        "",
        _row(["API area", "documented", "described", "full", "partial", "out of scope"]),
        _row(["---"] + ["---:"] * 5),
    ]
    for area in sorted(counts, key=_order):
        lines.append(_row([area, *(str(n) for n in counts[area])]))
    lines += [
        _row(["**Total**", *(f"**{n}**" for n in (documented, described, full, part, out))]),
        "",
        _row(["API area", "operation", "method + path", "docs page", "sandbox", "deviations"]),
        _row(["---"] * 6),
        *(_row(cells) for _, cells in rows),
        "",
        "Across operations:",
        "",
        *(f"- {text}" for text in CROSS_CUTTING),
        END,
    ]
    return "\n".join(lines)


def replace_block(text: str, block: str) -> str:
    """``text`` with its coverage block replaced by ``block`` (put first if it has none)."""
    start, end = text.find(START), text.find(END)
    if start == -1 or end == -1 or end < start:
        title, sep, rest = text.partition("\n\n")
        return f"{title}{sep}{block}\n\n{rest}" if sep else f"{block}\n\n{text}"
    return text[:start] + block + text[end + len(END) :]


def current_block(text: str) -> str | None:
    start, end = text.find(START), text.find(END)
    return None if start == -1 or end == -1 else text[start : end + len(END)]


def main(argv: Sequence[str] = ()) -> int:
    """Rewrite SANDBOX.md's coverage table; with ``--check``, only say whether it is current.

    The table is written even while operations lack an entry (their rows say so), and the
    exit status is then 1, with the message saying where to add them.
    """
    block = render(strict=False)
    text = SANDBOX_MD.read_text()
    status = 0
    if "--check" in argv:
        if current_block(text) != block:
            print(f"SANDBOX.md's coverage table is out of date: run `{COMMAND}`", file=sys.stderr)
            status = 1
    elif (updated := replace_block(text, block)) != text:
        SANDBOX_MD.write_text(updated)
        print(f"rewrote the coverage table in {SANDBOX_MD}")
    if names := missing():
        print(missing_message(names), file=sys.stderr)
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
