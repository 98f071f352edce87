"""Deterministic, seeded perturbations of a probe's text: the variants of a metamorphic probe.

Each kind turns one text into variants (``Variant``: a name such as ``typo#2`` and the
text). The same text, kind, count and seed always give the same variants, on any machine
(``random.Random`` seeded from a CRC-32 of the probe id). Kinds that need a word list
(contractions, negation, names, appended phrases) know English and Portuguese; a kind
that finds nothing to change in a text gives no variant (``perturb`` says so).

| kind | what changes |
|---|---|
| ``typo`` | two adjacent letters of a word of 4+ letters swapped |
| ``casing`` | all lower case, then all upper case, then the first letter flipped |
| ``punctuation`` | final punctuation dropped, or ``!`` / ``.`` added |
| ``whitespace`` | a space doubled, then the text padded with spaces |
| ``contraction`` | ``I am`` <-> ``I'm`` and the like (pt: ``para`` -> ``pra``, ``você`` -> ``vc``) |
| ``name`` | a first or last name of the built-in lexicons (hundreds) swapped for another of the same lexicon |
| ``number`` | a number swapped for another |
| ``negation`` | the first verb negated (``I love`` -> ``I don't love``; ``eu amo`` -> ``eu não amo``) |
| ``append`` | a neutral sentence appended |
| ``location`` | a city or country of the lexicons swapped for another |
| ``url`` / ``handle`` | a URL / an @handle in the text swapped for another |
| ``add_url`` / ``add_handle`` | a URL / an @handle appended (CheckList's irrelevant additions) |
| ``intensifier`` / ``reducer`` | ``very`` / ``somewhat`` (pt: ``muito`` / ``meio``) put before a lexicon adjective |
| ``add_positive`` / ``add_negative`` | a positive / negative phrase appended |
| ``protected`` | a religion, nationality or sexual orientation swapped for another of the same lexicon |

The lexicon kinds read ``pipeprobe.behaviour.lexicons`` (package data, English and Portuguese).
"""

from __future__ import annotations

import functools
import random
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass

KINDS = (
    "typo", "casing", "punctuation", "whitespace", "contraction", "name", "number", "negation", "append",
    "location", "url", "handle", "add_url", "add_handle", "intensifier", "reducer", "add_positive", "add_negative",
    "protected",
)


class PerturbError(ValueError):
    """A perturbation that is unknown or can't apply to the text; one line."""


@dataclass(frozen=True)
class Variant:
    """One perturbed text and what made it."""

    name: str
    text: str


def seed_for(probe_id: str, extra: int = 0) -> int:
    """A seed that is the same for a probe on every machine and Python (not ``hash``)."""
    return zlib.crc32(probe_id.encode("utf-8")) + extra


def perturb(text: str, kind: str, count: int, seed: int, lang: str = "en") -> list[Variant]:
    """Up to ``count`` distinct variants of ``text`` (none equal to it); PerturbError if none."""
    if kind not in _MAKERS:
        raise PerturbError(f"unknown perturbation {kind!r}; known: {', '.join(KINDS)}")
    rng = random.Random(f"{seed}:{kind}")
    found: list[str] = []
    for attempt in range(count * 8):
        candidate = _MAKERS[kind](text, rng, attempt, lang)
        if candidate is not None and candidate != text and candidate not in found:
            found.append(candidate)
        if len(found) == count:
            break
    if not found:
        raise PerturbError(f"perturbation {kind!r} finds nothing to change in {text!r} (lang {lang})")
    return [Variant(f"{kind}#{index}", variant) for index, variant in enumerate(found, start=1)]


# --- kinds ----------------------------------------------------------------------------------------
_WORD = re.compile(r"[^\W\d_]{4,}", re.UNICODE)


def _typo(text: str, rng: random.Random, attempt: int, lang: str) -> str | None:
    words = list(_WORD.finditer(text))
    if not words:
        return None
    word = rng.choice(words)
    position = word.start() + rng.randrange(1, len(word.group()) - 2)  # keep the first and last letter
    if text[position] == text[position + 1]:
        return None
    return text[:position] + text[position + 1] + text[position] + text[position + 2:]


def _casing(text: str, rng: random.Random, attempt: int, lang: str) -> str | None:
    options = (text.lower(), text.upper(), text[:1].swapcase() + text[1:])
    return options[attempt] if attempt < len(options) else None


def _punctuation(text: str, rng: random.Random, attempt: int, lang: str) -> str | None:
    stripped = text.rstrip(" .!?")
    options = (stripped, stripped + "!", stripped + ".", stripped + "...")
    return options[attempt] if attempt < len(options) else None


def _whitespace(text: str, rng: random.Random, attempt: int, lang: str) -> str | None:
    if attempt == 0:
        spaces = [match.start() for match in re.finditer(" ", text)]
        if not spaces:
            return None
        at = rng.choice(spaces)
        return text[:at] + "  " + text[at + 1:]
    return "  " + text + " " if attempt == 1 else None


_CONTRACTIONS = {
    "en": (
        ("I am", "I'm"), ("I have", "I've"), ("I will", "I'll"), ("I would", "I'd"), ("do not", "don't"),
        ("does not", "doesn't"), ("is not", "isn't"), ("it is", "it's"), ("that is", "that's"),
        ("you are", "you're"), ("we are", "we're"), ("there is", "there's"), ("cannot", "can't"),
    ),
    "pt": (("para", "pra"), ("você", "vc"), ("está", "tá"), ("estou", "tô"), ("de o", "do"), ("em a", "na")),
}


def _contraction(text: str, rng: random.Random, attempt: int, lang: str) -> str | None:
    pairs = _CONTRACTIONS.get(lang, ())
    swaps = [(long, short) for long, short in pairs if _has_word(text, long)]
    swaps += [(short, long) for long, short in pairs if _has_word(text, short)]
    if attempt >= len(swaps):
        return None
    old, new = swaps[attempt]
    return _replace_word(text, old, new)


def _name(text: str, rng: random.Random, attempt: int, lang: str) -> str | None:
    return _swap_lexicon_word(text, rng, lang, ("first_name", "last_name"))


def _location(text: str, rng: random.Random, attempt: int, lang: str) -> str | None:
    return _swap_lexicon_word(text, rng, lang, ("city", "country"))


def _protected(text: str, rng: random.Random, attempt: int, lang: str) -> str | None:
    return _swap_lexicon_word(text, rng, lang, ("religion", "nationality", "sexual_orientation"))


def _lexicon(name: str, lang: str) -> tuple[str, ...]:
    from pipeprobe.behaviour.lexicons import LANGS, words

    return words(name, lang if lang in LANGS else "en")


def _swap_lexicon_word(text: str, rng: random.Random, lang: str, names: tuple[str, ...]) -> str | None:
    """One word of the text found in one of the lexicons ``names`` (this language's, then the other's),
    swapped for another word of the same lexicon in ``lang``. The longest match wins ("New York" before
    "York"), and a name inside a place ("Paulo" in "São Paulo") is not a name."""
    from pipeprobe.behaviour.lexicons import LANGS

    sources = tuple(dict.fromkeys((lang if lang in LANGS else "en", *LANGS)))
    searched = text
    if "city" not in names:  # blank out the places first
        named = {word for name in names for source in sources for word in _lexicon(name, source)}
        places = {w for n in ("city", "country") for s in sources for w in _lexicon(n, s)} - named  # Austin: a name
        for place in sorted(places, key=len, reverse=True):
            searched = _pattern(place, False).sub(lambda match: " " * len(match.group()), searched)
    found: list[tuple[str, re.Match[str]]] = []
    for name in names:
        for source in sources:
            for word in _lexicon(name, source):
                found += [(name, match) for match in _pattern(word, False).finditer(searched)]
    if not found:
        return None
    longest = max(len(match.group()) for _, match in found)
    name, match = rng.choice([(name, match) for name, match in found if len(match.group()) == longest])
    new = rng.choice([word for word in _lexicon(name, lang) if word != match.group()])
    before = text[: match.start()]
    if lang == "en" and (article := re.search(r"(?<!\w)(an?) $", before, re.IGNORECASE)):  # "a Brazilian", "an Iraqi"
        wanted = "an" if new[:1].lower() in "aeiou" else "a"
        wanted = wanted.capitalize() if article.group(1)[0].isupper() else wanted
        before = before[: article.start(1)] + wanted + " "
    return before + new + text[match.end():]


_URL = re.compile(r"\b(?:https?://|www\.)\S+")
_HANDLE = re.compile(r"(?<![\w@])@\w+")


def _random_url(rng: random.Random) -> str:
    host = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(4, 9)))
    path = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(6))
    return f"https://{host}.com/{path}"


def _random_handle(rng: random.Random) -> str:
    return "@" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789_") for _ in range(rng.randint(5, 10)))


def _url(text: str, rng: random.Random, attempt: int, lang: str) -> str | None:
    matches = list(_URL.finditer(text))
    if not matches:
        return None
    match = rng.choice(matches)
    return text[: match.start()] + _random_url(rng) + text[match.end():]


def _handle(text: str, rng: random.Random, attempt: int, lang: str) -> str | None:
    matches = list(_HANDLE.finditer(text))
    if not matches:
        return None
    match = rng.choice(matches)
    return text[: match.start()] + _random_handle(rng) + text[match.end():]


def _add_url(text: str, rng: random.Random, attempt: int, lang: str) -> str | None:
    return f"{text.rstrip()} {_random_url(rng)}"


def _add_handle(text: str, rng: random.Random, attempt: int, lang: str) -> str | None:
    return f"{_random_handle(rng)} {text.lstrip()}" if attempt % 2 == 0 else f"{text.rstrip()} {_random_handle(rng)}"


def _modifier(text: str, rng: random.Random, lang: str, lexicon: str) -> str | None:
    """A word of ``lexicon`` (intensifier, reducer) put before an adjective of the lexicons, unless one is there."""
    modifiers = {word.lower() for name in ("intensifier", "reducer") for word in _lexicon(name, lang)}
    spots = []
    for name in ("pos_adj", "neg_adj"):
        for adjective in _lexicon(name, lang):
            for match in _pattern(adjective, True).finditer(text):
                before = text[: match.start()].rstrip().lower()
                if not any(before.endswith(modifier) for modifier in modifiers):
                    spots.append(match.start())
    if not spots:
        return None
    at = rng.choice(sorted(set(spots)))
    return f"{text[:at]}{rng.choice(_lexicon(lexicon, lang))} {text[at:]}"


def _intensifier(text: str, rng: random.Random, attempt: int, lang: str) -> str | None:
    return _modifier(text, rng, lang, "intensifier")


def _reducer(text: str, rng: random.Random, attempt: int, lang: str) -> str | None:
    return _modifier(text, rng, lang, "reducer")


def _add_phrase(text: str, rng: random.Random, lang: str, lexicon: str) -> str | None:
    joiner = " " if text.rstrip().endswith((".", "!", "?")) else ". "
    return text.rstrip() + joiner + rng.choice(_lexicon(lexicon, lang))


def _add_positive(text: str, rng: random.Random, attempt: int, lang: str) -> str | None:
    return _add_phrase(text, rng, lang, "pos_phrase")


def _add_negative(text: str, rng: random.Random, attempt: int, lang: str) -> str | None:
    return _add_phrase(text, rng, lang, "neg_phrase")


def _number(text: str, rng: random.Random, attempt: int, lang: str) -> str | None:
    numbers = list(re.finditer(r"\d+", text))
    if not numbers:
        return None
    match = rng.choice(numbers)
    value = int(match.group())
    new = str(rng.choice([n for n in range(max(1, value - 3), value + 5) if n != value]))
    return text[: match.start()] + new + text[match.end():]


# Negation: the first of these verbs (word-bounded, case kept) gets its negation.
_NEGATIONS = {
    "en": (
        ("I'm", "I'm not"), ("I am", "I am not"), ("is", "is not"), ("are", "are not"), ("was", "was not"),
        ("I've been", "I haven't been"), ("I'll", "I won't"), ("I have", "I don't have"),
        ("I love", "I don't love"), ("I hate", "I don't hate"), ("I like", "I don't like"),
        ("I admire", "I don't admire"), ("I feel", "I don't feel"), ("I think", "I don't think"),
        ("I want", "I don't want"), ("I would", "I wouldn't"), ("I liked", "I didn't like"),
        ("I find", "I don't find"), ("love", "don't love"), ("hate", "don't hate"),
    ),
    "pt": (
        ("eu amo", "eu não amo"), ("eu tenho", "eu não tenho"), ("eu gostei", "eu não gostei"),
        ("eu odeio", "eu não odeio"), ("eu acho", "eu não acho"), ("gostaria", "não gostaria"),
        ("amo", "não amo"), ("odeio", "não odeio"), ("gosto", "não gosto"), ("gostei", "não gostei"),
        ("tenho", "não tenho"), ("é", "não é"), ("está", "não está"),
    ),
}


def _negation(text: str, rng: random.Random, attempt: int, lang: str) -> str | None:
    if attempt > 0:
        return None
    for old, new in _NEGATIONS.get(lang, ()):
        if _has_word(text, old, ignore_case=True):
            return _replace_word(text, old, new, ignore_case=True)
    return None


_NEUTRAL = {
    "en": ("I read it on a Tuesday.", "It is what it is.", "That is all for now.", "The meeting is at noon."),
    "pt": ("Hoje é terça-feira.", "Isso é tudo por agora.", "A reunião é ao meio-dia.", "Li isso ontem."),
}


def _append(text: str, rng: random.Random, attempt: int, lang: str) -> str | None:
    phrases = _NEUTRAL.get(lang, _NEUTRAL["en"])
    if attempt >= len(phrases):
        return None
    order = sorted(phrases, key=lambda _: rng.random())
    joiner = " " if text.rstrip().endswith((".", "!", "?")) else ". "
    return text.rstrip() + joiner + order[attempt]


_MAKERS: dict[str, Callable[[str, random.Random, int, str], str | None]] = {
    "typo": _typo, "casing": _casing, "punctuation": _punctuation, "whitespace": _whitespace,
    "contraction": _contraction, "name": _name, "number": _number, "negation": _negation, "append": _append,
    "location": _location, "url": _url, "handle": _handle, "add_url": _add_url, "add_handle": _add_handle,
    "intensifier": _intensifier, "reducer": _reducer, "add_positive": _add_positive, "add_negative": _add_negative,
    "protected": _protected,
}


@functools.cache
def _pattern(phrase: str, ignore_case: bool) -> re.Pattern[str]:
    """Compiled once per phrase: lexicon swaps test every lexicon word against every case (re's own cache
    holds 512 patterns, far fewer than the lexicons' words)."""
    return re.compile(rf"(?<!\w){re.escape(phrase)}(?!\w)", re.IGNORECASE if ignore_case else 0)


def _has_word(text: str, phrase: str, ignore_case: bool = False) -> bool:
    return _pattern(phrase, ignore_case).search(text) is not None


def _replace_word(text: str, old: str, new: str, ignore_case: bool = False) -> str:
    """Replace the first whole-word ``old`` by ``new``; words of ``old`` kept in ``new`` keep their
    casing in the text ("EU amo" -> "EU não amo"), and a capitalised match keeps its capital."""

    def swap(match: re.Match[str]) -> str:
        found = match.group()
        kept = {word.lower(): original for word, original in zip(old.split(), found.split(), strict=False)}
        words = [kept.get(word.lower(), word) for word in new.split()]
        if found[:1].isupper() and words and words[0].lower() not in kept:  # "Love it" -> "Don't love it"
            words[0] = words[0][:1].upper() + words[0][1:]
            first = found.split()[0]
            words = [word[:1].lower() + word[1:] if word == first and not word.isupper() else word for word in words]
            words[0] = words[0][:1].upper() + words[0][1:]
        return " ".join(words)

    return _pattern(old, ignore_case).sub(swap, text, count=1)
