"""The command-line contract of ``python -m training`` and ``python -m serving``: one error line, exit status 2."""

import argparse
import sys

from model.errors import SoiError


def run_command(parser: argparse.ArgumentParser, argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen sub-command's ``func``; a ``SoiError`` prints ``error: …`` and returns 2."""
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except SoiError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
