"""Argument types shared by the commands."""

from __future__ import annotations

import argparse
import sys

__all__ = ["non_negative_int", "positive_int", "progress"]


def int_at_least(minimum: int):
    """An argparse type: an integer no smaller than ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} must be at least {minimum}")
        return value

    return parse


positive_int = int_at_least(1)
non_negative_int = int_at_least(0)


def progress(args: argparse.Namespace) -> bool:
    """Progress bars only on a terminal: redrawn with carriage returns, they would flood a log file."""
    return not args.no_progress and sys.stderr.isatty()
