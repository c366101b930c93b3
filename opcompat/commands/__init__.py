"""One module per subcommand; see `opcompat.cli`."""
