"""English grammar for cards: customer sentences as job phrases ("How do I top up by card?" -> "top up by card").

Only generic grammar lives here (question forms, pronouns, verb endings), never one industry's words: a request
is turned into what the customer is trying to get done, in the third person, or into nothing when its form is
not one this module can rewrite without guessing.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from pipelines.keywords import STOP_WORDS

# Sentence parts: a question mark is kept so a part knows it was asked.
_SENTENCE = re.compile(r"[^.?!;\n]+[.?!;\n]?")
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9'&+/-]*")
_NOISE = re.compile(r"(?:https?://\S+|www\.\S+|@\w+|#[A-Za-z]\w*|\[[A-Z_ ]+\])")
_CONTRACTIONS = {
    short: long.replace("_", " ")
    for short, long in (
        pair.split(":")
        for pair in (
            "can't:can_not cannot:can_not won't:will_not i'm:i_am im:i_am i've:i_have i'd:i_would i'll:i_will "
            "we're:we_are we've:we_have we'd:we_would we'll:we_will it's:it_is what's:what_is where's:where_is "
            "how's:how_is there's:there_is that's:that_is dont:do_not cant:can_not didnt:did_not doesnt:does_not "
            "isnt:is_not havent:have_not hasnt:has_not wont:will_not "
        ).split()
    )
}
# Openers that say nothing about the request ("Hi, quick question: ...").
_OPENERS = frozenset(
    "hi hello hey yo so ok okay well um uh please thanks thank you sorry hiya greetings dear just also and "
    "quick question excuse me good morning afternoon evening there team guys folks again".split()
)
_FIRST_PERSON = {
    "i": "they",
    "me": "them",
    "my": "their",
    "mine": "theirs",
    "myself": "themselves",
    "we": "they",
    "us": "them",
    "our": "their",
    "ours": "theirs",
    "ourselves": "themselves",
    "am": "are",
    # The company the customer writes to is "we" to the reader of a card.
    "you": "we",
    "your": "our",
    "yours": "ours",
}
_IRREGULAR_PAST = dict(
    pair.split(":")
    for pair in (
        "be:was become:became begin:began break:broke bring:brought buy:bought choose:chose come:came "
        "cost:cost cut:cut do:did draw:drew drive:drove eat:ate fall:fell feel:felt find:found fly:flew "
        "forget:forgot get:got give:gave go:went have:had hear:heard hold:held keep:kept know:knew leave:left "
        "lend:lent let:let lose:lost make:made mean:meant meet:met pay:paid put:put read:read ring:rang "
        "run:ran say:said see:saw sell:sold send:sent set:set show:showed shut:shut sit:sat spend:spent "
        "stand:stood steal:stole take:took tell:told think:thought throw:threw understand:understood "
        "wear:wore win:won withdraw:withdrew write:wrote "
    ).split()
)
_VOWELS = frozenset("aeiou")
# Words whose 's, 'll, 've, 're and 'd are verbs ("it's" = "it is"), not possessives ("card's").
_CONTRACTING = frozenset("i we you it they he she there that what where who how".split())
_WORD = re.compile(r"[a-z][a-z'-]+")


@dataclass(frozen=True)
class Clause:
    """One sentence part: its words (original spelling, contractions expanded) and whether it was a question."""

    words: tuple[str, ...]
    question: bool

    @property
    def lower(self) -> tuple[str, ...]:
        return tuple(w.lower() for w in self.words)


def _expand(token: str) -> list[str]:
    """Contractions as two words ("can't" -> "can not", "hasn't" -> "has not"); curly quotes straightened."""
    token = token.replace("\u2019", "'").replace("\u2018", "'")
    low = token.lower()
    if low in _CONTRACTIONS:
        return _CONTRACTIONS[low].split()
    if low.endswith("n't"):
        return [token[:-3], "not"]
    if low.endswith(("'s", "'ll", "'ve", "'re", "'d")) and low.split("'")[0] in _CONTRACTING:
        return [
            token.split("'")[0],
            {"s": "is", "ll": "will", "ve": "have", "re": "are", "d": "would"}[low.split("'")[1]],
        ]
    return [token]


def clauses(text: str) -> list[Clause]:
    """The sentence parts of a text, mentions, links and redaction placeholders removed."""
    text = _NOISE.sub(" ", text.replace("\u2019", "'"))
    found = []
    for sentence in _SENTENCE.findall(text):
        words = [part for token in _TOKEN.findall(sentence) for part in _expand(token.strip("'-/"))]
        words = [w for w in words if w]
        if words:
            found.append(Clause(tuple(words), sentence.rstrip().endswith("?")))
    return found


def strip_openers(words: list[str]) -> list[str]:
    """Drop greetings and fillers at the start ("Hi there, so ...")."""
    start = 0
    while start < len(words) and words[start].lower() in _OPENERS:
        start += 1
    return words[start:]


def third_person(words: list[str]) -> list[str]:
    """The customer's words about themselves as a reader's words about them ("my card" -> "their card")."""
    result: list[str] = []
    for i, word in enumerate(words):
        low = word.lower()
        if low == "was" and i and result[-1] == "they":
            result.append("were")
        elif low in _FIRST_PERSON and (low != "am" or (i and result[-1] == "they")):
            result.append(_FIRST_PERSON[low])
        else:
            # Acronyms and brand spellings keep their case ("SWIFT", "ATMs", "PayPal"); sentence capitals go.
            result.append(word if any(c.isupper() for c in word[1:]) else low)
    return result


def third_singular(verb: str) -> str:
    """The -s form of a verb ("take" -> "takes", "fly" -> "flies", "have" -> "has")."""
    low = verb.lower()
    if low == "have":
        return "has"
    if low == "be":
        return "is"
    if low.endswith(("s", "sh", "ch", "x", "z", "o")):
        return low + "es"
    if low.endswith("y") and len(low) > 1 and low[-2] not in _VOWELS:
        return low[:-1] + "ies"
    return low + "s"


def past(verb: str) -> str:
    """The past tense of a verb: the common irregular ones, else the regular -ed ending."""
    low = verb.lower()
    if low in _IRREGULAR_PAST:
        return _IRREGULAR_PAST[low]
    if low.endswith("e"):
        return low + "d"
    if low.endswith("y") and len(low) > 1 and low[-2] not in _VOWELS:
        return low[:-1] + "ied"
    return low + "ed"


def gerund(phrase: str) -> str:
    """A verb phrase with its first verb in -ing form ("top up by card" -> "topping up by card")."""
    first, _, rest = phrase.partition(" ")
    low = first.lower()
    if low.endswith("ie"):
        verb = low[:-2] + "ying"
    elif low.endswith("e") and low not in {"be", "see", "agree", "free"} and not low.endswith("ee"):
        verb = low[:-1] + "ing"
    elif (
        len(low) <= 4
        and len(low) >= 3
        and low[-1] not in _VOWELS | {"w", "x", "y"}
        and low[-2] in _VOWELS
        and low[-3] not in _VOWELS
    ):
        verb = low + low[-1] + "ing"  # one-syllable consonant-vowel-consonant: stop -> stopping
    else:
        verb = low + "ing"
    return f"{verb} {rest}".strip()


def stem(word: str) -> str:
    """A crude stem so "top-ups", "topping up" and "top up" share their words ("top", "up")."""
    word = word.lower().strip("'-")
    for ending in ("ing", "ed", "es", "s"):
        shortest = 2 if ending == "s" else 3
        if (
            word.endswith(ending)
            and len(word) - len(ending) >= shortest
            and not word.endswith(("ss", "us", "is"))
        ):
            word = word[: -len(ending)]
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiousl":
        word = word[:-1]  # "topp(ing)" -> "top"
    return word


def content_stems(text: str) -> frozenset[str]:
    """The stems of a text's content words (stop words left out); hyphenated words count part by part."""
    words = [part for w in _WORD.findall(text.lower()) for part in w.split("-") if part]
    stems = (stem(w) for w in words if w not in STOP_WORDS and len(w) > 1)
    return frozenset(s for s in stems if s not in STOP_WORDS)


_BEFORE_VERB = frozenset("to i we you they can could will would should please not cannot".split())
_BEFORE_NOUN = frozenset("a an the my your our their this that these those his her its some any".split())


def verbs_in(texts: Sequence[str]) -> frozenset[str]:
    """Words these texts use as verbs: seen after "to", a subject or a modal more often than after a determiner
    (in a bank's chats "top" is a verb, "auto" is not)."""
    as_verb: Counter[str] = Counter()
    as_noun: Counter[str] = Counter()
    for text in texts:
        words = _WORD.findall(text.lower())
        for before, word in zip(words, words[1:], strict=False):
            if before in _BEFORE_VERB:
                as_verb[word] += 1
            elif before in _BEFORE_NOUN:
                as_noun[word] += 1
    return frozenset(w for w, n in as_verb.items() if n > as_noun[w])
