"""A persona's jobs: coherent groups of its requests, each named by a verb phrase its customers' words support.

Method: the persona's transcripts are split into topics (pipelines/topics.py). A topic is a job when most of
its transcripts are closer to this persona's centroid than to any other persona's (topics that belong to every
persona, such as closing an account, say nothing about this one). Each job is named by the verb phrase
(pipelines/wording.py) whose words most of the job's transcripts share, and shown with the transcripts
closest to its centre as examples. Transcripts left out of the topic sample join their nearest topic.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from pipelines.job_phrases import job_phrase
from pipelines.quotes import Example, trim_quote, typical_rows, unit
from pipelines.topics import Topic, find_topics
from pipelines.wording import clauses, content_stems

# A topic is a job of this persona when at least this share of its transcripts is nearest to its centroid.
MIN_BELONGING = 0.5
# Topics whose centres are this similar (cosine) are one job asked in two ways.
SAME_JOB_COSINE = 0.9


@dataclass(frozen=True)
class Job:
    """A job to be done inside a persona: its name, keywords, share of the transcripts and typical examples."""

    label: str
    keywords: tuple[str, ...]
    transcripts: int
    share: float
    examples: tuple[Example, ...] = ()
    customers: int = 0  # distinct customers among the job's transcripts (0 when owners are not known)


@dataclass(frozen=True)
class PersonaJobs:
    """The jobs, largest first, and the transcript ids each one covers (for drilling down into a job)."""

    jobs: tuple[Job, ...]
    members: tuple[tuple[str, ...], ...]


def _best_phrase(
    texts: Sequence[str],
    rows: np.ndarray,
    stems: Sequence[frozenset[str]],
    typicality: Sequence[float],
    taken: Collection[str],
) -> str | None:
    """The candidate verb phrase of the job's transcripts (rows) whose words best say what sets the job apart.

    A word scores the share of the job's transcripts that use it plus how much more often they use it than the
    persona's other transcripts: words every request of the job repeats count, one customer's product name or
    order number does not, and neither does what the whole persona says in every job ("still waiting"). A
    phrase scores the mean over its words, with a small bonus for being said by several customers and for
    typical transcripts; a report ("report that ...") is a job only when no request names one.
    """
    inside = Counter(s for i in rows for s in stems[i])
    everywhere = Counter(s for group in stems for s in group)
    n_in, n_out = len(rows), max(len(stems) - len(rows), 1)
    candidates: dict[str, list[float]] = {}
    for i, weight in zip(rows, typicality, strict=True):
        for clause in clauses(texts[i]):
            phrase = job_phrase(clause)
            if phrase and phrase[:1].upper() + phrase[1:] not in taken:
                candidates.setdefault(phrase, []).append(weight)
    best, best_score = None, -math.inf
    for phrase, said_by in sorted(candidates.items()):
        words = content_stems(phrase)
        if not words:
            continue
        shares = [inside[w] / n_in for w in words]
        lift = [max(0.0, inside[w] / n_in - (everywhere[w] - inside[w]) / n_out) for w in words]
        score = (
            (sum(shares) + sum(lift)) / (len(words) + 1) + 0.05 * math.log(len(said_by)) + 0.1 * max(said_by)
        )
        score -= 0.15 * sum(share < 0.05 for share in shares) + 0.01 * len(phrase.split())
        score -= 0.1 * phrase.startswith("report that")
        if score > best_score:
            best, best_score = phrase, score
    return best


def _fallback_label(keywords: Sequence[str]) -> str:
    """When no request has a form a job can be read from: "ask about <its keyword>"."""
    readable = [k for k in keywords if not any(c.isdigit() for c in k)]
    return f"ask about {readable[0]}" if readable else "other requests"


def _belonging(vectors: np.ndarray, centroid: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Per transcript: True when it is closer to this persona's centroid than to every other persona's."""
    own = vectors @ unit(centroid)
    if not len(others):
        return np.ones(len(vectors), dtype=bool)
    return own >= (vectors @ unit(others).T).max(axis=1)


def _topic_centres(vectors: np.ndarray, labels: np.ndarray, n_topics: int) -> np.ndarray:
    """Unit mean vector of every topic (zeros for a topic merged into another)."""
    centres = np.zeros((n_topics, vectors.shape[1]))
    for topic in range(n_topics):
        if (labels == topic).any():
            centres[topic] = vectors[labels == topic].mean(axis=0)
    return unit(centres)


def _merged(topics: Sequence[Topic], centres: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Topic ids after merging topics whose centres nearly coincide into the larger one."""
    target = list(range(len(topics)))
    for small in range(len(topics) - 1, 0, -1):
        similar = [big for big in range(small) if float(centres[small] @ centres[big]) >= SAME_JOB_COSINE]
        if similar:
            target[small] = target[similar[0]]
    return np.asarray([target[t] for t in labels], dtype=np.int64)


def _job(
    texts: Sequence[str],
    ids: Sequence[str],
    rows: np.ndarray,
    vectors: np.ndarray,
    belongs: np.ndarray,
    keywords: tuple[str, ...],
    n_examples: int,
    stems: Sequence[frozenset[str]],
    taken: Collection[str],
) -> tuple[str, tuple[Example, ...]]:
    """A job's label (unlike the labels taken) and examples from its rows."""
    centre = unit(vectors[rows].mean(axis=0))
    typicality = (vectors[rows] @ centre).tolist()
    label = _best_phrase(texts, rows, stems, typicality, taken) or _fallback_label(keywords)
    picked = typical_rows(
        [texts[i] for i in rows], vectors[rows], centre, n=n_examples, eligible=belongs[rows]
    )
    examples = tuple(Example(ids[rows[i]], trim_quote(texts[rows[i]])) for i in picked) if ids else ()
    return label[:1].upper() + label[1:], examples


def _nearest(vectors: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Index of the nearest centre of every row (no rows: an empty array)."""
    if not len(vectors):
        return np.zeros(0, dtype=np.int64)
    return np.asarray((unit(vectors) @ centres.T).argmax(axis=1), dtype=np.int64)


def persona_jobs(
    texts: Sequence[str],
    vectors: np.ndarray,
    centroid: np.ndarray,
    *,
    others: np.ndarray,
    ids: Sequence[str] = (),
    unread_ids: Sequence[str] = (),
    unread_vectors: np.ndarray | None = None,
    owners: Mapping[str, str] | None = None,
    max_jobs: int = 6,
    n_examples: int = 3,
    seed: int = 42,
) -> PersonaJobs:
    """Up to max_jobs jobs of one persona, largest first.

    texts/vectors/ids: the transcripts read (a sample of the persona's when it is large); unread_ids and
    unread_vectors: the rest, which only join their nearest job; others: the other personas' centroids.
    """
    if not len(texts):
        return PersonaJobs((), ())
    vectors = unit(np.asarray(vectors, dtype=np.float64).reshape(len(texts), -1))
    result = find_topics(vectors.astype(np.float32), texts, seed=seed)
    labels = np.asarray(result.labels, dtype=np.int64)
    labels = _merged(result.topics, _topic_centres(vectors, labels, len(result.topics)), labels)
    centres = _topic_centres(vectors, labels, len(result.topics) if len(labels) else 0)
    belongs = _belonging(
        vectors, centroid, np.asarray(others, dtype=np.float64).reshape(-1, vectors.shape[1])
    )
    by_size = [t for t, _ in sorted(Counter(labels.tolist()).items(), key=lambda kv: (-kv[1], kv[0]))]
    kept = [t for t in by_size if belongs[labels == t].mean() >= MIN_BELONGING][:max_jobs] or by_size[
        :max_jobs
    ]
    unread = np.zeros((0, vectors.shape[1])) if unread_vectors is None else np.asarray(unread_vectors)
    unread_topic = _nearest(unread.reshape(len(unread_ids), vectors.shape[1]), centres)
    total = len(texts) + len(unread_ids)
    jobs: list[Job] = []
    members: list[tuple[str, ...]] = []
    stems = [content_stems(t) for t in texts]
    for topic in kept:
        rows = np.where(labels == topic)[0]
        covered = (*(ids[i] for i in rows), *(unread_ids[i] for i in np.where(unread_topic == topic)[0]))
        count = len(covered) if ids else round(len(rows) / len(texts) * total)
        label, examples = _job(
            texts,
            ids,
            rows,
            vectors,
            belongs,
            result.topics[topic].keywords,
            n_examples,
            stems,
            [j.label for j in jobs],
        )
        customers = len({owners[t] for t in covered if t in owners}) if owners else 0
        jobs.append(Job(label, result.topics[topic].keywords, count, count / total, examples, customers))
        members.append(tuple(covered) if ids else ())
    order = sorted(range(len(jobs)), key=lambda j: (-jobs[j].share, jobs[j].label))
    return PersonaJobs(tuple(jobs[j] for j in order), tuple(members[j] for j in order))
