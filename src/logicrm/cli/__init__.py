"""The ``logicrm`` command line: ``score``, ``policy show`` and ``demo``.

``main(argv)`` runs it and returns the exit code (0 success, 1 rows rejected under
``--strict``, 2 a bad argument, file or policy, 130 interrupted); it never shows a
traceback. See the command line page of the docs.
"""

from logicrm.cli._main import main

__all__ = ["main"]
