"""The one entry point of a run: transcripts and accounts in, described, priced and matched personas out."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence

import numpy as np

from pipelines.cluster import ClusterResult, cluster_customers, customer_vectors, sample_rows
from pipelines.describe import PersonaTexts, describe_personas
from pipelines.economics import Account, Contact, CostRates, compute_economics
from pipelines.embed import Embedder, SentenceTransformerEmbedder, embed_in_batches
from pipelines.match import PreviousPersona, match_personas
from pipelines.pond import persona_pond, pond_map
from pipelines.reduce import map_coordinates
from pipelines.text import customer_text
from pipelines.types import (
    AccountInput,
    CustomerAssignment,
    DiscoveryConfig,
    DiscoveryResult,
    PersonaResult,
    TranscriptInput,
)

Progress = Callable[[str, float], None]


class DiscoveryInputError(ValueError):
    """The transcripts (or their precomputed vectors) cannot produce personas; the message says why."""


def _no_progress(stage: str, fraction: float) -> None:
    """Default progress sink: ignore."""


def persona_key(index: int) -> str:
    """Run-local persona key, 1-based so reports read "P1" for the largest persona."""
    return f"P{index + 1}"


def _embed(texts: list[str], embedder: Embedder, progress: Progress) -> np.ndarray:
    """Embed in batches of similar length, reporting the share done after each."""
    vectors = np.zeros((len(texts), 0), dtype=np.float32)
    done = 0
    for batch, batch_vectors in embed_in_batches(texts, embedder):
        if vectors.shape[1] == 0:
            vectors = np.empty((len(texts), batch_vectors.shape[1]), dtype=np.float32)
        vectors[batch] = batch_vectors
        done += len(batch)
        progress("embedding", done / len(texts))
    return vectors


def _transcript_vectors(
    transcripts: Sequence[TranscriptInput],
    texts: list[str],
    used: list[int],
    embedder: Embedder | None,
    vectors: np.ndarray | None,
    progress: Progress,
) -> tuple[np.ndarray, str]:
    """Vectors of the used transcripts: the precomputed rows when given, else embedded now."""
    if vectors is not None:
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or len(vectors) != len(transcripts):
            raise DiscoveryInputError(
                f"transcript_vectors must have one row per transcript: got shape {vectors.shape} "
                f"for {len(transcripts)} transcripts"
            )
        progress("embedding", 1.0)
        name = embedder.model_name if embedder is not None else "precomputed"
        return vectors[used], name
    embedder = embedder or SentenceTransformerEmbedder()
    return _embed([texts[i] for i in used], embedder, progress), embedder.model_name


def _assignments(
    customer_ids: list[str], clusters: ClusterResult, contacts: dict[str, int], coords: np.ndarray
) -> dict[str, CustomerAssignment]:
    """Per customer: persona, confidence, whether density called it noise, contacts and map position."""
    return {
        cid: CustomerAssignment(
            customer_id=cid,
            persona_index=int(clusters.labels[i]),
            persona_key=persona_key(int(clusters.labels[i])),
            confidence=float(clusters.confidences[i]),
            is_noise=bool(clusters.noise[i]),
            contacts=contacts[cid],
            map_x=float(coords[i, 0]),
            map_y=float(coords[i, 1]),
        )
        for i, cid in enumerate(customer_ids)
    }


def _describe_sample(rows: list[int], limit: int, seed: int) -> list[int]:
    """At most limit of a persona's transcript rows (fixed-seed sample, original order kept)."""
    if len(rows) <= limit:
        return rows
    chosen = np.sort(np.random.default_rng(seed).choice(len(rows), size=limit, replace=False))
    return [rows[i] for i in chosen]


def canonical_order(transcripts: Sequence[TranscriptInput], texts: list[str]) -> list[int]:
    """Positions of the transcripts sorted by content (customer, start time, text, channel, duration), so any
    ingest order gives the same run; the external id (a database row id in the service) only breaks ties
    between transcripts that are identical in everything else."""

    def key(i: int) -> tuple[str, str, str, str, float, str]:
        t = transcripts[i]
        started = t.started_at.isoformat() if t.started_at is not None else ""
        duration = -1.0 if t.duration_seconds is None else float(t.duration_seconds)
        return (t.customer_id, started, texts[i], t.channel, duration, t.external_id)

    return sorted(range(len(transcripts)), key=key)


def discover(
    transcripts: Sequence[TranscriptInput],
    accounts: Sequence[AccountInput],
    config: DiscoveryConfig | None = None,
    *,
    embedder: Embedder | None = None,
    transcript_vectors: np.ndarray | None = None,
    previous: Sequence[PreviousPersona] = (),
    progress: Progress | None = None,
) -> DiscoveryResult:
    """Embed what customers say, group customers into personas, describe, price and match them."""
    config = config or DiscoveryConfig()
    report = progress or _no_progress
    timings: dict[str, float] = {}
    started = time.perf_counter()
    if not transcripts:
        raise DiscoveryInputError("no transcripts: a run needs at least one transcript with customer text")

    # Stage 1: the customer's own words per transcript; transcripts without any carry no signal.
    report("embedding", 0.0)
    texts = [customer_text(t.turns) for t in transcripts]
    # Everything below reads the transcripts in content order: the same data in any order, the same run.
    order = canonical_order(transcripts, texts)
    transcripts = [transcripts[i] for i in order]
    texts = [texts[i] for i in order]
    if transcript_vectors is not None and len(transcript_vectors) == len(order):
        transcript_vectors = np.asarray(transcript_vectors)[order]
    used = [i for i, text in enumerate(texts) if text.strip()]
    if not used:
        raise DiscoveryInputError("no transcript has a customer turn with text: nothing to cluster")
    clock = time.perf_counter()
    vectors, model_name = _transcript_vectors(transcripts, texts, used, embedder, transcript_vectors, report)
    timings["embedding"] = time.perf_counter() - clock

    # Stage 2: customers -> personas, plus the 2-D map.
    report("clustering", 0.0)
    clock = time.perf_counter()
    used_customer_ids = [transcripts[i].customer_id for i in used]
    customer_ids, matrix = customer_vectors(vectors, used_customer_ids)
    row_of = {c: r for r, c in enumerate(customer_ids)}
    owner = np.asarray([row_of[c] for c in used_customer_ids], dtype=np.int64)
    clusters = cluster_customers(
        matrix,
        min_personas=config.min_personas,
        max_personas=config.max_personas,
        seed=config.seed,
        contact_vectors=vectors,
        contact_owner=owner,
        params=config.clustering,
    )
    report("clustering", 0.8)
    coords, map_method = map_coordinates(
        matrix, seed=config.seed, fit_rows=sample_rows(len(matrix), config.clustering, config.seed)
    )
    timings["clustering"] = time.perf_counter() - clock
    report("clustering", 1.0)

    contacts: dict[str, int] = defaultdict(int)
    for t in transcripts:
        contacts[t.customer_id] += 1
    assignments = _assignments(customer_ids, clusters, contacts, coords)
    keys = [persona_key(j) for j in range(clusters.k)]
    members: list[list[str]] = [[] for _ in keys]
    for cid in customer_ids:
        members[assignments[cid].persona_index].append(cid)
    transcript_ids: list[list[str]] = [[] for _ in keys]
    for t in transcripts:
        if t.customer_id in assignments:
            transcript_ids[assignments[t.customer_id].persona_index].append(t.external_id)

    # Stage 3: words (labels, jobs, quotes...) and stable ids.
    report("describing", 0.0)
    clock = time.perf_counter()
    rows_of: list[list[int]] = [[] for _ in keys]
    for row, index in enumerate(used):
        rows_of[assignments[transcripts[index].customer_id].persona_index].append(row)
    totals = [len(rows) for rows in rows_of]
    rows_of = [
        _describe_sample(rows, config.describe_max_texts, config.seed + j) for j, rows in enumerate(rows_of)
    ]
    descriptions = describe_personas(
        [
            PersonaTexts(
                key,
                [texts[used[r]] for r in rows_of[j]],
                vectors[rows_of[j]],
                clusters.centroids[j],
                total=totals[j],
            )
            for j, key in enumerate(keys)
        ],
        seed=config.seed,
    )
    report("describing", 0.8)
    matched = match_personas(previous, clusters.centroids, threshold=config.match_threshold)
    timings["describing"] = time.perf_counter() - clock
    report("describing", 1.0)

    # Stage 4: cost to serve, revenue, grades and the pond map.
    report("pricing", 0.0)
    clock = time.perf_counter()
    rates = CostRates(
        per_minute_call=config.cost_per_minute_call,
        per_minute_chat=config.cost_per_minute_chat,
        per_minute_other=config.cost_per_minute_other,
        per_email=config.cost_per_email,
    )
    account_rows = [
        Account(a.customer_id, float(a.annual_revenue), a.name, dict(a.attributes)) for a in accounts
    ]
    economics = compute_economics(
        [Contact(t.customer_id, t.channel, t.duration_seconds) for t in transcripts],
        account_rows,
        {cid: a.persona_key for cid, a in assignments.items()},
        rates,
    )
    economics_by_key = {p.key: p for p in economics.personas}
    personas = tuple(
        PersonaResult(
            index=j,
            key=key,
            label=matched.matches[j].human_label or descriptions[j].label,
            centroid=clusters.centroids[j],
            customer_ids=tuple(members[j]),
            transcript_ids=tuple(transcript_ids[j]),
            description=descriptions[j],
            economics=economics_by_key.get(key),
            pond=persona_pond(account_rows, economics, key),
            match=matched.matches[j],
            stable_id=matched.matches[j].id,
            stability=clusters.persona_reappears[j] if clusters.persona_reappears else None,
            stability_jaccard=clusters.persona_stability[j] if clusters.persona_stability else None,
        )
        for j, key in enumerate(keys)
    )
    run_pond = pond_map(account_rows, economics)
    timings["pricing"] = time.perf_counter() - clock
    report("pricing", 1.0)
    timings["total"] = time.perf_counter() - started

    # Back in the caller's order: one row per input transcript.
    all_vectors = np.zeros((len(transcripts), vectors.shape[1]), dtype=np.float32)
    all_vectors[np.asarray(order, dtype=np.int64)[used]] = vectors
    without_text = tuple(sorted({t.customer_id for t in transcripts} - set(customer_ids)))
    notes = list(economics.notes)
    if without_text:
        notes.append(f"{len(without_text)} customers said nothing in any transcript and are in no persona.")
    if clusters.unstable:
        notes.append(clusters.verdict)
    return DiscoveryResult(
        config=config,
        model_name=model_name,
        personas=personas,
        assignments=assignments,
        chosen_k=clusters.k,
        criterion=clusters.criterion,
        criterion_scores=dict(clusters.scores),
        quality=clusters.quality,
        quality_metric=clusters.quality_metric,
        reason=clusters.reason,
        timings=timings,
        map_method=map_method,
        transcripts_used=len(used),
        customers_without_text=without_text,
        economics=economics,
        pond=run_pond,
        retired_ids=matched.retired_ids,
        transcript_vectors=all_vectors,
        clustering_method=clusters.method,
        notes=tuple(notes),
        stability=clusters.stability,
        k_scores=clusters.k_scores,
        unstable=clusters.unstable,
        stability_verdict=clusters.verdict,
    )
