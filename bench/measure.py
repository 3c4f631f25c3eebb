"""Run one command and measure its whole process tree.

- wall time: `time.perf_counter` around start and exit of the command;
- CPU time: user + sys from `os.wait4` on the command's process. Linux reports the
  process's own usage plus that of every descendant it waited for (a shell pipeline's
  members are included), so this is the CPU time of the whole client-side tree;
- peak RSS: a thread samples the tree (the process and all its descendants, via psutil)
  every `interval` seconds and sums their RSS; the peak of those sums is reported. Pages
  shared between processes (libraries, shared memory) are counted once per process, so the
  sum is an upper bound of the tree's real footprint. A spike shorter than the interval can
  be missed, so each sample also reads every process's high-water mark (VmHWM in
  /proc/PID/status, exact and kept by the kernel since the process's exec), and the reported
  peak is the larger of the sampled sum and the largest single high-water mark (the tree's
  sum was at least that at that moment). Only a spike in a process's last ~20 ms can still
  be missed. (The kernel's ru_maxrss is no help here: it keeps the RSS of the forked copy of
  the benchmark itself from before exec.)

Work done inside a database server (a PostgreSQL backend, mariadbd) is outside the tree and
is counted in wall time only.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

SAMPLE_INTERVAL_S = 0.02
STDERR_TAIL_CHARS = 2000


class CommandFailed(RuntimeError):
    """A measured command exited with a non-zero status."""


@dataclass(frozen=True)
class Sample:
    wall_s: float
    cpu_s: float
    peak_rss_bytes: int  # max(sampled_peak_rss_bytes, max_single_rss_bytes)
    sampled_peak_rss_bytes: int
    max_single_rss_bytes: int
    samples: int


def high_water_rss(pid: int) -> int:
    """The process's peak RSS so far (VmHWM), in bytes; 0 if it is gone or unreadable."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def tree_rss(root: psutil.Process) -> tuple[int, int]:
    """(sum of RSS over `root` and all its descendants, largest single VmHWM among them)."""
    try:
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0, 0
    total = high_water = 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.Error:
            continue
        high_water = max(high_water, high_water_rss(proc.pid))
    return total, high_water


class TreeSampler(threading.Thread):
    """Samples the RSS of a process tree until `stop()`; keeps the peak."""

    def __init__(self, pid: int, interval: float = SAMPLE_INTERVAL_S) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.peak = 0
        self.high_water = 0
        self.count = 0
        self._stop_event = threading.Event()
        try:
            self._root: psutil.Process | None = psutil.Process(pid)
        except psutil.Error:
            self._root = None

    def run(self) -> None:
        while self._root is not None and not self._stop_event.is_set():
            total, high_water = tree_rss(self._root)
            self.peak = max(self.peak, total)
            self.high_water = max(self.high_water, high_water)
            self.count += 1
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def _tail(path: Path) -> str:
    try:
        return path.read_text(errors="replace")[-STDERR_TAIL_CHARS:]
    except OSError:
        return ""


def run_measured(
    argv: Sequence[str],
    env: Mapping[str, str] | None = None,
    stdout: Path | None = None,
    stderr: Path | None = None,
    interval: float = SAMPLE_INTERVAL_S,
) -> Sample:
    """Run `argv` to completion and measure it; raise CommandFailed on a non-zero exit."""
    out_path = stdout or Path(os.devnull)
    err_path = stderr or Path(os.devnull)
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            list(argv),
            env=dict(env) if env else None,
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
        )
        sampler = TreeSampler(proc.pid, interval)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        sampler.stop()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tails = [_tail(p) for p in (stdout, stderr) if p is not None]
        raise CommandFailed(
            f"{' '.join(argv)[:300]} exited {proc.returncode}: " + " / ".join(t for t in tails if t)
        )
    return Sample(
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        peak_rss_bytes=max(sampler.peak, sampler.high_water),
        sampled_peak_rss_bytes=sampler.peak,
        max_single_rss_bytes=sampler.high_water,
        samples=sampler.count,
    )
