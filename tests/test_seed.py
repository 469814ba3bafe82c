"""Tests for the sandbox's seed data: places, stores and the product catalog."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from collections import Counter
from zoneinfo import ZoneInfo

import pytest

from connect_kit.sandbox import seed
from connect_kit.sandbox.seed import METROS, PLACES, PRODUCTS, STORES, distance_km

LOCATION_CODE = re.compile(r"\d{3}-\d{4}")
RRC = re.compile(r"\d{4}-\d{5}")
POSTAL_CODE = {"US": re.compile(r"\d{5}"), "CA": re.compile(r"[A-Z]\d[A-Z]\d[A-Z]\d")}
# (lat_min, lat_max, lon_min, lon_max): generous boxes around the populated parts of each country
COUNTRY_BOX = {"US": (24.0, 50.0, -125.0, -66.0), "CA": (42.0, 60.0, -140.0, -52.0)}
REQUIRED_METROS = {
    "San Francisco Bay Area",
    "Los Angeles",
    "Chicago",
    "New York",
    "Seattle",
    "Austin",
    "Toronto",
}


def _near(postal_code: str, km: float, env: str | None = None) -> tuple[seed.StoreSeed, ...]:
    where = PLACES[postal_code]
    return seed.stores_near(where.latitude, where.longitude, km, env=env)


def _only_in(env: str) -> list[seed.StoreSeed]:
    return [s for s in STORES if s.envs == frozenset({env})]


# --- places ----------------------------------------------------------------------------------


def test_places_are_well_formed():
    assert 35 <= len(PLACES) <= 50
    for code, p in PLACES.items():
        assert code == p.postal_code
        assert p.country in POSTAL_CODE
        assert POSTAL_CODE[p.country].fullmatch(code), code
        assert p.city and p.region.isupper() and len(p.region) == 2
        lat_min, lat_max, lon_min, lon_max = COUNTRY_BOX[p.country]
        assert lat_min < p.latitude < lat_max, code
        assert lon_min < p.longitude < lon_max, code
        ZoneInfo(p.time_zone)  # raises if the IANA name is unknown
        assert p.time_zone.startswith("America/")


def test_metros_partition_places():
    assert set(METROS) >= REQUIRED_METROS
    assert len(METROS) >= 7
    codes = [code for metro_codes in METROS.values() for code in metro_codes]
    assert sorted(codes) == sorted(PLACES)
    for metro, metro_codes in METROS.items():
        assert 4 <= len(metro_codes) <= 8, metro
        zones = {PLACES[code].time_zone for code in metro_codes}
        assert len(zones) == 1, metro
        # a metro is compact: every postal code within 60 km of the first one
        first = PLACES[metro_codes[0]]
        for code in metro_codes:
            p = PLACES[code]
            assert distance_km(first.latitude, first.longitude, p.latitude, p.longitude) < 60


@pytest.mark.parametrize(
    ("postal_code", "city", "region", "country", "time_zone"),
    [
        ("94105", "San Francisco", "CA", "US", "America/Los_Angeles"),
        ("90210", "Beverly Hills", "CA", "US", "America/Los_Angeles"),
        ("M6K3L5", "Toronto", "ON", "CA", "America/Toronto"),
        ("60601", "Chicago", "IL", "US", "America/Chicago"),
        ("60654", "Chicago", "IL", "US", "America/Chicago"),
    ],
)
def test_reference_postal_codes(postal_code, city, region, country, time_zone):
    p = seed.place(postal_code)
    assert p is not None
    assert (p.city, p.region, p.country, p.time_zone) == (city, region, country, time_zone)


def test_place_lookup_normalizes_input():
    assert seed.place("m6k 3l5") is PLACES["M6K3L5"]
    assert seed.place(" 94105-1804 ") is PLACES["94105"]
    assert seed.place("00000") is None
    assert seed.metro_of("M6K 3L5") == "Toronto"
    assert seed.metro_of("94105") == "San Francisco Bay Area"
    assert seed.metro_of("12345") is None


# --- stores ----------------------------------------------------------------------------------


def test_location_codes_are_unique_and_well_formed():
    codes = [s.location_code for s in STORES]
    assert len(codes) == len(set(codes))
    assert all(LOCATION_CODE.fullmatch(code) for code in codes)
    assert 45 <= len(STORES) <= 60


def test_reference_store_000_3801():
    store = next(s for s in STORES if s.location_code == "000-3801")
    assert store.city == "San Francisco"
    assert store.envs == frozenset({"dev", "prod"})
    home = PLACES["94105"]
    assert distance_km(home.latitude, home.longitude, store.latitude, store.longitude) < 2


def test_every_store_sits_near_its_postal_code():
    for s in STORES:
        p = PLACES[s.postal_code]
        assert (s.city, s.time_zone) == (p.city, p.time_zone)
        assert distance_km(p.latitude, p.longitude, s.latitude, s.longitude) < 5, s.location_code
        assert " - " in s.name


@pytest.mark.parametrize("postal_code", ["94105", "90210", "M6K3L5", "60601", "60654"])
def test_stores_near_reference_postal_codes(postal_code):
    assert _near(postal_code, 15)


def test_store_flags_are_consistent_and_mixed():
    for s in STORES:
        if s.pickup_only:
            assert s.pickup and not s.long_distance_delivery, s.location_code
    count = Counter()
    for s in STORES:
        count["alcohol"] += s.alcohol
        count["pickup"] += s.pickup
        count["pickup_only"] += s.pickup_only
        count["long_distance"] += s.long_distance_delivery
    assert count["alcohol"] > len(STORES) / 2
    assert count["pickup"] > len(STORES) / 2
    assert 3 <= count["pickup_only"] <= 10
    assert count["long_distance"] >= 3
    assert len(STORES) - count["alcohol"] >= 3


def test_each_metro_has_stores_that_deliver_in_both_envs():
    for metro, codes in METROS.items():
        stores = [s for s in STORES if s.postal_code in codes]
        assert 5 <= len(stores) <= 9, metro
        for env in ("dev", "prod"):
            assert any(not s.pickup_only and env in s.envs for s in stores), (metro, env)


def test_dev_and_prod_differ_like_real_environments():
    assert all(s.envs and s.envs <= {"dev", "prod"} for s in STORES)
    dev_only, prod_only = _only_in("dev"), _only_in("prod")
    assert 2 <= len(dev_only) <= 3
    assert 2 <= len(prod_only) <= 4
    for s in dev_only:
        assert s.location_code.startswith("999-")
        assert s.name.startswith("Sandbox Test Market - ")
    assert not any(s.location_code.startswith("999-") for s in prod_only)
    shared = [s for s in STORES if s.envs == {"dev", "prod"}]
    assert len(shared) > len(STORES) * 0.8


def test_san_francisco_search_differs_between_envs():
    home = PLACES["94105"]
    for only in (_only_in("dev"), _only_in("prod")):
        assert any(
            distance_km(home.latitude, home.longitude, s.latitude, s.longitude) <= 10 for s in only
        )
    dev = {s.location_code for s in _near("94105", 10, env="dev")}
    prod = {s.location_code for s in _near("94105", 10, env="prod")}
    assert "000-3801" in dev & prod
    assert dev - prod and prod - dev


def test_stores_for():
    dev, prod = seed.stores_for("dev"), seed.stores_for("prod")
    assert all("dev" in s.envs for s in dev)
    assert all("prod" in s.envs for s in prod)
    assert {s.location_code for s in dev} | {s.location_code for s in prod} == {
        s.location_code for s in STORES
    }
    assert seed.stores_for("staging") == ()


def test_stores_near_sorts_by_distance():
    home = PLACES["94105"]
    found = seed.stores_near(home.latitude, home.longitude, 50)
    distances = [distance_km(home.latitude, home.longitude, s.latitude, s.longitude) for s in found]
    assert distances == sorted(distances)
    assert all(d <= 50 for d in distances)
    assert seed.stores_near(0.0, 0.0, 100) == ()


# --- products --------------------------------------------------------------------------------


def test_product_identifiers_are_unique_and_well_formed():
    upcs = [p.upc for p in PRODUCTS]
    rrcs = [p.rrc for p in PRODUCTS]
    assert len(upcs) == len(set(upcs))
    assert len(rrcs) == len(set(rrcs))
    for p in PRODUCTS:
        assert len(p.upc) == 12 and p.upc.isdigit(), p
        assert RRC.fullmatch(p.rrc), p
        assert len(p.scan_code) == 14 and p.scan_code == "00" + p.upc, p
    assert 200 <= len(PRODUCTS) <= 300


def test_generated_upcs_carry_valid_check_digits():
    reference = {"987665788999", "070481001157"}
    for p in PRODUCTS:
        if p.upc in reference or p.upc.startswith("0000000"):  # verbatim examples and PLUs
            continue
        digits = [int(d) for d in p.upc]
        assert (sum(digits[0::2]) * 3 + sum(digits[1::2])) % 10 == 0, p.upc


def test_reference_products():
    peanut_butter = seed.product(upc="987665788999")
    assert peanut_butter is not None and peanut_butter.rrc == "0452-38492"
    assert seed.product(rrc="0452-38492") is peanut_butter

    by_scan_code = [p for p in PRODUCTS if p.scan_code == "00070481001157"]
    assert [p.upc for p in by_scan_code] == ["070481001157"]

    bananas = seed.product(upc="000000004011")
    assert bananas is not None
    assert (bananas.name, bananas.unit, bananas.category) == ("Bananas", "lb", "Produce")
    assert sum(p.upc.startswith("0") for p in PRODUCTS) >= 20


def test_product_lookups():
    for p in PRODUCTS:
        assert seed.product(upc=p.upc) is p
        assert seed.product(rrc=p.rrc) is p
        assert seed.product(upc=p.upc, rrc=p.rrc) is p
    a, b = PRODUCTS[0], PRODUCTS[1]
    assert seed.product(upc=a.upc, rrc=b.rrc) is None
    assert seed.product() is None
    assert seed.product(upc="000000000000") is None
    assert seed.product(rrc="9999-99999") is None


def test_product_mix():
    units = Counter(p.unit for p in PRODUCTS)
    assert set(units) == {"each", "lb"}
    assert units["lb"] >= 30
    assert set(seed.CATEGORIES) == {p.category for p in PRODUCTS}

    alcohol = [p for p in PRODUCTS if p.alcohol]
    assert len(alcohol) >= 10
    assert {p.category for p in alcohol} == {"Wine", "Beer", "Spirits"}

    bulky = [p for p in PRODUCTS if not p.deliverable]
    assert 3 <= len(bulky) <= 5
    assert any("40 lb" in p.name for p in bulky)

    produce_by_weight = [p for p in PRODUCTS if p.category == "Produce" and p.unit == "lb"]
    assert any(p.upc.startswith("00000000") for p in produce_by_weight)
    assert all(p.price_cents > 0 and p.name and p.brand for p in PRODUCTS)


# --- helpers and determinism -----------------------------------------------------------------


def test_distance_km():
    sf, la = PLACES["94105"], PLACES["90210"]
    d = distance_km(sf.latitude, sf.longitude, la.latitude, la.longitude)
    assert 540 < d < 570
    assert d == pytest.approx(distance_km(la.latitude, la.longitude, sf.latitude, sf.longitude))
    assert distance_km(sf.latitude, sf.longitude, sf.latitude, sf.longitude) == 0
    assert distance_km(0, 0, 0, 180) == pytest.approx(20015, rel=1e-3)


def test_rebuilding_yields_equal_data():
    assert seed.build_places() == PLACES
    assert list(seed.build_places()) == list(PLACES)
    assert seed.build_stores() == STORES
    assert seed.build_products() == PRODUCTS


def test_another_catalog_seed_keeps_reference_items():
    other = seed.build_products(seed=7)
    assert other != PRODUCTS
    assert [p.name for p in other] == [p.name for p in PRODUCTS]
    assert len({p.upc for p in other}) == len(other)
    assert len({p.rrc for p in other}) == len(other)
    by_upc = {p.upc: p for p in other}
    assert by_upc["987665788999"].rrc == "0452-38492"
    assert "070481001157" in by_upc and "000000004011" in by_upc


_DUMP_SCRIPT = """
import dataclasses, importlib.util, sys
spec = importlib.util.spec_from_file_location("seed_copy", sys.argv[1])
mod = importlib.util.module_from_spec(spec)
sys.modules["seed_copy"] = mod
spec.loader.exec_module(mod)

def row(obj):
    return [sorted(v) if isinstance(v, frozenset) else v for v in dataclasses.astuple(obj)]

print(repr([[row(p) for p in mod.PLACES.values()], [row(s) for s in mod.STORES],
            [row(p) for p in mod.PRODUCTS], mod.METROS]))
"""


def _dump_with_hash_seed(hash_seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    result = subprocess.run(
        [sys.executable, "-c", _DUMP_SCRIPT, seed.__file__],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout


def test_identical_data_across_processes_and_hash_seeds():
    first, second = _dump_with_hash_seed("1"), _dump_with_hash_seed("4242")
    assert first == second
    assert "'000-3801'" in first and "'987665788999'" in first


def test_dataclasses_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        PRODUCTS[0].price_cents = 1  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        STORES[0].envs = frozenset()  # type: ignore[misc]
