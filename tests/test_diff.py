"""The diff engine behind compare: pure, no sandbox needed."""

from __future__ import annotations

import copy
import pickle
import random
from typing import Any

import pytest
from deepdiff import DeepDiff

from connect_kit import spec
from connect_kit.data._diff import (
    IDENTIFIERS,
    KINDS,
    MISSING,
    Difference,
    diff,
    matches,
    record_key_for,
)
from connect_kit.spec.stores import Store

STORES = spec.get("find_delivery_stores").response
ORDER = spec.get("get_order").response


def rows(found: list[Difference]) -> list[tuple[str, str, Any, Any]]:
    """(kind, path, a, b) of each difference: the shape most tables below compare against."""
    return [(d.kind, d.path, d.a, d.b) for d in found]


def store(code: str, name: str = "Safeway", **flags: Any) -> dict[str, Any]:
    base = {"alcohol": True, "pickup": False, "pickup_only": False, "long_distance_delivery": False}
    return {"name": name, "location_code": code, "flags": base | flags}


def item(line: str, qty: float = 1, **extra: Any) -> dict[str, Any]:
    return {"line_num": line, "qty": qty, "qty_unit": "each", "item": {"upc": "0" + line}} | extra


def order(**changes: Any) -> dict[str, Any]:
    record = {
        "id": "a1b2c3",
        "status": "brand_new",
        "created_at": "2026-05-01T08:00:00Z",
        "fulfillment_details": {
            "store_location": "000-3801",
            "window_starts_at": "2026-05-01T10:00:00-07:00",
            "window_ends_at": "2026-05-01T12:00:00-07:00",
            "bag_count": 2,
        },
        "items": [item("1"), item("2", 2), item("3", 0.5, qty_unit="lb")],
    }
    return record | changes


# Equal, changed, type changed --------------------------------------------------------------


@pytest.mark.parametrize(
    "a",
    [
        None,
        0,
        "x",
        [],
        {},
        {"stores": [store("000-3801"), store("000-3802")]},
        order(),
        [[1, [2, {"x": [None]}]]],
        float("nan"),
        {"x": [float("nan")]},
    ],
)
def test_a_value_equals_itself_and_its_copy(a: Any) -> None:
    assert diff(a, a) == []
    assert diff(a, copy.deepcopy(a)) == []
    assert diff(a, copy.deepcopy(a), ORDER) == []


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (1, 1.0),  # numbers are numbers
        ({"qty": 2}, {"qty": 2.0}),
        ({"a": 1, "b": 2}, {"b": 2, "a": 1}),  # key order does not matter
        ({"n": [0.0]}, {"n": [-0.0]}),
        ({1: "x"}, {1: "x"}),  # not plain JSON (int keys): still compared
        ({"big": 2**80}, {"big": 2**80}),
    ],
)
def test_equal_though_spelled_differently(a: Any, b: Any) -> None:
    assert diff(a, b) == []


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("x", "y", [("changed", "", "x", "y")]),
        (
            {"status": "brand_new"},
            {"status": "picking"},
            [("changed", "status", "brand_new", "picking")],
        ),
        ({"a": {"b": {"c": 1}}}, {"a": {"b": {"c": 2}}}, [("changed", "a.b.c", 1, 2)]),
        ({"f": True}, {"f": False}, [("changed", "f", True, False)]),
        ({"qty": 1}, {"qty": 1.5}, [("changed", "qty", 1, 1.5)]),  # int and float: both numbers
        ({"x": None}, {"x": 3}, [("changed", "x", None, 3)]),  # null is a change, not a type
        ({"x": {"y": 1}}, {"x": None}, [("changed", "x", {"y": 1}, None)]),
    ],
)
def test_changed(a: Any, b: Any, expected: list[tuple[Any, ...]]) -> None:
    assert rows(diff(a, b)) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (True, "true"),  # bool vs string
        (1, "1"),  # number vs string
        ({"x": 1}, [1]),  # object vs list
        ([], {}),
        (True, 1),  # bool is not a number here...
        (False, 0),
        (False, 0.0),
        ("a", ["a"]),
    ],
)
def test_type_changed(a: Any, b: Any) -> None:
    assert rows(diff({"v": a}, {"v": b})) == [("type_changed", "v", a, b)]
    assert rows(diff(b, a)) == [("type_changed", "", b, a)]


@pytest.mark.parametrize(
    ("a", "b", "path"),
    [
        # ...even where Python's == finds the surrounding objects equal.
        (
            {"stores": [store("1", alcohol=True)]},
            {"stores": [store("1", alcohol=1)]},
            "stores[location_code=1].flags.alcohol",
        ),
        ([{"x": [False]}], [{"x": [0]}], "[0].x[0]"),
        ({"a": {"k": 1, "b": True}}, {"a": {"b": 1, "k": 1}}, "a.b"),  # key order differs too
        ({"a": (True,)}, {"a": (1,)}, "a[0]"),
    ],
)
def test_bool_against_number_is_found_inside_equal_looking_values(
    a: Any, b: Any, path: str
) -> None:
    assert a == b  # the trap
    assert [(d.kind, d.path) for d in diff(a, b, STORES)] == [("type_changed", path)]


# Only in one side ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ({"a": 1, "x": 2}, {"a": 1}, [("only_in_a", "x", 2, MISSING)]),
        ({"a": 1}, {"a": 1, "x": {"y": [1]}}, [("only_in_b", "x", MISSING, {"y": [1]})]),
        ({"a": {"b": {}}}, {"a": {"b": {"c": None}}}, [("only_in_b", "a.b.c", MISSING, None)]),
        (
            {"p": [{"q": {"r": 1, "s": 2}}]},
            {"p": [{"q": {"r": 1}}]},
            [("only_in_a", "p[0].q.s", 2, MISSING)],
        ),
        (
            {"a": 1, "gone": 1, "c": 3},
            {"new": 0, "c": 4, "a": 1},
            [
                ("only_in_a", "gone", 1, MISSING),
                ("changed", "c", 3, 4),
                ("only_in_b", "new", MISSING, 0),
            ],
        ),
    ],
)
def test_keys_in_one_side_only(a: Any, b: Any, expected: list[tuple[Any, ...]]) -> None:
    assert rows(diff(a, b)) == expected


# Lists lined up by the spec's record key ------------------------------------------------------


def test_stores_are_lined_up_by_location_code_whatever_their_order() -> None:
    dev = {
        "stores": [
            store("000-3801", "Mission"),
            store("000-3802", "Soma", alcohol=True),
            store("104-2210", "Oakland"),
            store("211-0457", "Berkeley") | {"time_zone": "America/Los_Angeles"},
        ]
    }
    prod = {
        "stores": [
            store("211-0457", "Berkeley"),
            store("999-0001", "Fremont"),
            store("000-3802", "Soma", alcohol=False),
            store("000-3801", "Mission"),
        ]
    }
    found = diff(dev, prod, STORES)
    assert rows(found) == [
        ("changed", "stores[location_code=000-3802].flags.alcohol", True, False),
        ("only_in_a", "stores[location_code=104-2210]", store("104-2210", "Oakland"), MISSING),
        ("only_in_a", "stores[location_code=211-0457].time_zone", "America/Los_Angeles", MISSING),
        ("only_in_b", "stores[location_code=999-0001]", MISSING, store("999-0001", "Fremont")),
    ]
    assert [d.pattern for d in found] == [
        "stores[*].flags.alcohol",
        "stores[*]",
        "stores[*].time_zone",
        "stores[*]",
    ]


def test_order_items_are_lined_up_by_line_num() -> None:
    dev = order(items=[item("1"), item("2", 2), item("3", 0.5, qty_unit="lb")])
    prod = order(items=[item("3", 0.5, qty_unit="each"), item("4"), item("2", 3)])
    prod["fulfillment_details"] = dev["fulfillment_details"] | {"bag_count": 3}
    assert rows(diff(dev, prod, ORDER)) == [
        ("changed", "fulfillment_details.bag_count", 2, 3),
        ("only_in_a", "items[line_num=1]", item("1"), MISSING),
        ("changed", "items[line_num=2].qty", 2, 3),
        ("changed", "items[line_num=3].qty_unit", "lb", "each"),
        ("only_in_b", "items[line_num=4]", MISSING, item("4")),
    ]


def test_a_list_response_takes_the_model_of_its_items() -> None:
    a = [store("1"), store("2")]
    b = [store("2", pickup=True), store("1")]
    found = diff(a, b, Store)
    assert rows(found) == [("changed", "[location_code=2].flags.pickup", False, True)]


def test_a_record_key_that_the_items_lack_falls_back_to_common_ids_then_positions() -> None:
    a = {"stores": [{"id": 1, "v": 1}, {"id": 2, "v": 2}]}
    b = {"stores": [{"id": 2, "v": 2}, {"id": 1, "v": 0}]}
    assert [d.path for d in diff(a, b, STORES)] == ["stores[id=1].v"]
    a = {"stores": [{"v": 1}, {"v": 2}]}
    b = {"stores": [{"v": 2}, {"v": 1}]}
    assert [d.path for d in diff(a, b, STORES)] == ["stores[0].v", "stores[1].v"]


def test_unknown_fields_are_walked_without_a_model() -> None:
    dev = order(substitutions=[{"id": "s1", "upc": "1"}, {"id": "s2", "upc": "2"}])
    prod = order(substitutions=[{"id": "s2", "upc": "3"}, {"id": "s1", "upc": "1"}])
    dev["warnings"] = [{"code": "a"}, {"code": "b"}]  # list[dict] in the spec: no key
    prod["warnings"] = [{"code": "a"}, {"code": "c"}]
    assert [(d.path, d.pattern) for d in diff(dev, prod, ORDER)] == [
        ("substitutions[id=s2].upc", "substitutions[*].upc"),
        ("warnings[1].code", "warnings[*].code"),
    ]


@pytest.mark.parametrize(
    ("operation", "field", "key"),
    [
        ("find_delivery_stores", "stores", "location_code"),
        ("find_pickup_stores", "stores", "location_code"),
        ("get_order", "items", "line_num"),
        ("list_orders", "orders", "id"),
        ("validate_items", "validation_failures", "line_num"),
        ("get_order", "warnings", None),  # list[dict]: no model, no key
        ("get_order", "fulfillment_details", None),  # an object, not a list
        ("get_order", "no_such_field", None),
    ],
)
def test_record_key_for(operation: str, field: str, key: str | None) -> None:
    assert record_key_for(spec.get(operation).response, field) == key


def test_record_key_for_every_list_of_models_in_the_spec_names_one_of_its_fields() -> None:
    for op in spec.OPERATIONS.values():
        model = op.response
        if model is None or not op.records or "." in op.records:
            continue
        key = record_key_for(model, op.records)
        assert key is None or key in _items_model(model, op.records).model_fields, op.name
    assert record_key_for(None, "stores") is None


def _items_model(model: Any, field: str) -> Any:
    annotation = model.model_fields[field].annotation
    while getattr(annotation, "__args__", None):
        annotation = next(a for a in annotation.__args__ if a is not type(None))
    return annotation


# Lists without a key from the spec ------------------------------------------------------------


@pytest.mark.parametrize("key", IDENTIFIERS)
def test_lists_of_records_sharing_a_common_id_are_lined_up_by_it(key: str) -> None:
    a = [{key: "x", "v": 1}, {key: "y", "v": 2}, {key: "z", "v": 3}]
    b = [{key: "z", "v": 3}, {key: "w", "v": 4}, {key: "x", "v": 0}]
    assert rows(diff({"list": a}, {"list": b})) == [
        ("changed", f"list[{key}=x].v", 1, 0),
        ("only_in_a", f"list[{key}=y]", {key: "y", "v": 2}, MISSING),
        ("only_in_b", f"list[{key}=w]", MISSING, {key: "w", "v": 4}),
    ]


def test_the_first_common_id_that_works_wins() -> None:
    a = [{"id": 1, "order_id": "p"}, {"id": 1, "order_id": "q"}]  # ids repeat: not an id
    b = [{"id": 1, "order_id": "q"}, {"id": 1, "order_id": "p"}]
    assert diff(a, b) == []
    a = [{"id": 1, "line_num": "1", "v": 0}]
    assert [d.path for d in diff(a, [{"id": 1, "line_num": "2", "v": 0}])] == ["[id=1].line_num"]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ([1, 2, 3], [1, 5], [("changed", "[1]", 2, 5), ("only_in_a", "[2]", 3, MISSING)]),
        (
            [1],
            [1, [2], {}],
            [("only_in_b", "[1]", MISSING, [2]), ("only_in_b", "[2]", MISSING, {})],
        ),
        ([[1, [2, 3]]], [[1, [2, 4]]], [("changed", "[0][1][1]", 3, 4)]),
        # records that do not all have an id, or whose ids repeat: by position
        (
            [{"id": 1, "v": 1}, {"v": 2}],
            [{"v": 2}, {"id": 1, "v": 1}],
            [
                ("only_in_a", "[0].id", 1, MISSING),
                ("changed", "[0].v", 1, 2),
                ("changed", "[1].v", 2, 1),
                ("only_in_b", "[1].id", MISSING, 1),
            ],
        ),
        (
            [{"id": 1, "v": 1}, {"id": 1, "v": 2}],
            [{"id": 1, "v": 1}, {"id": 1, "v": 3}],
            [("changed", "[1].v", 2, 3)],
        ),
        ([{"id": [1]}], [{"id": [2]}], [("changed", "[0].id[0]", 1, 2)]),  # unhashable ids
    ],
)
def test_positional_fallback(a: Any, b: Any, expected: list[tuple[Any, ...]]) -> None:
    assert rows(diff(a, b)) == expected


def test_paths_and_patterns_are_exactly_as_documented() -> None:
    a = {"orders": [order()], "meta": {"pages": [[{"n": 1}]]}}
    b = {"orders": [order(status="picking")], "meta": {"pages": [[{"n": 2}]]}}
    b["orders"][0]["items"][1]["item"]["upc"] = "X"
    found = diff(a, b, spec.get("list_orders").response)
    assert [(d.path, d.pattern) for d in found] == [
        ("orders[id=a1b2c3].status", "orders[*].status"),
        ("orders[id=a1b2c3].items[line_num=2].item.upc", "orders[*].items[*].item.upc"),
        ("meta.pages[0][0].n", "meta.pages[*][*].n"),
    ]


def test_output_follows_a_then_the_records_only_in_b_in_bs_order() -> None:
    a = [{"id": i, "v": 0} for i in (5, 3, 1)]
    b = [{"id": i, "v": 1} for i in (9, 1, 8, 3, 5, 7)]
    assert [d.path for d in diff(a, b)] == [
        "[id=5].v",
        "[id=3].v",
        "[id=1].v",
        "[id=9]",
        "[id=8]",
        "[id=7]",
    ]


# Ignore -----------------------------------------------------------------------------------


ORDERS_A = {"orders": [order(), order(id="d4", created_at="2026-05-02T08:00:00Z")]}
ORDERS_B = {
    "orders": [
        order(created_at="2026-06-01T08:00:00Z", status="picking"),
        order(id="d4", created_at="2026-06-02T08:00:00Z"),
    ]
}
ORDERS_B["orders"][1]["fulfillment_details"] = {"bag_count": 9}


@pytest.mark.parametrize(
    ("ignore", "paths"),
    [
        (
            [],
            [
                "orders[id=a1b2c3].status",
                "orders[id=a1b2c3].created_at",
                "orders[id=d4].created_at",
                "orders[id=d4].fulfillment_details.store_location",
                "orders[id=d4].fulfillment_details.window_starts_at",
                "orders[id=d4].fulfillment_details.window_ends_at",
                "orders[id=d4].fulfillment_details.bag_count",
            ],
        ),
        (["created_at"], ["orders[id=a1b2c3].status", "orders[id=d4].fulfillment_details.*"]),
        ("created_at", ["orders[id=a1b2c3].status", "orders[id=d4].fulfillment_details.*"]),
        (["*.created_at", "fulfillment_details"], ["orders[id=a1b2c3].status"]),
        (["orders[*].fulfillment_details", "status", "*_at"], []),
        (["orders[id=d4]*"], ["orders[id=a1b2c3].status", "orders[id=a1b2c3].created_at"]),
        (["orders[*]"], []),
        (["orders"], []),
        (["*"], []),
        (
            ["orders[*].fulfillment_details.window_*", "*created*", "stat?s"],
            [
                "orders[id=d4].fulfillment_details.store_location",
                "orders[id=d4].fulfillment_details.bag_count",
            ],
        ),
        (
            ["fulfillment"],
            [
                "orders[id=a1b2c3].status",
                "orders[*].created_at",
                "orders[id=d4].fulfillment_details.*",
            ],
        ),
    ],
)
def test_ignore(ignore: Any, paths: list[str]) -> None:
    found = [
        d.path for d in diff(ORDERS_A, ORDERS_B, spec.get("list_orders").response, ignore=ignore)
    ]
    assert _matches_all(found, paths)
    if not ignore:
        assert found == paths  # in walk order


def _matches_all(found: list[str], expected: list[str]) -> bool:
    """Each expected entry (a path, or a glob standing for several) is found; nothing else."""
    rest = list(found)
    for want in expected:
        hits = [p for p in rest if matches(p, [want])]
        if not hits:
            return False
        rest = [p for p in rest if p not in hits]
    return not rest


class Trap(dict):
    """An object that fails the test if the walk looks inside it."""

    def items(self) -> Any:
        raise AssertionError("walked an ignored subtree")


def test_an_ignored_subtree_is_not_walked() -> None:
    a = {"keep": 1, "skip": Trap(deep=[1] * 1000)}
    b = {"keep": 2, "skip": Trap(deep=[2] * 1000)}
    assert [d.path for d in diff(a, b, ignore=["skip"])] == ["keep"]
    assert [d.path for d in diff(a, b, ignore=["s*p"])] == ["keep"]
    with pytest.raises(AssertionError, match="walked"):
        diff(a, b)


def test_ignored_records_are_not_reported_as_missing_either() -> None:
    a = {"stores": [store("1"), store("2")]}
    b = {"stores": [store("2", pickup=True)]}
    assert [d.path for d in diff(a, b, STORES, ignore=["stores[location_code=1]"])] == [
        "stores[location_code=2].flags.pickup"
    ]
    assert diff(a, b, STORES, ignore=["stores[*]"]) == []


@pytest.mark.parametrize(
    ("text", "globs", "expected"),
    [
        ("orders[*].created_at", ["created_at"], True),
        ("orders[id=1].created_at", ["created_at"], True),
        ("created_at", ["created_at"], True),
        ("orders[*].created_at_local", ["created_at"], False),
        ("orders[*].created_at", ["*.created_at"], True),
        ("created_at", ["*.created_at"], False),  # a dotted glob is matched whole
        ("stores[location_code=000-3801].time_zone", ["stores[*].time_zone"], True),
        ("stores[*].time_zone", ["stores[*].time_zone"], True),
        ("stores[*].time_zone", ["stores[x].time_zone"], False),  # brackets are literal
        ("stores[x].time_zone", ["stores[?].time_zone"], True),
        ("service_options[*].id", ["service_options[*].id"], True),
        ("service_options[*].id.x", ["service_options[*].id"], False),
        ("access_token", ["access_token"], True),
        ("ACCESS_TOKEN", ["access_token"], False),  # case-sensitive
        ("stores[location_code=1]", ["stores"], False),  # a record is not the field
        ("a.b", [], False),
        ("a.b", ["x", "b"], True),
        ("a.b", "b", True),  # one glob given bare
        ("a\nb", ["a*"], True),
    ],
)
def test_matches(text: str, globs: Any, expected: bool) -> None:
    assert matches(text, globs) is expected


# The public pieces --------------------------------------------------------------------------


def test_missing_is_one_sentinel_that_says_what_it_is() -> None:
    assert repr(MISSING) == "<missing>"
    assert copy.copy(MISSING) is MISSING
    assert copy.deepcopy(MISSING) is MISSING
    assert pickle.loads(pickle.dumps(MISSING)) is MISSING
    assert type(MISSING)() is MISSING
    assert MISSING != None  # noqa: E711


def test_a_difference_is_a_small_frozen_record() -> None:
    found = diff({"a": 1}, {"a": 2})[0]
    assert found == Difference("a", "changed", 1, 2, "a")
    assert found.kind in KINDS
    with pytest.raises(AttributeError):
        found.kind = "other"  # type: ignore[misc]
    assert not hasattr(found, "__dict__")
    assert "<missing>" in repr(diff({}, {"a": 1})[0])


def test_a_model_that_is_not_a_model_class_is_refused_clearly() -> None:
    with pytest.raises(TypeError, match="pydantic model class"):
        diff({}, {"a": 1}, spec.get("find_delivery_stores"))  # type: ignore[arg-type]


def test_the_inputs_are_left_alone() -> None:
    a, b = copy.deepcopy(ORDERS_A), copy.deepcopy(ORDERS_B)
    diff(a, b, spec.get("list_orders").response, ignore=["status"])
    assert (a, b) == (ORDERS_A, ORDERS_B)


def test_deep_values_need_no_recursion() -> None:
    a: Any = 1
    b: Any = 2
    for _ in range(300):  # 600 levels: far deeper than the walk could recurse
        a, b = {"x": [a]}, {"x": [b]}
    (found,) = diff(a, b)
    assert found.path == "x[0]." * 299 + "x[0]"
    assert (found.a, found.b) == (1, 2)


# Agreement with DeepDiff ----------------------------------------------------------------------

NAMES = ("alpha", "beta", "gamma", "delta", "eps")
KIND_OF = {
    "values_changed": "changed",
    "type_changes": "type_changed",
    "dictionary_item_added": "only_in_b",
    "iterable_item_added": "only_in_b",
    "dictionary_item_removed": "only_in_a",
    "iterable_item_removed": "only_in_a",
}


def random_value(rng: random.Random, depth: int = 0) -> Any:
    """A JSON value about ``4 - depth`` levels deep, with no identifier fields (by position)."""
    roll = rng.random()
    if depth < 4 and roll < 0.4:
        return {name: random_value(rng, depth + 1) for name in rng.sample(NAMES, rng.randint(1, 5))}
    if depth < 4 and roll < 0.6:
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return rng.choice(
        [None, True, False, rng.randint(-3, 3), rng.randint(0, 9) + 0.5, rng.choice("abc"), ""]
    )


def mutate(value: Any, rng: random.Random) -> Any:
    """A copy of ``value`` with a few changes here and there."""
    if isinstance(value, dict):
        out = {k: mutate(v, rng) if rng.random() < 0.5 else v for k, v in value.items()}
        if out and rng.random() < 0.15:
            del out[rng.choice(list(out))]
        if rng.random() < 0.15:
            out[rng.choice(NAMES)] = random_value(rng, 3)
        return out
    if isinstance(value, list):
        out = [mutate(v, rng) if rng.random() < 0.5 else v for v in value]
        if out and rng.random() < 0.15:
            out.pop()
        if rng.random() < 0.15:
            out.append(random_value(rng, 3))
        return out
    return random_value(rng, 4) if rng.random() < 0.3 else value


def deepdiff_rows(a: Any, b: Any) -> set[tuple[str, str]]:
    """DeepDiff's findings as (kind, path) in our spelling."""
    found = set()
    tree = DeepDiff(a, b, view="tree", zip_ordered_iterables=True, threshold_to_diff_deeper=0)
    for category, levels in tree.items():
        for level in levels:
            kind = KIND_OF[category]
            if kind == "type_changed" and (
                level.t1 is None
                or level.t2 is None
                or {type(level.t1), type(level.t2)} == {int, float}
            ):
                kind = "changed"  # null is a change; int and float are both numbers
            found.add((kind, our_path(level.path(output_format="list"))))
    return found


def our_path(segments: list[Any]) -> str:
    path = ""
    for segment in segments:
        if isinstance(segment, int):
            path += f"[{segment}]"
        else:
            path += f".{segment}" if path else segment
    return path


@pytest.mark.parametrize("seed", range(60))
def test_the_same_differences_as_deepdiff(seed: int) -> None:
    rng = random.Random(seed)
    a = {name: random_value(rng, 0) for name in NAMES}
    b = mutate(a, rng)
    found = diff(a, b)
    assert {(d.kind, d.path) for d in found} == deepdiff_rows(a, b)
    assert len(found) == len({d.path for d in found})  # each place once
