"""The one entry point of a run: transcripts and accounts in, described, priced and matched personas out."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from pipelines.contact_cost import Contact
from pipelines.describe import PersonaDescription, PersonaTexts, describe_personas
from pipelines.economics import EconomicsResult, compute_economics
from pipelines.embed import Embedder, SentenceTransformerEmbedder, embed_in_batches
from pipelines.grouping import Grouping, group_customers
from pipelines.labeller import Labeller, name_personas
from pipelines.match import MatchResult, PreviousPersona, match_personas
from pipelines.pond import PondMap, persona_pond, pond_map
from pipelines.results import DiscoveryResult, PersonaResult
from pipelines.text import customer_text
from pipelines.types import AccountInput, DiscoveryConfig, TranscriptInput

Progress = Callable[[str, float], None]
T = TypeVar("T")


class DiscoveryInputError(ValueError):
    """The transcripts (or their precomputed vectors) cannot produce personas; the message says why."""


def _no_progress(stage: str, fraction: float) -> None:
    """Default progress sink: ignore."""


@dataclass(frozen=True)
class _Said:
    """The customer text of every transcript, the rows that have any, and those rows' vectors."""

    texts: list[str]
    used: list[int]
    vectors: np.ndarray
    model_name: str


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


def _what_was_said(
    transcripts: Sequence[TranscriptInput],
    texts: list[str],
    embedder: Embedder | None,
    vectors: np.ndarray | None,
    progress: Progress,
) -> _Said:
    """The customer's own words per transcript and their vectors: the precomputed rows when given, else
    embedded now. Transcripts without customer text carry no signal and are left out."""
    used = [i for i, text in enumerate(texts) if text.strip()]
    if not used:
        raise DiscoveryInputError("no transcript has a customer turn with text: nothing to cluster")
    if vectors is not None:
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or len(vectors) != len(transcripts):
            raise DiscoveryInputError(
                f"transcript_vectors must have one row per transcript: got shape {vectors.shape} "
                f"for {len(transcripts)} transcripts"
            )
        progress("embedding", 1.0)
        name = embedder.model_name if embedder is not None else "precomputed"
        return _Said(texts, used, vectors[used], name)
    embedder = embedder or SentenceTransformerEmbedder()
    return _Said(texts, used, _embed([texts[i] for i in used], embedder, progress), embedder.model_name)


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


def _describe_sample(rows: list[int], limit: int, seed: int) -> list[int]:
    """At most limit of a persona's transcript rows (fixed-seed sample, original order kept)."""
    if len(rows) <= limit:
        return rows
    chosen = np.sort(np.random.default_rng(seed).choice(len(rows), size=limit, replace=False))
    return [rows[i] for i in chosen]


def _describe(
    transcripts: Sequence[TranscriptInput], said: _Said, grouping: Grouping, config: DiscoveryConfig
) -> list[PersonaDescription]:
    """Words for every persona, read from (a fixed-seed sample of) its transcripts; counts stay the totals."""
    rows_of: list[list[int]] = [[] for _ in grouping.keys]
    for row, index in enumerate(said.used):
        rows_of[grouping.assignments[transcripts[index].customer_id].persona_index].append(row)
    totals = [len(rows) for rows in rows_of]
    read_of = [
        _describe_sample(rows, config.describe_max_texts, config.seed + j) for j, rows in enumerate(rows_of)
    ]
    # Transcripts left out of the sample still join their nearest job, so a job's drill-down is complete.
    unread_of = [sorted(set(rows) - set(read)) for rows, read in zip(rows_of, read_of, strict=True)]
    personas = [
        PersonaTexts(
            key,
            [said.texts[said.used[r]] for r in read_of[j]],
            said.vectors[read_of[j]],
            grouping.clusters.centroids[j],
            total=totals[j],
            ids=[transcripts[said.used[r]].external_id for r in read_of[j]],
            unread_ids=[transcripts[said.used[r]].external_id for r in unread_of[j]],
            unread_vectors=said.vectors[unread_of[j]],
            owners={
                transcripts[said.used[r]].external_id: transcripts[said.used[r]].customer_id
                for r in rows_of[j]
            },
        )
        for j, key in enumerate(grouping.keys)
    ]
    return describe_personas(personas, seed=config.seed)


def _price(
    transcripts: Sequence[TranscriptInput],
    accounts: Sequence[AccountInput],
    grouping: Grouping,
    config: DiscoveryConfig,
) -> EconomicsResult:
    """Cost to serve, revenue, grades and the core-growth flag of every persona and customer."""
    return compute_economics(
        [Contact(t.customer_id, t.channel, t.duration_seconds) for t in transcripts],
        accounts,
        {cid: a.persona_key for cid, a in grouping.assignments.items()},
        config.cost_rates,
    )


def _persona_results(
    grouping: Grouping,
    descriptions: list[PersonaDescription],
    economics: EconomicsResult,
    ponds: dict[str, PondMap],
    matched: MatchResult,
) -> tuple[PersonaResult, ...]:
    economics_by_key = {p.key: p for p in economics.personas}
    clusters = grouping.clusters
    return tuple(
        PersonaResult(
            index=j,
            key=key,
            centroid=grouping.clusters.centroids[j],
            customer_ids=tuple(grouping.members[j]),
            transcript_ids=tuple(grouping.transcript_ids[j]),
            description=descriptions[j],
            economics=economics_by_key[key],
            pond=ponds[key],
            match=matched.matches[j],
            stability=clusters.persona_reappears[j] if clusters.persona_reappears else None,
            stability_jaccard=clusters.persona_stability[j] if clusters.persona_stability else None,
        )
        for j, key in enumerate(grouping.keys)
    )


def _timed(timings: dict[str, float], stage: str, progress: Progress, step: Callable[[], T]) -> T:
    """Run one stage, reporting its start and end and recording its seconds."""
    progress(stage, 0.0)
    clock = time.perf_counter()
    value = step()
    timings[stage] = time.perf_counter() - clock
    progress(stage, 1.0)
    return value


def discover(
    transcripts: Sequence[TranscriptInput],
    accounts: Sequence[AccountInput],
    config: DiscoveryConfig | None = None,
    *,
    embedder: Embedder | None = None,
    transcript_vectors: np.ndarray | None = None,
    previous: Sequence[PreviousPersona] = (),
    progress: Progress | None = None,
    labeller: Labeller | None = None,
) -> DiscoveryResult:
    """Embed what customers say, group customers into personas, describe, price and match them.

    labeller: names personas and jobs from their evidence (pipelines/labeller.py); None = the extractive card.
    """
    config = config or DiscoveryConfig()
    report = progress or _no_progress
    timings: dict[str, float] = {}
    started = time.perf_counter()
    if not transcripts:
        raise DiscoveryInputError("no transcripts: a run needs at least one transcript with customer text")
    texts = [customer_text(t.turns) for t in transcripts]
    # Everything below reads the transcripts in content order: the same data in any order, the same run.
    order = canonical_order(transcripts, texts)
    transcripts, texts = [transcripts[i] for i in order], [texts[i] for i in order]
    if transcript_vectors is not None and len(transcript_vectors) == len(order):
        transcript_vectors = np.asarray(transcript_vectors)[order]
    said = _timed(
        timings,
        "embedding",
        report,
        lambda: _what_was_said(transcripts, texts, embedder, transcript_vectors, report),
    )
    grouping = _timed(
        timings,
        "clustering",
        report,
        lambda: group_customers(transcripts, said.used, said.vectors, config, report),
    )
    descriptions = _timed(
        timings, "describing", report, lambda: _describe(transcripts, said, grouping, config)
    )
    matched = match_personas(previous, grouping.clusters.centroids, threshold=config.match_threshold)
    economics = _timed(timings, "pricing", report, lambda: _price(transcripts, accounts, grouping, config))
    ponds = {key: persona_pond(accounts, economics, key) for key in grouping.keys}
    # Naming needs the pond (who the customers are), so it follows pricing; it counts as describing.
    clock = time.perf_counter()
    descriptions = name_personas(descriptions, ponds, labeller)
    timings["describing"] += time.perf_counter() - clock
    timings["total"] = time.perf_counter() - started
    return _result(
        transcripts, order, accounts, config, said, grouping, descriptions, economics, ponds, matched, timings
    )


def _result(
    transcripts: Sequence[TranscriptInput],
    order: list[int],
    accounts: Sequence[AccountInput],
    config: DiscoveryConfig,
    said: _Said,
    grouping: Grouping,
    descriptions: list[PersonaDescription],
    economics: EconomicsResult,
    ponds: dict[str, PondMap],
    matched: MatchResult,
    timings: dict[str, float],
) -> DiscoveryResult:
    # Back in the caller's order: one row per input transcript.
    all_vectors = np.zeros((len(transcripts), said.vectors.shape[1]), dtype=np.float32)
    all_vectors[np.asarray(order, dtype=np.int64)[said.used]] = said.vectors
    without_text = tuple(sorted({t.customer_id for t in transcripts} - set(grouping.customer_ids)))
    notes = list(economics.notes)
    if without_text:
        said_nothing = (
            "1 customer said nothing in any transcript and so belongs"
            if len(without_text) == 1
            else f"{len(without_text)} customers said nothing in any transcript and so belong"
        )
        notes.append(f"{said_nothing} to no persona.")
    clusters = grouping.clusters
    if clusters.unstable:
        notes.append(clusters.verdict)
    return DiscoveryResult(
        config=config,
        model_name=said.model_name,
        personas=_persona_results(grouping, descriptions, economics, ponds, matched),
        assignments=grouping.assignments,
        chosen_k=clusters.k,
        criterion=clusters.criterion,
        criterion_scores=dict(clusters.scores),
        quality=clusters.quality,
        quality_metric=clusters.quality_metric,
        reason=clusters.reason,
        timings=timings,
        map_method=grouping.map_method,
        transcripts_used=len(said.used),
        economics=economics,
        pond=pond_map(accounts, economics),
        customers_without_text=without_text,
        retired_ids=matched.retired_ids,
        transcript_vectors=all_vectors,
        clustering_method=clusters.method,
        notes=tuple(notes),
        stability=clusters.stability,
        k_scores=clusters.k_scores,
        unstable=clusters.unstable,
        stability_verdict=clusters.verdict,
    )
