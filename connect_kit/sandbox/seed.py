"""Deterministic, realistic seed data for the sandbox simulator.

The simulator needs somewhere to deliver to (postal codes), someone to deliver from (stores) and
something to sell (a product catalog). All of it lives here as compact tables of plain tuples that
are turned into frozen dataclasses once, at import time:

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

The module is pure: standard library only, no I/O, and nothing here depends on the clock, the
hash seed or set iteration order.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

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
# Places
# --------------------------------------------------------------------------------------------

# (postal_code, city, region, latitude, longitude)
_PlaceRow = tuple[str, str, str, float, float]

# (metro, country, IANA time zone, places). Montreal uses America/Toronto: America/Montreal is
# only a backward-compatibility link in the tz database.
_PLACE_TABLE: tuple[tuple[str, str, str, tuple[_PlaceRow, ...]], ...] = (
    (
        "San Francisco Bay Area",
        "US",
        "America/Los_Angeles",
        (
            ("94105", "San Francisco", "CA", 37.7898, -122.3942),  # 50 Beale St
            ("94103", "San Francisco", "CA", 37.7726, -122.4099),
            ("94110", "San Francisco", "CA", 37.7486, -122.4158),
            ("94115", "San Francisco", "CA", 37.7856, -122.4368),
            ("94612", "Oakland", "CA", 37.8110, -122.2680),
            ("94301", "Palo Alto", "CA", 37.4443, -122.1598),
        ),
    ),
    (
        "Los Angeles",
        "US",
        "America/Los_Angeles",
        (
            ("90210", "Beverly Hills", "CA", 34.0901, -118.4065),
            ("90012", "Los Angeles", "CA", 34.0614, -118.2385),
            ("90028", "Los Angeles", "CA", 34.1016, -118.3267),
            ("90401", "Santa Monica", "CA", 34.0160, -118.4970),
            ("91101", "Pasadena", "CA", 34.1478, -118.1445),
        ),
    ),
    (
        "Chicago",
        "US",
        "America/Chicago",
        (
            ("60601", "Chicago", "IL", 41.8858, -87.6181),
            ("60654", "Chicago", "IL", 41.8923, -87.6370),
            ("60614", "Chicago", "IL", 41.9227, -87.6533),
            ("60622", "Chicago", "IL", 41.9024, -87.6776),
            ("60201", "Evanston", "IL", 42.0480, -87.6880),
        ),
    ),
    (
        "New York",
        "US",
        "America/New_York",
        (
            ("10001", "New York", "NY", 40.7506, -73.9972),
            ("10011", "New York", "NY", 40.7402, -73.9996),
            ("10025", "New York", "NY", 40.7990, -73.9680),
            ("11201", "Brooklyn", "NY", 40.6937, -73.9897),
            ("11211", "Brooklyn", "NY", 40.7126, -73.9532),
            ("07302", "Jersey City", "NJ", 40.7196, -74.0465),
        ),
    ),
    (
        "Seattle",
        "US",
        "America/Los_Angeles",
        (
            ("98101", "Seattle", "WA", 47.6101, -122.3364),
            ("98109", "Seattle", "WA", 47.6320, -122.3470),
            ("98103", "Seattle", "WA", 47.6733, -122.3422),
            ("98122", "Seattle", "WA", 47.6116, -122.3050),
            ("98004", "Bellevue", "WA", 47.6148, -122.2040),
        ),
    ),
    (
        "Austin",
        "US",
        "America/Chicago",
        (
            ("78701", "Austin", "TX", 30.2711, -97.7437),
            ("78704", "Austin", "TX", 30.2428, -97.7658),
            ("78705", "Austin", "TX", 30.2916, -97.7400),
            ("78751", "Austin", "TX", 30.3094, -97.7237),
            ("78613", "Cedar Park", "TX", 30.5052, -97.8203),
        ),
    ),
    (
        "Toronto",
        "CA",
        "America/Toronto",
        (
            ("M6K3L5", "Toronto", "ON", 43.6389, -79.4240),  # Liberty Village
            ("M5V3L9", "Toronto", "ON", 43.6426, -79.3871),
            ("M4W1A8", "Toronto", "ON", 43.6720, -79.3890),
            ("M4M2S1", "Toronto", "ON", 43.6600, -79.3420),
            ("M5B2H1", "Toronto", "ON", 43.6561, -79.3802),
            ("L5B3C2", "Mississauga", "ON", 43.5890, -79.6441),
        ),
    ),
    (
        "Vancouver",
        "CA",
        "America/Vancouver",
        (
            ("V6B4Y8", "Vancouver", "BC", 49.2790, -123.1130),
            ("V6E4M3", "Vancouver", "BC", 49.2870, -123.1300),
            ("V6K2G9", "Vancouver", "BC", 49.2680, -123.1650),
            ("V5L3X5", "Vancouver", "BC", 49.2740, -123.0700),
        ),
    ),
    (
        "Montreal",
        "CA",
        "America/Toronto",
        (
            ("H2X1Y4", "Montreal", "QC", 45.5110, -73.5650),
            ("H3B4W8", "Montreal", "QC", 45.5000, -73.5700),
            ("H2T1S6", "Montreal", "QC", 45.5230, -73.5950),
            ("H4C2R5", "Montreal", "QC", 45.4780, -73.5820),
        ),
    ),
)


def build_places() -> dict[str, Place]:
    """Build the postal-code table (``PLACES``) from the compact rows, in table order."""
    return {
        code: Place(code, city, region, country, lat, lon, tz)
        for _metro, country, tz, rows in _PLACE_TABLE
        for code, city, region, lat, lon in rows
    }


# --------------------------------------------------------------------------------------------
# Stores
# --------------------------------------------------------------------------------------------

_BOTH = frozenset({"dev", "prod"})
_PROD = frozenset({"prod"})  # opened recently, not yet mirrored to dev
_DEV = frozenset({"dev"})  # test stores that only the dev environment knows about

# Flags: A = sells alcohol, P = offers pickup, O = pickup only (no delivery / last mile),
# L = long-distance delivery.
# (location_code, name, postal_code, latitude, longitude, flags, envs)
_StoreRow = tuple[str, str, str, float, float, str, frozenset[str]]

_STORE_TABLE: tuple[_StoreRow, ...] = (
    # San Francisco Bay Area
    ("000-3801", "Garden Market - SoMa", "94105", 37.7857, -122.3960, "AP", _BOTH),
    ("000-3802", "Garden Market - Mission", "94110", 37.7510, -122.4185, "AP", _BOTH),
    ("000-3844", "Garden Market - Palo Alto", "94301", 37.4430, -122.1610, "APL", _BOTH),
    ("000-3857", "Garden Market - Embarcadero", "94105", 37.7940, -122.3950, "AP", _PROD),
    ("104-2210", "Harvest Lane Grocers - Fillmore", "94115", 37.7840, -122.4330, "APL", _BOTH),
    ("104-2215", "Harvest Lane Grocers - Uptown Oakland", "94612", 37.8090, -122.2700, "AP", _BOTH),
    ("211-0457", "Northgate Foods - Civic Center", "94103", 37.7790, -122.4150, "AP", _BOTH),
    ("318-0009", "Bluebird Pickup Point - SoMa", "94103", 37.7745, -122.4040, "PO", _BOTH),
    ("999-0001", "Sandbox Test Market - San Francisco", "94105", 37.7890, -122.4000, "AP", _DEV),
    # Los Angeles
    ("000-4102", "Garden Market - Beverly Hills", "90210", 34.0736, -118.4004, "AP", _BOTH),
    ("104-3120", "Harvest Lane Grocers - Downtown LA", "90012", 34.0560, -118.2440, "AP", _BOTH),
    ("211-1188", "Northgate Foods - Hollywood", "90028", 34.0980, -118.3300, "AP", _BOTH),
    ("425-0031", "Pacific Pantry - Santa Monica", "90401", 34.0190, -118.4920, "APL", _BOTH),
    ("425-0034", "Pacific Pantry - Pasadena", "91101", 34.1450, -118.1500, "AP", _BOTH),
    ("999-0002", "Sandbox Test Market - Los Angeles", "90012", 34.0500, -118.2500, "P", _DEV),
    # Chicago
    ("530-0601", "Lakeshore Foods - Lakeshore East", "60601", 41.8870, -87.6170, "AP", _BOTH),
    ("530-0612", "Lakeshore Foods - River North", "60654", 41.8930, -87.6330, "APL", _BOTH),
    ("104-4405", "Harvest Lane Grocers - Lincoln Park", "60614", 41.9210, -87.6490, "AP", _BOTH),
    ("211-2075", "Northgate Foods - Wicker Park", "60622", 41.9070, -87.6720, "AP", _BOTH),
    ("000-5010", "Garden Market - Evanston", "60201", 42.0460, -87.6830, "P", _BOTH),
    ("318-0240", "Bluebird Pickup Point - River West", "60654", 41.8960, -87.6450, "PO", _BOTH),
    # New York
    ("615-0101", "Brownstone Grocers - Chelsea", "10011", 40.7420, -74.0010, "AP", _BOTH),
    ("615-0107", "Brownstone Grocers - Upper West Side", "10025", 40.7970, -73.9700, "AP", _BOTH),
    ("000-6020", "Garden Market - Hudson Yards", "10001", 40.7530, -74.0010, "AP", _BOTH),
    ("211-3310", "Northgate Foods - Brooklyn Heights", "11201", 40.6950, -73.9930, "AP", _BOTH),
    ("211-3318", "Northgate Foods - Williamsburg", "11211", 40.7140, -73.9580, "AP", _PROD),
    ("104-5060", "Harvest Lane Grocers - Jersey City", "07302", 40.7180, -74.0430, "APL", _BOTH),
    # Seattle
    ("425-0210", "Pacific Pantry - Downtown Seattle", "98101", 47.6110, -122.3380, "AP", _BOTH),
    ("425-0215", "Pacific Pantry - Fremont", "98103", 47.6510, -122.3500, "AP", _BOTH),
    ("104-6120", "Harvest Lane Grocers - Lake Union", "98109", 47.6250, -122.3380, "APL", _BOTH),
    ("211-4001", "Northgate Foods - Capitol Hill", "98122", 47.6150, -122.3110, "AP", _BOTH),
    ("000-7003", "Garden Market - Bellevue", "98004", 47.6160, -122.2000, "AP", _BOTH),
    ("318-0501", "Bluebird Pickup Point - Interbay", "98109", 47.6400, -122.3780, "PO", _BOTH),
    # Austin
    ("740-0010", "Bluebonnet Market - Downtown", "78701", 30.2680, -97.7450, "AP", _BOTH),
    ("740-0014", "Bluebonnet Market - South Congress", "78704", 30.2480, -97.7500, "APL", _BOTH),
    ("740-0022", "Bluebonnet Market - Cedar Park", "78613", 30.5100, -97.8200, "APL", _PROD),
    ("104-7035", "Harvest Lane Grocers - Hyde Park", "78751", 30.3060, -97.7260, "AP", _BOTH),
    ("211-5120", "Northgate Foods - West Campus", "78705", 30.2880, -97.7480, "AP", _BOTH),
    ("318-0622", "Bluebird Pickup Point - Rainey Street", "78701", 30.2600, -97.7380, "PO", _BOTH),
    # Toronto: most grocery stores here do not sell alcohol.
    ("820-1001", "Maple & Main Market - Liberty Village", "M6K3L5", 43.6380, -79.4200, "P", _BOTH),
    ("820-1004", "Maple & Main Market - Yorkville", "M4W1A8", 43.6710, -79.3920, "AP", _BOTH),
    ("820-1012", "Maple & Main Market - Mississauga", "L5B3C2", 43.5930, -79.6430, "AP", _BOTH),
    ("833-0150", "True North Grocer - King West", "M5V3L9", 43.6450, -79.3900, "P", _BOTH),
    ("833-0158", "True North Grocer - Leslieville", "M4M2S1", 43.6620, -79.3380, "PL", _BOTH),
    ("999-0003", "Sandbox Test Market - Toronto", "M5B2H1", 43.6560, -79.3800, "P", _DEV),
    # Vancouver
    ("833-0410", "True North Grocer - Yaletown", "V6B4Y8", 49.2760, -123.1180, "P", _BOTH),
    ("833-0415", "True North Grocer - Kitsilano", "V6K2G9", 49.2665, -123.1600, "PL", _BOTH),
    ("425-0801", "Pacific Pantry - West End", "V6E4M3", 49.2850, -123.1330, "AP", _BOTH),
    ("425-0806", "Pacific Pantry - Commercial Drive", "V5L3X5", 49.2720, -123.0695, "P", _BOTH),
    ("318-0901", "Bluebird Pickup Point - False Creek", "V6B4Y8", 49.2700, -123.1000, "PO", _BOTH),
    # Montreal: grocery stores in Quebec sell beer and wine.
    ("852-0020", "Marché Beaulieu - Quartier Latin", "H2X1Y4", 45.5150, -73.5620, "AP", _BOTH),
    ("852-0024", "Marché Beaulieu - Mile End", "H2T1S6", 45.5240, -73.5990, "AP", _BOTH),
    ("833-0620", "True North Grocer - Centre-Ville", "H3B4W8", 45.5010, -73.5720, "APL", _BOTH),
    ("833-0626", "True North Grocer - Saint-Henri", "H4C2R5", 45.4770, -73.5850, "AP", _BOTH),
    ("318-1001", "Bluebird Pickup Point - Griffintown", "H4C2R5", 45.4900, -73.5650, "PO", _BOTH),
)


def build_stores(places: dict[str, Place] | None = None) -> tuple[StoreSeed, ...]:
    """Build ``STORES`` from the compact rows; city and time zone come from the store's place."""
    places = PLACES if places is None else places
    stores = []
    for code, name, postal_code, lat, lon, flags, envs in _STORE_TABLE:
        where = places[postal_code]
        stores.append(
            StoreSeed(
                location_code=code,
                name=name,
                latitude=lat,
                longitude=lon,
                postal_code=postal_code,
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
_DEPARTMENTS: dict[str, str] = {
    "Produce": "0101",
    "Dairy & Eggs": "0215",
    "Bakery": "0307",
    "Meat & Seafood": "0348",
    "Deli": "0361",
    "Pantry": "0452",
    "Snacks": "0477",
    "Frozen": "0530",
    "Beverages": "0612",
    "Wine": "0705",
    "Beer": "0712",
    "Spirits": "0720",
    "Household": "0810",
    "Personal Care": "0855",
    "Baby": "0903",
    "Pet": "0940",
}
CATEGORIES: tuple[str, ...] = tuple(_DEPARTMENTS)
_ALCOHOL_CATEGORIES = frozenset({"Wine", "Beer", "Spirits"})

_CATALOG_SEED = 20_240_914  # changing it reshuffles every generated UPC and RRC

# Brands whose manufacturer prefix is fixed so the reference's example items fit in.
_BRAND_PREFIXES: dict[str, str] = {"Nutty Ridge": "987665", "Clearspring": "070481"}

# Items from the API reference's examples, kept verbatim (their check digits are not valid UPC-A
# check digits; the generated UPCs below are).
# (upc, rrc, category, brand, name, unit, price_cents)
_REFERENCE_ITEMS: tuple[tuple[str, str, str, str, str, str, int], ...] = (
    (
        "987665788999",
        "0452-38492",
        "Pantry",
        "Nutty Ridge",
        "Organic Creamy Peanut Butter, 16 oz",
        "each",
        549,
    ),
    (
        "070481001157",
        "0612-01157",
        "Beverages",
        "Clearspring",
        "Sparkling Mineral Water, 25.3 fl oz",
        "each",
        199,
    ),
)

# Loose produce, identified by its PLU code; the UPC is the PLU padded to 12 digits
# ("4011" -> "000000004011"). Organic PLUs carry a leading 9.
# (plu, name, unit, price_cents)
_PLU_ITEMS: tuple[tuple[str, str, str, int], ...] = (
    ("4011", "Bananas", "lb", 69),
    ("94011", "Organic Bananas", "lb", 89),
    ("4131", "Fuji Apples", "lb", 249),
    ("94131", "Organic Fuji Apples", "lb", 349),
    ("4133", "Gala Apples", "lb", 199),
    ("3283", "Honeycrisp Apples", "lb", 299),
    ("4017", "Granny Smith Apples", "lb", 229),
    ("4409", "Bartlett Pears", "lb", 199),
    ("4023", "Red Seedless Grapes", "lb", 299),
    ("4038", "Yellow Peaches", "lb", 249),
    ("4012", "Navel Oranges", "each", 99),
    ("4053", "Lemons", "each", 79),
    ("4048", "Limes", "each", 39),
    ("4225", "Hass Avocados", "each", 179),
    ("94225", "Organic Hass Avocados", "each", 249),
    ("4051", "Mangoes", "each", 149),
    ("4030", "Kiwifruit", "each", 59),
    ("4087", "Roma Tomatoes", "lb", 179),
    ("4664", "Tomatoes on the Vine", "lb", 299),
    ("4062", "Cucumbers", "each", 99),
    ("4065", "Green Bell Peppers", "each", 129),
    ("4088", "Red Bell Peppers", "each", 199),
    ("4093", "Yellow Onions", "lb", 119),
    ("4082", "Red Onions", "lb", 149),
    ("4072", "Russet Potatoes", "lb", 99),
    ("4816", "Sweet Potatoes", "lb", 149),
    ("4608", "Garlic", "each", 69),
    ("3082", "Broccoli Crowns", "lb", 249),
    ("4562", "Loose Carrots", "lb", 129),
    ("4067", "Zucchini", "lb", 199),
    ("4612", "Ginger Root", "lb", 449),
    ("4693", "Jalapeño Peppers", "lb", 299),
    ("4889", "Cilantro", "each", 99),
    ("4069", "Green Cabbage", "lb", 99),
)

# Random-weight items sold by the pound (service counters, bulk bins). Their UPCs use the
# variable-measure number system "2": "2" + 5-digit item code + "00000" + check digit.
# (category, brand, name, price_cents per lb)
_WEIGHED_ITEMS: tuple[tuple[str, str, str, int], ...] = (
    ("Meat & Seafood", "Prairie Ridge", "Boneless Skinless Chicken Breast", 499),
    ("Meat & Seafood", "Prairie Ridge", "Bone-In Chicken Thighs", 299),
    ("Meat & Seafood", "Prairie Ridge", "Chicken Drumsticks", 199),
    ("Meat & Seafood", "Prairie Ridge", "Whole Fryer Chicken", 189),
    ("Meat & Seafood", "Prairie Ridge", "Ribeye Steak", 1499),
    ("Meat & Seafood", "Prairie Ridge", "New York Strip Steak", 1399),
    ("Meat & Seafood", "Prairie Ridge", "Beef Chuck Roast", 799),
    ("Meat & Seafood", "Prairie Ridge", "Flank Steak", 1199),
    ("Meat & Seafood", "Prairie Ridge", "Bone-In Pork Chops", 449),
    ("Meat & Seafood", "Prairie Ridge", "Pork Tenderloin", 599),
    ("Meat & Seafood", "Prairie Ridge", "Baby Back Pork Ribs", 549),
    ("Meat & Seafood", "Prairie Ridge", "Lamb Loin Chops", 1599),
    ("Meat & Seafood", "Blue Harbor", "Atlantic Salmon Fillet", 1199),
    ("Meat & Seafood", "Blue Harbor", "Wild Sockeye Salmon Fillet", 1699),
    ("Meat & Seafood", "Blue Harbor", "Cod Fillet", 1099),
    ("Meat & Seafood", "Blue Harbor", "Tilapia Fillet", 699),
    ("Meat & Seafood", "Blue Harbor", "Raw Large Shrimp, 21-25 ct", 1299),
    ("Meat & Seafood", "Blue Harbor", "Sea Scallops", 2499),
    ("Meat & Seafood", "Blue Harbor", "Ahi Tuna Steak", 1999),
    ("Deli", "Copper Kettle", "Oven Roasted Turkey Breast", 1099),
    ("Deli", "Copper Kettle", "Black Forest Ham", 899),
    ("Deli", "Copper Kettle", "Genoa Salami", 1199),
    ("Deli", "Copper Kettle", "Top Round Roast Beef", 1299),
    ("Deli", "Copper Kettle", "Sliced Provolone Cheese", 899),
    ("Deli", "Copper Kettle", "Sliced Swiss Cheese", 999),
    ("Deli", "Copper Kettle", "Sliced Sharp Cheddar Cheese", 799),
    ("Deli", "Copper Kettle", "Sliced Pepper Jack Cheese", 849),
    ("Deli", "Copper Kettle", "Classic Chicken Salad", 899),
    ("Deli", "Copper Kettle", "Red Potato Salad", 599),
    ("Deli", "Copper Kettle", "Mediterranean Olive Mix", 899),
    ("Snacks", "Trailhead", "Raw Almonds, Bulk", 799),
    ("Snacks", "Trailhead", "Dried Mango Slices, Bulk", 999),
    ("Snacks", "Trailhead", "Classic Trail Mix, Bulk", 699),
)

# Packaged items sold by count, expanded into one product per variant.
# Name = "<base>, <variant>" (just "<base>" when the variant label is empty).
# (brand, base name, ((variant label, price_cents), ...)) grouped by category
_Variants = tuple[tuple[str, int], ...]
_PACKAGED_ITEMS: tuple[tuple[str, tuple[tuple[str, str, _Variants], ...]], ...] = (
    (
        "Produce",
        (
            ("Golden Acre", "Organic Baby Spinach", (("5 oz", 399), ("16 oz", 699))),
            ("Golden Acre", "Spring Mix", (("5 oz", 399), ("16 oz", 699))),
            ("Golden Acre", "Romaine Hearts", (("3 ct", 399),)),
            ("Golden Acre", "Baby Carrots", (("1 lb", 169), ("2 lb", 299))),
            ("Golden Acre", "Sweet Grape Tomatoes", (("10 oz", 349),)),
            ("Golden Acre", "Sliced White Mushrooms", (("8 oz", 279),)),
            ("Golden Acre", "Celery Hearts", (("", 299),)),
            ("Golden Acre", "Russet Potatoes", (("5 lb bag", 499),)),
            ("Golden Acre", "Yellow Onions", (("3 lb bag", 349),)),
            ("Golden Acre", "Clementines", (("3 lb bag", 599),)),
            ("Berrywood Farms", "Strawberries", (("1 lb", 449), ("2 lb", 799))),
            ("Berrywood Farms", "Blueberries", (("6 oz", 399), ("18 oz", 899))),
            ("Berrywood Farms", "Raspberries", (("6 oz", 449),)),
        ),
    ),
    (
        "Dairy & Eggs",
        (
            ("Cloudberry Creamery", "Whole Milk", (("1 gal", 479), ("Half Gallon", 299))),
            ("Cloudberry Creamery", "2% Reduced Fat Milk", (("1 gal", 469), ("Half Gallon", 289))),
            ("Cloudberry Creamery", "Fat Free Milk", (("Half Gallon", 279),)),
            ("Cloudberry Creamery", "Organic Whole Milk", (("Half Gallon", 549),)),
            ("Cloudberry Creamery", "Heavy Whipping Cream", (("16 fl oz", 449), ("32 fl oz", 799))),
            ("Cloudberry Creamery", "Half & Half", (("32 fl oz", 399),)),
            ("Cloudberry Creamery", "Unsalted Butter", (("4 sticks, 16 oz", 549),)),
            ("Cloudberry Creamery", "Salted Butter", (("4 sticks, 16 oz", 549),)),
            ("Cloudberry Creamery", "Cream Cheese", (("8 oz", 299),)),
            ("Cloudberry Creamery", "Sour Cream", (("16 oz", 279),)),
            ("Cloudberry Creamery", "Cottage Cheese 4%", (("16 oz", 349),)),
            ("Cloudberry Creamery", "Orange Juice, No Pulp", (("52 fl oz", 499),)),
            ("Sunny Coop", "Large Grade A Eggs", (("12 ct", 399), ("18 ct", 569))),
            ("Sunny Coop", "Cage-Free Brown Eggs", (("12 ct", 549),)),
            ("Sunny Coop", "Pasture-Raised Eggs", (("12 ct", 749),)),
            (
                "Alpine Meadow",
                "Greek Yogurt",
                (
                    ("Plain, 32 oz", 649),
                    ("Vanilla, 5.3 oz", 149),
                    ("Strawberry, 5.3 oz", 149),
                    ("Blueberry, 5.3 oz", 149),
                ),
            ),
            ("Alpine Meadow", "Whole Milk Yogurt", (("Plain, 32 oz", 449),)),
            (
                "Alpine Meadow",
                "Sharp Cheddar Cheese",
                (("8 oz Block", 399), ("Shredded, 8 oz", 399)),
            ),
            ("Alpine Meadow", "Low-Moisture Mozzarella", (("Shredded, 16 oz", 599),)),
            ("Alpine Meadow", "Grated Parmesan", (("8 oz", 549),)),
            ("Oat & Acre", "Oat Milk", (("Original, 64 fl oz", 499), ("Barista, 32 fl oz", 449))),
            ("Oat & Acre", "Unsweetened Almond Milk", (("64 fl oz", 399),)),
        ),
    ),
    (
        "Bakery",
        (
            ("Hearthstone Bakery", "Sourdough Loaf", (("24 oz", 599),)),
            ("Hearthstone Bakery", "White Sandwich Bread", (("20 oz", 349),)),
            ("Hearthstone Bakery", "Whole Wheat Sandwich Bread", (("20 oz", 399),)),
            ("Hearthstone Bakery", "Multigrain Bread", (("24 oz", 449),)),
            ("Hearthstone Bakery", "French Baguette", (("", 299),)),
            ("Hearthstone Bakery", "Bagels", (("Plain, 6 ct", 449), ("Everything, 6 ct", 449))),
            ("Hearthstone Bakery", "Butter Croissants", (("4 ct", 599),)),
            ("Hearthstone Bakery", "Blueberry Muffins", (("4 ct", 599),)),
            ("Hearthstone Bakery", "Brioche Hamburger Buns", (("8 ct", 499),)),
            ("Hearthstone Bakery", "Flour Tortillas", (("10 ct", 349),)),
            ("Hearthstone Bakery", "Chocolate Chip Cookies", (("12 ct", 549),)),
            ("Hearthstone Bakery", "New York Cheesecake", (("30 oz", 1499),)),
        ),
    ),
    (
        "Meat & Seafood",
        (
            ("Prairie Ridge", "Ground Beef 85/15", (("1 lb", 649), ("3 lb", 1799))),
            ("Prairie Ridge", "Ground Turkey 93/7", (("1 lb", 599),)),
            ("Prairie Ridge", "Uncured Hickory Smoked Bacon", (("12 oz", 699),)),
            ("Prairie Ridge", "Italian Sausage Links", (("Mild, 19 oz", 649), ("Hot, 19 oz", 649))),
            ("Prairie Ridge", "Beef Hot Dogs", (("8 ct", 549),)),
        ),
    ),
    (
        "Deli",
        (
            ("Copper Kettle", "Classic Hummus", (("10 oz", 449),)),
            ("Copper Kettle", "Rotisserie Chicken", (("", 799),)),
            ("Copper Kettle", "Fresh Salsa", (("Medium, 16 oz", 499),)),
            ("Copper Kettle", "Guacamole", (("8 oz", 549),)),
        ),
    ),
    (
        "Pantry",
        (
            ("Pantry Select", "Long Grain White Rice", (("2 lb", 299), ("5 lb", 599))),
            ("Pantry Select", "Jasmine Rice", (("5 lb", 899),)),
            ("Pantry Select", "Spaghetti", (("16 oz", 179),)),
            ("Pantry Select", "Penne Rigate", (("16 oz", 179),)),
            ("Pantry Select", "Elbow Macaroni", (("16 oz", 179),)),
            ("Pantry Select", "Diced Tomatoes", (("14.5 oz", 149), ("28 oz", 249))),
            ("Pantry Select", "Black Beans", (("15 oz", 129),)),
            ("Pantry Select", "Chickpeas", (("15 oz", 129),)),
            ("Pantry Select", "Low Sodium Chicken Broth", (("32 fl oz", 299),)),
            ("Pantry Select", "All-Purpose Flour", (("5 lb", 449),)),
            ("Pantry Select", "Granulated Sugar", (("4 lb", 399),)),
            ("Pantry Select", "Light Brown Sugar", (("2 lb", 299),)),
            ("Pantry Select", "Fine Sea Salt", (("26 oz", 249),)),
            ("Pantry Select", "Black Peppercorn Grinder", (("2.5 oz", 499),)),
            ("Pantry Select", "Strawberry Preserves", (("18 oz", 399),)),
            ("Pantry Select", "Tomato Ketchup", (("20 oz", 249),)),
            ("Pantry Select", "Yellow Mustard", (("14 oz", 179),)),
            ("Pantry Select", "Mayonnaise", (("30 fl oz", 549),)),
            ("Pantry Select", "Chunk Light Tuna in Water", (("5 oz", 129),)),
            (
                "Nonna Lucia",
                "Pasta Sauce",
                (("Marinara, 24 oz", 549), ("Tomato Basil, 24 oz", 549)),
            ),
            ("Sunlit Grove", "Extra Virgin Olive Oil", (("500 ml", 899), ("1 L", 1499))),
            ("Sunlit Grove", "Canola Oil", (("48 fl oz", 599),)),
            ("Little Hive", "Clover Honey", (("12 oz", 599),)),
            ("Birch Hollow", "Pure Maple Syrup", (("12 fl oz", 899),)),
            ("Nutty Ridge", "Peanut Butter", (("Creamy, 16 oz", 349), ("Crunchy, 16 oz", 349))),
            ("Rise & Shine", "Old Fashioned Rolled Oats", (("42 oz", 549),)),
            ("Rise & Shine", "Honey Almond Granola", (("12 oz", 499),)),
            ("Rise & Shine", "Toasted Oat Cereal", (("12 oz", 449),)),
            ("Rise & Shine", "Frosted Wheat Squares", (("18 oz", 499),)),
            ("Rise & Shine", "Buttermilk Pancake Mix", (("32 oz", 399),)),
            (
                "Bean & Bramble",
                "Ground Coffee",
                (("Medium Roast, 12 oz", 999), ("Dark Roast, 12 oz", 999)),
            ),
            ("Bean & Bramble", "Whole Bean Coffee, Espresso Roast", (("12 oz", 1099),)),
            ("Bean & Bramble", "Breakfast Blend Coffee Pods", (("12 ct", 899),)),
            (
                "Bean & Bramble",
                "Tea Bags",
                (("English Breakfast, 20 ct", 449), ("Green, 20 ct", 449)),
            ),
        ),
    ),
    (
        "Snacks",
        (
            ("Crunch Hollow", "Kettle-Cooked Potato Chips", (("Sea Salt, 8 oz", 449),)),
            ("Crunch Hollow", "Tortilla Chips", (("Restaurant Style, 13 oz", 399),)),
            ("Crunch Hollow", "Pretzel Twists", (("16 oz", 349),)),
            ("Crunch Hollow", "Cheddar Cheese Crackers", (("7 oz", 349),)),
            ("Crunch Hollow", "Microwave Popcorn", (("Butter, 6 ct", 449),)),
            ("Trailhead", "Mixed Nuts, Lightly Salted", (("16 oz", 999),)),
            ("Trailhead", "Roasted Almonds", (("16 oz", 899),)),
            ("Trailhead", "Chewy Granola Bars", (("Chocolate Chip, 8 ct", 399),)),
            ("Cacao & Co", "Dark Chocolate Bar 72%", (("3.5 oz", 349),)),
            ("Cacao & Co", "Milk Chocolate Sea Salt Caramel Bar", (("3.5 oz", 349),)),
        ),
    ),
    (
        "Frozen",
        (
            ("Northwind", "Frozen Broccoli Florets", (("12 oz", 249),)),
            ("Northwind", "Frozen Sweet Peas", (("16 oz", 199),)),
            ("Northwind", "Frozen Mixed Berries", (("48 oz", 1199),)),
            ("Northwind", "Frozen Mango Chunks", (("16 oz", 449),)),
            (
                "Northwind",
                "Stone-Baked Pizza",
                (("Margherita, 16 oz", 799), ("Pepperoni, 19 oz", 799)),
            ),
            ("Northwind", "Cheese Ravioli", (("25 oz", 699),)),
            ("Northwind", "Chicken Pot Pie", (("10 oz", 399),)),
            ("Northwind", "Crinkle Cut French Fries", (("32 oz", 399),)),
            ("Northwind", "Homestyle Waffles", (("10 ct", 349),)),
            ("Blue Harbor", "Wild Alaskan Salmon Fillets", (("16 oz", 1299),)),
            ("Blue Harbor", "Cooked Shrimp, Tail-On", (("16 oz", 1199),)),
            (
                "Polar Scoop",
                "Ice Cream",
                (
                    ("Vanilla Bean, 48 oz", 599),
                    ("Chocolate, 48 oz", 599),
                    ("Mint Chocolate Chip, 48 oz", 599),
                    ("Salted Caramel, 1 pt", 499),
                ),
            ),
        ),
    ),
    (
        "Beverages",
        (
            ("Clearspring", "Spring Water", (("24 x 16.9 fl oz", 599), ("1 gal", 199))),
            (
                "Clearspring",
                "Sparkling Water",
                (
                    ("Original, 8 x 12 fl oz", 499),
                    ("Lime, 8 x 12 fl oz", 499),
                    ("Grapefruit, 8 x 12 fl oz", 499),
                ),
            ),
            ("Fizzwell", "Cola", (("12 x 12 fl oz", 799), ("2 L", 299))),
            ("Fizzwell", "Diet Cola", (("12 x 12 fl oz", 799),)),
            ("Fizzwell", "Lemon-Lime Soda", (("12 x 12 fl oz", 799),)),
            ("Fizzwell", "Ginger Ale", (("12 x 12 fl oz", 799),)),
            ("Orchard Press", "Apple Juice", (("64 fl oz", 449),)),
            ("Orchard Press", "Cranberry Juice Cocktail", (("64 fl oz", 399),)),
            ("Orchard Press", "Old-Fashioned Lemonade", (("52 fl oz", 399),)),
            ("Bean & Bramble", "Cold Brew Coffee, Unsweetened", (("48 fl oz", 699),)),
            (
                "Kinetic",
                "Energy Drink",
                (("Original, 16 fl oz", 299), ("Sugar Free, 16 fl oz", 299)),
            ),
            ("Tropic Leaf", "Kombucha", (("Ginger, 16 fl oz", 399), ("Raspberry, 16 fl oz", 399))),
            ("Thirst Lab", "Electrolyte Sports Drink", (("Fruit Punch, 28 fl oz", 199),)),
        ),
    ),
    (
        "Wine",
        (
            ("Hollow Oak Cellars", "Cabernet Sauvignon", (("750 ml", 1699),)),
            ("Hollow Oak Cellars", "Chardonnay", (("750 ml", 1499),)),
            ("Hollow Oak Cellars", "Pinot Noir", (("750 ml", 1899),)),
            ("Hollow Oak Cellars", "Red Blend", (("3 L Box", 2499),)),
            ("Fog Line Vineyards", "Sauvignon Blanc", (("750 ml", 1399),)),
            ("Fog Line Vineyards", "Dry Rosé", (("750 ml", 1499),)),
            ("Casa Verano", "Prosecco", (("750 ml", 1299),)),
            ("Alto Andes", "Malbec", (("750 ml", 1199),)),
        ),
    ),
    (
        "Beer",
        (
            ("Red Fern Brewing", "Hazy IPA", (("6 x 12 fl oz cans", 1199),)),
            ("Red Fern Brewing", "West Coast IPA", (("6 x 12 fl oz cans", 1099),)),
            ("Red Fern Brewing", "Oatmeal Stout", (("4 x 16 fl oz cans", 1099),)),
            ("Lakeside Lager Co.", "Pilsner", (("12 x 12 fl oz cans", 1799),)),
            (
                "Lakeside Lager Co.",
                "Lager",
                (("12 x 12 fl oz cans", 1599), ("24 x 12 fl oz cans", 2699)),
            ),
            ("Cider Hollow", "Crisp Apple Hard Cider", (("6 x 12 fl oz bottles", 1099),)),
            ("Wavelength", "Hard Seltzer Variety Pack", (("12 x 12 fl oz cans", 1999),)),
        ),
    ),
    (
        "Spirits",
        (
            ("Iron Gate Distilling", "Kentucky Straight Bourbon Whiskey", (("750 ml", 3299),)),
            ("Snowline", "Vodka", (("750 ml", 1999), ("1.75 L", 3499))),
            ("Juniper Row", "London Dry Gin", (("750 ml", 2799),)),
            ("Agave Sol", "Tequila Blanco", (("750 ml", 3499),)),
            ("Windward", "Spiced Rum", (("750 ml", 1899),)),
        ),
    ),
    (
        "Household",
        (
            ("Tidy Home", "Paper Towels", (("6 Double Rolls", 1299), ("12 Double Rolls", 2299))),
            ("Tidy Home", "Bath Tissue", (("12 Mega Rolls", 1599),)),
            ("Tidy Home", "Dish Soap, Lemon", (("24 fl oz", 349),)),
            ("Tidy Home", "Laundry Detergent, Free & Clear", (("92 fl oz", 1299),)),
            ("Tidy Home", "Dishwasher Detergent Pods", (("45 ct", 1299),)),
            ("Tidy Home", "Tall Kitchen Trash Bags", (("13 gal, 80 ct", 1499),)),
            ("Tidy Home", "All-Purpose Cleaner Spray", (("32 fl oz", 399),)),
            ("Tidy Home", "Disinfecting Wipes", (("75 ct", 549),)),
            ("Tidy Home", "Aluminum Foil", (("75 sq ft", 499),)),
            ("Tidy Home", "Zip Sandwich Bags", (("100 ct", 399),)),
            ("Brightcell", "AA Alkaline Batteries", (("8 ct", 999),)),
        ),
    ),
    (
        "Personal Care",
        (
            ("Willowbrook", "Moisturizing Body Wash", (("18 fl oz", 699),)),
            ("Willowbrook", "Daily Shampoo", (("13.5 fl oz", 599),)),
            ("Willowbrook", "Daily Conditioner", (("13.5 fl oz", 599),)),
            ("Willowbrook", "Lavender Hand Soap", (("12 fl oz", 299),)),
            ("Willowbrook", "Unscented Deodorant", (("2.6 oz", 549),)),
            ("Willowbrook", "Mineral Sunscreen Lotion SPF 50", (("8 fl oz", 1099),)),
            ("Willowbrook", "Whitening Toothpaste", (("4.8 oz", 399),)),
            ("CareWell", "Cotton Swabs", (("500 ct", 349),)),
            ("CareWell", "Ibuprofen Tablets 200 mg", (("100 ct", 899),)),
        ),
    ),
    (
        "Baby",
        (
            ("Sproutlings", "Baby Diapers", (("Size 1, 32 ct", 1299), ("Size 3, 28 ct", 1299))),
            ("Sproutlings", "Unscented Baby Wipes", (("3 x 72 ct", 899),)),
            ("Sproutlings", "Organic Baby Food Pouch, Apple Banana", (("4 oz", 199),)),
        ),
    ),
    (
        "Pet",
        (
            ("Tailwag Pantry", "Adult Dry Dog Food, Chicken & Rice", (("15 lb", 2799),)),
            ("Tailwag Pantry", "Indoor Dry Cat Food, Salmon", (("7 lb", 1699),)),
            ("Tailwag Pantry", "Grain-Free Wet Cat Food", (("12 x 3 oz", 1599),)),
            ("Tailwag Pantry", "Peanut Butter Dog Biscuits", (("24 oz", 599),)),
            ("Tailwag Pantry", "Clumping Cat Litter", (("20 lb", 1299),)),
        ),
    ),
)

# Big-and-bulky items: sold by count in store, but not deliverable.
# (category, brand, name, price_cents)
_BULKY_ITEMS: tuple[tuple[str, str, str, int], ...] = (
    ("Household", "Tidy Home", "Water Softener Salt Pellets, 40 lb", 699),
    ("Household", "Hearth & Ember", "Premium Wood Heating Pellets, 40 lb", 799),
    ("Beverages", "Clearspring", "Purified Drinking Water Pallet, 84 x 24 pk", 34999),
    ("Pet", "Tailwag Pantry", "Clumping Cat Litter, 40 lb", 2199),
)


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


def _make_product(
    upc: str,
    rrc: str,
    category: str,
    brand: str,
    name: str,
    unit: str,
    price: int,
    *,
    deliverable: bool = True,
) -> Product:
    """One catalog row; alcohol follows from the category, the scan code from the UPC."""
    return Product(
        upc=upc,
        rrc=rrc,
        name=name,
        brand=brand,
        category=category,
        unit=unit,
        price_cents=price,
        alcohol=category in _ALCOHOL_CATEGORIES,
        deliverable=deliverable,
        scan_code=upc.zfill(14),
    )


def build_products(seed: int = _CATALOG_SEED) -> tuple[Product, ...]:
    """Build ``PRODUCTS``: reference items, loose produce, weighed items, packaged, bulky.

    The same seed always yields the same catalog, in the same order.
    """
    mint = _IdentifierMint(seed)
    products: list[Product] = []

    for upc, rrc, category, brand, name, unit, price in _REFERENCE_ITEMS:
        mint.reserve(upc, rrc)
        products.append(_make_product(upc, rrc, category, brand, name, unit, price))

    for plu, name, unit, price in _PLU_ITEMS:
        upc = plu.zfill(12)
        mint.reserve(upc)
        products.append(
            _make_product(upc, mint.rrc("Produce"), "Produce", "Golden Acre", name, unit, price)
        )

    for category, brand, name, price in _WEIGHED_ITEMS:
        upc = mint.weighed_upc()
        products.append(_make_product(upc, mint.rrc(category), category, brand, name, "lb", price))

    for category, rows in _PACKAGED_ITEMS:
        for brand, base, variants in rows:
            for label, price in variants:
                name = f"{base}, {label}" if label else base
                upc = mint.packaged_upc(brand)
                products.append(
                    _make_product(upc, mint.rrc(category), category, brand, name, "each", price)
                )

    for category, brand, name, price in _BULKY_ITEMS:
        upc = mint.packaged_upc(brand)
        products.append(
            _make_product(
                upc, mint.rrc(category), category, brand, name, "each", price, deliverable=False
            )
        )

    return tuple(products)


# --------------------------------------------------------------------------------------------
# Public tables, built once at import time
# --------------------------------------------------------------------------------------------

PLACES: dict[str, Place] = build_places()
METROS: dict[str, tuple[str, ...]] = {
    metro: tuple(row[0] for row in rows) for metro, _country, _tz, rows in _PLACE_TABLE
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
