"""Real chat text, handled on purpose: what of a customer's turn is signal for a persona and what is noise.

Each rule keeps or removes one kind of thing, for a reason measured by bench/bench_personas.py (see
BENCHMARKS.md, "Real chat text"):
- HTML entities (`&amp;`) are decoded: exports from social tools escape them, the model reads them as words.
- Links are removed: a URL's tokens (hosts, ids) say nothing the model can place; the words around it stay.
- @mentions keep the name and lose the `@`, CamelCase split (`@SouthwestAir` -> `Southwest Air`): whom a
  customer writes to says what the contact is about; the `@` itself is noise to the tokenizer.
- Hashtags keep their words the same way (`#StopEbay` -> `Stop Ebay`): they are the customer's own summary.
- Emoji and other pictographs are removed: the model's vocabulary has none, so each becomes [UNK].
- Quoted text (lines starting with `>`, and everything after an "On ... wrote:" line) is removed: it is
  somebody else's words, most often the agent's.
- Signatures ("Sent from my iPhone", a sign-off line and what follows it) are removed: they repeat across
  unrelated customers.
- Turns that are only greetings, thanks or acknowledgements ("Ok.", "Thanks!", "Yep, that's the one.") are
  removed: every kind of customer says them, so they pull all customers towards one point.
- A turn repeated verbatim in the same transcript (a tweet sent twice) is kept once.
"""

from __future__ import annotations

import html
import re

URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
MENTION = re.compile(r"(?<![\w@])@(\w{1,30})")
HASHTAG = re.compile(r"(?<![\w#])#(\w+)")
CAMEL = re.compile(r"(?<=[a-z]{2})(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z]{2})|(?<=[A-Za-z])(?=\d)")
# Pictographs, dingbats, flags, variation selectors and joiners: what MiniLM's WordPiece maps to [UNK].
EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U00002600-\U000027bf\U0001f1e6-\U0001f1ff\u2b00-\u2bff\ufe0e\ufe0f\u200d\u20e3]+"
)
QUOTE_HEADER = re.compile(r"^\s*On .{3,200} wrote:\s*$", re.IGNORECASE)
SIGNATURE_START = re.compile(
    r"^\s*(?:sent from my \w+|get outlook for \w+|--\s*$|(?:kind |best |warm )?regards,?\s*$|"
    r"best,?\s*$|cheers,?\s*$|sincerely,?\s*$|thanks,\s*$|thank you,\s*$)",
    re.IGNORECASE,
)
# Words that only greet, thank or acknowledge; a turn made of nothing else carries no persona signal.
COURTESY_WORDS = frozenset(
    """
    hi hello hey hiya morning afternoon evening good there thanks thank you thx ty cheers appreciate appreciated
    it so much very ok okay k yes yeah yep yup sure no nope right alright fine great perfect awesome cool
    noted correct got understood sounds that's thats the one works helpful super lovely brilliant
    go ahead hang on a sec second moment let me check please pls bye goodbye have nice day all i needed
    um uh hmm think oh well just
    """.split()
)
WORD = re.compile(r"[a-z']+")


def split_camel(name: str) -> str:
    """`SouthwestAir` -> `Southwest Air`, `AskeBay` -> `Aske Bay`, `covid19` -> `covid 19`."""
    return CAMEL.sub(" ", name.replace("_", " "))


def is_courtesy(text: str) -> bool:
    """True when the text has no word beyond greetings, thanks and acknowledgements."""
    words = WORD.findall(text.lower().replace("\u2019", "'"))
    return all(w in COURTESY_WORDS for w in words)


def _drop_quotes_and_signature(text: str) -> str:
    """Cut quoted lines, everything after a quote header, and a trailing signature."""
    kept: list[str] = []
    for line in text.splitlines():
        if QUOTE_HEADER.match(line) or (kept and SIGNATURE_START.match(line)):
            break
        if SIGNATURE_START.match(line) and line.lower().lstrip().startswith(("sent from", "get outlook")):
            break
        if not line.lstrip().startswith(">"):
            kept.append(line)
    return "\n".join(kept)


def clean_turn(text: str) -> str:
    """One customer turn as the embedding should read it (empty when nothing of signal is left)."""
    text = html.unescape(text)
    text = _drop_quotes_and_signature(text)
    text = URL.sub(" ", text)
    text = MENTION.sub(lambda m: split_camel(m.group(1)), text)
    text = HASHTAG.sub(lambda m: split_camel(m.group(1)), text)
    text = EMOJI.sub(" ", text)
    text = " ".join(text.split())
    return "" if is_courtesy(text) else text


def clean_turns(texts: list[str]) -> list[str]:
    """Cleaned turns, empty ones and verbatim repeats within the transcript dropped, order kept."""
    seen: set[str] = set()
    out = []
    for text in texts:
        cleaned = clean_turn(text)
        key = cleaned.lower()
        if cleaned and key not in seen:
            seen.add(key)
            out.append(cleaned)
    return out
