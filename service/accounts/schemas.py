"""Account payloads: the finance/CRM export (JSON or CSV) and what the API answers."""

from __future__ import annotations

import math
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from service.ingest.schemas import identifier

AttributeValue = str | int | float | bool | None
MAX_ACCOUNTS = 50_000
#: Larger than any company's revenue; the bound keeps every sum and ratio of revenues finite.
MAX_REVENUE = 1e12


class AccountIn(BaseModel):
    """An account upsert: a field left out keeps its stored value, an explicit null clears it (`name`,
    `attributes`); `annual_revenue` is required for a new account and cannot be cleared."""

    model_config = ConfigDict(extra="forbid")

    customer_id: str = Field(min_length=1, max_length=200)
    name: str | None = Field(
        default=None, max_length=500, description="Personal data in it (emails, phones, ...) is redacted."
    )
    annual_revenue: float | None = Field(
        default=None,
        ge=0,
        le=MAX_REVENUE,
        description="Annual revenue of the account, in `currency` (0..1e12); required for a new account.",
    )
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$", description="ISO 4217 code.")
    attributes: dict[str, AttributeValue] | None = Field(
        default=None,
        description="Firmographics (industry, size, region...): used for the pond map; personal data is redacted. "
        "Replaces the stored attributes; null clears them.",
    )

    @field_validator("annual_revenue")
    @classmethod
    def _finite(cls, value: float | None) -> float:
        # Only an explicit value is validated: a left-out revenue keeps the stored one.
        if value is None:
            raise ValueError("cannot be cleared: send a number (0 when unknown) or leave the field out")
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    @field_validator("customer_id")
    @classmethod
    def _identifier(cls, value: str) -> str:
        return identifier(value)

    @field_validator("name")
    @classmethod
    def _no_nul(cls, value: str | None) -> str | None:
        if value is not None and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value

    @field_validator("attributes")
    @classmethod
    def _attribute_names(cls, value: dict[str, AttributeValue] | None) -> dict[str, AttributeValue] | None:
        if value is None:
            return None
        if len(value) > 100:
            raise ValueError("at most 100 attributes")
        for key, item in value.items():
            if not key or len(key) > 100:
                raise ValueError("attribute names must be 1..100 characters")
            if "\x00" in key or (isinstance(item, str) and "\x00" in item):
                raise ValueError(f"attribute '{key}' must not contain NUL characters")
            if isinstance(item, float) and not math.isfinite(item):
                raise ValueError(f"attribute '{key}' must be a finite number")
            if isinstance(item, str) and len(item) > 500:
                raise ValueError(f"attribute '{key}' is longer than 500 characters")
        return value


class AccountBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    accounts: list[AccountIn] = Field(min_length=1, max_length=MAX_ACCOUNTS)


class UpsertResult(BaseModel):
    upserted: int
    columns: list[str] = Field(
        description="The columns this upsert set (JSON: the fields sent; CSV: the header, attributes by name); "
        "every other stored value was kept."
    )


class AccountRead(BaseModel):
    customer_id: str
    name: str | None
    annual_revenue: float
    currency: str
    attributes: dict[str, AttributeValue]
    updated_at: datetime | None = None
