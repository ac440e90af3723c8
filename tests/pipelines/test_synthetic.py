"""The demo company generator: deterministic, contract-shaped, varied wording, planted economics that hold."""

from __future__ import annotations

import csv
import io
import json
import statistics
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from itertools import islice
from typing import Any

import pytest

from pipelines.synthetic import (
    SyntheticCompany,
    accounts_csv,
    build_customers,
    generate_company,
    iter_transcripts,
    transcripts_jsonl,
    truth_json,
)
from pipelines.synthetic.phrases import PERSONA_PHRASES

CHANNELS = {"chat", "call", "email", "other"}
SPEAKERS = {"customer", "agent", "bot", "system"}
RATE_PER_MINUTE = {"call": 1.10, "chat": 0.50, "other": 0.80}
EMAIL_COST = 4.00


@pytest.fixture(scope="module")
def company() -> SyntheticCompany:
    return generate_company()


def customer_texts(transcript: dict[str, Any]) -> list[str]:
    return [turn["text"] for turn in transcript["turns"] if turn["speaker"] == "customer"]


def contract_errors(t: dict[str, Any]) -> list[str]:
    """What in a transcript would fail the HTTP TranscriptIn contract."""
    errors = []
    if not isinstance(t.get("external_id"), str) or not t["external_id"]:
        errors.append("external_id")
    if not isinstance(t.get("customer_id"), str) or not t["customer_id"]:
        errors.append("customer_id")
    if t.get("channel") not in CHANNELS:
        errors.append("channel")
    started = datetime.fromisoformat(t["started_at"])
    if started.tzinfo is None:
        errors.append("started_at has no timezone")
    duration = t.get("duration_seconds")
    if duration is not None and (not isinstance(duration, int) or duration < 0):
        errors.append("duration_seconds")
    turns = t.get("turns")
    if not isinstance(turns, list) or not 1 <= len(turns) <= 2000:
        errors.append("turns count")
    elif any(
        u.get("speaker") not in SPEAKERS or not isinstance(u.get("text"), str) or not u["text"].strip()
        for u in turns
    ):
        errors.append("turn speaker/text")
    elif not any(u["speaker"] == "customer" for u in turns):
        errors.append("no customer turn")
    meta = t.get("metadata")
    if not isinstance(meta, dict) or not isinstance(meta.get("escalated"), bool):
        errors.append("metadata.escalated")
    elif not isinstance(meta.get("tags"), list) or "csat" in meta and meta["csat"] not in range(1, 6):
        errors.append("metadata tags/csat")
    return errors


def persona_ratios(company: SyntheticCompany) -> dict[str, tuple[float, float]]:
    """(R, C) per planted persona with the design's economics rules, from the generated data alone."""
    durations = defaultdict(list)
    for t in company.transcripts:
        if t["duration_seconds"] is not None:
            durations[t["channel"]].append(t["duration_seconds"])
    median = {channel: statistics.median(values) for channel, values in durations.items()}
    cost: dict[str, float] = defaultdict(float)
    for t in company.transcripts:
        if t["channel"] == "email":
            cost[t["customer_id"]] += EMAIL_COST
        else:
            seconds = t["duration_seconds"] if t["duration_seconds"] is not None else median[t["channel"]]
            cost[t["customer_id"]] += seconds / 60 * RATE_PER_MINUTE[t["channel"]]
    revenue = {a["customer_id"]: a["annual_revenue"] for a in company.accounts}
    overall_revenue = statistics.mean(revenue.values())
    overall_cost = statistics.mean(cost[c] for c in company.truth)
    ratios = {}
    for persona in company.planted_grades:
        members = [c for c, p in company.truth.items() if p == persona]
        r = statistics.mean(revenue[c] for c in members if c in revenue) / overall_revenue
        c = statistics.mean(cost[m] for m in members) / overall_cost
        ratios[persona] = (r, c)
    return ratios


def test_same_seed_gives_identical_company_and_other_seed_differs():
    first, again = generate_company(60, seed=3), generate_company(60, seed=3)
    assert first == again
    other = generate_company(60, seed=4)
    assert other.transcripts != first.transcripts
    assert other.accounts != first.accounts


def test_counts_and_every_customer_has_a_contact(company):
    assert len(company.truth) == 240
    assert len(company.transcripts) == 240 * 5
    assert {t["customer_id"] for t in company.transcripts} == set(company.truth)
    assert len({t["external_id"] for t in company.transcripts}) == len(company.transcripts)
    assert set(company.truth.values()) == set(company.planted_grades) == set(PERSONA_PHRASES)
    assert len(generate_company(50, seed=1, n_transcripts=123).transcripts) == 123


def test_every_transcript_fits_the_transcript_contract(company):
    bad = {t["external_id"]: errs for t in company.transcripts if (errs := contract_errors(t))}
    assert not bad
    channels = Counter(t["channel"] for t in company.transcripts)
    assert set(channels) == CHANNELS
    speakers = {u["speaker"] for t in company.transcripts for u in t["turns"]}
    assert speakers == SPEAKERS


def test_some_durations_missing_and_calls_of_project_contractors_run_long(company):
    missing = sum(t["duration_seconds"] is None for t in company.transcripts)
    assert 0 < missing < 0.08 * len(company.transcripts)
    minutes = defaultdict(list)
    for t in company.transcripts:
        if t["channel"] == "call" and t["duration_seconds"] is not None:
            minutes[company.truth[t["customer_id"]]].append(t["duration_seconds"] / 60)
    assert statistics.median(minutes["project_contractors"]) > 3 * statistics.median(minutes["repair_shops"])


def test_started_at_spreads_over_about_six_months(company):
    times = sorted(datetime.fromisoformat(t["started_at"]) for t in company.transcripts)
    assert times[-1] - times[0] > timedelta(days=150)
    months = Counter(t.strftime("%Y-%m") for t in times)
    assert len(months) >= 6 and min(months.values()) > 50


def test_metadata_carries_escalations_csat_and_intent_tags(company):
    metas = [t["metadata"] for t in company.transcripts]
    escalated = Counter(
        company.truth[t["customer_id"]] for t in company.transcripts if t["metadata"]["escalated"]
    )
    assert escalated["project_contractors"] > escalated["repair_shops"]
    assert 0.3 < sum("csat" in m for m in metas) / len(metas) < 0.8
    assert all(m["tags"] for m in metas)


def test_some_customers_have_no_account(company):
    with_account = {a["customer_id"] for a in company.accounts}
    unmatched = set(company.truth) - with_account
    assert 1 <= len(unmatched) <= 0.06 * len(company.truth)
    assert with_account <= set(company.truth)
    assert any(t["customer_id"] in unmatched for t in company.transcripts)


def test_accounts_have_revenue_and_persona_shaped_attributes(company):
    for account in company.accounts:
        assert account["annual_revenue"] > 0 and account["currency"] == "USD" and account["name"]
        assert set(account["attributes"]) == {"industry", "size", "region", "employees"}
        assert isinstance(account["attributes"]["employees"], int)
    industries: dict[str, Counter[str]] = defaultdict(Counter)
    for account in company.accounts:
        industries[company.truth[account["customer_id"]]][account["attributes"]["industry"]] += 1
    repair_industries = industries["repair_shops"]
    in_repair = sum(n for industry, n in repair_industries.items() if "repair" in industry)
    assert in_repair > 0.7 * sum(repair_industries.values())


def test_wording_is_varied_within_each_persona(company):
    texts: dict[str, list[str]] = defaultdict(list)
    openings: dict[str, list[str]] = defaultdict(list)
    intents: dict[str, Counter[str]] = defaultdict(Counter)
    for t in company.transcripts:
        persona = company.truth[t["customer_id"]]
        said = customer_texts(t)
        texts[persona] += said
        openings[persona].append(said[0])
        intents[persona].update(t["metadata"]["tags"])
    for persona, said in texts.items():
        assert len(set(said)) > 0.45 * len(said), persona
        assert len(set(openings[persona])) > 0.9 * len(openings[persona]), persona
        assert len(intents[persona]) >= 6, persona  # several intents, not one template
        top_share = intents[persona].most_common(1)[0][1] / sum(intents[persona].values())
        assert top_share < 0.3, persona


def test_off_persona_intents_are_an_occasional_minority(company):
    off = sum(
        1
        for t in company.transcripts
        if not set(t["metadata"]["tags"]) & set(PERSONA_PHRASES[company.truth[t["customer_id"]]].intents)
    )
    assert 0.05 < off / len(company.transcripts) < 0.25


def test_personas_are_separable_by_what_customers_say_but_not_trivially(company):
    pytest.importorskip("sklearn")
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score

    docs = [" ".join(customer_texts(t)) for t in company.transcripts]
    labels = [company.truth[t["customer_id"]] for t in company.transcripts]
    features = TfidfVectorizer(sublinear_tf=True, min_df=2).fit_transform(docs)
    accuracy = cross_val_score(LogisticRegression(max_iter=2000), features, labels, cv=4).mean()
    assert 0.75 < accuracy < 0.99


@pytest.mark.parametrize("seed", [7, 1, 2])
def test_planted_economics_hold(seed):
    company = generate_company(seed=seed)
    ratios = persona_ratios(company)
    grades = company.planted_grades
    assert grades == {
        "repair_shops": "A",
        "distributors": "B",
        "project_contractors": "C",
        "plant_maintenance": "B",
    }
    for persona, (r, c) in ratios.items():
        if grades[persona] == "A":
            assert r >= 1.1 and c <= 0.8, (persona, r, c)
        elif grades[persona] == "C":
            assert r < 0.8 and c > 1.5, (persona, r, c)
        else:
            assert not (r >= 1 and c <= 1) and not (r < 1 and c > 1), (persona, r, c)


def test_project_contractors_share_grows_over_time(company):
    halves: dict[bool, Counter[str]] = defaultdict(Counter)
    for t in company.transcripts:
        halves[t["started_at"] >= "2025-04-01"][company.truth[t["customer_id"]]] += 1
    share = {late: c["project_contractors"] / sum(c.values()) for late, c in halves.items()}
    assert share[True] > share[False]


def test_accounts_csv_round_trips(company):
    text = accounts_csv(company.accounts)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == [
        "customer_id",
        "name",
        "annual_revenue",
        "currency",
        "industry",
        "size",
        "region",
        "employees",
    ]
    assert len(rows) == len(company.accounts)
    assert float(rows[0]["annual_revenue"]) == company.accounts[0]["annual_revenue"]
    assert rows[0]["currency"] == "USD"
    assert "currency" not in accounts_csv(company.accounts[:1], include_currency=False).splitlines()[0]


def test_transcripts_jsonl_round_trips(company):
    lines = transcripts_jsonl(company.transcripts[:50]).splitlines()
    assert [json.loads(line) for line in lines] == company.transcripts[:50]


def test_truth_json_matches_the_eval_tool_shape(company):
    truth = json.loads(truth_json(company))
    assert truth["persona_of"] == company.truth
    assert truth["core_growth"] == ["repair_shops"] and truth["avoid"] == ["project_contractors"]


def test_streaming_is_lazy_and_fast():
    customers = build_customers(2000, seed=5)
    started = time.perf_counter()
    first = list(islice(iter_transcripts(customers, 10**9, seed=5), 10))
    assert len(first) == 10 and time.perf_counter() - started < 1.0
    started = time.perf_counter()
    count = sum(1 for _ in iter_transcripts(customers, 10_000, seed=5))
    assert count == 10_000 and time.perf_counter() - started < 15.0
