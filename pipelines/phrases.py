"""The "why" and the "what it costs them" in customer text: motivation clauses and consequence phrases."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pipelines.keywords import STOP_WORDS

MAX_CLAUSE_WORDS = 8
# VADER valence at or below this marks a word as clearly negative ("stolen" -2.2, "failed" -2.3).
NEGATIVE_VALENCE = -1.5

# A motivation is the clause after one of these markers; each marker family is shown with one prefix.
_MOTIVATION = re.compile(
    r"\b(?:because(?: of)?|so that|so (?:i|we) can|in order to"
    r"|(?:i'?m |i am |i was |we are )?trying to"
    r"|(?:i|we) (?:really |just |urgently )?(?:need|needed|want|wanted|have|had) to"
    r"|(?:i|we)(?:'d| would) like to)\b",
    re.IGNORECASE,
)
_SEGMENT = re.compile(r"[^.?!;:,\n]+")
_CLAUSE_STOP = re.compile(r"\s+(?:but|however|although|though|and then|please|thanks|thank you)\b.*$", re.I)
# A clause made only of these ("to do", "to be", "to know what") says nothing about why.
_GENERIC = STOP_WORDS | {"do", "be", "go", "get", "know", "have", "make", "ask", "see", "said"}

# Urgency and cost-of-a-gap phrases: canonical phrase -> alternatives (whole words, case-insensitive).
CONSEQUENCE_PATTERNS: dict[str, tuple[str, ...]] = {
    "close my account": (r"(?:clos|delet|terminat)(?:e|ing) (?:my |the |our )?account",),
    "cancel": (r"cancel(?:l?ed|l?ing|lation)?",),
    "switch banks": (
        r"switch(?:ing)? (?:to )?(?:another|a different) bank",
        r"leav(?:e|ing) (?:this|your) bank",
    ),
    "still waiting": (r"(?:still|been|keep) waiting", r"waiting (?:for|on) (?:ages|weeks|days)"),
    "haven't received": (
        r"(?:haven'?t|have not|hasn'?t|has not|didn'?t|did not|never|not yet|still not|still hasn'?t)"
        r" (?:been )?(?:received?|arrived?|got|get|come|came|shown?|gone through|updated|credited)",
    ),
    "charged twice": (
        r"charged twice|twice",
        r"double[- ]charged|charged double|charged (?:two|2) times",
        r"duplicate (?:charge|payment|transaction)",
    ),
    "refund": (r"refund(?:ed|s)?", r"money back"),
    "again": (r"again",),
    "urgent": (r"urgent(?:ly)?|asap|immediately|right now|as soon as possible|emergency",),
    "lost or stolen": (r"lost|stolen|missing",),
    "unrecognised payment": (
        r"fraud\w*|scam\w*|unauthori[sz]ed",
        r"(?:don'?t|do not|didn'?t|did not) (?:recogni[sz]e|make|authori[sz]e)",
    ),
    "declined or failed": (
        r"declined|rejected|refused|failed|failing",
        r"not (?:work|going through)\w*",
        r"(?:didn'?t|did not|won'?t|will not|doesn'?t|does not) (?:work|go through)",
    ),
    "blocked": (r"blocked|locked|frozen|suspended",),
    "extra fee": (r"(?:extra|hidden|unexpected|additional) (?:fee|charge)s?", r"charged (?:a|an|me a) fee"),
    "frustrated": (
        r"frustrat\w+|annoy\w+|angry|furious|ridiculous|unacceptable",
        r"complain\w*|disappoint\w+",
    ),
}
_CONSEQUENCES = {
    name: re.compile(r"\b(?:" + "|".join(alternatives) + r")\b", re.IGNORECASE)
    for name, alternatives in CONSEQUENCE_PATTERNS.items()
}


@dataclass(frozen=True)
class RankedPhrase:
    """A phrase, how many texts carry it, and that as a share of the texts."""

    text: str
    count: int
    share: float


def _words(text: str) -> list[str]:
    """Lowercase word tokens, apostrophes kept inside words."""
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower())


def _marker_prefix(marker: str) -> str:
    """One readable prefix per marker family: because (of) / so that / to."""
    marker = marker.lower()
    if marker.startswith("because"):
        return marker
    if marker.startswith("so "):
        return "so that"
    return "to"


def motivation_clauses(text: str) -> list[str]:
    """The "why" clauses in one text, e.g. "I need to change my PIN" -> "to change my pin".

    A clause runs from its marker to the next marker or the end of the sentence part, at most
    MAX_CLAUSE_WORDS words.
    """
    found = []
    for segment in _SEGMENT.findall(text):
        markers = list(_MOTIVATION.finditer(segment))
        for index, marker in enumerate(markers):
            end = markers[index + 1].start() if index + 1 < len(markers) else len(segment)
            clause = _CLAUSE_STOP.sub("", segment[marker.end() : end]).strip()
            words = _words(clause)[:MAX_CLAUSE_WORDS]
            if any(w not in _GENERIC for w in words):
                found.append(f"{_marker_prefix(marker.group(0))} {' '.join(words)}")
    return found


def consequence_phrases(text: str) -> list[str]:
    """Urgency and cost phrases in one text: the canonical patterns plus clearly negative VADER words."""
    found = [name for name, pattern in _CONSEQUENCES.items() if pattern.search(text)]
    lexicon = _vader_lexicon()
    for word in dict.fromkeys(_words(text)):
        # A negative word a canonical pattern already names ("failed") is not counted a second time.
        if lexicon.get(word, 0.0) <= NEGATIVE_VALENCE and not any(
            p.search(word) for p in _CONSEQUENCES.values()
        ):
            found.append(word)
    return found


@lru_cache(maxsize=1)
def _vader_lexicon() -> dict[str, float]:
    """VADER's word valences (loaded once, offline, from the installed package)."""
    return dict(_analyzer().lexicon)


@lru_cache(maxsize=1)
def _analyzer() -> Any:  # vaderSentiment ships no type hints
    """The shared VADER analyser."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def sentiment(texts: Sequence[str]) -> float:
    """Mean VADER compound score over the texts, in -1..1 (0 for no texts)."""
    scores = [_analyzer().polarity_scores(t)["compound"] for t in texts if t.strip()]
    return float(sum(scores) / len(scores)) if scores else 0.0


def _dedupe_key(phrase: str) -> str:
    """Phrases with the same content words ("to change my pin" / "to change the pin now") count as one."""
    content = [w for w in phrase.split() if w not in _GENERIC]
    return " ".join(content) if content else phrase


def rank_phrases(
    per_text: Sequence[Sequence[str]], typicality: Sequence[float], *, top_n: int = 8
) -> tuple[RankedPhrase, ...]:
    """Count each phrase once per text; rank by count, then by how typical its texts are, then alphabetically.

    typicality[i] is text i's closeness to its persona's centroid, so among equally frequent phrases the
    ones said by the most representative customers come first.
    """
    texts_of: dict[str, set[int]] = defaultdict(set)
    surfaces: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for index, phrases in enumerate(per_text):
        for phrase in phrases:
            key = _dedupe_key(phrase)
            texts_of[key].add(index)
            surfaces[key][phrase] += 1
    n_texts = max(len(per_text), 1)

    def order(key: str) -> tuple[float, float, str]:
        mean_typicality = sum(typicality[i] for i in texts_of[key]) / len(texts_of[key])
        return (-len(texts_of[key]), -mean_typicality, key)

    ranked = []
    for key in sorted(texts_of, key=order)[:top_n]:
        # Show the most common wording of the group (ties: the shortest, then alphabetical).
        surface = min(surfaces[key].items(), key=lambda item: (-item[1], len(item[0]), item[0]))[0]
        ranked.append(RankedPhrase(surface, len(texts_of[key]), len(texts_of[key]) / n_texts))
    return tuple(ranked)
