"""Importing libraries that would drag torch in, without it: serving must not load torch it never uses.

Two dependencies import torch only as a side effect. ``skops.io`` builds its trusted-type list by importing
every scikit-learn module, one of which (``sklearn.externals.array_api_compat.torch``) imports torch;
``underthesea`` eagerly imports its optional pipelines (dependency parsing, translation), which import
transformers and torch. Both swallow ``ImportError`` for those optional parts. So while such a library is
imported, torch and transformers are made unimportable: seconds of start-up and hundreds of MiB saved, and
nothing we call changes. A process that already has torch (training) imports normally.
"""

from __future__ import annotations

import importlib
import importlib.abc
import sys
from types import ModuleType

BLOCKED = ("torch", "transformers")


class _Block(importlib.abc.MetaPathFinder):
    """A finder that refuses the blocked packages and their sub-modules."""

    def find_spec(self, fullname: str, path: object, target: object = None) -> None:
        if fullname.split(".")[0] in BLOCKED:
            raise ImportError(f"{fullname} is kept out of this process (see model.torch_free)")
        return None


def import_without_torch(name: str) -> ModuleType:
    """Import module ``name``, keeping torch and transformers out unless torch is already loaded."""
    if name in sys.modules or "torch" in sys.modules:
        return importlib.import_module(name)
    blocker = _Block()
    sys.meta_path.insert(0, blocker)
    try:
        return importlib.import_module(name)
    finally:
        sys.meta_path.remove(blocker)
