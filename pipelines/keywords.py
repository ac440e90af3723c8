"""Class-based TF-IDF keywords and short labels for groups of texts (shared by topics and describe)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

# Support-chat filler that is frequent in every group and never names what the customer wants.
SUPPORT_STOP_WORDS = frozenset(
    """hi hello hey thanks thank please pls ok okay yes yeah sure im ive id dont don didn doesn isn wasn aren
    haven hasn won cant ll ve just like know need want help able tell way does did got get going let make
    really wondering possible guys folks team morning afternoon today quick question sorry actually
    thing things stuff bit lot asap right""".split()
)
# sklearn's list also drops words that name support topics ("top" as in top up, "bill", "call").
KEPT_WORDS = frozenset({"top", "bill", "call", "system"})
STOP_WORDS = frozenset((ENGLISH_STOP_WORDS | SUPPORT_STOP_WORDS) - KEPT_WORDS)
# Words of two or more letters starting with a letter: digits and redaction placeholders' numbers are noise.
TOKEN = re.compile(r"\b[^\W\d_][^\W_]+\b")
LABEL_SEPARATOR = " · "


def terms(text: str, *, bigrams: bool = True) -> list[str]:
    """Content words of a text, plus pairs of adjacent content words ("exchange rate", "charged twice").

    A pair is only formed by words that are next to each other in the text, so dropping stop words never
    glues unrelated words together ("twice on my account" gives no "twice account").
    """
    tokens = TOKEN.findall(text.lower())
    result = [t for t in tokens if t not in STOP_WORDS]
    if bigrams:
        result += [
            f"{a} {b}"
            for a, b in zip(tokens, tokens[1:], strict=False)
            if a not in STOP_WORDS and b not in STOP_WORDS
        ]
    return result


@dataclass(frozen=True)
class Keyword:
    """One term of a group with its c-TF-IDF score."""

    term: str
    score: float


def class_tfidf(
    groups: Sequence[Sequence[str]],
    *,
    top_n: int = 10,
    bigrams: bool = True,
) -> list[tuple[Keyword, ...]]:
    """Top c-TF-IDF terms per group, each group contrasted with all the others.

    score(t, g) = sqrt(tf(t, g)) * log(1 + A / f(t)), with tf the L1-normalised term frequency in g,
    A the mean number of terms per group and f(t) the frequency of t over all groups (BERTopic's
    c-TF-IDF with frequent-word reduction). Only terms at least as frequent in g as in the rest are
    eligible, so a word common everywhere never heads a group; ties break alphabetically.
    """
    texts = [str(text) for group in groups for text in group]
    owners = np.repeat(np.arange(len(groups)), [len(group) for group in groups])
    if not len(groups):
        return []
    vectorizer = CountVectorizer(analyzer=lambda text: terms(text, bigrams=bigrams))
    try:
        # Texts are counted one by one so that no pair spans the end of one text and the next.
        per_text = vectorizer.fit_transform(texts)
    except ValueError:  # no texts, or stop words only
        return [() for _ in groups]
    membership = sparse.csr_matrix(
        (np.ones(len(texts)), (owners, np.arange(len(texts)))), shape=(len(groups), len(texts))
    )
    counts = np.asarray((membership @ per_text).todense(), dtype=np.float64)
    vocabulary = vectorizer.get_feature_names_out()
    group_totals = counts.sum(axis=1, keepdims=True)
    tf = counts / np.maximum(group_totals, 1.0)
    term_totals = counts.sum(axis=0)
    mean_terms = float(group_totals.mean())
    idf = np.log1p(mean_terms / np.maximum(term_totals, 1.0))
    scores = np.sqrt(tf) * idf
    rest_totals = group_totals.sum() - group_totals
    rest_rate = (term_totals[None, :] - counts) / np.maximum(rest_totals, 1.0)
    # With a single group there is nothing to contrast with, so every term is eligible.
    eligible = (counts > 0) & ((tf >= rest_rate) if len(groups) > 1 else True)
    results: list[tuple[Keyword, ...]] = []
    order_by_term = np.argsort(vocabulary, kind="stable")
    for row in range(len(groups)):
        row_scores = np.where(eligible[row], scores[row], -1.0)[order_by_term]
        ranked = order_by_term[np.argsort(-row_scores, kind="stable")]
        picked = [
            Keyword(str(vocabulary[i]), float(scores[row, i])) for i in ranked[:top_n] if eligible[row, i]
        ]
        results.append(tuple(picked))
    return results


def label_from_keywords(keywords: Sequence[str], *, max_terms: int = 2, max_chars: int = 40) -> str:
    """A short human-readable label such as "card arrival · tracking" from ranked keywords.

    Reads the top few keywords: a term sharing a word with a shown one is skipped ("card" or "card
    delivered" after "card arrival"), unless it contains shown terms, which it then replaces ("rate",
    "exchange" then "exchange rate" gives "exchange rate"), freeing a slot for the next keyword.
    """
    chosen: list[str] = []
    for term in keywords[: 3 * max_terms]:
        words = set(term.split())
        contained = [shown for shown in chosen if set(shown.split()) <= words]
        overlaps = words & {w for shown in chosen for w in shown.split()}
        if not contained and (len(chosen) == max_terms or overlaps):
            continue
        kept = [shown for shown in chosen if shown not in contained]
        if kept and len(LABEL_SEPARATOR.join([*kept, term])) > max_chars:
            continue
        # The phrase takes the place of the first term it absorbs, so the strongest keyword stays first.
        position = chosen.index(contained[0]) if contained else len(chosen)
        chosen = [*kept[:position], term, *kept[position:]]
    return LABEL_SEPARATOR.join(chosen) if chosen else "misc"
