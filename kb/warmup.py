"""Everything a serving process would otherwise build on its first request, built at start.

``leian serve`` starts ``Warmup.start`` once the service is open: every step (the encoder's first
call, the routing models, the model-case index) runs in a background thread of its own, at once,
while the server already answers, so a quick step is ready without waiting behind a slow one (the
model-case index used to wait for the routing fit); ``state`` is what ``/api/health`` reports per
step: ``pending`` (not started), ``warming``, ``ready`` or ``failed`` (the step is then done lazily
on first use, as before, and the log says why), and ``seconds`` how long each finished step took.
A request that needs a step meanwhile does the work itself or waits for it (each step's owner
guards its own build), so nothing is built twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

log = logging.getLogger(__name__)

STATES = ("pending", "warming", "ready", "failed")


class Warmup:
    def __init__(self, steps: Sequence[tuple[str, Callable[[], object]]]) -> None:
        self._steps = list(steps)
        self._state = {name: "pending" for name, _ in self._steps}
        self._seconds: dict[str, float] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> threading.Thread:
        """Run the steps in a daemon thread (idempotent: a second call returns the same thread),
        which ends when every step has."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self.run, name="leian-warm-up", daemon=True)
                self._thread.start()
            return self._thread

    def run(self) -> None:
        """Every step at once, each in a thread of its own; returns when all have finished."""
        threads = [
            threading.Thread(target=self._run_step, args=(name, step), name=f"leian-warm-up-{name}", daemon=True)
            for name, step in self._steps
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _run_step(self, name: str, step: Callable[[], object]) -> None:
        with self._lock:
            self._state[name] = "warming"
        started = time.perf_counter()
        try:
            step()
            outcome = "ready"
        except Exception:  # a failed step is done lazily on first use, as before
            log.exception("warm-up step %s failed; it is done on first use", name)
            outcome = "failed"
        with self._lock:
            self._state[name] = outcome
            self._seconds[name] = time.perf_counter() - started
        log.info("warm-up: %s %s in %.1f s", name, outcome, self._seconds[name])

    def state(self) -> dict[str, str]:
        with self._lock:
            return dict(self._state)

    def seconds(self) -> dict[str, float]:
        """Seconds each finished step took (a step still running is absent)."""
        with self._lock:
            return {name: round(s, 2) for name, s in self._seconds.items()}
