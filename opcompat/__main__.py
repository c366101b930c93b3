"""`python -m opcompat` runs the command-line interface."""
from opcompat.cli import run

raise SystemExit(run())
