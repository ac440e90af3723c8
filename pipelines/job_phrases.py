"""Requests as jobs: "How do I top up by card?" -> "top up by card", "Why did my top-up fail?" -> "find out why
their top-up failed".

Only generic English grammar (question forms, auxiliaries, subjects): a request whose form cannot be rewritten
without guessing gives no phrase, and a job is then named from its other requests.
"""

from __future__ import annotations

import re

from pipelines.wording import Clause, past, strip_openers, third_person, third_singular

_BE = frozenset({"is", "are", "was", "were", "am"})
_MODALS = frozenset({"can", "could", "will", "would", "should", "may", "might", "must", "shall"})
_DO = frozenset({"do", "does", "did"})
_HAVE = frozenset({"has", "have", "had"})
_AUX = _BE | _MODALS | _DO | _HAVE
_WH = frozenset({"what", "where", "when", "why", "how", "which", "who", "whom", "whose"})
_DETERMINERS = frozenset(
    "my our your the a an this that these those his her its their some any every each no all".split()
)
_PRONOUNS = frozenset(
    "i we you it they he she there someone somebody anyone anybody everyone this that".split()
)
# Words that end a noun phrase: function words, negation and common adverbs.
_PHRASE_END = (
    frozenset(
        "to of in on at for from with by about into over under after before since until as than if when while "
        "because so but and or not never still already yet just also even only really again always ever now "
        "then there here very too more most much many be been being get got".split()
    )
    | _AUX
    | _DETERMINERS
    | _WH
)
# A word after "did my top" is part of the noun ("top up"), not the verb.
_PARTICLES = frozenset({"up", "down", "out", "off", "back", "in", "on", "over"})
# Verbs whose first object is the customer ("send me the form"): the job is getting the second object.
_GIVING = frozenset("send give get email mail show provide forward text find tell quote issue resend".split())
_KNOWING = frozenset({"know", "ask", "understand", "learn", "check", "confirm", "see", "find"})


def _subject_end(words: list[str], start: int) -> int:
    """Where the noun phrase starting at `start` ends: a pronoun alone, or a determiner and up to three words."""
    if start >= len(words):
        return start
    first = words[start].lower()
    following = words[start + 1].lower() if start + 1 < len(words) else ""
    # "this"/"that" stand alone ("is this free") or lead a noun ("does this app ..."): a pronoun only alone.
    if first in _PRONOUNS and not (first in _DETERMINERS and following and following not in _PHRASE_END):
        return start + 1
    if words[start].lower() not in _DETERMINERS:
        end = start
    else:
        end = start + 1
    limit = end + 3
    while end < len(words) and end < limit and words[end].lower() not in _PHRASE_END:
        if end > start + 1 and words[end].lower().endswith(("ing", "ed")):
            break
        end += 1
    return end


def _to_verb_phrase(words: list[str]) -> list[str] | None:
    """A request's object as a job: knowing verbs become "find out", giving verbs with "me" become "get"."""
    low = [w.lower() for w in words]
    if not words:
        return None
    if low[0] in {"tell", "show", "explain", "let"}:
        rest = words[1:]
        while rest and rest[0].lower() in {"me", "us", "know", "to"}:
            rest = rest[1:]
        return ["find", "out", *rest] if rest else None
    if low[0] == "help":
        rest = words[1:]
        if rest and rest[0].lower() in {"me", "us"}:
            rest = rest[1:]
        if rest and rest[0].lower() == "with":
            return ["get", "help", *rest]
        return rest[1:] if rest and rest[0].lower() == "to" else rest or None
    if low[0] in _GIVING and len(low) > 2 and low[1] in {"me", "us"}:
        return ["get", *words[2:]]
    if low[0] in _KNOWING - {"check", "see", "confirm", "ask"}:
        rest = words[2:] if low[0] == "find" and len(low) > 1 and low[1] == "out" else words[1:]
        return ["find", "out", *rest] if rest else None
    return words


def _wh_phrase_end(low: list[str]) -> int:
    """Where the question word phrase ends: "how long", "which card", "what fee" ... up to the auxiliary."""
    end = 1
    while end < len(low) and end <= 2 and low[end] not in _AUX:
        end += 1
    return end if end < len(low) and low[end] in _AUX else 1


def _do_declarative(words: list[str], aux_at: int) -> list[str] | None:
    """ "does this app take X" -> "this app takes X"; None where the verb cannot be told from the subject."""
    aux, start = words[aux_at].lower(), aux_at + 1
    if start >= len(words):
        return None
    # The subject is a pronoun or a determiner and one word; anything longer is left alone (no guessing).
    end = start + 1 if words[start].lower() in _PRONOUNS - _DETERMINERS else start + 2
    if end >= len(words):
        return None
    verb = words[end].lower()
    if verb == "not":
        return [*words[start:end], aux, *words[end:]]
    if verb in _PHRASE_END | _PARTICLES or verb.endswith("s"):
        return None
    verb = third_singular(verb) if aux == "does" else past(verb) if aux == "did" else verb
    return [*words[start:end], verb, *words[end + 1 :]]


def _declarative(words: list[str], aux_at: int, *, wh: bool) -> list[str] | None:
    """Undo the question order after the auxiliary at aux_at: "is my card valid" -> "my card is valid"."""
    aux, start = words[aux_at].lower(), aux_at + 1
    if aux in _DO:
        return _do_declarative(words, aux_at)
    end = _subject_end(words, start)
    if end == start:
        return None
    subject, rest = words[start:end], words[end:]
    if rest:
        return [*subject, aux, *rest]
    if aux not in _BE:
        return None
    if wh or len(subject) < 2:
        return [*subject, aux]  # "where is my card" -> "where my card is"
    return [*subject[:-1], aux, subject[-1]]  # "is this free" -> "this is free"


def _question(words: list[str]) -> list[str] | None:
    """Wh-questions as "find out ...", yes/no questions as "check whether ..."."""
    low = [w.lower() for w in words]
    if low[0] in _WH:
        if low[1] in {"if", "about", "else", "not"}:
            return None  # "what if ...", "what about ...": no job can be read from the form
        end = _wh_phrase_end(low)
        if end == len(low) or low[end] not in _AUX:
            return ["find", "out", *words]  # the question word is the subject: "what happened to my money"
        after = low[end + 1] if end + 1 < len(low) else ""
        if (low[0] in {"what", "which", "who"} or end > 1) and after not in _DETERMINERS | _PRONOUNS:
            return ["find", "out", *words]  # "how many ATMs will take it": the question phrase is the subject
        body = _declarative(words, end, wh=True)
        return ["find", "out", *words[:end], *body] if body else None
    if low[0] in _AUX and len(low) > 2:
        body = _declarative(words, 0, wh=False)
        return ["check", "whether", *body] if body and len(body) > 2 else None
    return None


# The verbs this module opens jobs with (they are verbs whatever the texts say).
JOB_VERBS = frozenset({"find", "check", "get", "report", "ask"})
# Words at the end of a request that are not part of the job ("... pls", "... asap").
_TRAILING = frozenset("please pls plz thanks thank thx you asap again now then today anyway".split())
# A job ends where a reason or another clause begins ("get a refund | because the shop charged me twice").
_CLAUSE_WORDS = frozenset("because so since but although though as if when while or until unless and".split())
_WANTING = re.compile(
    r"^(?:i|we) (?:really |just |urgently |also |still )?"
    r"(?:would like|want|wanna|wanted|need|needed|have|had|am trying|are trying|was trying|tried"
    r"|am looking|are looking|hope|wish|plan|am planning|are planning|intend|am hoping|would love) to "
)
_ASKING = re.compile(
    r"^(?:(?:can|could|would|will) you (?:please |kindly )?"
    r"|how (?:do|can|could|should|would|will|shall) (?:i|we) |how to "
    r"|(?:can|could|may|should|shall) (?:i|we) (?:please )?|(?:am|are) (?:i|we) able to "
    r"|is (?:it|there) (?:possible|a way|any way|anyway) (?:for (?:me|us) )?to |please )"
)
_NEEDING = re.compile(
    r"^(?:i|we) (?:really |just |urgently |also |still )?(?:need|want|would like) (?=(?:a|an|the|my|our|some|another|new|more) )"
)
_REPORTING = re.compile(r"^(?:i|we|my|our)\b.*\b(?:not|never|no longer|was|were|been|got|still)\b")


def _job_words(clause: Clause) -> list[str] | None:
    """The clause rewritten as a verb phrase in the customer's own words, or None."""
    words = strip_openers(list(clause.words))
    if len(words) < 2:
        return None
    text = " ".join(w.lower() for w in words) + " "
    for pattern in (_WANTING, _ASKING):
        match = pattern.match(text)
        if match:
            return _to_verb_phrase(words[len(match.group(0).split()) :])
    match = _NEEDING.match(text)
    if match:
        return ["get", *words[len(match.group(0).split()) :]]
    if clause.question:
        return _question(words)
    if _REPORTING.match(text) and len(words) <= 12:
        return ["report", "that", *words]
    return None


def job_phrase(clause: Clause, *, max_chars: int = 60) -> str | None:
    """What the customer is trying to get done, as a short verb phrase in the third person, or None.

    "How do I top up by card?" -> "top up by card"; "Why did my top-up fail?" -> "find out why their top-up
    failed"; "Does this app take SWIFT transfers?" -> "check whether this app takes SWIFT transfers". Phrases
    with digits (order numbers, product codes) or longer than max_chars are not jobs.
    """
    words = _job_words(clause)
    if not words or len(words) < 2:
        return None
    cut = next((i for i, w in enumerate(words) if i > 1 and w.lower() in _CLAUSE_WORDS), len(words))
    phrase = third_person(words[:cut])
    while phrase and phrase[-1] in _TRAILING:
        phrase = phrase[:-1]
    text = " ".join(phrase)
    if len(phrase) < 2 or len(text) > max_chars or any(ch.isdigit() for ch in text):
        return None
    return text
