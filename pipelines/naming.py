"""A persona's name and one-sentence summary, assembled from its own jobs, motivations and consequences.

The name says what the persona's customers ask for ("Customers topping up by card") and, where the pond map shows
an attribute most of them share, who they are ("Retail customers topping up by card"). The summary says what
they try to get done, why and what a gap costs them. Neither names the persona by its label, so a name a person
gives it later is never contradicted.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from pipelines.job_phrases import JOB_VERBS
from pipelines.jobs import Job
from pipelines.phrases import RankedPhrase
from pipelines.pond import PondMap
from pipelines.wording import content_stems, gerund, third_person

MAX_LABEL_CHARS = 60
MAX_SUMMARY_CHARS = 320
# An attribute value names who a persona is when most of its customers have it and it is clearly rarer
# elsewhere: a pond entry with at least this lift and this share of the persona's customers.
WHO_MIN_LIFT = 1.5
WHO_MIN_SHARE = 0.5
_WHO_VALUE = re.compile(r"^[A-Za-z][A-Za-z &'-]{1,24}$")
_CONDITION = re.compile(r"^(?:otherwise|or else|or|if not|unless)\b\s*", re.IGNORECASE)


def who_from_pond(pond: PondMap) -> str | None:
    """The attribute value most of a persona's customers share ("Retail"), when it reads as words."""
    for entry in pond.in_pond:
        if (
            entry.lift >= WHO_MIN_LIFT
            and entry.group_share >= WHO_MIN_SHARE
            and _WHO_VALUE.match(entry.value)
        ):
            value = entry.value.strip()
            return value[:1].upper() + value[1:]
    return None


def _lowered(label: str) -> str:
    """A job label inside a sentence: first letter lower case unless the word is an acronym."""
    first = label.split(" ", 1)[0]
    return label if first.isupper() and len(first) > 1 else label[:1].lower() + label[1:]


def _doing(job: str, verbs: Collection[str]) -> str:
    """ "topping up by card" when the job starts with a verb of the persona's texts, else "who want to ..."."""
    first = job.split(" ", 1)[0].lower()
    return gerund(job) if first in verbs or first in JOB_VERBS else f"who want to {job}"


def persona_label(
    jobs: Sequence[Job],
    keywords: Sequence[str],
    *,
    who: str | None = None,
    taken: Collection[str] = (),
    verbs: Collection[str] = (),
) -> str:
    """ "<Who> customers <doing their main job>", at most MAX_LABEL_CHARS and unlike the labels taken.

    The main job is the largest one, favouring jobs whose words are among the persona's own keywords; verbs are
    the words the persona's texts use as verbs (pipelines.wording.verbs_in).
    """
    subject = f"{who} customers" if who else "Customers"
    persona_words = content_stems(" ".join(keywords[:5]))
    ranked = sorted(
        jobs, key=lambda j: (-(j.share + 0.1 * len(content_stems(j.label) & persona_words)), j.label)
    )
    candidates = [f"{subject} {_doing(_lowered(j.label), verbs)}" for j in ranked]
    readable = [k for k in keywords[:5] if not any(c.isdigit() for c in k)]
    # Two-word keywords name a topic ("card delivery") more often than single words do ("great").
    readable.sort(key=lambda k: -len(k.split()))
    candidates += [f"{subject} asking about {k}" for k in readable]
    for candidate in candidates:
        if len(candidate) <= MAX_LABEL_CHARS and candidate not in taken:
            return candidate
    fallback = f"{subject} with other requests"
    number = 2
    while fallback in taken:
        fallback, number = f"{subject} with other requests ({number})", number + 1
    return fallback


def _said(phrase: str) -> str:
    """A customer's phrase in the third person, for a sentence about them."""
    return " ".join(third_person(phrase.split()))


def _joined(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


def persona_summary(
    jobs: Sequence[Job], motivations: Sequence[RankedPhrase], consequences: Sequence[RankedPhrase]
) -> str:
    """One sentence: what they try to get done (top jobs), why (top motivation), what a gap costs them."""
    why = ""
    if motivations:
        reason = _said(motivations[0].text)
        why = (
            f", {reason}"
            if re.match(r"^(?:because|so|since|as|in order|cause|cuz)\b", reason)
            else f", as {reason}"
        )
    cost = ""
    if consequences:
        said = _said(consequences[0].text)
        condition = _CONDITION.match(said)
        cost = f"; otherwise {said[condition.end() :]}" if condition else f"; when it goes wrong: {said}"
    for n_jobs in (3, 2, 1, 0):
        what = _joined([_lowered(j.label) for j in jobs[:n_jobs]]) if n_jobs else ""
        sentence = f"They get in touch to {what}{why}{cost}." if what else f"They get in touch{why}{cost}."
        if len(sentence) <= MAX_SUMMARY_CHARS or n_jobs == 0:
            return sentence[:MAX_SUMMARY_CHARS]
    return ""
