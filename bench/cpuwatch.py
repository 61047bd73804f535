"""CPU time over a measured window, per party: server, PostgreSQL, load generator, the rest.

The benchmark shares two cores with its server and database, and a development machine may
be running other work too; CPU time per step stays comparable where steps/s do not.
Linux only (reads /proc); elsewhere every figure is zero.
"""

from __future__ import annotations

import os
import pwd
from dataclasses import dataclass
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of a live process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK


def _pids() -> list[int]:
    try:
        return [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return []


def _machine_busy() -> float:
    """CPU seconds spent by the whole machine, all cores, excluding idle and iowait."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0
    return (sum(values) - values[3] - values[4]) / _TICK


def _postgres_uid() -> int | None:
    try:
        return pwd.getpwnam("postgres").pw_uid
    except KeyError:
        return None


@dataclass(frozen=True, slots=True)
class Reading:
    machine: float
    server: float
    postgres: float
    generator: float


class CpuWatch:
    """Reads CPU time at `start` and `stop`; `summary(steps)` says where it went."""

    def __init__(self, server_pid: int | None) -> None:
        self._server_pid = server_pid
        self._pg_uid = _postgres_uid()
        self._start: Reading | None = None
        self._stop: Reading | None = None
        self._wall = 0.0

    def read(self) -> Reading:
        parents: dict[int, int] = {}
        cpu: dict[int, float] = {}
        postgres = 0.0
        for pid in _pids():
            stat = _stat(pid)
            if stat is None:
                continue
            parents[pid], cpu[pid] = stat
            if self._pg_uid is not None:
                try:
                    if os.stat(f"/proc/{pid}").st_uid == self._pg_uid:
                        postgres += stat[1]
                except OSError:
                    continue
        server = sum(seconds for pid, seconds in cpu.items() if self._in_server(pid, parents))
        times = os.times()
        return Reading(_machine_busy(), server, postgres, times.user + times.system)

    def _in_server(self, pid: int, parents: dict[int, int]) -> bool:
        while pid > 1:
            if pid == self._server_pid:
                return True
            pid = parents.get(pid, 0)
        return False

    def start(self) -> None:
        self._start = self.read()
        self._wall = -os.times().elapsed

    def stop(self) -> None:
        self._stop = self.read()
        self._wall += os.times().elapsed

    @property
    def server_seconds(self) -> float:
        """The server's CPU seconds over the window (0 until it has stopped), for a
        benchmark that compares windows by the server's CPU per request."""
        if self._start is None or self._stop is None:
            return 0.0
        return self._stop.server - self._start.server

    def summary(self, steps: int) -> str:
        if self._start is None or self._stop is None or not steps or self._wall <= 0:
            return "  cpu: not measured"
        a, b = self._start, self._stop
        server, postgres = b.server - a.server, b.postgres - a.postgres
        generator, machine = b.generator - a.generator, b.machine - a.machine
        other = max(machine - server - postgres - generator, 0.0)
        per_step = 1e6 / steps
        return (
            f"  cpu per step: server {server * per_step:,.0f} us, postgres "
            f"{postgres * per_step:,.0f} us, generator {generator * per_step:,.0f} us; "
            f"cores busy {machine / self._wall:.2f} (other work {other / self._wall:.2f})"
        )
