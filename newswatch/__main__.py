"""``python -m newswatch``: the command line, as the console script runs it."""

from .scheduler.cli import main

main(prog_name="newswatch")
