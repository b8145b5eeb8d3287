"""A progress line for long CLI jobs (seeding, `keys rotate`, CSV exports): done / total, rows/s
and ETA, redrawn on standard error at most a few times a second, so standard output stays the
job's result. Silent when stderr is not a terminal unless `force` (the bench forces it)."""

import sys
import time


class Progress:
    def __init__(self, label: str, total: int | None = None, *, stream=None, force=False):
        self.label, self.total, self.done = label, total, 0
        self.stream = stream or sys.stderr
        self.enabled = force or getattr(self.stream, "isatty", lambda: False)()
        self.started = self.last = time.monotonic()

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.finish()

    def add(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if self.enabled and now - self.last >= 0.25:
            self.last = now
            self._draw(now, end="\r")

    @property
    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    def _draw(self, now: float, *, end: str) -> None:
        elapsed = now - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        if self.total:
            left = max(self.total - self.done, 0)
            eta = f"ETA {left / rate:5.1f} s" if rate and left else f"in {elapsed:.1f} s"
            share = f"{self.done:,}/{self.total:,} ({100 * self.done / self.total:3.0f}%)"
        else:
            eta, share = f"{elapsed:.1f} s", f"{self.done:,}"
        self.stream.write(f"\x1b[2K{self.label}: {share}  {rate:,.0f} rows/s  {eta}{end}")
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled:
            self._draw(time.monotonic(), end="\n")
