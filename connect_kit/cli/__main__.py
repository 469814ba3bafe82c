"""``python -m connect_kit.cli``: the ``connect-kit`` command."""

import sys

from . import main

if __name__ == "__main__":
    sys.exit(main())
