"""``python -m logicrm``."""

import sys

from logicrm.cli import main

if __name__ == "__main__":
    sys.exit(main())
