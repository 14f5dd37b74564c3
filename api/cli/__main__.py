"""``python -m api.cli``: the same as the `leian` entry point."""

from api.cli import main

if __name__ == "__main__":
    main()
