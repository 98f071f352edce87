"""Probe files: the schema, the catalogue of typed probes, the expectation language."""
