"""Pulls for analysts: keys kept with every row, time zones, one missing value, latency.

Against the real sandbox over HTTPS, except where a record the sandbox never serves is needed
(a ``time_zone`` beside a timestamp): those frames are made from hand-written records.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from helpers import ADDRESS, BANANAS, PEANUT_BUTTER, cart, delivery_order
from test_session import session_for

import connect_kit as ck
from connect_kit import spec
from connect_kit._redact import REDACTED
from connect_kit.data import _frames as frames
from connect_kit.data._compare_html import grouped
from connect_kit.data._diff import MISSING, Difference
from connect_kit.errors import ConnectWarning

TIMESTAMP = "datetime64[us, UTC]"
FIND = {"find_by": ADDRESS}


@pytest.fixture
def session(sandbox):
    with session_for(sandbox) as dev:
        yield dev


@pytest.fixture
def sessions(sandbox):
    with session_for(sandbox) as dev, session_for(sandbox, "prod") as prod:
        yield dev, prod


@pytest.fixture
def three_orders(dev, unique) -> list[tuple[str, str]]:
    """Three users with an order each, the last one with two items."""
    made = []
    for n in range(3):
        user_id, order_id = f"an{n}-{unique}", f"an-order-{n}-{unique}"
        items = cart(PEANUT_BUTTER, BANANAS) if n == 2 else cart(PEANUT_BUTTER)
        delivery_order(dev, user_id, order_id, items=items)
        made.append((user_id, order_id))
    return made


def missing_kinds(frame: pd.DataFrame) -> set[str]:
    """The kinds of missing value a frame holds, and how it prints them."""
    kinds = {type(v).__name__ for v in frame.to_numpy().ravel() if _missing(v)}
    shown = frame.to_string()
    kinds |= {word for word in ("None", "NaN") if re.search(rf"(?<!\w){word}(?!\w)", shown)}
    return kinds


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or an object: not missing
        return False


# Keys kept with every row ---------------------------------------------------------------


def test_read_orders_keeps_the_user_of_each_row(session, three_orders):
    frame = session.read_orders(three_orders, workers=2)
    assert list(frame.columns[:4]) == ["input", "user_id", "order_id", "id"]
    assert frame[["user_id", "id"]].values.tolist() == [list(pair) for pair in three_orders]
    assert str(frame["user_id"].dtype) == "string"
    asked = pd.DataFrame(three_orders[::-1], columns=["user_id", "order_id"])
    again = session.read_orders(asked)
    assert again["user_id"].tolist() == asked["user_id"].tolist()
    with pytest.warns(ConnectWarning, match="1 of 3 orders"):
        partial = session.read_orders([three_orders[0], ("nobody", "none"), three_orders[2]])
    assert partial["input"].tolist() == [0, 2]  # each row still names the pair it came from
    assert partial[["user_id", "id"]].values.tolist() == [
        list(three_orders[0]),
        list(three_orders[2]),
    ]


def test_call_many_frames_keep_the_inputs_own_keys(session):
    places = [
        {"find_by": {"latitude": 37.7910, "longitude": -122.3940}},
        {"find_by": {"postal_code": "94105", "address_line_1": "50 Beale St"}},
    ]
    bulk = session.call_many("find_delivery_stores", places, progress=False)
    frame = bulk.frame
    sent = [
        "find_by.latitude",
        "find_by.longitude",
        "find_by.postal_code",
        "find_by.address_line_1",
    ]
    assert list(frame.columns[:5]) == ["input", *sent]
    assert frame["input"].value_counts().to_dict() == {
        i: len(r.records) for i, r in enumerate(bulk.results)
    }
    for row in frame.itertuples(index=False):  # every row joins back to the input it came from
        asked = places[row.input]["find_by"]
        assert asked.get("postal_code", pd.NA) is pd.NA or row[3] == asked["postal_code"]
        if "latitude" in asked:
            assert row[1] == asked["latitude"] and pd.isna(row[3])
    stores = session.call("find_delivery_stores", **places[1]).frame
    mine = frame[frame["input"] == 1].drop(columns=["input", *sent]).reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, stores)


def test_an_argument_named_like_a_column_and_a_secret_one(session, dev):
    wanted = {"client_id": dev.client_id, "client_secret": dev.client_secret}
    bulk = session.call_many(
        "create_token", [{**wanted, "grant_type": "client_credentials"}], progress=False
    )
    frame = bulk.frame
    assert frame.loc[0, "client_secret"] == REDACTED  # a secret sent is never shown
    assert dev.client_secret not in frame.to_string()
    assert frame.loc[0, "access_token"] == REDACTED
    assert str(frame["created_at"].dtype) == TIMESTAMP


def test_bulk_nested_items_like_a_result(session, three_orders):
    params = [{"user_id": u, "order_id": o} for u, o in three_orders]
    bulk = session.call_many("get_order", params, workers=3, progress=False)
    items = bulk.nested("items")
    # the input's order_id is named apart from the parent's key, which a Result's nested has
    assert list(items.columns[:4]) == ["input", "user_id", "input.order_id", "order_id"]
    assert items["input"].tolist() == [0, 1, 2, 2]
    assert items["user_id"].tolist() == [u for u, _ in three_orders] + [three_orders[2][0]]
    assert (items["order_id"] == items["input.order_id"]).all()
    one = session.call("get_order", **params[2]).nested("items")
    mine = items[items["input"] == 2].iloc[:, 3:].reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, one)
    with pytest.raises(ValueError, match="not a nested list"):
        bulk.nested("status")


# Times: tz= -----------------------------------------------------------------------------


def test_slots_on_the_stores_clock_or_in_a_named_zone(session):
    for postal_code, zone in (("94105", "America/Los_Angeles"), ("60601", "America/Chicago")):
        utc = session.read_time_slots(postal_code=postal_code)
        assert str(utc["window.start_at"].dtype) == TIMESTAMP  # the default stays UTC
        local = session.read_time_slots(postal_code=postal_code, tz="store")
        assert str(local["window.start_at"].dtype) == "datetime64[us]"
        expected = utc["window.start_at"].dt.tz_convert(zone).dt.tz_localize(None)
        assert local["window.start_at"].tolist() == expected.tolist()
        assert set(local["window.start_at"].dt.hour) <= set(range(8, 22))  # store hours
        assert local["date"].equals(utc["date"])  # dates are days: left as they are
    utc = session.read_time_slots(postal_code="94105")
    tokyo = session.read_time_slots(postal_code="94105", tz="Asia/Tokyo")
    assert str(tokyo["window.start_at"].dtype) == "datetime64[us, Asia/Tokyo]"
    assert tokyo["window.start_at"].tolist() == utc["window.start_at"].tolist()  # same instants


def test_orders_on_the_stores_clock(session, three_orders):
    utc = session.read_orders(three_orders)
    local = session.read_orders(three_orders, tz="store")
    starts = local["fulfillment_details.window_starts_at"]
    assert str(starts.dtype) == "datetime64[us]"
    expected = utc["fulfillment_details.window_starts_at"].dt.tz_convert("America/Los_Angeles")
    assert starts.tolist() == expected.dt.tz_localize(None).tolist()
    one = session.read_order(*three_orders[0], tz="Europe/Paris")
    assert str(one["created_at"].dtype) == "datetime64[us, Europe/Paris]"


def test_store_zone_comes_from_the_record_then_the_offset_then_utc():
    rows = [
        {"id": "1", "time_zone": "America/New_York", "created_at": "2026-05-01T12:00:00Z"},
        {"id": "2", "time_zone": "Asia/Tokyo", "created_at": "2026-05-01T12:00:00Z"},
        {"id": "3", "created_at": "2026-05-01T05:00:00-07:00"},  # written on the store's clock
        {"id": "4", "created_at": "2026-05-01T12:00:00Z"},
        {"id": "5", "time_zone": "Mars/Olympus", "created_at": "2026-05-01T09:00:00+02:00"},
        {"id": "6", "time_zone": "Asia/Tokyo"},
    ]
    frame = frames.to_frame(spec.get("list_orders"), {"orders": rows}, tz="store")
    times = frame["created_at"].tolist()
    assert times[:5] == [
        pd.Timestamp("2026-05-01 08:00"),  # New York, daylight saving time
        pd.Timestamp("2026-05-01 21:00"),
        pd.Timestamp("2026-05-01 05:00"),
        pd.Timestamp("2026-05-01 12:00"),
        pd.Timestamp("2026-05-01 09:00"),  # an unknown zone name: the written offset
    ]
    assert pd.isna(times[5])
    kept = frames.to_frame(
        spec.get("list_orders"), {"orders": rows}, dtypes={"created_at": "string"}, tz="store"
    )
    assert kept["created_at"].tolist()[0] == "2026-05-01T12:00:00Z"  # the caller's dtype wins


@pytest.mark.parametrize("tz", ["Pacific", "america/los angeles", "", 5])
def test_a_bad_zone_name_says_what_the_option_takes(session, tz, three_orders):
    res = session.call("get_order", user_id=three_orders[0][0], order_id=three_orders[0][1])
    calls = len(session.history)
    for make in (
        lambda: res.to_frame(tz=tz),
        lambda: res.nested("items", tz=tz),
        lambda: session.read_orders(three_orders, tz=tz),
        lambda: frames.to_frame(res.operation, res.json, tz=tz),
    ):
        with pytest.raises(ValueError, match=r"tz.*'store'.*'America/Los_Angeles'") as caught:
            make()
        assert "Traceback" not in str(caught.value)
    assert len(session.history) == calls  # refused before any call was made
    with pytest.raises(ValueError, match="did you mean 'US/Pacific'"):
        res.to_frame(tz="Pacific")


# Places, missing values, token times ------------------------------------------------------


def test_read_stores_takes_a_list_or_a_tuple(session):
    as_tuple = session.read_stores((37.7910, -122.3940))
    as_list = session.read_stores([37.7910, -122.3940])
    assert len(as_tuple) > 0
    pd.testing.assert_frame_equal(as_tuple, as_list)
    for wrong, said in (([37.79], "got 1 values"), (("north", "west"), "got ('north', 'west')")):
        with pytest.raises(ValueError, match=rf"two numbers.*{re.escape(said)}"):
            session.read_stores(wrong)


def test_every_frame_shows_a_missing_value_the_same_way(session, sessions, three_orders):
    orders = frames.to_frame(
        spec.get("list_orders"),
        {"orders": [{"id": "1", "new_list": [1]}, {"id": "2", "status": "brand_new"}]},
    )
    assert pd.isna(orders.loc[0, "status"]) and orders.loc[1, "new_list"] is pd.NA
    assert missing_kinds(orders) <= {"NAType", "NaTType"}  # NaT: pandas' missing time
    bulk = session.call_many(
        "get_order", [{"user_id": "nobody", "order_id": "x"}, {"user_id": "u"}], progress=False
    )
    assert missing_kinds(bulk.errors) == {"NAType"}  # no status, no code: <NA>
    assert missing_kinds(bulk.frame) <= {"NAType", "NaTType"}
    one_failed = ck.compare(
        "get_order", sessions=sessions, user_id=three_orders[0][0], order_id=three_orders[0][1]
    )  # prod has no such order
    differs = ck.compare("find_delivery_stores", sessions=sessions, **FIND)
    shown = [one_failed.summary, differs.summary, differs.diff, differs.drift, one_failed.latency]
    for frame in shown:
        assert missing_kinds(frame) <= {"NAType"}, frame
    assert one_failed.summary["error"].isna().tolist() == [True, False]
    assert differs.diff["prod"].isna().any()  # a field only dev has: <NA> on prod's side


def test_a_tokens_created_at_is_a_time_like_every_other(session, dev):
    before = datetime.now(UTC) - timedelta(seconds=5)
    res = session.call(
        "create_token",
        client_id=dev.client_id,
        client_secret=dev.client_secret,
        grant_type="client_credentials",
    )
    frame = res.frame
    assert str(frame["created_at"].dtype) == TIMESTAMP
    made = frame.loc[0, "created_at"]
    assert before <= made <= datetime.now(UTC) + timedelta(seconds=5)
    assert made == pd.Timestamp(res.json["created_at"], unit="s", tz="UTC")
    assert str(res.to_frame(tz="store")["created_at"].dtype) == "datetime64[us]"


# Compare: latency of error answers, rounding, grouping -----------------------------------


def test_repeat_times_error_answers_too(sandbox, sessions):
    sandbox.faults("prod", latency_ms=20)
    cmp = ck.compare("get_order", sessions=sessions, repeat=6, user_id="u", order_id="o")
    assert cmp.verdict == "both failed"
    latency = cmp.latency
    assert list(latency.columns) == ["calls", "errors", "p50", "p90", "p99", "max"]
    assert latency["calls"].tolist() == [6, 6] and latency["errors"].tolist() == [6, 6]
    assert latency.loc["prod", "p50"] >= 20  # the injected latency: error answers are timed
    for value in latency[["p50", "p90", "p99", "max"]].to_numpy().ravel():
        assert round(float(value), 1) == float(value)  # rounded for display
    assert cmp.summary["latency_ms"].notna().all()
    html = cmp._repr_html_()
    assert "6 calls, 6 error answers" in html
    axis = re.search(r'<svg[^>]*aria-label="milliseconds".*?</svg>', html)
    assert axis is not None and ">ms</text>" in axis.group()
    ticks = [float(t) for t in re.findall(r">([\d.]+)</text>", axis.group())]
    longest = max(max(cmp.a.latencies_ms), max(cmp.b.latencies_ms))
    assert ticks[0] == 0 and len(ticks) >= 2 and ticks[-1] <= longest
    assert all(round(t / ticks[1]) * ticks[1] == t for t in ticks)  # evenly spaced, round


def test_a_call_that_got_no_answer_ends_the_repeats(sessions):
    cmp = ck.compare("get_order", sessions=sessions, repeat=5, user_id="u")  # no order_id
    assert cmp.latency["calls"].tolist() == [0, 0]  # refused before sending: nothing to time
    assert cmp.verdict == "both failed"


def test_a_difference_repeated_on_every_store_is_one_line_with_a_count(sessions):
    cmp = ck.compare("find_delivery_stores", sessions=sessions, **FIND)
    zones = [d for d in cmp.differences if d.pattern == "stores[*].time_zone"]
    assert len(zones) > 1
    frame = cmp.diff
    assert frame["path"].str.endswith(".time_zone").sum() == len(zones)  # .diff stays complete
    html = cmp._repr_html_()
    assert html.count("stores[location_code=*].time_zone") == 1
    assert not any(d.path in html for d in zones)
    line = re.search(r"<tr[^>]*><td[^>]*><code>stores\[location_code=\*\]\.time_zone.*?</tr>", html)
    assert line is not None and f">{len(zones)}</td></tr>" in line.group()
    assert f"{len(cmp.differences)} differences in" in html
    for d in cmp.differences:  # records only one side has: each its own line
        if d.pattern == "stores[*]":
            assert f"<code>{d.path}</code>" in html


def test_grouping_keeps_distinct_values_and_order():
    def change(n: int, a: Any, b: Any, field: str = "price") -> Difference:
        return Difference(f"items[{n}].{field}", "changed", a, b, f"items[*].{field}")

    differences = [
        change(0, 1, 2),
        Difference("items[line_num=7]", "only_in_a", {"x": 1}, MISSING, "items[*]"),
        change(1, 1, 3),
        change(2, 1, 4, "qty"),
        Difference("items[line_num=8]", "only_in_a", {"x": 2}, MISSING, "items[*]"),
    ]
    lines = grouped(differences)
    assert [(path, len(group)) for path, group in lines] == [
        ("items[*].price", 2),
        ("items[line_num=7]", 1),
        ("items[2].qty", 1),
        ("items[line_num=8]", 1),
    ]
