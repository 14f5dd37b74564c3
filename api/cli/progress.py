"""Progress of long CLI steps (encoding an import, discovering groups) on the terminal and in the log.

``ProgressLog`` is a progress bar on stderr that also writes a log line at every tenth of the work,
so a log file shows how far an unattended start got. ``log_to_file`` adds a file handler for the
``kb``/``indexing``/``leian`` loggers (the demo keeps ``DATA_DIR/leian.log``).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from types import TracebackType
from typing import Any

import click

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
PROGRESS_LOGGERS = ("kb", "indexing", "leian")


class ProgressLog:
    """``with ProgressLog("导入 cases.jsonl", total, log) as bar: work(progress=bar.update)``."""

    def __init__(
        self, label: str, total: int, logger: logging.Logger, steps: int = 10, after: str | None = None
    ) -> None:
        """``after``: what happens once everything is encoded (said when the bar is full)."""
        self.label, self.total, self.logger, self.after = label, total, logger, after
        self.done, self._next, self._step = 0, 0, max(1, total // steps)
        self._bar: Any = None
        self._tty = sys.stderr.isatty()

    def __enter__(self) -> ProgressLog:
        self._bar = click.progressbar(length=self.total, label=self.label, show_eta=True, file=sys.stderr)
        self._bar.__enter__()
        self.logger.info("%s：开始，共 %d 件", self.label, self.total)
        return self

    def update(self, n: int) -> None:
        self.done += n
        if self._bar is not None:
            self._bar.update(n)
        if self.done >= self._next or self.done >= self.total:
            share = 100 * self.done / max(self.total, 1)
            self._say(f"{self.label}：已编码 {self.done}/{self.total}（{share:.0f}%）")
            self._next = self.done + self._step
            if self.done >= self.total and self.after:
                self._say(f"{self.label}：{self.after}")

    def stage(self, message: str) -> None:
        """A stage after the encoding (a ``StageFn``): on its own line, even beside a bar."""
        self.logger.info("%s：%s", self.label, message)
        click.echo(f"{self.label}：{message}", err=True)

    def _say(self, message: str) -> None:
        self.logger.info("%s", message)
        if not self._tty:  # a bar is invisible in a pipe or a log capture: print the line itself
            click.echo(message, err=True)

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.__exit__(kind, exc, tb)
        if kind is None:
            self.logger.info("%s：完成", self.label)


def print_stage(message: str) -> None:
    """A ``StageFn`` (``kb.groups.discovery``) printing each stage on stderr; the kb code logs it."""
    click.echo(message, err=True)


def log_to_file(path: Path) -> logging.Handler:
    """Append INFO and above of Leian's loggers to ``path`` (idempotent per path)."""
    for name in PROGRESS_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(min(logger.level or logging.INFO, logging.INFO))
        for handler in logger.handlers:
            if isinstance(handler, logging.FileHandler) and Path(handler.baseFilename) == path.resolve():
                return handler
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    for name in PROGRESS_LOGGERS:
        logging.getLogger(name).addHandler(handler)
    return handler
