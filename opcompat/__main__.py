"""`python -m opcompat` runs the command-line interface."""
from opcompat.cli import main

raise SystemExit(main())
