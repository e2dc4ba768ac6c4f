"""Word-list patterns: one compiled regex that finds any of many words (lexicon terms, teencode) quickly."""

from __future__ import annotations

import re
from collections.abc import Iterable


def _trie_regex(trie: dict[str, dict]) -> str:
    """The regex of a character trie: alternatives share their prefixes, so matching does not try each word."""
    end = "" in trie
    branches = [re.escape(ch) + _trie_regex(child) for ch, child in sorted(trie.items()) if ch]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 and len(branches[0]) == 1 else "(?:" + "|".join(branches) + ")"
    # the optional group is greedy: longer words are tried before the word that ends here
    return body + "?" if end else body


def compile_word_pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern matching any of ``words`` whole (not inside a longer word), the longest first, as group 1.

    Built as a trie: with hundreds of words this is many times faster than a plain alternation.
    """
    trie: dict[str, dict] = {}
    for word in words:
        if not word:
            continue
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}
    if not trie:
        return None
    return re.compile(r"(?<!\w)(" + _trie_regex(trie) + r")(?!\w)")
