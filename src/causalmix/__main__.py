"""``python -m causalmix``: the command-line interface."""

import sys

from causalmix.cli import main

if __name__ == "__main__":
    sys.exit(main())
