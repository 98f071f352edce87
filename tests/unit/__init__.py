"""Unit tests of pure modules: no model, no pytest run inside."""
