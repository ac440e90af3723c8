"""One customer's traces in what runs stored: their quotes and examples in personas, their map points and
ids in report data. Plain data in, plain data out: the caller loads and saves."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pipelines.text import customer_text, customer_turns
from service.personas.schemas import Example, Phrase, StoredPersona
from service.reports.schemas import ReportData


def _collapsed(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class Traces:
    """What identifies a customer's words in a stored result: their transcript ids and what they said."""

    customer_id: str
    transcript_ids: frozenset[str]
    texts: tuple[str, ...]

    def said(self, quote: str) -> bool:
        """Whether a quote is (the start of) this customer's words. Quotes are the customer's turns with
        whitespace collapsed, cut at a word with an ellipsis (pipelines.quotes.trim_quote); the same words
        said by another customer are removed too: an erasure errs on the side of removing."""
        stem = _collapsed(quote).removesuffix("…").strip()
        return bool(stem) and any(stem in text for text in self.texts)

    def owns(self, example: Example) -> bool:
        return example.transcript_id in self.transcript_ids or self.said(example.quote)


def traces_of(customer_id: str, transcripts: Iterable[tuple[int, list[dict[str, Any]]]]) -> Traces:
    """Traces from the customer's stored transcripts as (id, turns): the text runs quote from, cleaned as the
    pipeline reads it and raw, since a quote may come from either."""
    ids, texts = set(), set()
    for transcript_id, turns in transcripts:
        ids.add(str(transcript_id))
        texts.add(_collapsed(customer_text(turns)))
        texts.add(_collapsed(" ".join(customer_turns(turns))))
    return Traces(customer_id=customer_id, transcript_ids=frozenset(ids), texts=tuple(t for t in texts if t))


def _phrases(phrases: list[Phrase], traces: Traces) -> tuple[list[Phrase], int]:
    """Drop the customer's examples. A phrase is shown in one customer's wording (pipelines.phrases, up to 14
    words): one the customer said, or left with none of the examples it had, is dropped whole. Counts stay."""
    kept, removed = [], 0
    for phrase in phrases:
        examples = [e for e in phrase.examples if not traces.owns(e)]
        if traces.said(phrase.text) or (phrase.examples and not examples):
            removed += 1 + len(phrase.examples)
            continue
        removed += len(phrase.examples) - len(examples)
        kept.append(phrase.model_copy(update={"examples": examples}))
    return kept, removed


def scrub_persona(payload: Mapping[str, Any], traces: Traces) -> tuple[dict[str, Any], int]:
    """A stored persona (StoredPersona payload) without the customer's quotes and examples, validated again;
    and how many quotes and examples were removed."""
    stored = StoredPersona.model_validate(payload)
    persona = stored.persona
    quotes = [q for q in persona.quotes if not traces.said(q)]
    removed = len(persona.quotes) - len(quotes)
    jobs = []
    for job in persona.jobs:
        examples = [e for e in job.examples if not traces.owns(e)]
        removed += len(job.examples) - len(examples)
        jobs.append(job.model_copy(update={"examples": examples}))
    motivations, gone = _phrases(persona.motivations, traces)
    consequences, gone_too = _phrases(persona.consequences, traces)
    removed += gone + gone_too
    edited = persona.model_dump(by_alias=True) | {
        "quotes": quotes,
        "jobs": [j.model_dump(by_alias=True) for j in jobs],
        "motivations": [p.model_dump(by_alias=True) for p in motivations],
        "consequences": [p.model_dump(by_alias=True) for p in consequences],
    }
    scrubbed = StoredPersona(persona=type(persona).model_validate(edited), note=stored.note)
    return scrubbed.model_dump(mode="json", by_alias=True), removed


def scrub_report_data(data: Mapping[str, Any], customer_id: str) -> tuple[dict[str, Any], int]:
    """Report data without the customer's map point and id; and how many entries were removed."""
    report = ReportData.model_validate(data)
    points = [p for p in report.map.points if p.customer_id != customer_id]
    unmatched = [c for c in report.unmatched_customer_ids if c != customer_id]
    removed = len(report.map.points) - len(points) + len(report.unmatched_customer_ids) - len(unmatched)
    report.map.points, report.unmatched_customer_ids = points, unmatched
    return report.model_dump(mode="json", by_alias=True), removed
