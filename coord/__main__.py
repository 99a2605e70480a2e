"""`python -m coord COMMAND`: see coord/entrypoints/cli."""

from coord.entrypoints.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
