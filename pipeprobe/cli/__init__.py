"""The ``pipeprobe`` command: one module per subcommand."""
