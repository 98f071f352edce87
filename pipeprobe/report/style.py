"""The one stylesheet of pipeprobe's HTML: the rules its pages share; each page adds only its own.

``page`` is for the pages pipeprobe writes whole (drift.html, history.html); the pytest-html
report is pytest-html's page, so it takes only ``BADGE`` (the status badges every report shows).
"""

from __future__ import annotations

import html

# A status badge: ``<span class="pp-badge" style="background:COLOUR">3 drifted</span>`` (colours: statuses.COLOURS).
BADGE = (".pp-badge{display:inline-block;margin:2px 6px 2px 0;padding:2px 8px;border-radius:10px;color:#fff;"
         "font-size:13px}")

PAGE = (
    "body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;max-width:1400px}"
    "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:3px 6px}"
    "th{background:#f3f3f3;text-align:left}img{max-width:100%}\n" + BADGE
)


def page(own: str) -> str:
    """The stylesheet of a page pipeprobe writes whole: the shared rules, then ``own`` (which may override them)."""
    return f"{PAGE}\n{own.strip()}\n"


def badge(colour: str, text: str) -> str:
    """One status badge: ``text`` on ``colour``."""
    return f'<span class="pp-badge" style="background:{html.escape(colour)}">{html.escape(text)}</span>'
