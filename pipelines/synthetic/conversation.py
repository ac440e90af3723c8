"""Composes one synthetic support conversation (turns and tags) from a persona's phrases."""

from __future__ import annotations

import random
from collections.abc import Sequence

import pipelines.synthetic.dialogue as dialogue
import pipelines.synthetic.slots as slots
from pipelines.synthetic.personas import PersonaPhrases, PersonaSpec
from pipelines.synthetic.phrases import GENERIC_INTENTS
from pipelines.synthetic.slots import pick

OFF_PERSONA_RATE = 0.15
CONTACT_SHARE_RATE = 0.02  # a few customers type a phone number or email, which ingest must redact
DETAILS = (
    "It's {order}.",
    "The PO is {po}.",
    "Ship to {site}.",
    "We'd need {qty}.",
    "It's the {product}.",
    "Same as on {order}.",
    "Invoice {invoice} I think.",
    "It's for {site}.",
    "About {qty}.",
)
CALL_FILLERS = ("Um, ", "Uh, ", "So ", "Yeah, so ", "Okay so ", "Right, ")


def _pick_intent(
    rng: random.Random, own: PersonaPhrases, others: Sequence[PersonaPhrases]
) -> tuple[str, tuple[str, ...]]:
    """An intent tag and its phrasings: mostly the persona's own, sometimes anyone's."""
    if rng.random() < OFF_PERSONA_RATE:
        pool = GENERIC_INTENTS if rng.random() < 0.5 or not others else pick(rng, others).intents
    else:
        pool = own.intents
    tag = pick(rng, tuple(pool))
    return tag, pool[tag]


def _continue(text: str) -> str:
    """Lower-case a sentence start that now follows a comma or filler, but keep "I'd" and "EP-200"."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def _say(rng: random.Random, template: str, spec: PersonaSpec) -> str:
    return slots.render(template, rng, spec.quantity_scale)


def _opening_turn(
    rng: random.Random, spec: PersonaSpec, own: PersonaPhrases, phrasings: tuple[str, ...]
) -> str:
    parts = []
    opener = (
        pick(rng, own.openers)
        if own.openers and rng.random() < 0.25
        else pick(rng, dialogue.CUSTOMER_OPENERS)
    )
    if opener:
        parts.append(_say(rng, opener, spec))
    ask = _say(rng, pick(rng, phrasings), spec)
    parts.append(_continue(ask) if opener.endswith(",") else ask)
    if rng.random() < 0.45:
        parts.append(_say(rng, pick(rng, own.motivations), spec))
    if rng.random() < spec.consequence_rate / 2:
        parts.append(_say(rng, pick(rng, own.consequences), spec))
    return " ".join(parts)


def _follow_up_turn(
    rng: random.Random,
    spec: PersonaSpec,
    own: PersonaPhrases,
    others: Sequence[PersonaPhrases],
    tags: list[str],
) -> str:
    roll = rng.random()
    if roll < spec.consequence_rate * 0.6:
        return _say(rng, pick(rng, own.consequences), spec)
    roll = rng.random()
    if roll < 0.35:
        tag, phrasings = _pick_intent(rng, own, others)
        tags.append(tag)
        ask = _say(rng, pick(rng, phrasings), spec)
        return "Also, " + _continue(ask) if rng.random() < 0.3 else ask
    if roll < 0.5:
        return _say(rng, pick(rng, own.motivations), spec)
    if roll < 0.75:
        return _say(rng, pick(rng, DETAILS), spec)
    return pick(rng, dialogue.CUSTOMER_ACKS)


def _closer(rng: random.Random, spec: PersonaSpec, escalated: bool) -> str:
    pos, neu, neg = spec.closer_mood
    if escalated:
        pos, neg = pos / 2, neg + pos / 2
    mood = rng.choices(("positive", "neutral", "negative"), weights=(pos, neu, neg))[0]
    return pick(rng, dialogue.CLOSERS[mood])


def _roughen(rng: random.Random, text: str, channel: str) -> str:
    """Chat typing habits and call speech fillers, so wording is not always clean."""
    if channel == "chat":
        if rng.random() < 0.2:
            text = text.lower()
        if rng.random() < 0.15 and text.endswith("."):
            text = text[:-1]
        if rng.random() < 0.3:
            text = text.replace("please", "pls").replace("Thanks", "thx")
    elif channel == "call" and rng.random() < 0.2:
        text = pick(rng, CALL_FILLERS) + _continue(text)
    return text


def _customer_texts(
    rng: random.Random,
    spec: PersonaSpec,
    own: PersonaPhrases,
    others: Sequence[PersonaPhrases],
    n_turns: int,
    escalated: bool,
) -> tuple[list[str], list[str]]:
    """The customer's side of the conversation and the intent tags it covers."""
    tag, phrasings = _pick_intent(rng, own, others)
    tags = [tag]
    texts = [_opening_turn(rng, spec, own, phrasings)]
    for i in range(1, n_turns):
        last = i == n_turns - 1
        texts.append(
            _closer(rng, spec, escalated)
            if last and rng.random() < 0.7
            else _follow_up_turn(rng, spec, own, others, tags)
        )
    if rng.random() < CONTACT_SHARE_RATE:
        texts[0] += " " + _say(rng, pick(rng, dialogue.CONTACT_SHARES), spec)
    return texts, tags


def _agent_reply(rng: random.Random, escalate_now: bool, last: bool) -> str:
    if escalate_now:
        return pick(rng, dialogue.AGENT_ESCALATIONS)
    if last:
        return f"{pick(rng, dialogue.AGENT_MIDDLES)} {pick(rng, dialogue.AGENT_CLOSERS)}"
    return pick(rng, dialogue.AGENT_MIDDLES)


def _email_body(rng: random.Random, text: str) -> str:
    greeting = pick(rng, dialogue.EMAIL_GREETINGS)
    signoff = pick(rng, dialogue.EMAIL_SIGNOFFS)
    return f"{greeting}\n\n{text}\n\n{signoff}\n{pick(rng, slots.FIRST_NAMES)}"


def compose_conversation(
    rng: random.Random,
    spec: PersonaSpec,
    own: PersonaPhrases,
    others: Sequence[PersonaPhrases],
    channel: str,
    escalated: bool,
) -> tuple[list[dict[str, str]], list[str]]:
    """Turns ({speaker, text}) of one contact and the intent tags the customer raised."""
    low, high = spec.customer_turns
    if channel == "email":
        n_customer = 2 if rng.random() < 0.25 else 1
    else:
        n_customer = rng.randint(low, high) + (rng.randint(0, 2) if channel == "call" else 0)
    texts, tags = _customer_texts(rng, spec, own, others, n_customer, escalated)
    turns: list[dict[str, str]] = []
    if channel == "email":
        for i, text in enumerate(texts):
            body = _email_body(rng, text) if i == 0 else text
            turns.append({"speaker": "customer", "text": body})
            reply = _agent_reply(rng, escalated and i == 0, True)
            turns.append({"speaker": "agent", "text": reply})
        return turns, tags
    if channel == "chat" and rng.random() < 0.3:
        turns.append({"speaker": "bot", "text": pick(rng, dialogue.BOT_GREETINGS)})
        turns.append({"speaker": "system", "text": pick(rng, dialogue.SYSTEM_TRANSFERS)})
    turns.append({"speaker": "agent", "text": _say(rng, pick(rng, dialogue.AGENT_GREETINGS), spec)})
    escalate_at = rng.randrange(len(texts)) if escalated else -1
    for i, text in enumerate(texts):
        turns.append({"speaker": "customer", "text": _roughen(rng, text, channel)})
        turns.append({"speaker": "agent", "text": _agent_reply(rng, i == escalate_at, i == len(texts) - 1)})
    return turns, tags
