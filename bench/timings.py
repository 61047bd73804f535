"""Figures of an in-process loop: rate, percentiles and CPU time per call, printed the same
way by every in-process benchmark (webauthn_verify, policy_decide)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Figures:
    label: str
    count: int
    seconds: float
    cpu_seconds: float
    """This process's CPU time over the loop: steady when other work shares the machine."""
    durations_ns: tuple[int, ...]
    """Sorted."""
    unit: str = "calls"
    """What one call is, for the printed rate ("decisions", "verifications")."""

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    def percentile_us(self, fraction: float) -> float:
        index = min(len(self.durations_ns) - 1, int(fraction * len(self.durations_ns)))
        return self.durations_ns[index] / 1000

    def line(self) -> str:
        return (
            f"{self.label:<25} {self.rate:8.0f} {self.unit}/s  "
            f"p50 {self.percentile_us(0.5):7.1f} µs  p99 {self.percentile_us(0.99):7.1f} µs  "
            f"CPU {self.cpu_seconds / self.count * 1e6:6.1f} µs each  "
            f"({self.count} in {self.seconds:.2f} s)"
        )
