"""``python -m logicrm``."""

import sys

from logicrm._cli import main

sys.exit(main())
