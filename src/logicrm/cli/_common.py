"""What every ``logicrm`` command shares: exit codes, the usage error, terminal-safe
messages and the checks of paths and settings files made before any work."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from logicrm._safety import terminal_line

EXIT_OK, EXIT_REJECTS, EXIT_USAGE = 0, 1, 2


EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """A bad argument or file: reported on stderr with exit code 2."""


def _add_row_options(parser: argparse.ArgumentParser) -> None:
    """``--progress`` and ``--strict``, alike for every command that reads rows."""
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: when stderr is a terminal)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit with 1 when any row was rejected"
    )


def _say(text: str) -> None:
    """One message on stderr, each line safe for a terminal."""
    lines = text.splitlines() or [""]
    sys.stderr.write("".join(terminal_line(line) + "\n" for line in lines))


def _load_policies(path: Path) -> Any:
    from logicrm.policies import load_policies

    return _load_settings(path, "policy file", load_policies)


def _load_settings(path: Path, what: str, load: Callable[[Path], Any]) -> Any:
    """A policy or mapping file, loaded; any problem is one usage error listing them all."""
    from logicrm.errors import ValidationError

    _check_readable(path, what)
    try:
        return load(path)
    except ValidationError as error:
        problems = "\n  ".join(str(p) for p in error.problems)
        raise UsageError(f"{what} {path} is not valid:\n  {problems}") from None


def _check_readable(path: Path, what: str) -> None:
    if not path.is_file():
        raise UsageError(f"{what} {path} does not exist or is not a file")
    if not os.access(path, os.R_OK):
        raise UsageError(f"{what} {path} cannot be read (permission denied)")


def _existing_parent(path: Path) -> Path:
    parent = path.absolute().parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    return parent


def _writable_folder(folder: Path) -> bool:
    return folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)


def _check_writable(path: Path, what: str, suffixes: Sequence[str] | None = None) -> None:
    """Refuse, before any work, an output that could not be written at the end."""
    if path.is_dir():
        raise UsageError(f"{what} {path} is a folder; name a file in it, e.g. {path / 'out.csv'}")
    if not path.absolute().parent.is_dir():
        raise UsageError(f"{what} {path}: the folder {path.absolute().parent} does not exist")
    if not _writable_folder(path.absolute().parent) or (
        path.exists() and not os.access(path, os.W_OK)
    ):
        raise UsageError(f"{what} {path} cannot be written (permission denied)")
    if suffixes is not None and path.suffix.lower() not in suffixes:
        raise UsageError(f"{what} {path}: use one of {', '.join(suffixes)}")
