#!/usr/bin/env python
"""Same as the ``accord`` console command, for habit's sake."""

from accord.cli import main

if __name__ == "__main__":
    main()
