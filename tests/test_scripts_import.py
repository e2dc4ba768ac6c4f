"""Every benchmark and helper script under scripts/ still imports: they are not run by the other tests, so a name
moved elsewhere (as the seed's path once was) would otherwise break `make bench-…` unnoticed."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
OPTIONAL = {"ray"}  # the `scale` extra: a script needing it is skipped where it is not installed


@pytest.mark.parametrize("path", sorted(SCRIPTS.glob("*.py")), ids=lambda p: p.name)
def test_script_imports(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(SCRIPTS))
    spec = importlib.util.spec_from_file_location(f"soi_script_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the script runs
    try:
        spec.loader.exec_module(module)  # `if __name__ == "__main__"` keeps main() from running
    except ModuleNotFoundError as error:
        if error.name not in OPTIONAL:
            raise
        pytest.skip(f"{path.name} needs the optional package {error.name}")
    finally:
        sys.modules.pop(spec.name, None)
