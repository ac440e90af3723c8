"""Which vendor field becomes `customer_id`: chosen per source (PERSONAS_<SOURCE>_CUSTOMER_ID), so webhook
transcripts join the accounts file on the ids the accounts file uses.

Each vendor adapter reads the candidate fields of a delivery into `CustomerFields`; `choose_customer_id` takes
the configured field when the delivery carries it, else the requester's vendor id, else the email hash, and
says which one it used (stored as metadata `customer_id_from`, so a fallback is visible per transcript).
"""

from __future__ import annotations

from dataclasses import dataclass

from .pseudonyms import customer_key, pseudonym

#: What PERSONAS_<SOURCE>_CUSTOMER_ID may name, per source (a vendor whose payload has no such field
#: cannot be asked for it), and the default: the field most CRM exports key accounts by.
CUSTOMER_ID_CHOICES: dict[str, tuple[str, ...]] = {
    "zendesk": ("organization", "requester", "requester_external_id", "email_hash"),
    "intercom": ("requester", "requester_external_id", "email_hash"),
    "freshdesk": ("organization", "requester", "email_hash"),
}
DEFAULT_CUSTOMER_ID = {
    "zendesk": "organization",
    "intercom": "requester_external_id",
    "freshdesk": "organization",
}
FALLBACKS = ("requester", "email_hash")


@dataclass(frozen=True)
class CustomerFields:
    """The ids a delivery carries for its customer; `email` is only ever stored as its hash."""

    organization: str | None = None
    requester: str | None = None
    requester_external_id: str | None = None
    email: str | None = None


def email_hash(source: str, email: str) -> str:
    """`<source>-email-sha256-<first 32 hex of SHA-256 of the trimmed, lower-cased email>`."""
    return pseudonym(f"{source}-email", email)


def _value(source: str, fields: CustomerFields, field: str) -> str | None:
    if field == "email_hash":
        return email_hash(source, fields.email) if fields.email and "@" in fields.email else None
    value = getattr(fields, field)
    return customer_key(value, source) if value else None


def choose_customer_id(source: str, fields: CustomerFields, rule: str | None) -> tuple[str, str] | None:
    """(customer_id, the field it came from), or None when the delivery carries none of them."""
    chosen = rule or DEFAULT_CUSTOMER_ID[source]
    for field in (chosen, *(f for f in FALLBACKS if f != chosen)):
        value = _value(source, fields, field)
        if value is not None:
            return value, field
    return None
