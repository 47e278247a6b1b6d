"""A Celery worker pool for the sheets benchmark, and what it reads of its processes from /proc:
CPU seconds, resident memory, sampled along a run."""

import os
import subprocess
import time
from pathlib import Path

WORKERS = 2
TIMEOUT = 1800


def _start_worker() -> subprocess.Popen:
    env = {**os.environ}
    root = Path(__file__).resolve().parent.parent
    process = subprocess.Popen(
        [
            str(root / ".venv/bin/celery"),
            "-A",
            "partyreg",
            "worker",
            "-Q",
            "printing",
            "-c",
            str(WORKERS),
            "-P",
            "prefork",
            "--loglevel",
            "WARNING",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open("/tmp/partyreg-bench-sheets-worker.log", "w"),  # noqa: SIM115
    )
    deadline = time.time() + 60
    while time.time() < deadline and len(_children(process.pid)) < WORKERS:
        time.sleep(0.5)
    time.sleep(2)
    return process


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def _cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


def _status_kib(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class MemorySampler:
    def __init__(self, pids):
        self.pids = pids
        self.first = {p: _status_kib(p, "VmRSS") for p in pids}
        self.last = dict(self.first)
        # (label, {pid: RSS in KiB}) at points of the run: whether memory levels off.
        self.marks: list[tuple[str, dict[int, int]]] = []

    def sample(self):
        for p in self.pids:
            self.last[p] = _status_kib(p, "VmRSS") or self.last[p]

    def mark(self, label: str) -> None:
        self.sample()
        self.marks.append((label, dict(self.last)))

    def course(self) -> str:
        labels = "/".join(label for label, _rss in self.marks)
        return (
            "; ".join(
                f"pid {p}: "
                + ", ".join(f"{rss[p] / 1024:.0f}" for _label, rss in self.marks)
                + " MiB"
                for p in self.pids
            )
            + f" (after {labels} of the sheets)"
        )

    def report(self) -> str:
        rows = []
        for p in self.pids:
            rows.append(
                f"pid {p}: RSS {self.first[p] / 1024:.0f} → {self.last[p] / 1024:.0f} MiB, "
                f"peak {_status_kib(p, 'VmHWM') / 1024:.0f} MiB"
            )
        return "; ".join(rows)


def _wait(predicate, sampler=None, timeout=TIMEOUT, every=0.25):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        if sampler:
            sampler.sample()
        time.sleep(every)
    return False
