"""Baselines: the store, tolerance and comparison, targets, the one verdict, the syrupy extension."""
