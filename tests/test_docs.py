"""The documentation says only what the code has: make targets that exist, every service setting, links that land."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from serving.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
MARKDOWN = [README, *DOCS]

_FENCE = re.compile(r"^```.*?^```", re.M | re.S)
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
# `make x` in code: inline code, a command line, a console prompt, a chained or substituted command
_MAKE = re.compile(r"(?:^|`|\$ |&& |\$\()make (?:-s )?([a-z][a-z0-9-]*)", re.M)


def _makefile_targets() -> set[str]:
    """Rule names of the Makefile (not variable assignments such as ``X := …``)."""
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return {match.group(1) for match in re.finditer(r"^([a-z][a-z0-9-]*)\s*:(?!=)", text, re.M)}


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = heading.strip().lower().replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    """Every heading anchor of a Markdown file (repeated headings get -1, -2… as on GitHub)."""
    seen: dict[str, int] = {}
    anchors = set()
    for line in _FENCE.sub("", path.read_text(encoding="utf-8")).splitlines():
        match = re.match(r"#{1,6} (.+)", line)
        if not match:
            continue
        slug = _slug(match.group(1))
        count = seen.get(slug, 0)
        anchors.add(slug if count == 0 else f"{slug}-{count}")
        seen[slug] = count + 1
    return anchors


def test_every_make_target_the_docs_name_exists() -> None:
    targets = _makefile_targets()
    assert {"serve", "test", "train", "eval"} <= targets  # the parser reads the Makefile at all
    for path in MARKDOWN:
        named = set(_MAKE.findall(path.read_text(encoding="utf-8")))
        assert named - targets == set(), f"{path.name} names make targets the Makefile lacks"


def test_every_service_setting_is_in_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    variables = [f"SOI_{name.upper()}" for name in Settings.model_fields]
    assert len(variables) > 40
    missing = [name for name in variables if not re.search(rf"\b{name}\b", text)]
    assert missing == [], f"README.md does not document {missing}"


@pytest.mark.parametrize("path", MARKDOWN, ids=lambda path: path.name)
def test_relative_links_land_on_a_file_and_heading(path: Path) -> None:
    text = _FENCE.sub("", path.read_text(encoding="utf-8"))
    broken = []
    for target in _LINK.findall(text):
        if re.match(r"[a-z]+:", target):  # http:, https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        destination = (path.parent / file_part).resolve() if file_part else path
        lands = destination.exists() and not (
            anchor and destination.suffix == ".md" and anchor not in _anchors(destination)
        )
        if not lands:
            broken.append(target)
    assert broken == [], f"{path.name}: links to missing files or headings: {broken}"


def test_the_readme_is_a_manual_not_a_log() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 420
    assert "load average" not in text  # dated run conditions belong in docs/results-log.md
    # "I" as a word, not the Roman numeral of "VPCP-V.I"
    assert not re.search(r"(?<![.\-])\bI\b(?![.\-])", _FENCE.sub("", text)), "no first person in the README"
