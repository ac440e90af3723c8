"""How the report writes numbers, dates and sentiment (the template's filters), and names its file."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from pipelines.pond import finite_number

SENTIMENT_NEUTRAL = 0.05  # VADER's conventional band around 0
DASH = "\u2014"


CURRENCY_SYMBOLS = {"USD": "$", "EUR": "\u20ac", "GBP": "\u00a3", "JPY": "\u00a5"}


def with_currency(text: str, currency: str | None) -> str:
    """ "1,234" in USD -> "$1,234", in CHF -> "CHF 1,234"; no currency (unknown or mixed): the bare number."""
    if not currency or text == DASH:
        return text
    sign, digits = ("-", text[1:]) if text.startswith("-") else ("", text)
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{currency}\u00a0{digits}"


def fmt_money(value: Any, currency: str | None = None) -> str:
    """Whole units from 10 up, cents below (a cost per contact): 1234567.8 -> "1,234,568", 72.33 -> "72",
    4.5 -> "4.50"; None -> an em dash."""
    number = finite_number(value)
    if number is None:
        return DASH
    return with_currency(f"{number:,.0f}" if abs(number) >= 10 else f"{number:,.2f}", currency)


def fmt_money_short(value: Any, currency: str | None = None) -> str:
    """Compact money for headline figures: 2280000 -> "2.28M", 38250 -> "38.3k"."""
    number = finite_number(value)
    if number is None:
        return DASH
    size = abs(number)
    if size >= 1e9:
        return with_currency(f"{number / 1e9:.2f}B", currency)
    if size >= 1e6:
        return with_currency(f"{number / 1e6:.2f}M", currency)
    if size >= 1e4:
        return with_currency(f"{number / 1e3:.1f}k", currency)
    return fmt_money(number, currency)


def fmt_int(value: Any) -> str:
    number = finite_number(value)
    return DASH if number is None else f"{round(number):,}"


def fmt_pct(value: Any, digits: int = 0) -> str:
    """A share 0..1 as a percentage."""
    number = finite_number(value)
    return DASH if number is None else f"{100 * number:.{digits}f}%"


def fmt_ratio(value: Any, digits: int = 2) -> str:
    number = finite_number(value)
    return DASH if number is None else f"{number:.{digits}f}"


def fmt_lift(value: Any) -> str:
    number = finite_number(value)
    return DASH if number is None else f"\u00d7{number:.2f}"


def fmt_signed(value: Any, digits: int = 2) -> str:
    number = finite_number(value)
    return DASH if number is None else f"{number:+.{digits}f}"


def _as_datetime(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def fmt_date(value: Any) -> str:
    moment = _as_datetime(value)
    if moment is None:
        return DASH if value in (None, "") else str(value)
    return f"{moment.day} {moment:%b %Y}"


def fmt_datetime(value: Any) -> str:
    moment = _as_datetime(value)
    if moment is None:
        return DASH if value in (None, "") else str(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
        return f"{moment.day} {moment:%b %Y, %H:%M} UTC"
    return f"{moment.day} {moment:%b %Y, %H:%M}"


def fmt_seconds(value: Any) -> str:
    number = finite_number(value)
    if number is None:
        return DASH
    # one unit per size: 72 s is written 1.2 min, like every other minute-long stage
    return f"{number:.1f} s" if number < 60 else f"{number / 60:.1f} min"


def sentiment_word(value: Any) -> str:
    number = finite_number(value)
    if number is None:
        return "unknown"
    if number >= SENTIMENT_NEUTRAL:
        return "positive"
    if number <= -SENTIMENT_NEUTRAL:
        return "negative"
    return "neutral"


def report_filename(run_id: str) -> str:
    """`persona-report-<first 8 characters of the run id>.html` (only letters, digits, - and _ kept)."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "", str(run_id))[:8]
    return f"persona-report-{safe or 'run'}.html"
