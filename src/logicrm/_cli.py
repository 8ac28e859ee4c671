"""The ``logicrm`` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from logicrm import __version__


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``logicrm`` command line; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="logicrm", description="Customer relationship management for logistics."
    )
    parser.add_argument("--version", action="version", version=f"logicrm {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("demo", help="show what logicrm says about the built-in sample data")
    args = parser.parse_args(argv)
    if args.command == "demo":
        from logicrm._demo import demo_report

        sys.stdout.write(demo_report())
        return 0
    parser.print_help(sys.stderr)
    return 2
