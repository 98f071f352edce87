"""Everything that imports pytest: options, fixtures, scheduling, shards, carbon, terminal, reports."""
