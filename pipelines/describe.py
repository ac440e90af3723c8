"""Describe personas: label, contrastive keywords, quotes, jobs, motivations, consequences and sentiment."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pipelines.keywords import class_tfidf, label_from_keywords
from pipelines.phrases import RankedPhrase, consequence_phrases, motivation_clauses, rank_phrases, sentiment
from pipelines.topics import find_topics

MAX_QUOTE_CHARS = 200
# Two quotes this similar (cosine) say the same thing in other words; showing both wastes a slot.
NEAR_DUPLICATE_COSINE = 0.92
NEAR_DUPLICATE_JACCARD = 0.7


@dataclass(frozen=True)
class PersonaTexts:
    """One persona's input: its transcripts' customer texts, their vectors and the persona centroid."""

    key: str
    texts: Sequence[str]
    vectors: np.ndarray  # (len(texts), dim), L2-normalised
    centroid: np.ndarray  # (dim,)
    # The persona's transcript count when texts is a sample of them (None: texts are all of them).
    total: int | None = None


@dataclass(frozen=True)
class Job:
    """A job to be done inside a persona: a topic of its transcripts and its share of them."""

    label: str
    keywords: tuple[str, ...]
    transcripts: int
    share: float


@dataclass(frozen=True)
class PersonaDescription:
    """Everything a reader needs to recognise a persona, computed from its customers' own words."""

    key: str
    label: str
    keywords: tuple[str, ...]
    quotes: tuple[str, ...]
    jobs: tuple[Job, ...]
    motivations: tuple[RankedPhrase, ...]
    consequences: tuple[RankedPhrase, ...]
    sentiment: float
    transcripts: int


def _unit(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    matrix = np.asarray(matrix, dtype=np.float64)
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


def trim_quote(text: str, max_chars: int = MAX_QUOTE_CHARS) -> str:
    """Collapse whitespace and cut at a word boundary with an ellipsis when longer than max_chars."""
    text = " ".join(text.split())
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars - 1].rsplit(" ", 1)[0].rstrip(",;:-")
    return f"{cut}…"


def _token_set(text: str) -> frozenset[str]:
    """Lowercase word set for the wording-overlap test of near-duplicate quotes."""
    return frozenset(re.findall(r"[a-z0-9]+", text.lower()))


def pick_quotes(
    texts: Sequence[str], vectors: np.ndarray, centroid: np.ndarray, *, n_quotes: int = 5
) -> tuple[str, ...]:
    """The texts closest to the centroid, skipping duplicates and near-duplicates (by meaning or wording)."""
    if not len(texts):
        return ()
    similarity = _unit(vectors) @ _unit(centroid)
    order = sorted(range(len(texts)), key=lambda i: (-similarity[i], texts[i]))
    chosen: list[int] = []
    for index in order:
        tokens = _token_set(texts[index])
        if not tokens:
            continue
        duplicate = any(
            float(_unit(vectors[index]) @ _unit(vectors[other])) >= NEAR_DUPLICATE_COSINE
            or len(tokens & _token_set(texts[other])) / len(tokens | _token_set(texts[other]))
            >= NEAR_DUPLICATE_JACCARD
            for other in chosen
        )
        if not duplicate:
            chosen.append(index)
        if len(chosen) == n_quotes:
            break
    return tuple(trim_quote(texts[i]) for i in chosen)


def persona_jobs(
    texts: Sequence[str], vectors: np.ndarray, *, max_jobs: int = 6, seed: int = 42
) -> tuple[Job, ...]:
    """Jobs = the topics of the persona's transcripts, largest share first (at most max_jobs)."""
    if not len(texts):
        return ()
    result = find_topics(vectors, texts, seed=seed)
    jobs = [Job(t.label, t.keywords, t.size, t.share) for t in result.topics]
    return tuple(sorted(jobs, key=lambda j: (-j.share, j.label))[:max_jobs])


def _unique_labels(labels: list[str], keywords: Sequence[Sequence[str]]) -> list[str]:
    """Make persona labels distinct: a repeated label takes the next keyword that is not in it yet."""
    seen: set[str] = set()
    result = []
    for label, terms in zip(labels, keywords, strict=True):
        extra = iter(t for t in terms if t not in label.split(" · "))
        while label in seen:
            label = f"{label} · {next(extra, str(len(seen) + 1))}"
        seen.add(label)
        result.append(label)
    return result


def describe_personas(
    personas: Sequence[PersonaTexts],
    *,
    n_keywords: int = 10,
    n_quotes: int = 5,
    max_jobs: int = 6,
    n_phrases: int = 8,
    seed: int = 42,
) -> list[PersonaDescription]:
    """Describe all personas at once: keywords are c-TF-IDF of each persona's texts against the others."""
    keyword_sets = [
        tuple(k.term for k in ks) for ks in class_tfidf([p.texts for p in personas], top_n=n_keywords)
    ]
    labels = _unique_labels([label_from_keywords(ks) for ks in keyword_sets], keyword_sets)
    descriptions = []
    for persona, keywords, label in zip(personas, keyword_sets, labels, strict=True):
        texts = [str(t) for t in persona.texts]
        vectors = np.asarray(persona.vectors, dtype=np.float32).reshape(len(texts), -1)
        typicality = (_unit(vectors) @ _unit(persona.centroid)).tolist() if texts else []
        total = len(texts) if persona.total is None else persona.total
        jobs = persona_jobs(texts, vectors, max_jobs=max_jobs, seed=seed)
        if total != len(texts) and texts:
            # Jobs were found on a sample: scale their transcript counts to the persona's total.
            jobs = tuple(Job(j.label, j.keywords, round(j.share * total), j.share) for j in jobs)
        descriptions.append(
            PersonaDescription(
                key=persona.key,
                label=label,
                keywords=keywords,
                quotes=pick_quotes(texts, vectors, persona.centroid, n_quotes=n_quotes),
                jobs=jobs,
                motivations=rank_phrases([motivation_clauses(t) for t in texts], typicality, top_n=n_phrases),
                consequences=rank_phrases(
                    [consequence_phrases(t) for t in texts], typicality, top_n=n_phrases
                ),
                sentiment=sentiment(texts),
                transcripts=total,
            )
        )
    return descriptions
