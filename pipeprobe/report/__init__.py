"""Reports: what a run and successive runs show."""
