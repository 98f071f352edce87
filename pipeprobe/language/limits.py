"""Documented limits on what a project's files may ask for, checked when the file is read
(docs/reference/limits.md lists them): no file, count or pattern can make pipeprobe hang or
exhaust memory, and going past a limit is one line naming the file, the probe and the field."""

from __future__ import annotations

MAX_FILE_BYTES = 32 * 1024 * 1024  # a probe file, models.yaml, a model map or a baseline
MAX_PERTURB_COUNT = 100  # variants of one perturbation kind per probe
MAX_REPEATS = 1_000  # a stochastic probe's repeats (pipeprobe.behaviour.stochastic)
MAX_PATTERN_CHARS = 1_000  # a `matches` regular expression (Python's syntax, the `regex` module)
MAX_MATCH_INPUT_CHARS = 1_000_000  # the output text a `matches` runs on
MATCH_TIMEOUT_S = 1.0  # one `matches` search; past it the probe fails in one line (catastrophic backtracking)
# generation and ranking parameters a probe (or its file) may set: name -> largest value
MAX_PARAMS = {
    "max_new_tokens": 4_096,
    "max_length": 8_192,
    "min_new_tokens": 4_096,
    "min_length": 8_192,
    "num_beams": 64,
    "num_return_sequences": 64,
    "top_k": 1_000,
}
MAX_SEED = 2**32 - 1  # params.seed: a whole number from 0


def param_faults(params: object) -> list[str]:
    """Faults of a probe's ``params`` against the limits above, one line each (without the file)."""
    if not isinstance(params, dict):
        return []
    faults = []
    for name, largest in MAX_PARAMS.items():
        if name not in params:
            continue
        value = params[name]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= largest:
            faults.append(f"params.{name}: must be a whole number from 0 to {largest:,}, not {value!r}")
    if "seed" in params:
        seed = params["seed"]
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
            faults.append(f"params.seed: must be a whole number from 0 to {MAX_SEED:,}, not {seed!r}")
    return faults
