"""Report formats: `base` (the interface, `--format` choices), `summary` (what every
human-facing format says), and one module per format: table, markdown, json, sarif, html."""
