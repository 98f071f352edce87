"""A label set against the one models.yaml pins: only the difference, never two full lists."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

SHOWN = 5


def label_difference(found: Iterable[str], pinned: Iterable[str]) -> str | None:
    """``"missing 'joy' (has 'jyo'?); unexpected 'jyo'"``, or None when the sets agree. Near-misses (a
    typo) are paired; long lists are cut after a few names with a count."""
    have, want = set(found), set(pinned)
    if have == want:
        return None
    missing, extra = sorted(want - have), sorted(have - want)
    parts = []
    if missing:
        shown = []
        for label in missing[:SHOWN]:
            close = difflib.get_close_matches(label, extra, n=1, cutoff=0.6)
            shown.append(f"{label!r}" + (f" (has {close[0]!r}?)" if close else ""))
        more = f" and {len(missing) - SHOWN} more" if len(missing) > SHOWN else ""
        parts.append("missing " + ", ".join(shown) + more)
    if extra:
        parts.append("unexpected " + ", ".join(repr(label) for label in extra[:SHOWN])
                     + (f" and {len(extra) - SHOWN} more" if len(extra) > SHOWN else ""))
    return "; ".join(parts) + f" ({len(have & want)} of {len(want)} pinned labels agree)"
