"""How sellers write: prices as they type them, no diacritics, teencode, obfuscated words and misspelt brands.

Every function takes the random stream to draw from, so a pool's listings depend on its own stream only. The
word lists (teencode, emoji stand-ins) are data, in ``decorations.json``.
"""

from __future__ import annotations

import random
import unicodedata

from seed_pools import load_decorations

LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"}
# Sellers of fakes misspell the brand so trademark filters miss it ("Rolexx", "Gucii", "Lui Vuiton"); honest
# sellers rarely do. Share of listings whose brand names are misspelt, by whether the pool is counterfeit.
MISSPELT_BRAND_SHARE = {True: 0.3, False: 0.02}


def fold_diacritics(text: str) -> str:
    """Strip Vietnamese tone and vowel marks, including đ → d."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn"))


def format_price_text(price: int, rng: random.Random) -> str:
    """A price as sellers write it in posts: 350k, 1tr2, 1.250.000đ."""
    if price >= 1_000_000 and rng.random() < 0.6:
        millions, rest = divmod(price, 1_000_000)
        return f"{millions}tr{rest // 100_000}" if rest >= 100_000 else f"{millions}tr"
    if price < 1_000_000 and rng.random() < 0.6:
        return f"{price // 1000}k"
    return f"{price:,}".replace(",", ".") + rng.choice(("đ", " đ", "₫", " vnđ"))


def apply_teencode(text: str, rng: random.Random, rate: float) -> str:
    """Replace some words with teencode the way fast typists do."""
    for long, short in load_decorations().teencode:
        if long in text and rng.random() < rate:
            text = text.replace(long, short)
    return text


def obfuscate_word(word: str, rng: random.Random) -> str:
    """One of the tricks sellers use to get a word past filters; numbers (prices, sizes) are left as written."""
    if len(word) < 3 or any(ch.isdigit() for ch in word):
        return word
    trick = rng.random()
    if trick < 0.35:
        return ".".join(word)
    if trick < 0.55:
        return " ".join(word)
    if trick < 0.8:
        folded = fold_diacritics(word)
        return "".join(LEET.get(ch, ch) if rng.random() < 0.6 else ch for ch in folded)
    # misspelling: a doubled or dropped letter
    position = rng.randrange(1, len(word))
    return (
        word[:position] + word[position - 1] + word[position:]
        if rng.random() < 0.5
        else word[:position] + word[position + 1 :]
    )


def obfuscate(text: str, rng: random.Random) -> str:
    """Emoji stand-ins for tell-tale phrases, and a share of the remaining words disguised."""
    for phrase, emoji in load_decorations().emoji_standins:
        if phrase in text.lower() and rng.random() < 0.5:
            start = text.lower().index(phrase)
            text = text[:start] + emoji + text[start + len(phrase) :]
    words = text.split(" ")
    return " ".join(obfuscate_word(w, rng) if rng.random() < 0.3 else w for w in words)


def misspell_brand(name: str, rng: random.Random) -> str:
    """A deliberate misspelling of a brand name: a letter doubled, dropped or swapped with its neighbour."""
    letters = [i for i, ch in enumerate(name) if ch.isalpha()]
    if len(letters) < 4:
        return name
    i = rng.choice(letters[1:])
    trick = rng.random()
    if trick < 0.45:
        return name[: i + 1] + name[i] + name[i + 1 :]
    if trick < 0.75:
        return name[:i] + name[i + 1 :]
    j = i - 1 if name[i - 1].isalpha() else i
    return name[:j] + name[j + 1] + name[j] + name[j + 2 :] if j + 1 < len(name) else name


def misspell_brands(text: str | None, brands: list[str], rng: random.Random) -> str | None:
    """The text with every brand of the pool it names misspelt the same way (as one seller would)."""
    if not text:
        return text
    for brand in brands:
        start = text.lower().find(brand.lower())
        if start >= 0:
            written = text[start : start + len(brand)]
            text = text.replace(written, misspell_brand(written, rng))
    return text
