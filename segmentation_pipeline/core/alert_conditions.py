"""When a watched condition deserves an alert: once when it starts, again only when it
changes or clears and comes back.

A check that warns every night for the same reason is one open condition, not one alert per
night or per month. The open conditions are kept by the caller (the warehouse); this module
only decides, so the daemon's sensors and the command line decide the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Observation:
    """What one evaluation saw: `subject` is what is watched (a check), `condition` what is
    wrong with it (`None` when nothing is), `marker` where it was seen (unique, ordered)."""

    subject: str
    condition: str | None
    marker: int


def condition_of(level: str, rule: str) -> str | None:
    """A graded check's condition: its grade and the rule it broke; `None` when good."""
    return None if level == "good" else f"{level}: {rule}"


def opened_conditions(
    open_conditions: Mapping[str, str], observations: Sequence[Observation]
) -> tuple[list[Observation], dict[str, str | None]]:
    """The observations (oldest first) that open a condition not already open for their
    subject, and each changed subject's condition afterwards (`None`: cleared)."""
    current: dict[str, str | None] = dict(open_conditions)
    opened: list[Observation] = []
    for seen in sorted(observations, key=lambda o: o.marker):
        if seen.condition is not None and current.get(seen.subject) != seen.condition:
            opened.append(seen)
        current[seen.subject] = seen.condition
    changed = {s: c for s, c in current.items() if open_conditions.get(s) != c}
    return opened, changed
