#!/usr/bin/env python
"""Same as the `xiaoqu` console script."""

from xiaoqu.cli import main

if __name__ == "__main__":
    main()
