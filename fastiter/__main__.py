"""``python -m fastiter``: the same command line as ``fastiter``."""

import sys

from fastiter.cli import main

if __name__ == "__main__":
    sys.exit(main())
