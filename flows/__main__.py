import sys

from flows.cli import main

if __name__ == "__main__":  # worker processes are spawned: they import this module and must not run
    sys.exit(main())
