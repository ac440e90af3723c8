"""GET /v1/status: the backlog, and unmatched customers per source so a wrong customer-id mapping shows at once."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from service.config import Settings
from service.ingest.vendors.identity import email_hash
from tests.service.builders import batch, transcript_payload
from tests.service.conftest import FIXTURES, auth
from tests.service.ingest.test_webhooks_api import ZENDESK_SECRET, zendesk_headers

TICKET = FIXTURES / "webhooks" / "zendesk" / "ticket_email_with_comments.json"
REQUESTER_EMAIL = "Dana.Buyer@Example.com "


def ticket(ticket_id: int) -> bytes:
    """The fixture ticket, with the requester's external id (the analyst's own account id) and email."""
    data = json.loads(TICKET.read_bytes())
    data["ticket"]["id"] = ticket_id
    data["ticket"]["requester"] = {
        "id": data["ticket"]["requester_id"],
        "external_id": "acme-77",
        "email": REQUESTER_EMAIL,
    }
    return json.dumps(data).encode()


def deliver(client: TestClient, body: bytes) -> None:
    response = client.post("/v1/webhooks/zendesk", content=body, headers=zendesk_headers(body))
    assert response.status_code == 202 and response.json()["accepted"] == 1, response.text


def test_status_has_the_design_shape_and_counts_the_backlog(client: TestClient, keys: dict[str, str]) -> None:
    read = auth(keys["read"])
    empty = client.get("/v1/status", headers=read).json()
    assert empty["transcripts"] == 0 and empty["customers"] == 0 and empty["unmatched_by_source"] == {}
    assert empty["runs"] == {"queued": 0, "running": 0}
    payloads = [transcript_payload(f"t{i}", customer_id=f"c{i % 2}") for i in range(3)]
    assert (
        client.post("/v1/transcripts", json=batch(*payloads), headers=auth(keys["ingest"])).status_code == 202
    )
    status = client.get("/v1/status", headers=read).json()
    assert status["transcripts"] == 3 and status["customers"] == 2
    assert status["embedding"]["embedded"] == 0 and status["embedding"]["pending"] == 3
    assert status["embedding"]["model"]
    assert status["unmatched_by_source"] == {"api": 2}
    assert client.get("/v1/status").status_code == 401


def test_the_customer_id_field_is_chosen_per_source_and_unmatched_customers_show_by_source(
    client: TestClient, settings: Settings, keys: dict[str, str]
) -> None:
    settings.webhook_secrets["zendesk"] = ZENDESK_SECRET
    accounts = "customer_id,annual_revenue,currency\nacme-77,120000,EUR\n"
    put = client.put(
        "/v1/accounts", content=accounts, headers={**auth(keys["ingest"]), "content-type": "text/csv"}
    )
    assert put.status_code == 200
    read = auth(keys["read"])

    deliver(client, ticket(1))  # default: the organization id, which the accounts file does not use
    assert client.get("/v1/status", headers=read).json()["unmatched_by_source"] == {"zendesk": 1}

    settings.zendesk_customer_id = "requester_external_id"
    deliver(client, ticket(2))
    settings.zendesk_customer_id = "email_hash"
    deliver(client, ticket(3))
    items = {i["external_id"]: i for i in client.get("/v1/transcripts", headers=read).json()["items"]}
    assert items["zendesk-ticket-1"]["customer_id"] == "509974"
    assert items["zendesk-ticket-2"]["customer_id"] == "acme-77"
    hashed = items["zendesk-ticket-3"]["customer_id"]
    assert hashed == email_hash("zendesk", "dana.buyer@example.com") and hashed.startswith(
        "zendesk-email-sha256-"
    )
    assert "dana.buyer" not in json.dumps(items).lower()
    # acme-77 joins its account; the organization id and the email hash do not
    assert client.get("/v1/status", headers=read).json()["unmatched_by_source"] == {"zendesk": 2}
