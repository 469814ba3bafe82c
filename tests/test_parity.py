"""Parity: a scenario run in two environments, every answer compared, one score."""

from __future__ import annotations

import re

import pytest
from test_session import session_for

import connect_kit as ck
from connect_kit.client import Result
from connect_kit.data._parity import EXPLORE
from connect_kit.errors import WriteRefused
from connect_kit.sandbox import seed

ONLY = re.compile(r"^stores\[location_code=([^\]]+)\]$")


@pytest.fixture(scope="module")
def explored():
    """The partner's one line, with the sandbox on both sides."""
    return ck.parity("sandbox:dev", "sandbox:prod")


def test_the_sandboxs_dev_and_prod_differ_exactly_where_they_were_designed_to(explored):
    only_dev = {s.location_code for s in seed.STORES if s.envs == {"dev"}}
    only_prod = {s.location_code for s in seed.STORES if s.envs == {"prod"}}
    diff = explored.diff
    assert not diff.empty
    for row in diff.itertuples(index=False):
        path, kind = row.path, row.kind
        store = ONLY.match(path)
        if path.endswith(".time_zone"):  # dev tells each store's time zone, prod does not
            assert kind == "only_in_a"
        elif store:  # a store that only one environment has
            assert store.group(1) in (only_dev if kind == "only_in_a" else only_prod), path
        else:
            raise AssertionError(f"an undesigned difference: {row}")
    assert 0 < explored.score < 1
    summary = explored.summary.set_index("operation")
    assert list(summary.index) == [name for name, _ in EXPLORE]
    assert summary.loc["preview_delivery_service_options", "score"] == 1.0  # slots by window
    for name in ("get_user_link", "list_delivery_service_options"):  # nobody: both refuse
        assert tuple(summary.loc[name, ["status sandbox:dev", "status sandbox:prod"]]) == (
            400,
            400,
        )
    assert (summary["compared"] > 0).all()
    page = explored._repr_html_()
    assert "sandbox:dev vs sandbox:prod" in page and f"{explored.score:.3f}" in page


def test_the_report_is_saved_as_a_page_to_send(explored, tmp_path):
    saved = explored.save(tmp_path / "reports" / "parity.html")
    page = saved.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    assert explored._repr_html_() in page and "<script" not in page
    with pytest.raises(ValueError, match=r"\.html"):
        explored.save(tmp_path / "parity.pdf")


def test_a_replay_of_the_sandbox_scores_one_against_the_sandbox(tmp_path, monkeypatch):
    """What a partner sends us: the recording of their server; replayed here beside the
    sandbox, it scores as their server did."""
    flow = tmp_path / "dev.har"
    with ck.connect("sandbox:dev", record=flow) as recorded:
        ck.parity(recorded, "sandbox:dev")
    monkeypatch.chdir(tmp_path)  # no .env
    with ck.connect("sandbox:dev", replay=flow) as replayed:
        report = ck.parity("sandbox:dev", replayed)
        assert replayed.env.name == "sandbox:dev"
    assert report.score == 1.0, report.diff.to_string()
    assert report.diff.empty and (report.summary["compared"] > 0).all()


def test_an_environment_by_name_is_opened_and_closed_by_parity(monkeypatch):
    opened: list[ck.ConnectSession] = []
    close = ck.ConnectSession.close

    def tracked(self: ck.ConnectSession) -> None:
        opened.append(self)
        close(self)

    monkeypatch.setattr(ck.ConnectSession, "close", tracked)
    ck.parity("sandbox:dev", "sandbox:dev", learn_noise=False)
    assert [s.env.name for s in opened] == ["sandbox:dev", "sandbox:dev"]


def test_an_environment_against_itself_scores_one(sandbox):
    with session_for(sandbox, "dev") as a, session_for(sandbox, "dev") as b:
        report = ck.parity(a, b)
    assert report.score == 1.0 and report.diff.empty
    assert set(report.summary["compared"]) and (report.summary["compared"] > 0).all()
    assert "dev (a) vs dev (b)" in report._repr_html_()


def test_the_delivery_scenario_writes_only_where_writes_are_allowed(sandbox):
    with (
        session_for(sandbox, "dev") as dev,
        session_for(sandbox, "prod") as prod,
        pytest.raises(WriteRefused, match="allow_writes"),
    ):
        ck.parity(dev, prod, "delivery")
    with (
        session_for(sandbox, "dev") as dev,
        session_for(sandbox, "prod", allow_writes=True) as prod,
    ):
        report = ck.parity(dev, prod, "delivery")
    statuses = report.summary[[c for c in report.summary if c.startswith("status")]]
    assert (statuses == 200).all().all(), report.summary
    assert list(report.summary["operation"]) == [
        "create_user",
        "list_delivery_service_options",
        "reserve_service_option",
        "create_delivery_order",
        "get_order",
    ]


def test_an_unknown_scenario_is_a_clear_error(sandbox):
    with session_for(sandbox) as dev, pytest.raises(ValueError, match="explore, delivery"):
        ck.parity(dev, dev, "everything")
    with session_for(sandbox) as dev, pytest.raises(ValueError, match="postal_code"):
        ck.parity(dev, dev, address="50 Beale St")  # type: ignore[arg-type]


def test_an_address_elsewhere_looks_there_and_previews_the_first_store_each_side_found(sandbox):
    new_york = {"address_line_1": "1 Main St", "postal_code": "10001"}
    with session_for(sandbox, "dev") as a, session_for(sandbox, "dev") as b:
        report = ck.parity(a, b, address=new_york)
    assert report.score == 1.0
    calls = {call.operation: call for call in report.calls}
    found = calls["find_pickup_stores"].a
    assert isinstance(found, Result) and found.request.body == {"find_by": {"postal_code": "10001"}}
    first = found.json["stores"][0]["location_code"]
    preview = calls["preview_pickup_service_options"].b
    assert isinstance(preview, Result) and preview.request.body == {"location_code": first}
