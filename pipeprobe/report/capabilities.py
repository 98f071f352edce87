"""CheckList's summary table: capability x type, cases, failed, rate, gate, a few failing examples (pure).

Built from the ``case_test`` rows that tests of many cases put on their records
(``pipeprobe.behaviour.checklist.summary_row``); the terminal, the HTML report and drift.json show it.
"""

from __future__ import annotations

from typing import Any

COLUMNS = ("capability", "type", "test", "cases", "failed", "rate", "gate", "n/a", "flipped")


def table(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows sorted by capability, then type (MFT, INV, DIR), then test."""
    order = {"MFT": 0, "INV": 1, "DIR": 2}
    return sorted(rows, key=lambda row: (row["capability"], order.get(row["type"], 3), row["test"]))


def by_capability(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per capability: tests, cases, failed cases and the pooled rate."""
    found: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = found.setdefault(row["capability"], {"tests": 0, "cases": 0, "failed": 0})
        entry["tests"] += 1
        entry["cases"] += row["cases"]
        entry["failed"] += row["failed"]
    for entry in found.values():
        entry["fail_rate"] = round(entry["failed"] / entry["cases"], 6) if entry["cases"] else 0.0
    return found


def cells(row: dict[str, Any]) -> list[str]:
    gate = f"<= {row['max_fail_rate']:g} " + ("ok" if row["passed_gate"] else "FAIL")
    flipped = str(row["flipped"]) if row.get("flipped") is not None else "-"
    return [row["capability"], row["type"], row["test"], str(row["cases"]), str(row["failed"]),
            f"{row['fail_rate']:.3f}", gate, str(row["not_applicable"]), flipped]


def text_lines(rows: list[dict[str, Any]], examples: int = 2, width: int = 100) -> list[str]:
    """The table as aligned text, each failing test followed by up to ``examples`` failing cases."""
    rows = table(rows)
    grid = [list(COLUMNS), *(cells(row) for row in rows)]
    widths = [max(len(line[index]) for line in grid) for index in range(len(COLUMNS))]
    lines = ["  ".join(value.ljust(widths[index]) for index, value in enumerate(grid[0]))]
    for row, line in zip(rows, grid[1:], strict=True):
        lines.append("  ".join(value.ljust(widths[index]) for index, value in enumerate(line)))
        for example in row["examples"][:examples]:
            lines.append("    e.g. " + (example if len(example) <= width else example[: width - 3] + "..."))
    return lines


def document_section(probes: list[dict[str, Any]]) -> dict[str, Any] | None:
    """drift.json's ``capabilities``: the table rows and per-capability totals (None: no test of many cases)."""
    rows = [{**probe["case_test"], "suite": probe["suite"]} for probe in probes if probe.get("case_test")]
    if not rows:
        return None
    return {"tests": table(rows), "by_capability": by_capability(rows)}


def html_table(rows: list[dict[str, Any]], examples: int = 3) -> str:
    """The table as HTML (escaped), failing examples in a line under each test."""
    import html

    head = "".join(f"<th>{html.escape(name)}</th>" for name in COLUMNS)
    body = []
    for row in table(rows):
        colour = "#1a7f37" if row["passed_gate"] else "#c0392b"
        body.append("<tr>" + "".join(f"<td>{html.escape(value)}</td>" for value in cells(row)[:6])
                    + f'<td style="color:{colour}">{html.escape(cells(row)[6])}</td>'
                    + "".join(f"<td>{html.escape(value)}</td>" for value in cells(row)[7:]) + "</tr>")
        shown = row["examples"][:examples]
        if shown:
            items = "<br>".join(html.escape(example) for example in shown)
            body.append(f'<tr><td></td><td colspan="{len(COLUMNS) - 1}"><small>e.g. {items}</small></td></tr>')
    return (f'<table class="pp-capabilities" style="font-family:sans-serif;font-size:13px"><tr>{head}</tr>'
            + "".join(body) + "</table>")
