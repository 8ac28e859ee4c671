"""``python -m logicrm``."""

import sys

from logicrm._cli import main

if __name__ == "__main__":
    sys.exit(main())
