"""A probe's status against its baseline: the names, their order (what needs a decision first) and colours."""

from __future__ import annotations

UNCHANGED = "unchanged"
WITHIN = "within tolerance"
DRIFTED = "drifted"
CHANGED = "label or ranking changed"
PROBE_CHANGED = "probe changed"  # its output moved, and so did its own definition: the team's edit, not drift
NEW = "new (no baseline)"
NOT_RUN = "baseline without a run"  # a baseline file, and its probe did not run (no model, or gone)
NOT_RUN_NO_BASELINE = "not run, no baseline"  # neither: nothing to compare, nothing recorded
WEAKNESS_PASSING = "known weakness now passing"
CORRUPT = "corrupt baseline"  # a baseline file that is there but is not one (never "new")

# the order of every report: what needs a decision first, what did not run last
STATUSES = (CORRUPT, CHANGED, DRIFTED, PROBE_CHANGED, WEAKNESS_PASSING, NEW, WITHIN, UNCHANGED, NOT_RUN,
            NOT_RUN_NO_BASELINE)
FAILING = (CORRUPT, CHANGED, DRIFTED, PROBE_CHANGED)
NEEDS_DECISION = (CORRUPT, CHANGED, DRIFTED, PROBE_CHANGED, WEAKNESS_PASSING)
NOT_RUN_STATUSES = (NOT_RUN, NOT_RUN_NO_BASELINE)

COLOURS = {
    CORRUPT: "#67001f",
    CHANGED: "#b2182b",
    DRIFTED: "#d6604d",
    PROBE_CHANGED: "#e08214",
    WEAKNESS_PASSING: "#7b3294",
    NEW: "#2166ac",
    WITHIN: "#4393c3",
    UNCHANGED: "#1a9850",
    NOT_RUN: "#888888",
    NOT_RUN_NO_BASELINE: "#bbbbbb",
}


def rank(status: str) -> int:
    """The status's place in STATUSES (unknown statuses last)."""
    return STATUSES.index(status) if status in STATUSES else len(STATUSES)


def separate_probe_change(status: str, provenance_differences: dict) -> str:
    """``PROBE_CHANGED`` for a probe that moved beyond tolerance while its own definition changed
    (``provenance.PROBE_KEY`` among the differences): the team's edit is not drift of the same probe."""
    if status in (CHANGED, DRIFTED) and "probe" in (provenance_differences or {}):
        return PROBE_CHANGED
    return status
