"""discover(): the whole run on hand-made data, precomputed vectors, progress, determinism, bad input; planted_dev."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from pipelines.discover import DiscoveryInputError, discover
from pipelines.embed import SentenceTransformerEmbedder
from pipelines.match import PreviousPersona
from pipelines.results import DiscoveryResult
from pipelines.text import customer_text
from pipelines.types import DiscoveryConfig, TranscriptInput
from tests.pipelines.conftest import PlantedData, theme_accounts, theme_transcripts


class ExplodingEmbedder:
    """An embedder that must not be called: precomputed vectors should make it unnecessary."""

    model_name = "exploding"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        raise AssertionError("discover embedded texts although vectors were given")


@pytest.fixture(scope="module")
def themes(embedder: SentenceTransformerEmbedder):  # type: ignore[no-untyped-def]
    """Hand-made run input (3 themes x 8 customers x 2 contacts), its truth and its transcript vectors."""
    transcripts, truth = theme_transcripts(per_theme=8, contacts=2)
    vectors = embedder.embed([customer_text(t.turns) for t in transcripts])
    return transcripts, theme_accounts(truth), truth, vectors


def test_discover_recovers_the_themes_and_fills_every_part(embedder, themes) -> None:  # type: ignore[no-untyped-def]
    transcripts, accounts, truth, _ = themes
    stages: list[tuple[str, float]] = []
    # Three personas asked for: this test is about what discover fills in (k is tested in test_cluster*).
    config = DiscoveryConfig(seed=7, min_personas=3, max_personas=3)
    result = discover(
        transcripts, accounts, config, embedder=embedder, progress=lambda s, f: stages.append((s, f))
    )

    assert result.config is config and result.model_name == "all-MiniLM-L6-v2"
    assert result.chosen_k == 3 and len(result.personas) == 3
    ids = sorted(result.assignments)
    assert ids == sorted(truth)
    assert adjusted_rand_score([truth[c] for c in ids], [result.labels[c] for c in ids]) == 1.0
    assert set(result.criterion_scores) == {3} and "resampled" in result.criterion
    assert result.stability is not None and result.stability > 0.9 and not result.unstable
    assert [s.k for s in result.k_scores] == [3] and result.stability_verdict.startswith("Stable")
    assert all(p.stability == 1.0 and p.stability_jaccard is not None for p in result.personas)
    assert [p.key for p in result.personas] == ["P1", "P2", "P3"]
    for persona in result.personas:
        assert len(persona.customer_ids) == 8 and len(persona.transcript_ids) == 16
        assert abs(float(np.linalg.norm(persona.centroid)) - 1.0) < 1e-5
        assert persona.description.label and persona.description.keywords and persona.description.quotes
        assert persona.economics.grade in {"A", "B", "C"} and persona.stable_id
    # Mortgage customers earn most at similar cost: their persona is the core-growth one.
    core = [p for p in result.personas if p.economics.core_growth]
    assert len(core) >= 1 and all(truth[c] == "mortgage" for c in core[0].customer_ids)
    assert {a.contacts for a in result.assignments.values()} == {2}
    assert np.isfinite([[a.map_x, a.map_y] for a in result.assignments.values()]).all()
    assert result.transcript_vectors is not None and result.transcript_vectors.shape == (48, 384)
    assert set(result.timings) >= {"embedding", "clustering", "describing", "pricing", "total"}

    seen = [s for s, _ in stages]
    assert [s for i, s in enumerate(seen) if i == 0 or seen[i - 1] != s] == [
        "embedding",
        "clustering",
        "describing",
        "pricing",
    ]
    assert all(0.0 <= f <= 1.0 for _, f in stages) and stages[-1] == ("pricing", 1.0)


def test_precomputed_vectors_are_used_and_runs_are_deterministic(themes) -> None:  # type: ignore[no-untyped-def]
    transcripts, accounts, _, vectors = themes
    first = discover(transcripts, accounts, embedder=ExplodingEmbedder(), transcript_vectors=vectors)
    second = discover(transcripts, accounts, embedder=ExplodingEmbedder(), transcript_vectors=vectors)
    assert first.model_name == "exploding"
    assert first.labels == second.labels
    for a, b in zip(first.personas, second.personas, strict=True):
        np.testing.assert_array_equal(a.centroid, b.centroid)
        assert a.customer_ids == b.customer_ids and a.description.label == b.description.label
        assert a.stable_id == b.stable_id
    assert [a.confidence for a in first.assignments.values()] == [
        a.confidence for a in second.assignments.values()
    ]


def test_previous_personas_keep_their_ids(themes) -> None:  # type: ignore[no-untyped-def]
    transcripts, accounts, _, vectors = themes
    first = discover(transcripts, accounts, transcript_vectors=vectors)
    previous = [PreviousPersona(p.stable_id, p.centroid) for p in first.personas]
    again = discover(transcripts, accounts, transcript_vectors=vectors, previous=previous)
    assert [p.stable_id for p in again.personas] == [p.stable_id for p in first.personas]
    assert all(p.match.matched for p in again.personas) and again.retired_ids == ()


def test_silent_customers_are_reported_not_clustered(themes) -> None:  # type: ignore[no-untyped-def]
    transcripts, accounts, _, vectors = themes
    silent = TranscriptInput(
        "silent-1", "quiet-customer", "call", None, 60.0, [{"speaker": "agent", "text": "Hi?"}]
    )
    result = discover(
        [*transcripts, silent],
        accounts,
        transcript_vectors=np.vstack([vectors, np.zeros((1, vectors.shape[1]))]),
    )
    assert "quiet-customer" not in result.assignments
    assert result.customers_without_text == ("quiet-customer",) and result.transcripts_used == len(
        transcripts
    )


def test_bad_input_raises_clear_errors(themes) -> None:  # type: ignore[no-untyped-def]
    transcripts, accounts, _, vectors = themes
    with pytest.raises(DiscoveryInputError, match="no transcripts"):
        discover([], accounts)
    agent_only = [TranscriptInput("t", "c", "chat", None, None, [{"speaker": "agent", "text": "hello"}])]
    with pytest.raises(DiscoveryInputError, match="customer turn"):
        discover(agent_only, accounts, embedder=ExplodingEmbedder())
    with pytest.raises(DiscoveryInputError, match="one row per transcript"):
        discover(transcripts, accounts, transcript_vectors=vectors[:-1])
    with pytest.raises(ValueError, match="min_personas"):
        DiscoveryConfig(min_personas=3, max_personas=2)


def test_a_single_customer_gives_one_persona_with_a_reason(embedder) -> None:  # type: ignore[no-untyped-def]
    lone = [TranscriptInput("t1", "c1", "chat", None, 30.0, [{"speaker": "customer", "text": "card lost"}])]
    result = discover(lone, [], embedder=embedder)
    assert result.chosen_k == 1 and result.reason and list(result.assignments) == ["c1"]
    assert result.personas[0].economics is not None


# The planted_dev bar (ARI >= 0.80) is a product bar. The result must not hang on one UMAP layout, which any
# other CPU's float rounding changes, so the bar is on the mean over several seeds, each its own layout.
# Measured on a 2-core AMD EPYC (AVX2, no AVX-512) with the torch embedder: ARI 0.8297 with k = 4 at each of
# 21 seeds (42, 0..19), and 0.825-0.830 with the embeddings perturbed by noise of 1e-4 to 1e-2 (far beyond
# rounding differences between CPUs): the contact-neighbourhood refinement reaches the same partition from
# every layout (without it, 0.748-0.762). Margin to the bar: 0.030.
PLANTED_SEEDS = (42, 1, 2)


def found_grade(result: DiscoveryResult, persona_of: dict[str, str], planted: str) -> str:
    """The grade of the found persona that holds most of a planted persona's customers."""
    members = {c for c, p in persona_of.items() if p == planted}
    best = max(result.personas, key=lambda p: len(set(p.customer_ids) & members))
    return best.economics.grade if best.economics else "none"


@pytest.mark.slow
@pytest.mark.data
def test_planted_dev_personas_are_recovered(embedder, planted_dev: PlantedData) -> None:  # type: ignore[no-untyped-def]
    truth = planted_dev.truth
    first = discover(
        planted_dev.transcripts,
        planted_dev.accounts,
        DiscoveryConfig(seed=PLANTED_SEEDS[0]),
        embedder=embedder,
    )
    # The other seeds reuse the vectors: embedding 2,000 transcripts again would only cost time.
    results = [first] + [
        discover(
            planted_dev.transcripts,
            planted_dev.accounts,
            DiscoveryConfig(seed=seed),
            transcript_vectors=first.transcript_vectors,
        )
        for seed in PLANTED_SEEDS[1:]
    ]
    scores = []
    for result in results:
        ids = sorted(result.assignments)
        scores.append(
            adjusted_rand_score([truth["persona_of"][c] for c in ids], [result.labels[c] for c in ids])
        )
        assert 2 <= result.chosen_k <= 4
        assert found_grade(result, truth["persona_of"], truth["core_growth"][0]) == "A", result.config.seed
        assert found_grade(result, truth["persona_of"], truth["avoid"][0]) == "C", result.config.seed
    mean = float(np.mean(scores))
    per_seed = ", ".join(
        f"seed {r.config.seed}: {a:.3f} (k={r.chosen_k})" for r, a in zip(results, scores, strict=True)
    )
    assert mean >= 0.80, f"mean customer-level ARI {mean:.3f} below 0.80 ({per_seed})"
