"""Soi's version is written once (model.__version__); the package metadata reads it."""

from __future__ import annotations

import tomllib
from pathlib import Path

from model import __version__

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_the_package_reads_its_version_from_model() -> None:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "model.__version__"}
    assert __version__.count(".") == 2 and all(part.isdigit() for part in __version__.split("."))
