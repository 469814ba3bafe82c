"""Deterministic, realistic seed data for the sandbox simulator.

The simulator needs somewhere to deliver to (postal codes), someone to deliver from (stores) and
something to sell (a product catalog). The data lives in CSV tables in ``catalogue/`` beside this
module (package data, read once at import with :mod:`importlib.resources`); the rules that turn
the rows into frozen dataclasses live here:

* ``PLACES``   -- about 45 postal codes in nine metro areas of the US and Canada, with city-accurate
  coordinates and IANA time zones (``METROS`` groups them by metro area).
* ``STORES``   -- about 55 stores of fictional grocery banners, each within a few kilometres of one
  of those postal codes. Most stores are served by both simulated environments; a few exist only in
  ``"prod"`` (new openings not yet mirrored to dev) or only in ``"dev"`` (test stores).
* ``PRODUCTS`` -- about 280 grocery items of fictional brands. Identifiers are derived with a
  fixed-seed ``random.Random``, so every import yields exactly the same catalog.

Every brand and banner name is invented. The few identifiers that appear in the Connect API
reference's examples (store ``000-3801``, UPC ``987665788999`` / RRC ``0452-38492``, scan code
``00070481001157``, postal codes ``94105``, ``90210``, ``M6K3L5``, ``60601``, ``60654``) are part
of the data so that the reference's sample requests work against the sandbox unchanged.

The module uses the standard library only, reads nothing but its own tables, and nothing here
depends on the clock, the hash seed or set iteration order.
"""

from __future__ import annotations

import csv
import io
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files

__all__ = [
    "CATEGORIES",
    "METROS",
    "PLACES",
    "PRODUCTS",
    "STORES",
    "Place",
    "Product",
    "StoreSeed",
    "build_places",
    "build_products",
    "build_stores",
    "distance_km",
    "metro_of",
    "normalize_postal_code",
    "place",
    "product",
    "stores_for",
    "stores_near",
]


# --------------------------------------------------------------------------------------------
# Data classes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Place:
    """A postal code with the city it belongs to, its centre and its time zone."""

    postal_code: str  # digits / uppercase letters, no spaces: "94105", "M6K3L5"
    city: str
    region: str  # state/province code: "CA", "ON"
    country: str  # "US" or "CA"
    latitude: float
    longitude: float
    time_zone: str  # IANA, e.g. "America/Los_Angeles"


@dataclass(frozen=True, slots=True)
class StoreSeed:
    """A retailer location the simulator can offer for delivery, pickup or last-mile orders."""

    location_code: str  # "000-3801" style: 3 digits, dash, 4 digits
    name: str  # "Banner - Neighborhood", e.g. "Garden Market - SoMa"
    latitude: float
    longitude: float
    postal_code: str
    city: str
    time_zone: str
    alcohol: bool
    pickup: bool
    pickup_only: bool  # True -> not eligible for delivery / last mile
    long_distance_delivery: bool
    envs: frozenset[str]  # subset of {"dev", "prod"}: which simulated environment serves it


@dataclass(frozen=True, slots=True)
class Product:
    """A catalog item, identified by UPC or by retailer reference code (RRC)."""

    upc: str  # 12-digit string (leading zeros kept), unique
    rrc: str  # retailer reference code like "0452-38492", unique
    name: str
    brand: str
    category: str
    unit: str  # "each" (sold by count) or "lb" (sold by weight)
    price_cents: int  # per each or per lb
    alcohol: bool
    deliverable: bool  # False for a few big-and-bulky items
    scan_code: str  # 14-digit GTIN-style: the upc padded with leading zeros


# --------------------------------------------------------------------------------------------
# The tables: catalogue/<name>.csv (their columns: catalogue/README.md)
# --------------------------------------------------------------------------------------------

# The package is named, not taken from __package__, so that the module also loads from its file
# alone (tests/test_seed.py loads it so to compare the data across hash seeds).
_CATALOGUE = files("connect_kit.sandbox").joinpath("catalogue")


def _table(name: str) -> tuple[dict[str, str], ...]:
    """The rows of ``catalogue/<name>.csv``, each a dict by the header's column names."""
    reader = csv.DictReader(io.StringIO(_CATALOGUE.joinpath(f"{name}.csv").read_text("utf-8")))
    rows = []
    for row in reader:
        if None in row or None in row.values():
            columns = ", ".join(reader.fieldnames or ())
            raise ValueError(f"catalogue/{name}.csv, line {reader.line_num}: expected {columns}")
        rows.append(row)
    return tuple(rows)


def _yes(value: str) -> bool:
    if value not in ("yes", "no"):
        raise ValueError(f"expected yes or no in the catalogue, not {value!r}")
    return value == "yes"


_METRO_ROWS = _table("metros")
_PLACE_ROWS = _table("places")
_STORE_ROWS = _table("stores")
_CATEGORY_ROWS = _table("categories")
_REFERENCE_ROWS = _table("reference_items")
_LOOSE_PRODUCE_ROWS = _table("loose_produce")
_WEIGHED_ROWS = _table("weighed_items")
_PACKAGED_ROWS = _table("packaged_items")
_BULKY_ROWS = _table("bulky_items")


# --------------------------------------------------------------------------------------------
# Places
# --------------------------------------------------------------------------------------------


def build_places() -> dict[str, Place]:
    """Build the postal-code table (``PLACES``), in file order; a place has its metro's country
    and time zone."""
    metros = {row["metro"]: row for row in _METRO_ROWS}
    places = {}
    for row in _PLACE_ROWS:
        metro = metros[row["metro"]]
        places[row["postal_code"]] = Place(
            postal_code=row["postal_code"],
            city=row["city"],
            region=row["region"],
            country=metro["country"],
            latitude=float(row["latitude"]),
            longitude=float(row["longitude"]),
            time_zone=metro["time_zone"],
        )
    return places


# --------------------------------------------------------------------------------------------
# Stores
# --------------------------------------------------------------------------------------------

# Flags: A = sells alcohol, P = offers pickup, O = pickup only (no delivery / last mile),
# L = long-distance delivery. Envs: the simulated environments that serve the store.
_STORE_FLAGS = frozenset("APOL")
_ENVS = frozenset({"dev", "prod"})


def build_stores(places: dict[str, Place] | None = None) -> tuple[StoreSeed, ...]:
    """Build ``STORES`` from ``stores.csv``; city and time zone come from the store's place."""
    places = PLACES if places is None else places
    stores = []
    for row in _STORE_ROWS:
        code, flags, envs = row["location_code"], row["flags"], frozenset(row["envs"].split())
        if not set(flags) <= _STORE_FLAGS or not envs or not envs <= _ENVS:
            raise ValueError(f"store {code}: flags {flags!r}, envs {row['envs']!r}")
        where = places[row["postal_code"]]
        stores.append(
            StoreSeed(
                location_code=code,
                name=row["name"],
                latitude=float(row["latitude"]),
                longitude=float(row["longitude"]),
                postal_code=row["postal_code"],
                city=where.city,
                time_zone=where.time_zone,
                alcohol="A" in flags,
                pickup="P" in flags or "O" in flags,
                pickup_only="O" in flags,
                long_distance_delivery="L" in flags,
                envs=envs,
            )
        )
    return tuple(stores)


# --------------------------------------------------------------------------------------------
# Products
# --------------------------------------------------------------------------------------------

# Category -> 4-digit department code, the first half of every retailer reference code (RRC).
_DEPARTMENTS: dict[str, str] = {row["category"]: row["department"] for row in _CATEGORY_ROWS}
CATEGORIES: tuple[str, ...] = tuple(_DEPARTMENTS)
_ALCOHOL_CATEGORIES = frozenset(row["category"] for row in _CATEGORY_ROWS if _yes(row["alcohol"]))

_CATALOG_SEED = 20_240_914  # changing it reshuffles every generated UPC and RRC

# The brands of the reference's example items keep those items' manufacturer prefix.
_BRAND_PREFIXES: dict[str, str] = {row["brand"]: row["upc"][:6] for row in _REFERENCE_ROWS}


def _upc_check_digit(first11: str) -> str:
    """UPC-A check digit of an 11-digit string."""
    odd = sum(int(d) for d in first11[0::2])
    even = sum(int(d) for d in first11[1::2])
    return str((10 - (odd * 3 + even) % 10) % 10)


class _IdentifierMint:
    """Hands out unique UPCs and RRCs from a fixed-seed random stream."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)
        self._upcs: set[str] = set()
        self._rrcs: set[str] = set()
        self._prefixes = dict(_BRAND_PREFIXES)
        self._used_prefixes = set(self._prefixes.values())

    def reserve(self, upc: str, rrc: str | None = None) -> None:
        """Claim fixed identifiers so generated ones never collide with them."""
        if upc in self._upcs or rrc in self._rrcs:
            raise ValueError(f"duplicate product identifier: {upc} / {rrc}")
        self._upcs.add(upc)
        if rrc is not None:
            self._rrcs.add(rrc)

    def rrc(self, category: str) -> str:
        """A new "DDDD-NNNNN" retailer reference code in the category's department."""
        while True:
            code = f"{_DEPARTMENTS[category]}-{self._rng.randrange(100_000):05d}"
            if code not in self._rrcs:
                self._rrcs.add(code)
                return code

    def packaged_upc(self, brand: str) -> str:
        """A new UPC-A: the brand's 6-digit manufacturer prefix, a 5-digit item, a check digit."""
        prefix = self._prefixes.get(brand)
        if prefix is None:
            while prefix is None or prefix in self._used_prefixes:
                prefix = f"{self._rng.choice('0068')}{self._rng.randrange(10_000, 100_000)}"
            self._prefixes[brand] = prefix
            self._used_prefixes.add(prefix)
        return self._claim(lambda: f"{prefix}{self._rng.randrange(100_000):05d}")

    def weighed_upc(self) -> str:
        """A new variable-measure UPC-A: "2", a 5-digit item, five zeros, a check digit."""
        return self._claim(lambda: f"2{self._rng.randrange(10_000, 100_000)}00000")

    def _claim(self, draw: Callable[[], str]) -> str:
        """Draw 11-digit bodies until one, with its check digit, is a UPC not yet handed out."""
        while True:
            first11 = draw()
            upc = first11 + _upc_check_digit(first11)
            if upc not in self._upcs:
                self._upcs.add(upc)
                return upc


def _product(row: dict[str, str], upc: str, rrc: str, deliverable: bool = True) -> Product:
    """One catalog item of a row; alcohol follows from the category, the scan code from the UPC."""
    return Product(
        upc=upc,
        rrc=rrc,
        name=row["name"],
        brand=row["brand"],
        category=row["category"],
        unit=row["unit"],
        price_cents=int(row["price_cents"]),
        alcohol=row["category"] in _ALCOHOL_CATEGORIES,
        deliverable=deliverable,
        scan_code=upc.zfill(14),
    )


def build_products(seed: int = _CATALOG_SEED) -> tuple[Product, ...]:
    """Build ``PRODUCTS``: reference items, loose produce, weighed items, packaged, bulky.

    Reference items are the API reference's examples, verbatim (their check digits are not valid
    UPC-A check digits; the generated UPCs are). Loose produce's UPC is its PLU padded to 12
    digits ("4011" -> "000000004011"; organic PLUs carry a leading 9). Weighed items are sold by
    the pound (service counters, bulk bins), packaged items by count, a row a variant ("<name>,
    <variant>"), and bulky items by count in store only: they are not deliverable. Each generated
    item draws its UPC, then its RRC; the same seed always yields the same catalog, in order.
    """
    mint = _IdentifierMint(seed)
    products: list[Product] = []
    for row in _REFERENCE_ROWS:
        mint.reserve(row["upc"], row["rrc"])
        products.append(_product(row, row["upc"], row["rrc"]))
    for row in _LOOSE_PRODUCE_ROWS:
        upc = row["plu"].zfill(12)
        mint.reserve(upc)
        products.append(_product(row, upc, mint.rrc(row["category"])))
    for row in _WEIGHED_ROWS:
        upc = mint.weighed_upc()
        products.append(_product({**row, "unit": "lb"}, upc, mint.rrc(row["category"])))
    for row in _PACKAGED_ROWS:
        name = f"{row['name']}, {row['variant']}" if row["variant"] else row["name"]
        upc = mint.packaged_upc(row["brand"])
        item = {**row, "name": name, "unit": "each"}
        products.append(_product(item, upc, mint.rrc(row["category"])))
    for row in _BULKY_ROWS:
        upc = mint.packaged_upc(row["brand"])
        rrc = mint.rrc(row["category"])
        products.append(_product({**row, "unit": "each"}, upc, rrc, deliverable=False))
    return tuple(products)


# --------------------------------------------------------------------------------------------
# Public tables, built once at import time
# --------------------------------------------------------------------------------------------

PLACES: dict[str, Place] = build_places()
METROS: dict[str, tuple[str, ...]] = {  # each metro area's postal codes, in file order
    m["metro"]: tuple(p["postal_code"] for p in _PLACE_ROWS if p["metro"] == m["metro"])
    for m in _METRO_ROWS
}
STORES: tuple[StoreSeed, ...] = build_stores(PLACES)
PRODUCTS: tuple[Product, ...] = build_products()

_METRO_BY_POSTAL_CODE: dict[str, str] = {
    code: metro for metro, codes in METROS.items() for code in codes
}
_STORES_BY_ENV: dict[str, tuple[StoreSeed, ...]] = {
    env: tuple(s for s in STORES if env in s.envs) for env in ("dev", "prod")
}
_PRODUCTS_BY_UPC: dict[str, Product] = {p.upc: p for p in PRODUCTS}
_PRODUCTS_BY_RRC: dict[str, Product] = {p.rrc: p for p in PRODUCTS}


# --------------------------------------------------------------------------------------------
# Lookups
# --------------------------------------------------------------------------------------------


def normalize_postal_code(postal_code: str) -> str:
    """Canonical form used as the ``PLACES`` key: uppercase, no spaces, ZIP+4 cut to 5 digits.

    >>> normalize_postal_code(" m6k 3l5 "), normalize_postal_code("94105-1804")
    ('M6K3L5', '94105')
    """
    code = postal_code.replace(" ", "").upper()
    if len(code) == 10 and code[5] == "-" and code[:5].isdigit() and code[6:].isdigit():
        return code[:5]
    return code


def place(postal_code: str) -> Place | None:
    """The place for a postal code ("M6K 3L5" and "m6k3l5" both work), or None if unknown."""
    return PLACES.get(normalize_postal_code(postal_code))


def metro_of(postal_code: str) -> str | None:
    """The metro area ("Toronto", "San Francisco Bay Area", ...) of a known postal code."""
    return _METRO_BY_POSTAL_CODE.get(normalize_postal_code(postal_code))


def stores_for(env: str) -> tuple[StoreSeed, ...]:
    """The stores a simulated environment ("dev" or "prod") serves; empty for any other name."""
    return _STORES_BY_ENV.get(env, ())


def stores_near(
    latitude: float, longitude: float, radius_km: float, env: str | None = None
) -> tuple[StoreSeed, ...]:
    """Stores within ``radius_km`` of a point, nearest first (ties by location code).

    With ``env`` only the stores of that environment are considered.
    """
    candidates = STORES if env is None else stores_for(env)
    found = []
    for store in candidates:
        km = distance_km(latitude, longitude, store.latitude, store.longitude)
        if km <= radius_km:
            found.append((km, store.location_code, store))
    found.sort(key=lambda item: (item[0], item[1]))
    return tuple(store for _km, _code, store in found)


def product(upc: str | None = None, rrc: str | None = None) -> Product | None:
    """Look a product up by UPC or by RRC.

    With both given, the product must match both; with neither, the result is None.
    """
    if upc is not None:
        found = _PRODUCTS_BY_UPC.get(upc)
        if found is not None and rrc is not None and found.rrc != rrc:
            return None
        return found
    if rrc is not None:
        return _PRODUCTS_BY_RRC.get(rrc)
    return None


_EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in kilometres between two points given in degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * _EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
