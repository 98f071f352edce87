"""One line that says how a metamorphic or stochastic probe did: for the terminal and the HTML report."""

from __future__ import annotations

from typing import Any

from pipeprobe.behaviour import stochastic


def summary(output: Any) -> str | None:
    """A metamorphic probe's fail rate and failing variants, a stochastic one's pass rate (None: neither)."""
    from pipeprobe.behaviour import checklist

    if checklist.is_result(output):
        return (
            f"{output['capability']} {output['type']}: fail rate {output['fail_rate']:.3f} "
            f"({output['failed']}/{output['cases']} cases, gate <= {output['max_fail_rate']:g}"
            + (f", {output['not_applicable']} not applicable" if output["not_applicable"] else "") + ")"
        )
    if stochastic.is_rate(output):
        return (
            f"pass rate {output['pass_rate']:.2f} ({output['passes']}/{output['repeats']}, "
            f"gate >= {output['min_pass_rate']:g}, baseline tolerance ±{output['tolerance']:.2f})"
        )
    if isinstance(output, dict) and {"original", "variants", "fail_rate", "failed"} <= output.keys():
        failed = f": {', '.join(output['failed'])}" if output["failed"] else ""
        counts = f"{len(output['failed'])}/{len(output['variants'])} variants"
        return f"fail rate {output['fail_rate']:.2f} ({counts}){failed}"
    return None
