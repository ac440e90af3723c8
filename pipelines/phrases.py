"""The "why" and the "what a gap costs them" in customer text: phrases in the customers' own words.

Both are found by generic English cues, never by a list of one industry's phrases. A motivation is the clause a
reason word opens ("because ...", "so that ...", "so I can ...", "in order to ...") or a deadline ("by Friday").
A consequence is a statement (never a question) that says what a gap costs: a condition ("otherwise ...", "or
else ...", "if not ..."), something still or again going wrong ("still pending", "charged twice again"), an
action that did not happen ("hasn't arrived", "can't pay"), or a word of loss, delay or urgency ("late", "lose
the job", "urgent") that is not negated ("no rush" is not urgency). Phrases are grouped by their cue and the
word it bears on, counted once per transcript, and shown with one or two of the transcripts that say them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pipelines.keywords import STOP_WORDS
from pipelines.quotes import Example, trim_quote
from pipelines.wording import content_stems, stem

MAX_PHRASE_WORDS = 14
# A phrase around a cue starts at its subject and stops before the next reason or new clause.
# ("that" is left out: it opens relative clauses, "a payment that I don't recognise", more often than it is one.)
_SUBJECTS = frozenset("i we my our it they their this these he she you your".split())
_ARTICLES = frozenset({"the", "a", "an"})
_PHRASE_STOPS = frozenset("and because so since which while when who".split())
# VADER valence at or below this marks a word as clearly negative ("stolen" -2.2, "failed" -2.3).
NEGATIVE_VALENCE = -1.5
_SENTENCE = re.compile(r"[^.?!;\n]+[.?!;\n]?")
_CLAUSE_BREAK = re.compile(r"\s*[,:()]\s*|\s+(?:but|however|although|though|and then)\s+", re.IGNORECASE)
_TOKEN = re.compile(r"[A-Za-z0-9$£€]+(?:[.,/%-][A-Za-z0-9]+)*(?:['\u2019][A-Za-z]+)*%?")
_NOISE = re.compile(r"(?:https?://\S+|www\.\S+|@\w+|#[A-Za-z]\w*|\[[A-Z_ ]+\])")
_OPENERS = frozenset("hi hello hey yo so ok okay well um uh please and also just then oh".split())
# Negations of a verb ("hasn't arrived"): a gap of their own. "No" only cancels a gap word ("no rush").
_NEGATORS = frozenset("not never cannot cant dont didnt doesnt isnt wasnt havent hasnt wont couldnt".split())
_CANCELLERS = _NEGATORS | {"no", "without", "nothing", "nobody", "neither", "nor"}
# Words a customer uses when they do not know something: a question in disguise, not a cost.
_UNSURE = frozenset({"know", "sure", "understand", "think", "mind", "care", "see", "remember", "recall"})
_REASONS = re.compile(
    r"\b(?:because(?: of)?|'?cause|cuz|so that|so (?:i|we|they) (?:can|could)|in order to|so as to"
    r"|since (?:i|we|my|our|it|they|the)|as (?:i|we) (?:am|are|have|need|will|was|were)"
    r"|(?:i|we) need (?:it|them|this|these|that) (?:for|by|before|so|to))\b",
    re.IGNORECASE,
)
_DEADLINE = re.compile(
    r"\b(?:by|before|until) (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|tonight|noon"
    r"|the end of|end of|next|this (?:week|month|afternoon|evening))\b",
    re.IGNORECASE,
)
_CONDITIONS = re.compile(r"^(?:or (?:i|we|they)\b)|\b(?:otherwise|or else|if not|unless)\b", re.I)
# Generic words of a gap: persistence, loss, delay, failure, leaving, urgency (negated ones are no gap).
_GAP_WORDS = frozenset(
    """still again twice lose lost losing late later delay delayed delays stuck down wrong missing failed
    fails failing declined rejected waiting wait waited cancel cancelled canceled cancelling close closing
    leave leaving switch switching waste wasted damaged broken behind overdue urgent urgently asap emergency
    rush immediately unable""".split()
)


# Days and times: "by Friday" and "by Monday" give the same reason.
_WHEN = frozenset(
    stem(w)
    for w in "monday tuesday wednesday thursday friday saturday sunday tomorrow tonight today noon week weekend "
    "month morning afternoon evening next end".split()
)
_ADVERB_CUES = frozenset({"twice", "again", "late", "later", "down", "behind", "immediately", "urgently"})


@dataclass(frozen=True)
class RankedPhrase:
    """A phrase in the customers' words, how many texts carry it, their share, and texts that say it."""

    text: str
    count: int
    share: float
    examples: tuple[Example, ...] = ()


@dataclass(frozen=True)
class FoundPhrase:
    """A phrase found in one text: what groups it with the same thing said in other words, and its sentence."""

    key: str
    text: str
    sentence: str


@dataclass(frozen=True)
class _Clause:
    tokens: list[str]
    sentence: str
    question: bool


def _clauses(text: str) -> list[_Clause]:
    """Clauses of a text (mentions, links and redaction placeholders removed), each knowing its sentence."""
    found = []
    for sentence in _SENTENCE.findall(_NOISE.sub(" ", text)):
        question = sentence.rstrip().endswith("?")
        for part in _CLAUSE_BREAK.split(sentence):
            tokens = _TOKEN.findall(part)
            while tokens and tokens[0].lower() in _OPENERS:
                tokens = tokens[1:]
            if tokens:
                found.append(_Clause(tokens, " ".join(sentence.split()), question))
    return found


def _negated(token: str) -> bool:
    """A negation of a verb: not, never, can't, hasn't, dont ..."""
    low = token.lower().replace("\u2019", "'")
    return low in _NEGATORS or low.endswith("n't")


def _window(tokens: Sequence[str], position: int) -> tuple[int, int]:
    """The words around a cue that make a phrase: from the subject before it to the next reason or "and"."""
    start = max(0, position - 5)
    if start:  # a long clause: start at its first subject near the cue, a pronoun before an article
        subjects = [i for i in range(start, position) if tokens[i].lower() in _SUBJECTS]
        articles = [i for i in range(start, position) if tokens[i].lower() in _ARTICLES]
        start = (subjects or articles or [start])[0]
    end = min(len(tokens), position + 10)
    stops = [i for i in range(position + 1, end) if tokens[i].lower() in _PHRASE_STOPS]
    return start, stops[0] if stops else end


def _content(tokens: Sequence[str]) -> list[str]:
    return [stem(t) for t in tokens if t.lower().replace("\u2019", "'") not in STOP_WORDS and t.isalpha()]


def _start_of(joined: str, position: int) -> int:
    """Token index of a character position in the space-joined tokens."""
    return len(joined[:position].split())


def _phrase(tokens: Sequence[str], start: int, end: int) -> str | None:
    """tokens[start:end] as a phrase of at least two words with a content word, or None."""
    words = list(tokens[start : min(end, start + MAX_PHRASE_WORDS)])
    if len(words) < 2 or not _content(words):
        return None
    return " ".join(words)


def motivation_phrases(text: str) -> list[FoundPhrase]:
    """Why the customer asks, in their words: "because my old card expired", "so I can pay rent", "by Friday"."""
    found = []
    for clause in _clauses(text):
        joined = " ".join(clause.tokens)
        reason = _REASONS.search(joined)
        if reason:
            start = _start_of(joined, reason.start())
            phrase = _phrase(clause.tokens, start, len(clause.tokens))
            body = _content(clause.tokens[_start_of(joined, reason.end()) :])
        elif not clause.question and _DEADLINE.search(joined):
            phrase, body = _phrase(clause.tokens, 0, len(clause.tokens)), _content(clause.tokens)
        else:
            continue
        if phrase and body:
            key = [w for w in body if w not in _WHEN][:3]
            found.append(FoundPhrase("why:" + " ".join(key), phrase, clause.sentence))
    return found


@lru_cache(maxsize=1)
def _vader_lexicon() -> dict[str, float]:
    """VADER's word valences (loaded once, offline, from the installed package)."""
    return dict(_analyzer().lexicon)


def _gap_word(token: str) -> bool:
    """A word of loss, delay, failure or urgency, or a clearly negative word of four letters or more."""
    low = token.lower()
    return low in _GAP_WORDS or (len(low) >= 4 and _vader_lexicon().get(low, 0.0) <= NEGATIVE_VALENCE)


def _gap_cue(tokens: Sequence[str]) -> tuple[int, str] | None:
    """(position, key) of the first gap cue of a statement's clause, or None.

    A negation before a word of a gap cancels it ("no rush", "not a problem"); a negation before anything else
    is a gap of its own ("hasn't arrived", "can't pay"), unless it only says the customer is unsure.
    """
    for i, token in enumerate(tokens):
        if _negated(token):
            following = _content(tokens[i + 1 : i + 3])
            nxt = next((t for t in tokens[i + 1 : i + 3] if t.isalpha()), "")
            if (
                not following
                or nxt.lower() in _UNSURE
                or _gap_word(nxt)
                or any(map(_gap_word, tokens[i + 1 : i + 3]))
            ):
                continue
            return i, f"not {following[0]}"
        if _gap_word(token) and not any(t.lower() in _CANCELLERS for t in tokens[max(0, i - 2) : i]):
            before, after = _content(tokens[max(0, i - 2) : i])[-1:], _content(tokens[i + 1 : i + 3])
            # Adverbs bear on the verb before them ("charged twice"), other cues on what follows ("lose the job").
            near = (before or after) if token.lower() in _ADVERB_CUES else (after or before)
            return i, f"{stem(token)} {near[0] if near else ''}".strip()
    return None


def consequence_phrases(text: str) -> list[FoundPhrase]:
    """What a gap costs the customer, in their words: "otherwise I lose the job", "still hasn't arrived"."""
    found = []
    for clause in _clauses(text):
        if clause.question:
            continue
        tokens, joined = clause.tokens, " ".join(clause.tokens)
        condition = _CONDITIONS.search(joined)
        if condition:
            start = _start_of(joined, condition.start())
            body = _content(tokens[_start_of(joined, condition.end()) :])
            phrase = _phrase(tokens, start, len(tokens))
            if phrase and body:
                found.append(FoundPhrase("if-not:" + " ".join(body[:2]), phrase, clause.sentence))
            continue
        cue = _gap_cue(tokens)
        if cue is not None:
            position, key = cue
            phrase = _phrase(tokens, *_window(tokens, position))
            if phrase:
                found.append(FoundPhrase("gap:" + key, phrase, clause.sentence))
    return found


@lru_cache(maxsize=1)
def _analyzer() -> Any:  # vaderSentiment ships no type hints
    """The shared VADER analyser."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def sentiment(texts: Sequence[str]) -> float:
    """Mean VADER compound score over the texts, in -1..1 (0 for no texts)."""
    scores = [_analyzer().polarity_scores(t)["compound"] for t in texts if t.strip()]
    return float(sum(scores) / len(scores)) if scores else 0.0


def _shown(surfaces: Sequence[tuple[str, float]]) -> str:
    """The wording a group is shown by: the most said, then the one whose words most of the group use (so a
    typo or one customer's detail is not what the card shows), then the one from the most typical text."""
    said: dict[str, int] = defaultdict(int)
    used: dict[str, int] = defaultdict(int)
    for surface, _ in surfaces:
        said[surface.lower()] += 1
        for word in content_stems(surface):
            used[word] += 1

    def shared(surface: str) -> float:
        words = content_stems(surface)
        return sum(used[w] for w in words) / (len(words) + 1) if words else 0.0

    best = max(
        surfaces,
        key=lambda s: (said[s[0].lower()], 3 <= len(s[0].split()) <= 10, round(shared(s[0]), 6), s[1], s[0]),
    )
    return best[0]


def rank_phrases(
    per_text: Sequence[Sequence[FoundPhrase]],
    typicality: Sequence[float],
    ids: Sequence[str] = (),
    *,
    top_n: int = 8,
    n_examples: int = 2,
) -> tuple[RankedPhrase, ...]:
    """Count each group of phrases once per text; rank by count, then by how typical its texts are.

    typicality[i] is text i's closeness to its persona's centroid, so among equally frequent phrases the ones
    said by the most representative customers come first. Examples are the group's most typical texts.
    """
    texts_of: dict[str, dict[int, FoundPhrase]] = defaultdict(dict)
    for index, phrases in enumerate(per_text):
        for phrase in phrases:
            texts_of[phrase.key].setdefault(index, phrase)
    n_texts = max(len(per_text), 1)

    def order(key: str) -> tuple[float, float, str]:
        rows = texts_of[key]
        return (-len(rows), -sum(typicality[i] for i in rows) / len(rows), key)

    ranked = []
    for key in sorted(texts_of, key=order)[:top_n]:
        rows = texts_of[key]
        shown = _shown([(p.text, typicality[i]) for i, p in rows.items()])
        typical = sorted(rows, key=lambda i: (-typicality[i], i))[:n_examples]
        examples = tuple(Example(ids[i], trim_quote(rows[i].sentence)) for i in typical) if ids else ()
        ranked.append(RankedPhrase(shown, len(rows), len(rows) / n_texts, examples))
    return tuple(ranked)
