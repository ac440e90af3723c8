"""Describe personas: label, summary, contrastive keywords, quotes, jobs, motivations, consequences, sentiment."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from pipelines.jobs import Job, persona_jobs
from pipelines.keywords import class_tfidf
from pipelines.naming import persona_label, persona_summary
from pipelines.phrases import RankedPhrase, consequence_phrases, motivation_phrases, rank_phrases, sentiment
from pipelines.quotes import trim_quote, typical_rows, unit
from pipelines.wording import verbs_in


@dataclass(frozen=True)
class PersonaTexts:
    """One persona's input: its transcripts' customer texts, their vectors and the persona centroid."""

    key: str
    texts: Sequence[str]
    vectors: np.ndarray  # (len(texts), dim), L2-normalised
    centroid: np.ndarray  # (dim,)
    # The persona's transcript count when texts is a sample of them (None: texts are all of them).
    total: int | None = None
    # Transcript ids of texts (empty: examples and job members carry no ids), and of the transcripts left out
    # of the sample with their vectors: they only join their nearest job.
    ids: Sequence[str] = ()
    unread_ids: Sequence[str] = ()
    unread_vectors: np.ndarray | None = None
    owners: Mapping[str, str] | None = None  # transcript id -> customer id (for customers per job)


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
    summary: str = ""
    # The transcript ids each job covers, in the order of jobs (empty when the input carried no ids).
    job_members: tuple[tuple[str, ...], ...] = ()


def pick_quotes(
    texts: Sequence[str],
    vectors: np.ndarray,
    centroid: np.ndarray,
    *,
    n_quotes: int = 5,
    eligible: Sequence[bool] | None = None,
) -> tuple[str, ...]:
    """The texts closest to the centroid, skipping duplicates and near-duplicates (by meaning or wording)."""
    rows = typical_rows(texts, vectors, centroid, n=n_quotes, eligible=eligible)
    return tuple(trim_quote(texts[i]) for i in rows)


def _others(personas: Sequence[PersonaTexts], index: int) -> np.ndarray:
    """The centroids of every persona but one, as rows."""
    rows = [np.ravel(p.centroid) for j, p in enumerate(personas) if j != index]
    return np.stack(rows) if rows else np.zeros((0, np.ravel(personas[index].centroid).shape[0]))


def _describe_one(
    persona: PersonaTexts,
    others: np.ndarray,
    keywords: tuple[str, ...],
    taken: set[str],
    settings: dict[str, int],
) -> PersonaDescription:
    """One persona's card: jobs, quotes, motivations, consequences, a label unlike the ones taken, a summary."""
    texts = [str(t) for t in persona.texts]
    vectors = unit(np.asarray(persona.vectors, dtype=np.float64).reshape(len(texts), -1))
    centroid = np.ravel(persona.centroid)
    typicality = (vectors @ unit(centroid)).tolist() if texts else []
    ids = [str(i) for i in persona.ids]
    found = persona_jobs(
        texts,
        vectors,
        centroid,
        others=others,
        ids=ids,
        unread_ids=[str(i) for i in persona.unread_ids],
        unread_vectors=persona.unread_vectors,
        owners=persona.owners,
        max_jobs=settings["max_jobs"],
        seed=settings["seed"],
    )
    # Quotes come from transcripts nearer this persona than any other, so none speaks for a neighbour.
    own = typicality >= (vectors @ unit(others).T).max(axis=1) if len(others) and texts else None
    motivations = rank_phrases(
        [motivation_phrases(t) for t in texts], typicality, ids, top_n=settings["n_phrases"]
    )
    consequences = rank_phrases(
        [consequence_phrases(t) for t in texts], typicality, ids, top_n=settings["n_phrases"]
    )
    label = persona_label(found.jobs, keywords, taken=taken, verbs=verbs_in(texts))
    taken.add(label)
    return PersonaDescription(
        key=persona.key,
        label=label,
        keywords=keywords,
        quotes=pick_quotes(texts, vectors, centroid, n_quotes=settings["n_quotes"], eligible=own),
        jobs=found.jobs,
        motivations=motivations,
        consequences=consequences,
        sentiment=sentiment(texts),
        transcripts=len(texts) if persona.total is None else persona.total,
        summary=persona_summary(found.jobs, motivations, consequences),
        job_members=found.members,
    )


def describe_personas(
    personas: Sequence[PersonaTexts],
    *,
    n_keywords: int = 10,
    n_quotes: int = 5,
    max_jobs: int = 6,
    n_phrases: int = 8,
    seed: int = 42,
) -> list[PersonaDescription]:
    """Describe all personas at once: keywords are c-TF-IDF of each persona's texts against the others; jobs,
    quotes and examples are the transcripts nearest this persona, so that each card speaks for its own."""
    keyword_sets = [
        tuple(k.term for k in ks) for ks in class_tfidf([p.texts for p in personas], top_n=n_keywords)
    ]
    settings = {"n_quotes": n_quotes, "max_jobs": max_jobs, "n_phrases": n_phrases, "seed": seed}
    taken: set[str] = set()
    return [
        _describe_one(persona, _others(personas, j), keyword_sets[j], taken, settings)
        for j, persona in enumerate(personas)
    ]
