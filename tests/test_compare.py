"""Compare dev and prod against the sandbox, whose two instances differ by design."""

from __future__ import annotations

import pytest
from helpers import ADDRESS, PEANUT_BUTTER, cart, delivery_order, new_user
from test_session import session_for

import connect_kit as ck
from connect_kit.client._config import Environment
from connect_kit.client._session import ConnectSession
from connect_kit.errors import WriteRefused

FIND = {"find_by": ADDRESS}


@pytest.fixture
def sessions(sandbox):
    with session_for(sandbox) as dev, session_for(sandbox, "prod", allow_writes=True) as prod:
        yield dev, prod


def codes(api) -> set[str]:
    return {
        s["location_code"]
        for s in api.ok("POST", "/v2/fulfillment/stores/delivery", FIND)["stores"]
    }


def test_store_searches_differ_exactly_as_designed(sessions, dev, prod):
    cmp = ck.compare("find_delivery_stores", sessions=sessions, **FIND)
    assert cmp.verdict == "differs"
    only_dev, only_prod = codes(dev) - codes(prod), codes(prod) - codes(dev)
    assert "999-0001" in only_dev and "000-3857" in only_prod
    by_kind: dict[str, set[str]] = {}
    for d in cmp.differences:
        by_kind.setdefault(d.kind, set()).add(d.path)
    assert by_kind.pop("only_in_a") == (
        {f"stores[location_code={c}]" for c in only_dev}
        | {f"stores[location_code={c}].time_zone" for c in codes(dev) & codes(prod)}
    )
    assert by_kind.pop("only_in_b") == {f"stores[location_code={c}]" for c in only_prod}
    assert by_kind == {}  # nothing changed in the stores both serve
    drift = cmp.drift
    additive = drift[drift["kind"] == "additive"]
    assert additive[["env", "path"]].values.tolist() == [["dev", "stores[*].time_zone"]]
    assert not (drift["kind"] == "type_changed").any()
    frame = cmp.diff
    assert list(frame.columns) == ["path", "dev", "prod", "kind"]
    assert "only in dev" in set(frame["kind"].astype(str))


@pytest.fixture
def same_order(sessions, dev, prod, unique):
    """The same user and order id in both environments, at the same store."""
    user_id, order_id = f"cmp-{unique}", f"cmp-order-{unique}"
    users = "/v2/fulfillment/users"
    listing = {"address": ADDRESS, "location_code": "000-3801", "items": cart(PEANUT_BUTTER)}
    free = {}
    for api in (dev, prod):
        new_user(api, user_id)
        options = api.ok("POST", f"{users}/{user_id}/service_options/cart/delivery", listing)
        free[api.env] = {
            o["window"]["start_at"]: o["id"]
            for o in options["service_options"]
            if o["availability"]["available"] and o["window"]["type"] == "scheduled"
        }
    start = min(set(free["dev"]) & set(free["prod"]))  # the same window on both sides
    for api in (dev, prod):
        held = api.ok("POST", f"{users}/{user_id}/service_options/{free[api.env][start]}/reserve")
        body = {
            "order_id": order_id,
            "service_option_hold_id": held["service_option_hold"]["id"],
            "initial_tip_cents": 0,
            "location_code": "000-3801",
            "address": ADDRESS,
            "items": cart(PEANUT_BUTTER),
        }
        api.ok("POST", f"{users}/{user_id}/orders/delivery", body)
    return user_id, order_id


def test_same_order_shows_no_false_differences_and_flags_the_deprecated_field(sessions, same_order):
    user_id, order_id = same_order
    cmp = ck.compare("get_order", sessions=sessions, user_id=user_id, order_id=order_id)
    assert cmp.verdict == "same", cmp.diff  # created_at differs, but it is volatile
    deprecated = cmp.drift[cmp.drift["kind"] == "deprecated"]
    assert sorted(deprecated["env"]) == ["dev", "prod"]
    assert set(deprecated["path"]) == {"is_express"}
    assert set(deprecated["replacement"]) == {"is_instacartplus"}
    strict = ck.compare(
        "get_order", sessions=sessions, volatile=False, user_id=user_id, order_id=order_id
    )
    assert {d.path for d in strict.differences} == {"created_at"}


def test_learn_noise_ignores_what_differs_between_two_calls_of_one_side(
    sandbox, sessions, same_order
):
    user_id, order_id = same_order
    dev_session, _ = sessions
    state = sandbox.instances["dev"].state
    prod_state = sandbox.instances["prod"].state
    prod_order = prod_state.get("order", order_id)
    prod_state.put("order", order_id, {**prod_order, "metadata": {"served": 0}})
    calls = {"n": 0}

    def bump(response, *args, **kwargs):  # the dev order changes after every read
        calls["n"] += 1
        order = state.get("order", order_id)
        state.put("order", order_id, {**order, "metadata": {"served": calls["n"]}})

    dev_session.hooks["response"].append(bump)
    noisy = ck.compare("get_order", sessions=sessions, user_id=user_id, order_id=order_id)
    assert {d.path for d in noisy.differences} == {"metadata.served"}
    learned = ck.compare(
        "get_order", sessions=sessions, learn_noise=True, user_id=user_id, order_id=order_id
    )
    assert learned.verdict == "same"
    assert "metadata.served" in learned.ignored


def test_repeat_gives_latency_percentiles_and_a_plot(sandbox, sessions):
    sandbox.faults("prod", latency_ms=20)
    cmp = ck.compare("find_delivery_stores", sessions=sessions, repeat=5, **FIND)
    latency = cmp.latency
    assert latency.loc["dev", "calls"] == 5 and latency.loc["prod", "calls"] == 5
    assert latency.loc["prod", "p50"] >= 20  # a lower bound: the injected latency
    html = cmp._repr_html_()
    assert "<svg" in html and "p50" in html


def test_html_shows_the_summary_first_then_the_highlighted_differences(sessions):
    cmp = ck.compare("find_delivery_stores", sessions=sessions, **FIND)
    html = cmp._repr_html_()
    assert html.index("differs") < html.index("999-0001") < html.index("Drift against the spec")
    assert "background:#ddf4ff" in html and "<script" not in html
    assert "find_delivery_stores dev vs prod: differs" in repr(cmp)


def test_one_side_failing_is_a_verdict_not_an_exception(sessions, dev, unique):
    delivery_order(dev, f"only-dev-{unique}", f"only-dev-order-{unique}")
    params = {"user_id": f"only-dev-{unique}", "order_id": f"only-dev-order-{unique}"}
    cmp = ck.compare("get_order", sessions=sessions, **params)
    assert cmp.verdict == "one failed" and cmp.differences == []
    summary = cmp.summary
    assert summary.loc["dev", "status"] == 200 and summary.loc["prod", "status"] == 400
    assert "User Not Found" in summary.loc["prod", "error"]
    both = ck.compare("get_order", sessions=sessions, user_id="nobody", order_id="none")
    assert both.verdict == "both failed"


def test_writes_are_refused_unless_allowed_and_then_said(sessions, unique):
    with pytest.raises(WriteRefused, match="allow_writes=True"):
        ck.compare("create_user", sessions=sessions, user_id=f"w-{unique}", first_name="W")
    cmp = ck.compare(
        "create_user",
        sessions=sessions,
        allow_writes=True,
        user_id=f"w-{unique}",
        first_name="W",
    )
    assert cmp.writes and any("two real writes" in note for note in cmp.notes)
    assert cmp.verdict == "same"
    with pytest.raises(ValueError, match="would write again"):
        ck.compare("create_user", sessions=sessions, allow_writes=True, repeat=2, user_id="x")


def test_a_live_environment_against_a_sandbox_one_is_said(sandbox, sessions):
    dev_session, _ = sessions
    client_id, secret = sandbox.credentials("prod")
    live = Environment(
        "staging", sandbox.url("prod"), client_id, secret, ca_bundle=sandbox.ca_file
    )  # credentials of its own: to connect-kit, a live server
    with ConnectSession(live) as staging:
        cmp = ck.compare("find_delivery_stores", sessions=(dev_session, staging), **FIND)
    assert cmp.summary.loc["staging", "kind"] == "live"
    assert any("embedded sandbox" in note and "live" in note for note in cmp.notes)


def test_two_saved_results_compare_too(sessions):
    dev_session, prod_session = sessions
    a = dev_session.call("find_delivery_stores", **FIND)
    b = prod_session.call("find_delivery_stores", **FIND)
    cmp = ck.compare_results(a, b, ignore=["stores[*].time_zone"])
    assert {d.kind for d in cmp.differences} == {"only_in_a", "only_in_b"}
    with pytest.raises(ValueError, match="different operations"):
        ck.compare_results(
            a, prod_session.call("find_pickup_stores", find_by={"postal_code": "94105"})
        )


def test_any_two_declared_environments(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env: the embedded sandbox serves dev and prod
    cmp = ck.compare("find_delivery_stores", envs=("prod", "dev"), **FIND)
    assert (cmp.a.env, cmp.b.env) == ("prod", "dev")
    with pytest.raises(ValueError, match="two different environments"):
        ck.compare("find_delivery_stores", envs=("dev", "dev"), **FIND)
