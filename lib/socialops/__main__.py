"""``python -m socialops``: the ``socialops`` command."""

from socialops.cli import main

if __name__ == "__main__":
    main()
