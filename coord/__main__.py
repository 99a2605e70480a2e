"""`python -m coord COMMAND`: see coord/cli."""

from coord.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
