"""Which vendor field becomes customer_id (PERSONAS_<SOURCE>_CUSTOMER_ID), with its fallbacks."""

from __future__ import annotations

import hashlib
import json

import pytest

from service.ingest.vendors import VENDORS
from service.ingest.vendors.identity import (
    CUSTOMER_ID_CHOICES,
    DEFAULT_CUSTOMER_ID,
    CustomerFields,
    choose_customer_id,
    email_hash,
)
from tests.service.ingest.vendors.builders import fixture_json

ALL = CustomerFields(organization="org-1", requester="req-1", requester_external_id="ext-1", email="A@B.io")


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("organization", ("org-1", "organization")),
        ("requester", ("req-1", "requester")),
        ("requester_external_id", ("ext-1", "requester_external_id")),
        ("email_hash", (email_hash("zendesk", "a@b.io"), "email_hash")),
    ],
)
def test_the_chosen_field_wins_when_present(rule: str, expected: tuple[str, str]) -> None:
    assert choose_customer_id("zendesk", ALL, rule) == expected


def test_a_missing_field_falls_back_to_the_requester_then_the_email_hash() -> None:
    only_email = CustomerFields(email=" A@B.io")
    assert choose_customer_id("freshdesk", CustomerFields(requester="r"), "organization") == (
        "r",
        "requester",
    )
    assert choose_customer_id("freshdesk", only_email, "organization") == (
        email_hash("freshdesk", "a@b.io"),
        "email_hash",
    )
    assert choose_customer_id("freshdesk", CustomerFields(), None) is None


def test_the_email_hash_is_sha256_of_the_normalised_email_and_never_the_email() -> None:
    digest = hashlib.sha256(b"dana@example.com").hexdigest()[:32]
    assert email_hash("intercom", "  Dana@Example.COM ") == f"intercom-email-sha256-{digest}"


def test_every_default_is_a_valid_choice() -> None:
    assert all(DEFAULT_CUSTOMER_ID[s] in CUSTOMER_ID_CHOICES[s] for s in CUSTOMER_ID_CHOICES)


def test_intercom_uses_the_external_id_by_default_and_the_intercom_id_when_asked() -> None:
    data = fixture_json("intercom", "conversation_user_replied")
    contact = data["data"]["item"]["contacts"]["contacts"][0]
    contact["external_id"] = "crm-42"
    body = json.dumps(data).encode()
    default = VENDORS["intercom"].parse({}, body).transcripts[0]
    assert (
        default["customer_id"] == "crm-42"
        and default["metadata"]["customer_id_from"] == "requester_external_id"
    )
    by_id = VENDORS["intercom"].parse({}, body, "requester").transcripts[0]
    assert by_id["customer_id"] == contact["id"] and by_id["metadata"]["customer_id_from"] == "requester"


def test_freshdesk_can_key_by_the_requester_even_when_a_company_is_sent() -> None:
    data = fixture_json("freshdesk", "ticket_created_portal")
    body = json.dumps(data).encode()
    company = VENDORS["freshdesk"].parse({}, body).transcripts[0]
    requester = VENDORS["freshdesk"].parse({}, body, "requester").transcripts[0]
    assert company["metadata"]["customer_id_from"] == "organization"
    assert requester["metadata"]["customer_id_from"] == "requester"
    assert requester["customer_id"] != company["customer_id"]
