"""Cost of one support contact (channel rates, median for missing durations); the economics rules in words."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pipelines.types import CostRates

CHANNELS = ("chat", "call", "email", "other")


@dataclass(frozen=True)
class Contact:
    """One support contact (a transcript) of a customer."""

    customer_id: str
    channel: str  # "chat" | "call" | "email" | "other"; anything else is costed as "other"
    duration_seconds: float | None = None


def economics_rules(rates: CostRates = CostRates()) -> tuple[str, ...]:
    """The rules in plain English, for the report."""
    return (
        f"Contact cost = handled minutes x the channel rate (call {rates.per_minute_call:.2f}/min, "
        f"chat {rates.per_minute_chat:.2f}/min, other {rates.per_minute_other:.2f}/min); "
        f"an email costs a flat {rates.per_email:.2f}.",
        "A contact without a duration is costed at its channel's median duration; a channel with no "
        "durations at all uses the median over all channels, and 0 if no contact has a duration.",
        "Cost to serve of a customer = the sum over its contacts; revenue = its account's annual revenue.",
        "Customers without an account count in persona size and cost, are left out of revenue and "
        "margin means, and are reported as unmatched.",
        "R = persona revenue per matched customer / overall revenue per matched customer; "
        "C = persona cost to serve per customer / overall cost to serve per customer.",
        "Grade A (core-growth) if R >= 1 and C <= 1; grade C (avoid or fix) if R < 1 and C > 1; "
        "otherwise B. A persona with no matched customer has no R and is graded B.",
        "Exactly one persona is core-growth: the grade-A persona with the highest R/C (when several are "
        "A, the others stay A without the flag); if no persona is A, the persona with the highest R/C "
        "(ties: higher R, then key) is flagged core-growth with a note saying why.",
        "Pond map: lift = share of an account attribute value among core-growth customers / its share "
        "among all matched customers (numeric attributes in quartiles); in the pond: lift >= 1.25 and "
        ">= 5 core-growth customers; out of the pond: the same test among grade-C customers.",
    )


def channel_of(value: str) -> str:
    """Normalise a channel name; unknown channels are costed as "other"."""
    value = (value or "").strip().lower()
    return value if value in CHANNELS else "other"


def known_duration(seconds: float | None) -> bool:
    """A usable duration: present, finite and not negative."""
    return seconds is not None and math.isfinite(seconds) and seconds >= 0


def median_durations(contacts: Sequence[Contact]) -> tuple[dict[str, float | None], list[str]]:
    """Median known duration per channel, with the fallback for channels that have none."""
    known: dict[str, list[float]] = defaultdict(list)
    for contact in contacts:
        if contact.duration_seconds is not None and known_duration(contact.duration_seconds):
            known[channel_of(contact.channel)].append(float(contact.duration_seconds))
    overall = [d for values in known.values() for d in values]
    overall_median = float(np.median(overall)) if overall else None
    medians: dict[str, float | None] = {}
    notes: list[str] = []
    used = {channel_of(c.channel) for c in contacts if not known_duration(c.duration_seconds)}
    for channel in CHANNELS:
        if known[channel]:
            medians[channel] = float(np.median(known[channel]))
        elif channel == "email":
            medians[channel] = None  # emails are flat-rate: a missing duration changes no cost
        else:
            medians[channel] = overall_median if overall_median is not None else 0.0
            if channel in used:
                fallback = (
                    "the median over all channels" if overall_median is not None else "0 (no durations)"
                )
                notes.append(
                    f"No {channel} contact has a duration: missing {channel} durations use {fallback}."
                )
    return medians, notes


def contact_cost(channel: str, minutes: float, rates: CostRates) -> float:
    """Cost of one contact: minutes x the channel's per-minute rate, or the flat email rate."""
    channel = channel_of(channel)
    if channel == "email":
        return rates.per_email
    per_minute = {"call": rates.per_minute_call, "chat": rates.per_minute_chat}.get(
        channel, rates.per_minute_other
    )
    return minutes * per_minute
