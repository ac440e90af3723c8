"""Slot values for the synthetic adhesives supplier (products, orders, sites) and the template filler."""

from __future__ import annotations

import random
import string
from collections.abc import Sequence
from functools import lru_cache
from typing import TypeVar

T = TypeVar("T")

PRODUCTS = (
    "EP-200 epoxy",
    "EP-450 structural epoxy",
    "CA-10 instant adhesive",
    "PU-300 polyurethane sealant",
    "MS-55 hybrid sealant",
    "SI-900 silicone sealant",
    "AC-70 acrylic adhesive",
    "HM-12 hot melt",
    "TL-242 threadlocker",
    "RT-5 gasket maker",
    "UV-80 light cure adhesive",
    "FS-40 firestop sealant",
    "AN-20 retaining compound",
    "EP-310 epoxy putty",
    "PU-610 joint sealant",
    "MMA-8 methacrylate",
)
FAMILIES = ("epoxy", "polyurethane", "silicone", "MS polymer", "cyanoacrylate", "methacrylate", "anaerobic")
SUBSTRATES = (
    "aluminum",
    "stainless steel",
    "HDPE",
    "glass",
    "concrete",
    "carbon fiber",
    "ABS plastic",
    "galvanized steel",
    "fiberglass",
    "PVC",
    "painted steel",
    "granite",
)
REPAIR_PARTS = (
    "bumper cover",
    "headlight tab",
    "fiberglass hull",
    "mirror bracket",
    "trailer fender",
    "tail light",
)
REPAIR_JOBS = (
    "a cracked bumper",
    "a loose rear-view mirror",
    "a leaking windshield",
    "a stripped thread",
    "a split fiberglass panel",
    "a gasket on a water pump",
    "a chipped boat hull",
    "a rattling heat shield",
)
PROJECTS = (
    "the bridge deck job",
    "the hospital retrofit",
    "the stadium roof",
    "the parking garage",
    "the airport terminal",
    "the school expansion",
    "the water treatment plant",
    "the office tower facade",
    "the warehouse slab",
    "the transit station",
)
STANDARDS = (
    "ASTM C920",
    "UL 94 V-0",
    "NSF/ANSI 61",
    "ISO 10993",
    "ASTM E84",
    "LEED v4 low-VOC",
    "FDA 175.105",
)
CHEMICALS = ("caustic", "chlorine", "hydraulic oil", "brake fluid", "steam", "peracetic acid", "salt water")
COLORS = ("RAL 7016 grey", "bronze", "bone white", "the limestone", "anodized black")
CITIES = (
    "Dayton",
    "Reno",
    "Houston",
    "Tacoma",
    "Allentown",
    "Omaha",
    "Charlotte",
    "Fresno",
    "Tulsa",
    "Albany",
)
SITES = (
    "our Dayton plant",
    "the Reno site",
    "plant 3",
    "the Houston facility",
    "line 2",
    "the north building",
)
DAYS = ("Friday", "Monday", "Thursday", "next Tuesday", "this weekend", "the 15th", "Wednesday")
FIRST_NAMES = (
    "Mike",
    "Dana",
    "Luis",
    "Priya",
    "Tom",
    "Keisha",
    "Ravi",
    "Jen",
    "Carlos",
    "Olga",
    "Sam",
    "Ahmed",
    "Beth",
    "Tyrone",
    "Mei",
    "Frank",
    "Nadia",
    "Greg",
    "Ana",
    "Jake",
)
SURNAMES = (
    "Miller",
    "Garcia",
    "Novak",
    "Okafor",
    "Lindqvist",
    "Patel",
    "Brennan",
    "Kowalski",
    "Tanaka",
    "Reyes",
    "Hartley",
    "Duval",
    "Whitaker",
    "Castillo",
    "Jensen",
    "Moreau",
    "Albright",
    "Fischer",
)
TOWNS = ("Lakeside", "Cedar", "Riverbend", "Summit", "Prairie", "Harbor", "Granite", "Pine Ridge", "Eastgate")

QUANTITIES = {
    "small": ("2 cases", "a case", "6 cartridges", "a dozen tubes", "3 boxes", "10 cartridges", "4 kits"),
    "bulk": (
        "40 cases",
        "two pallets",
        "a full pallet",
        "120 cases",
        "300 cartridges",
        "a truckload",
        "80 pails",
    ),
    "project": ("60 pails", "12 drums", "400 cartridges", "25 pails", "8 drums", "200 sausage packs"),
}


def pick(rng: random.Random, options: Sequence[T]) -> T:
    """Uniform choice; cheaper than `Random.choice`, which matters at 100,000 transcripts."""
    return options[int(rng.random() * len(options))]


def _digits(rng: random.Random, n: int) -> str:
    return str(int(rng.random() * 10**n)).zfill(n)


def fill_slot(slot: str, rng: random.Random, quantity_scale: str) -> str:
    """One value for a template slot such as {product} or {order}."""
    match slot:
        case "product" | "product2":
            return pick(rng, PRODUCTS)
        case "qty":
            return pick(rng, QUANTITIES[quantity_scale])
        case "order":
            return pick(rng, ("SO-", "order ", "order #")) + _digits(rng, 6)
        case "po":
            return _digits(rng, pick(rng, (5, 6, 7)))
        case "invoice":
            return "INV-" + _digits(rng, 6)
        case "lot":
            return pick(rng, ("L", "B")) + _digits(rng, 5)
        case "pct":
            return str(pick(rng, (3, 4, 5, 6, 7, 8, 10, 12, 15)))
        case "quarter":
            return str(rng.randint(1, 4))
        case "temp":
            return str(pick(rng, (40, 45, 50, 90, 120, 150)))
        case "year":
            return str(rng.randint(2015, 2021))
        case "day":
            return pick(rng, DAYS)
        case "first" | "agent":
            return pick(rng, FIRST_NAMES)
        case "surname" | "surname2":
            return pick(rng, SURNAMES)
        case "n2":
            return _digits(rng, 2)
        case "domain":
            return pick(rng, SURNAMES).lower() + "-co.example"
        case _:
            return pick(rng, _SLOT_VALUES[slot])


_SLOT_VALUES: dict[str, tuple[str, ...]] = {
    "family": FAMILIES,
    "substrate": SUBSTRATES,
    "part": REPAIR_PARTS,
    "repair_job": REPAIR_JOBS,
    "project": PROJECTS,
    "standard": STANDARDS,
    "chemical": CHEMICALS,
    "color": COLORS,
    "city": CITIES,
    "site": SITES,
    "warehouse": CITIES,
}


@lru_cache(maxsize=4096)
def template_slots(template: str) -> tuple[str, ...]:
    """Names of the {slots} in a template, parsed once per template."""
    return tuple(name for _, name, _, _ in string.Formatter().parse(template) if name)


def render(template: str, rng: random.Random, quantity_scale: str) -> str:
    """Fill every slot of a template with a fresh random value."""
    slots = template_slots(template)
    if not slots:
        return template
    return template.format(**{s: fill_slot(s, rng, quantity_scale) for s in slots})
