"""``python -m vramlab``: the same as the ``vramlab`` command (see :mod:`vramlab.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
