"""The catalogue: probe files read into typed probes."""
