"""What a user writes: the probe-file schema, its limits, and the expectation language."""
