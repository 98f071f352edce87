"""Running probes: devices, micro-batches, the runner and the probe record it builds."""
