"""A progress line for long runs (a test of many cases): on the real stderr, past pytest's capture.

On a terminal it redraws one line; elsewhere (CI logs) it prints at every tenth. Runs of fewer
than ``MIN_ITEMS`` inputs say nothing.
"""

from __future__ import annotations

import sys
import time

MIN_ITEMS = 500


class Progress:
    def __init__(self, what: str, total: int) -> None:
        self.what, self.total, self.done_items = what, total, 0
        self.started = time.perf_counter()
        self.stream = sys.__stderr__
        self.shown = total >= MIN_ITEMS and self.stream is not None
        self.tty = self.shown and self.stream.isatty()
        self._next_tenth = 1

    def advance(self, count: int) -> None:
        self.done_items += count
        if not self.shown:
            return
        if self.tty:
            self._write(f"\r{self._line()}")
        elif self.done_items * 10 >= self._next_tenth * self.total:
            self._next_tenth = self.done_items * 10 // self.total + 1
            self._write(f"{self._line()}\n")

    def done(self) -> None:
        if self.shown and self.tty:
            self._write("\n")

    def _line(self) -> str:
        seconds = time.perf_counter() - self.started
        rate = self.done_items / seconds if seconds > 0 else 0.0
        share = self.done_items / self.total if self.total else 1.0
        bar = "#" * int(share * 20)
        return f"pipeprobe {self.what}: [{bar:<20}] {self.done_items}/{self.total} inputs, {rate:.1f}/s"

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            self.shown = False
