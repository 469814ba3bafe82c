"""Coverage you can see: every operation has its docs page and its sandbox coverage, SANDBOX.md
opens with the table made from them, and a call aimed at another product is told so."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from helpers import error_of

import connect_kit as ck
from connect_kit import spec
from connect_kit.sandbox import _coverage as coverage
from connect_kit.spec import _docs as docs

DOCS_FILE = "connect_kit/spec/_docs.py"


def test_every_operation_has_its_docs_page():
    missing = sorted(name for name in spec.OPERATIONS if not docs.docs_page(name))
    assert not missing, (
        f"no docs page for {', '.join(missing)}: add the page of its API reference on "
        f"docs.instacart.com to DOCS in {DOCS_FILE}"
    )


def test_docs_pages_are_pages_of_the_docs_site_for_operations_of_the_spec():
    strays = sorted(name for name in docs.DOCS if name not in spec.OPERATIONS)
    assert not strays, f"DOCS in {DOCS_FILE} names operations the spec does not have: {strays}"
    for name, url in docs.DOCS.items():
        assert url.startswith(docs.SITE + "/"), (name, url)
        assert " " not in url and not url.endswith("/"), (name, url)


def test_operations_frame_has_the_docs_page_of_each_operation():
    frame = ck.operations().set_index("name")
    assert "docs" in frame.columns
    for name in spec.OPERATIONS:
        page = docs.docs_page(name)
        value = frame.loc[name, "docs"]
        assert (value == page) if page else pd.isna(value), name
    assert frame.loc["find_delivery_stores", "docs"] == (
        "https://docs.instacart.com/connect/api/fulfillment/delivery/find_stores"
    )


def test_every_operation_has_its_sandbox_coverage():
    assert not coverage.missing(), coverage.missing_message(coverage.missing())


def test_coverage_names_only_operations_of_the_spec():
    assert not coverage.stale(), (
        f"COVERAGE in {coverage.HERE} names operations the spec does not have: "
        f"{coverage.stale()}: remove or rename them, then run `{coverage.COMMAND}`"
    )


def test_a_partial_operation_says_what_differs_and_a_full_one_nothing():
    for name, entry in coverage.COVERAGE.items():
        assert entry.status in ("full", "partial"), name
        assert bool(entry.deviations) == (entry.status == "partial"), name
        assert all(text and "\n" not in text for text in entry.deviations), name


def test_sandbox_md_opens_with_the_current_coverage_table():
    text = coverage.SANDBOX_MD.read_text()
    block = coverage.current_block(text)
    assert block is not None, f"SANDBOX.md has no coverage table: run `{coverage.COMMAND}`"
    title, _, rest = text.partition("\n\n")
    assert title.startswith("# ") and rest.startswith(coverage.START), "the table opens SANDBOX.md"
    assert block == coverage.render(strict=False), (
        f"SANDBOX.md's coverage table differs from the spec and {coverage.HERE}: "
        f"run `{coverage.COMMAND}`"
    )


def test_the_table_counts_what_is_documented_described_and_simulated():
    block = coverage.render(strict=False)
    described = len(spec.OPERATIONS)
    full = sum(entry.status == "full" for entry in coverage.COVERAGE.values())
    undescribed = coverage.not_described()
    assert all(
        (d.method, d.path) not in {(o.method, o.path) for o in spec.OPERATIONS.values()}
        for d in undescribed
    )
    out = sum(d.out_of_scope for d in undescribed)
    assert out == 3  # the Developer Platform API: another product
    total = f"| **Total** | **{described + len(undescribed)}** | **{described}** | **{full}** |"
    assert total in block
    for name, op in spec.OPERATIONS.items():
        assert f"| `{name}` | `{op.method} {op.path}` |" in block
    assert "| Developer Platform API | get nearby retailers | `GET /idp/v1/retailers` |" in block
    assert "| Compliance API | (no documented operation) |" in block


def test_a_documented_operation_leaves_the_undescribed_rows_once_the_spec_describes_it(
    monkeypatch,
):
    retailers = next(d for d in docs.NOT_DESCRIBED if d.path == "/idp/v1/retailers")
    assert retailers in coverage.not_described()
    fake = spec.Operation("get_nearby_retailers", "GET", retailers.path, "sandbox", "x", "x")
    monkeypatch.setitem(spec.OPERATIONS, fake.name, fake)
    assert retailers not in coverage.not_described()


def test_the_command_writes_the_table_after_the_title_and_checks_it(tmp_path, monkeypatch):
    page = tmp_path / "SANDBOX.md"
    page.write_text("# Title\n\nFirst paragraph.\n")
    monkeypatch.setattr(coverage, "SANDBOX_MD", page)
    status = coverage.main([])
    text = page.read_text()
    assert text.startswith("# Title\n\n" + coverage.START)
    assert text.endswith(coverage.END + "\n\nFirst paragraph.\n")
    expected = int(bool(coverage.missing()))  # operations without an entry: exit status 1
    assert status == expected
    assert coverage.main(["--check"]) == expected
    assert coverage.main([]) == expected and page.read_text() == text  # idempotent
    page.write_text(text.replace("| full |", "| partial |", 1))
    assert coverage.main(["--check"]) == 1


def test_render_refuses_an_operation_without_coverage(monkeypatch):
    monkeypatch.delitem(coverage.COVERAGE, "create_user")
    with pytest.raises(coverage.CoverageError, match=r"create_user.*_coverage\.py"):
        coverage.render()
    assert "| `create_user` |" in coverage.render(strict=False)


# The Developer Platform API is another product --------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/idp/v1/products/products_link"),
        ("POST", "/idp/v1/products/recipe"),
        ("GET", "/idp/v1/retailers?postal_code=94105"),
    ],
)
def test_a_call_aimed_at_the_developer_platform_is_told_it_is_another_product(dev, method, path):
    for token in ("default", None):  # with or without a Connect token
        answer = dev.request(method, path, token=token, json={"title": "x"})
        status, message, code, _ = error_of(answer)
        assert (status, code) == (404, 4000)
        assert "Developer Platform API" in message and "not simulate" in message
        assert answer.json()["meta"] == {}


def test_other_unknown_paths_still_read_not_found(dev):
    assert error_of(dev.get("/v2/nothing/here")) == (404, "Not found", 4000, None)
    assert error_of(dev.get("/idpx/v1/retailers")) == (404, "Not found", 4000, None)


def test_the_out_of_scope_choice_is_written_down_in_sandbox_md():
    text = Path(coverage.SANDBOX_MD).read_text()
    assert "`/idp/v1/...`" in text and "another Instacart product" in text
