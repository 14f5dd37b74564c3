"""Encoders that misbehave inside pool workers (test_parallel_ingest); kept light to import in workers."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from indexing.encoders.hashing import HashingEncoder


class CrashingEncoder:
    """Hashing vectors, but the worker process dies on any text containing 崩溃."""

    name, dim = "hashing-64", 64

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if any("崩溃" in t for t in texts):
            os._exit(3)
        return HashingEncoder(64).encode(texts)


class RaisingEncoder(CrashingEncoder):
    """Raises instead of dying."""

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if any("崩溃" in t for t in texts):
            raise ValueError("模型输入异常")
        return HashingEncoder(64).encode(texts)


def crashing() -> CrashingEncoder:
    return CrashingEncoder()


def raising() -> RaisingEncoder:
    return RaisingEncoder()


class SlowEncoder(CrashingEncoder):
    """Hashing vectors after a pause per call: a worker far slower than the caller."""

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        import time

        time.sleep(0.5)
        return HashingEncoder(64).encode(texts)


def slow() -> SlowEncoder:
    return SlowEncoder()
