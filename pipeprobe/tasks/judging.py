"""Judging shared by the built-in adapters: the expectation language plus the adapter's named checks.

Every ``expect`` key is a path into the output with a bare value or one operator
(``pipeprobe.language.expect``); keys an adapter lists in its ``checks`` are its named judgements.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipeprobe.language.expect import Check, judge


def judge_fields(expect: dict[str, Any], output: Any, checks: Mapping[str, Check] | None = None) -> list[str]:
    """What a person expected and did not get, one line per expectation."""
    return judge(expect, output, checks)
