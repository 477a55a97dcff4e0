"""Credit accounting: never send a request the budget could not pay for.

The price of a lookup is only known once the vendor answers (a match costs, a miss
often does not), so each request first reserves its worst case and settles the real
cost when the answer arrives. Reservations are what make the caps hard: however many
requests are in flight, their worst case together still fits.
"""

from __future__ import annotations

import math


class CreditBudget:
    def __init__(
        self,
        per_run: float | None,
        per_month: float | None,
        spent_this_month: float = 0.0,
    ):
        self.per_run = per_run
        self.per_month = per_month
        self.spent_before = spent_this_month
        self.spent = 0.0
        self.reserved = 0.0
        self.refused = 0

    def _left(self) -> dict[str, float]:
        left = {}
        if self.per_run is not None:
            left["run"] = self.per_run - self.spent - self.reserved
        if self.per_month is not None:
            left["month"] = self.per_month - self.spent_before - self.spent - self.reserved
        return left

    def remaining(self) -> float:
        left = self._left()
        return max(0.0, min(left.values())) if left else math.inf

    def reserve(self, count: int, unit_cost: float) -> int:
        """Reserve up to `count` lookups at `unit_cost` each; returns how many fit."""
        if count <= 0:
            return 0
        if unit_cost <= 0:
            return count
        left = self.remaining()
        granted = count if math.isinf(left) else min(count, math.floor(left / unit_cost + 1e-9))
        self.reserved += granted * unit_cost
        self.refused += count - granted
        return granted

    def settle(self, reserved: float, actual: float) -> None:
        """Swap a reservation for what the vendor really charged."""
        self.reserved = max(0.0, self.reserved - reserved)
        self.spent += actual

    def limit_reached(self) -> str | None:
        """Which cap stopped the run, in words; None while credits remain."""
        left = self._left()
        if self.refused == 0 or not left:
            return None
        if min(left, key=left.__getitem__) == "run":
            return f"run budget of {self.per_run:g} credits reached"
        return f"monthly budget of {self.per_month:g} credits reached"
