"""The command-line contract both ``python -m training`` and ``python -m serving`` follow."""

import argparse

import pytest

from model.cli import run_command
from model.errors import DataError


def _parser(func) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    parser.set_defaults(func=func)
    return parser


def test_the_command_s_status_is_returned() -> None:
    assert run_command(_parser(lambda _args: 0), []) == 0


def test_a_domain_error_is_one_line_and_status_2(capsys: pytest.CaptureFixture[str]) -> None:
    def fail(_args: argparse.Namespace) -> int:
        raise DataError("expected a JSON object, found a list")

    assert run_command(_parser(fail), []) == 2
    assert capsys.readouterr().err == "error: expected a JSON object, found a list\n"


def test_our_bugs_are_not_swallowed() -> None:
    def crash(_args: argparse.Namespace) -> int:
        raise KeyError("bug")

    with pytest.raises(KeyError):
        run_command(_parser(crash), [])
