"""Planted personas of the synthetic adhesives supplier: mix, economics, channels and account profile."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PersonaPhrases:
    """Customer wording of one persona: intents (tag -> phrasings), why they ask, what a gap costs them."""

    intents: dict[str, tuple[str, ...]]
    motivations: tuple[str, ...]
    consequences: tuple[str, ...]
    openers: tuple[str, ...] = ()


REGIONS = ("Northeast", "Midwest", "South", "West")
SIZE_BANDS = ((50, "1-49"), (250, "50-249"), (1000, "250-999"), (10**9, "1000+"))


@dataclass(frozen=True)
class PersonaSpec:
    """How one planted persona behaves: how many, what they buy, how they contact support, who they are."""

    name: str
    label: str
    grade: str  # the grade the economics rules should give it (A, B or C)
    share: float  # fraction of customers
    revenue_median: float  # USD per year, lognormal
    revenue_sigma: float
    contact_weight: float  # relative number of contacts per customer
    channel_mix: dict[str, float]
    minutes_median: dict[str, float]  # handle time per channel, lognormal with sigma 0.45
    customer_turns: tuple[int, int]  # min/max customer turns in a chat or call
    consequence_rate: float  # chance a follow-up turn says what the gap costs them
    escalation_rate: float
    closer_mood: tuple[float, float, float]  # positive / neutral / negative
    csat_weights: tuple[float, float, float, float, float]  # scores 1..5
    time_skew: float  # u ** skew over the period: < 1 grows over time, > 1 shrinks
    quantity_scale: str
    industries: tuple[str, ...]
    employees_median: float
    region_weights: tuple[float, float, float, float]
    name_patterns: tuple[str, ...]


# Economics, worked out so the grades hold with margin (cost per contact from channel mix x minutes x rate):
#   repair shops      R ~ 1.25, C ~ 0.3  -> A  (high-value repeat buyers, short chats)
#   distributors      R ~ 1.6,  C ~ 1.5  -> B  (valuable but demanding: stock, lead times, EDI)
#   project contract. R ~ 0.4,  C ~ 2.2  -> C  (sporadic project revenue, long escalated calls)
#   plant maintenance R ~ 0.4,  C ~ 0.35 -> B  (small, cheap: SDS and cure-time questions by email/chat)
PERSONA_SPECS: tuple[PersonaSpec, ...] = (
    PersonaSpec(
        name="repair_shops",
        label="Repair shops: fast, easy reorders",
        grade="A",
        share=0.35,
        revenue_median=48_000,
        revenue_sigma=0.4,
        contact_weight=0.8,
        channel_mix={"chat": 0.72, "call": 0.2, "email": 0.08},
        minutes_median={"chat": 5.0, "call": 4.0, "email": 6.0},
        customer_turns=(1, 3),
        consequence_rate=0.1,
        escalation_rate=0.02,
        closer_mood=(0.8, 0.17, 0.03),
        csat_weights=(0.01, 0.02, 0.07, 0.3, 0.6),
        time_skew=1.0,
        quantity_scale="small",
        industries=("Automotive repair", "Marine repair", "Equipment repair", "Collision repair"),
        employees_median=12,
        region_weights=(0.15, 0.4, 0.3, 0.15),
        name_patterns=(
            "{surname} Auto Body",
            "{town} Marine Repair",
            "{surname} & Sons Repair",
            "{town} Collision Center",
            "{surname}'s Equipment Service",
        ),
    ),
    PersonaSpec(
        name="distributors",
        label="Distributors: stock, lead times and EDI",
        grade="B",
        share=0.25,
        revenue_median=62_000,
        revenue_sigma=0.45,
        contact_weight=2.0,
        channel_mix={"chat": 0.38, "call": 0.3, "email": 0.27, "other": 0.05},
        minutes_median={"chat": 9.0, "call": 13.0, "email": 10.0, "other": 8.0},
        customer_turns=(2, 5),
        consequence_rate=0.35,
        escalation_rate=0.08,
        closer_mood=(0.55, 0.3, 0.15),
        csat_weights=(0.04, 0.08, 0.2, 0.38, 0.3),
        time_skew=1.15,
        quantity_scale="bulk",
        industries=("Industrial distribution", "Wholesale trade", "MRO supply"),
        employees_median=90,
        region_weights=(0.25, 0.25, 0.25, 0.25),
        name_patterns=(
            "{town} Industrial Supply",
            "{surname} Distribution Co.",
            "{town} MRO Partners",
            "{surname} Wholesale",
        ),
    ),
    PersonaSpec(
        name="project_contractors",
        label="Project contractors: specs, failures and escalations",
        grade="C",
        share=0.22,
        revenue_median=14_000,
        revenue_sigma=0.6,
        contact_weight=1.35,
        channel_mix={"call": 0.6, "chat": 0.2, "email": 0.2},
        minutes_median={"call": 20.0, "chat": 14.0, "email": 15.0},
        customer_turns=(3, 7),
        consequence_rate=0.7,
        escalation_rate=0.35,
        closer_mood=(0.2, 0.3, 0.5),
        csat_weights=(0.3, 0.25, 0.2, 0.15, 0.1),
        time_skew=0.7,
        quantity_scale="project",
        industries=(
            "Commercial construction",
            "Infrastructure",
            "Industrial fabrication",
            "Glazing and facades",
        ),
        employees_median=180,
        region_weights=(0.15, 0.15, 0.3, 0.4),
        name_patterns=(
            "{surname} Construction Group",
            "{town} Structural",
            "{surname} Builders",
            "{town} Facade Systems",
            "{surname}-{surname2} Contracting",
        ),
    ),
    PersonaSpec(
        name="plant_maintenance",
        label="Plant maintenance: safety data and cure times",
        grade="B",
        share=0.18,
        revenue_median=15_000,
        revenue_sigma=0.4,
        contact_weight=0.7,
        channel_mix={"chat": 0.45, "email": 0.4, "call": 0.15},
        minutes_median={"chat": 7.0, "call": 8.0, "email": 8.0},
        customer_turns=(1, 4),
        consequence_rate=0.2,
        escalation_rate=0.03,
        closer_mood=(0.7, 0.25, 0.05),
        csat_weights=(0.02, 0.04, 0.14, 0.4, 0.4),
        time_skew=1.0,
        quantity_scale="small",
        industries=(
            "Food processing",
            "Utilities",
            "Pharmaceuticals",
            "Pulp and paper",
            "Facilities management",
        ),
        employees_median=650,
        region_weights=(0.3, 0.3, 0.2, 0.2),
        name_patterns=(
            "{town} Foods",
            "{surname} Paper Mill",
            "{town} Water Authority",
            "{surname} Pharma",
            "{town} Packaging Plant",
        ),
    ),
)


def size_band(employees: int) -> str:
    """Employee-count band used as the `size` account attribute."""
    return next(label for limit, label in SIZE_BANDS if employees < limit)
