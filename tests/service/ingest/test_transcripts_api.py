"""POST/GET /v1/transcripts: happy paths, auth, validation, limits, duplicates, redaction."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from service.auth.service import revoke_key
from service.db import Database
from service.ingest.redaction import budget
from tests.service.builders import batch, transcript_payload
from tests.service.conftest import auth, make_key


def post(client: TestClient, key: str, body: object) -> object:
    return client.post("/v1/transcripts", json=body, headers=auth(key))


def test_ingest_accepts_and_counts_duplicates(client: TestClient, keys: dict[str, str]) -> None:
    body = batch(transcript_payload("a"), transcript_payload("b"))
    first = client.post("/v1/transcripts", json=body, headers=auth(keys["ingest"]))
    assert first.status_code == 202
    assert first.json() == {"accepted": 2, "duplicates": 0, "updated": 0}
    again = client.post(
        "/v1/transcripts",
        json=batch(transcript_payload("a"), transcript_payload("c")),
        headers=auth(keys["ingest"]),
    )
    assert again.json() == {"accepted": 1, "duplicates": 1, "updated": 0}
    listed = client.get("/v1/transcripts", headers=auth(keys["read"])).json()
    assert sorted(i["external_id"] for i in listed["items"]) == ["a", "b", "c"]


def test_duplicate_inside_one_batch_is_stored_once(client: TestClient, keys: dict[str, str]) -> None:
    body = batch(transcript_payload("same"), transcript_payload("same"))
    response = client.post("/v1/transcripts", json=body, headers=auth(keys["admin"]))
    assert response.json() == {"accepted": 1, "duplicates": 1, "updated": 0}


def test_personal_data_is_redacted_before_storage(client: TestClient, keys: dict[str, str]) -> None:
    text = "Email me at jane.doe@example.com or call (415) 555-2671, card 4111 1111 1111 1111."
    client.post("/v1/transcripts", json=batch(transcript_payload(text=text)), headers=auth(keys["ingest"]))
    stored = client.get("/v1/transcripts", headers=auth(keys["read"])).json()["items"][0]
    said = stored["turns"][1]["text"]
    assert "jane.doe@example.com" not in said and "4111" not in said and "555-2671" not in said
    assert "[EMAIL]" in said and "[PHONE]" in said and "[CARD]" in said


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer nope-not-a-key", "Basic dXNlcjpwYXNz", "bearer "],
)
def test_missing_or_wrong_key_is_401(client: TestClient, keys: dict[str, str], header: str | None) -> None:
    headers = {"Authorization": header} if header is not None else {}
    response = client.post("/v1/transcripts", json=batch(transcript_payload()), headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_read_key_cannot_ingest_and_ingest_key_cannot_read(client: TestClient, keys: dict[str, str]) -> None:
    assert (
        client.post(
            "/v1/transcripts", json=batch(transcript_payload()), headers=auth(keys["read"])
        ).status_code
        == 403
    )
    assert client.get("/v1/transcripts", headers=auth(keys["ingest"])).status_code == 403


def test_revoked_key_stops_working_at_once(client: TestClient, db: Database) -> None:
    value = make_key(db, "ingest")
    assert (
        client.post("/v1/transcripts", json=batch(transcript_payload()), headers=auth(value)).status_code
        == 202
    )
    with db.transaction() as session:
        from service.auth.service import authenticate

        found = authenticate(session, value)
        assert found is not None and revoke_key(session, key_id=found.id)
    assert (
        client.post("/v1/transcripts", json=batch(transcript_payload("x")), headers=auth(value)).status_code
        == 401
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"external_id": ""}, "transcripts.0.external_id"),
        ({"customer_id": "   "}, "transcripts.0.customer_id"),
        ({"channel": "fax"}, "transcripts.0.channel"),
        ({"duration_seconds": -1}, "transcripts.0.duration_seconds"),
        ({"started_at": "yesterday"}, "transcripts.0.started_at"),
        ({"turns": []}, "transcripts.0.turns"),
        ({"turns": [{"speaker": "robot", "text": "hi"}]}, "transcripts.0.turns.0.speaker"),
        ({"turns": [{"speaker": "customer"}]}, "transcripts.0.turns.0.text"),
        ({"unexpected": 1}, "transcripts.0.unexpected"),
    ],
)
def test_bad_fields_are_422_with_the_field(
    client: TestClient, keys: dict[str, str], change: dict[str, object], field: str
) -> None:
    payload = transcript_payload()
    payload.update(change)
    response = client.post(
        "/v1/transcripts", json=batch(transcript_payload("ok"), payload), headers=auth(keys["ingest"])
    )
    assert response.status_code == 422
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem["status"] == 422 and problem["title"]
    assert field.replace("transcripts.0", "transcripts.1") in [e["field"] for e in problem["errors"]]
    # nothing of a rejected batch is stored
    assert client.get("/v1/transcripts", headers=auth(keys["read"])).json()["items"] == []


def test_missing_turns_field_and_bad_json(client: TestClient, keys: dict[str, str]) -> None:
    payload = transcript_payload()
    del payload["turns"]
    response = client.post("/v1/transcripts", json=batch(payload), headers=auth(keys["ingest"]))
    assert response.status_code == 422
    assert "transcripts.0.turns" in [e["field"] for e in response.json()["errors"]]
    broken = client.post(
        "/v1/transcripts",
        content=b'{"transcripts": [',
        headers={**auth(keys["ingest"]), "Content-Type": "application/json"},
    )
    assert broken.status_code == 422


def test_batch_size_limits(client: TestClient, keys: dict[str, str]) -> None:
    assert (
        client.post("/v1/transcripts", json={"transcripts": []}, headers=auth(keys["ingest"])).status_code
        == 422
    )
    too_many = {"transcripts": [transcript_payload(f"t{i}") for i in range(1001)]}
    response = client.post("/v1/transcripts", json=too_many, headers=auth(keys["ingest"]))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "transcripts"


def test_oversize_body_and_oversize_text_are_413(client: TestClient, keys: dict[str, str]) -> None:
    huge = batch(transcript_payload(text="x" * 3_000_000))
    response = client.post("/v1/transcripts", json=huge, headers=auth(keys["ingest"]))
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    long_text = batch(transcript_payload(text="y" * 6000))
    response = client.post("/v1/transcripts", json=long_text, headers=auth(keys["ingest"]))
    assert response.status_code == 413
    assert response.json()["errors"][0]["field"] == "transcripts.0.turns.1.text"


@pytest.mark.parametrize("where", ["turns", "metadata"])
def test_number_dense_batch_is_refused_within_its_redaction_budget(
    client: TestClient,
    keys: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    phone_parse_calls: list[str],
    where: str,
) -> None:
    # Text like "1/1/1/..." makes libphonenumber parse a candidate every other character (8 turns of 20,000
    # characters took 11 s to store). A small budget keeps this test fast; the rule is the same at any size.
    monkeypatch.setattr(budget, "MAX_PHONE_CHECK_CHARS", 4_000)
    dense = "1/" * 2_400  # 4,800 characters, within the per-turn limit
    item = transcript_payload("dense")
    if where == "turns":
        item["turns"] = [{"speaker": "customer", "text": dense} for _ in range(10)]
    else:
        item["metadata"] = {"notes": [dense] * 10}
    response = post(client, keys["ingest"], batch(transcript_payload("plain"), item))
    assert response.status_code == 413
    assert response.json()["errors"][0]["field"] == "transcripts.1"
    assert "phone numbers" in response.json()["detail"]
    assert len(phone_parse_calls) <= 4_000  # no more work than the budget allowed
    assert client.get("/v1/transcripts", headers=auth(keys["read"])).json()["items"] == []


def test_listing_paginates_with_cursor_and_filters(client: TestClient, keys: dict[str, str]) -> None:
    body = batch(*[transcript_payload(f"t{i}", customer_id=f"c{i % 2}") for i in range(5)])
    client.post("/v1/transcripts", json=body, headers=auth(keys["ingest"]))
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/transcripts", params=params, headers=auth(keys["read"])).json()
        seen += [i["external_id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"t{i}" for i in range(5)]
    only = client.get("/v1/transcripts", params={"customer_id": "c1"}, headers=auth(keys["read"])).json()
    assert [i["external_id"] for i in only["items"]] == ["t1", "t3"]
    bad = client.get("/v1/transcripts", params={"cursor": "%%%"}, headers=auth(keys["read"]))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"
