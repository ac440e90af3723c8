"""Persona names, summaries and job labels from an optional language model, checked before they replace the card's.

A `Labeller` (BERTopic-style: passed in, anything with `name` and `words` works) reads a persona's `CardEvidence`
(its extractive card and at most EXAMPLES_PER_PERSONA customer quotes, all redacted at ingest) and answers
`CardWords`. The default is the extractive card itself. Any other labeller's answer replaces the extractive
words only when `check_words` finds nothing wrong with it; a failure or a rejected answer keeps the extractive
card and is logged. The transport (HTTP to an OpenAI-compatible server) lives in the service.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from pipelines.describe import PersonaDescription
from pipelines.naming import MAX_LABEL_CHARS, MAX_SUMMARY_CHARS, who_from_pond
from pipelines.pond import PondMap

log = logging.getLogger("personas.describe")
EXAMPLES_PER_PERSONA = 12
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_PAIR_MARKS = ("·", "|", " / ", " + ", ";")


@dataclass(frozen=True)
class CardWords:
    """What a labeller answers for one persona: its name, one-sentence summary and one label per job."""

    label: str
    summary: str
    job_labels: tuple[str, ...]


@dataclass(frozen=True)
class CardEvidence:
    """What a labeller may read about one persona: its extractive card and a few redacted customer quotes."""

    label: str
    summary: str
    keywords: tuple[str, ...]
    job_labels: tuple[str, ...]
    job_keywords: tuple[tuple[str, ...], ...]
    motivations: tuple[str, ...]
    consequences: tuple[str, ...]
    quotes: tuple[str, ...]
    who: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The evidence as the JSON a language model is sent."""
        return {
            "current_name": self.label,
            "current_summary": self.summary,
            "typical_account_attribute": self.who,
            "keywords": list(self.keywords),
            "jobs": [
                {"label": label, "keywords": list(keywords)}
                for label, keywords in zip(self.job_labels, self.job_keywords, strict=True)
            ],
            "why_they_ask": list(self.motivations),
            "what_a_gap_costs_them": list(self.consequences),
            "customer_quotes": list(self.quotes),
        }


class Labeller(Protocol):
    """Names a persona from its evidence; may raise (the extractive card is then kept)."""

    name: str

    def words(self, evidence: CardEvidence) -> CardWords: ...


class ExtractiveLabeller:
    """The default: the card's own extractive words, offline."""

    name = "extractive"

    def words(self, evidence: CardEvidence) -> CardWords:
        return CardWords(evidence.label, evidence.summary, evidence.job_labels)


def card_evidence(description: PersonaDescription, *, who: str | None = None) -> CardEvidence:
    """A persona's evidence: its card, and quotes (persona quotes, then job examples) up to the fixed number."""
    quotes = [*description.quotes, *(e.quote for j in description.jobs for e in j.examples)]
    return CardEvidence(
        label=description.label,
        summary=description.summary,
        keywords=description.keywords[:10],
        job_labels=tuple(j.label for j in description.jobs),
        job_keywords=tuple(j.keywords[:5] for j in description.jobs),
        motivations=tuple(m.text for m in description.motivations[:5]),
        consequences=tuple(c.text for c in description.consequences[:5]),
        quotes=tuple(dict.fromkeys(quotes))[:EXAMPLES_PER_PERSONA],
        who=who,
    )


def _name_problem(text: str, what: str, keywords: Collection[str]) -> str | None:
    """Why a name (persona or job label) is not acceptable, or None."""
    words = text.split()
    if len(words) < 2:
        return f"{what} has fewer than two words"
    if len(text) > MAX_LABEL_CHARS:
        return f"{what} is longer than {MAX_LABEL_CHARS} characters"
    if any(mark in text for mark in _PAIR_MARKS):
        return f"{what} is a keyword pair"
    keyword_words = {w.lower() for k in keywords for w in k.split()}
    if len(words) <= 3 and all(w.lower().strip(",.") in keyword_words for w in words):
        return f"{what} only strings keywords together"
    return None


def check_words(evidence: CardEvidence, words: CardWords, *, taken: Collection[str] = ()) -> str | None:
    """Why a labeller's answer must not replace the extractive card, or None when it may.

    Names: 2+ words, at most MAX_LABEL_CHARS, no keyword pairs, not a name another persona has. Summary: one
    sentence of at most MAX_SUMMARY_CHARS that does not repeat the name. Everything: one job label per job, and no number that the evidence
    does not contain (a model must not invent figures).
    """
    problem = _name_problem(words.label, "name", evidence.keywords)
    if problem is None and words.label.strip().lower() in {t.lower() for t in taken}:
        problem = "name is already another persona's"
    if problem is None and len(words.job_labels) != len(evidence.job_labels):
        problem = f"{len(words.job_labels)} job labels for {len(evidence.job_labels)} jobs"
    for label in words.job_labels if problem is None else ():
        problem = problem or _name_problem(label, "job label", ())
    summary = words.summary.strip()
    if problem is None and not (20 <= len(summary) <= MAX_SUMMARY_CHARS):
        problem = f"summary is not 20..{MAX_SUMMARY_CHARS} characters"
    if problem is None and re.search(r"[.!?]\s+\S", summary):
        problem = "summary is more than one sentence"
    if problem is None and words.label.strip().lower() in summary.lower():
        problem = "summary names the persona (a later rename could not replace it)"
    known = set(_NUMBER.findall(json.dumps(evidence.as_json())))
    said = _NUMBER.findall(" ".join([words.label, summary, *words.job_labels]))
    invented = [n for n in said if n not in known]
    if problem is None and invented:
        problem = f"answer has numbers the evidence does not: {', '.join(invented[:3])}"
    return problem


def _with_who(label: str, who: str | None) -> str:
    """The extractive name with who the customers are ("Customers x" -> "Retail customers x") when it fits."""
    if who is None or not label.startswith("Customers "):
        return label
    named = f"{who} customers {label[len('Customers ') :]}"
    return named if len(named) <= MAX_LABEL_CHARS else label


def _relabelled(description: PersonaDescription, words: CardWords) -> PersonaDescription:
    jobs = tuple(replace(j, label=label) for j, label in zip(description.jobs, words.job_labels, strict=True))
    return replace(description, label=words.label.strip(), summary=words.summary.strip(), jobs=jobs)


def name_personas(
    descriptions: Sequence[PersonaDescription],
    ponds: Mapping[str, PondMap],
    labeller: Labeller | None = None,
) -> list[PersonaDescription]:
    """Final names: who the customers are (from the pond map) added to the extractive name, then the labeller's
    words where it answers and its answer passes `check_words`; otherwise the extractive card, logged."""
    named: list[PersonaDescription] = []
    for description in descriptions:
        who = who_from_pond(ponds[description.key]) if description.key in ponds else None
        label = _with_who(description.label, who)
        taken = {d.label for d in named}
        extractive = replace(description, label=label if label not in taken else description.label)
        if labeller is None or isinstance(labeller, ExtractiveLabeller):
            named.append(extractive)
            continue
        evidence = card_evidence(extractive, who=who)
        try:
            words = labeller.words(evidence)
            problem = check_words(evidence, words, taken=taken)
        except Exception as exc:  # any failure of an optional model keeps the extractive card
            words, problem = None, f"{type(exc).__name__}: {exc}"
        if words is None or problem is not None:
            log.warning(
                "labeller %s: persona %s keeps its extractive card (%s)",
                labeller.name,
                description.key,
                problem,
            )
            named.append(extractive)
        else:
            named.append(_relabelled(extractive, words))
    return named


SYSTEM_PROMPT = (
    "You name customer personas for a customer-experience leader. You get one persona as JSON: its current "
    "name, summary, jobs (what its customers try to get done), why they ask, what a gap costs them, and a few "
    "redacted customer quotes. Answer with JSON only: "
    '{"label": "...", "summary": "...", "jobs": ["...", ...]}. '
    "label: a readable name of at most 60 characters in plain business words, saying who they are when the "
    'typical account attribute is given and what they ask for (e.g. "Small repair shops reordering '
    'consumables"); never a pair of keywords, never a product code. summary: one sentence saying what they '
    "try to get done, why, and what a gap costs them, using only what the JSON says. jobs: one short verb "
    "phrase per job, in the same order and number as the input jobs. Never add numbers, names or facts that "
    "are not in the JSON."
)


def chat_messages(evidence: CardEvidence) -> list[dict[str, str]]:
    """The OpenAI-style chat messages that ask a model for one persona's words."""
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": json.dumps(evidence.as_json(), ensure_ascii=False)},
    ]


def parse_answer(content: str) -> CardWords:
    """A model's JSON answer as CardWords; ValueError when it is not the asked-for shape."""
    text = content.strip()
    if text.startswith("```"):
        text = text.strip("`").removeprefix("json").strip()  # a fenced JSON block
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("the answer is not a JSON object")
    label, summary, jobs = data.get("label"), data.get("summary"), data.get("jobs")
    if not isinstance(label, str) or not isinstance(summary, str) or not isinstance(jobs, list):
        raise ValueError("the answer lacks label, summary or jobs")
    if not all(isinstance(j, str) for j in jobs):
        raise ValueError("a job label is not text")
    return CardWords(label.strip(), summary.strip(), tuple(j.strip() for j in jobs))
