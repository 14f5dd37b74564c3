"""Encoders: one module per encoder and a small registry keyed by name."""

from __future__ import annotations

from collections.abc import Callable

from indexing.encoders.base import Encoder, l2_normalize, usable_cores


def _use(model: str | None, threads: int | None) -> Encoder:
    from indexing.encoders.use import USEEncoder

    return USEEncoder(threads=threads)


def _use_int8(model: str | None, threads: int | None) -> Encoder:
    from indexing.encoders.use_int8 import USEInt8Encoder

    return USEInt8Encoder(threads=threads)


def _sbert(model: str | None, threads: int | None) -> Encoder:
    from indexing.encoders.sbert import SentenceTransformerEncoder

    if not model:
        raise ValueError("the 'sbert' encoder needs a model path (LEIAN_ENCODER_MODEL)")
    return SentenceTransformerEncoder(model, threads=threads)


def _hashing(model: str | None, threads: int | None) -> Encoder:
    from indexing.encoders.hashing import HashingEncoder

    return HashingEncoder(int(model) if model else 256)


ENCODERS: dict[str, Callable[[str | None, int | None], Encoder]] = {
    "use-m3": _use,
    "use-m3-int8": _use_int8,
    "sbert": _sbert,
    "hashing": _hashing,
}


def create_encoder(name: str, model: str | None = None, threads: int | None = None) -> Encoder:
    try:
        factory = ENCODERS[name]
    except KeyError:
        raise ValueError(f"unknown encoder '{name}'; choose one of {sorted(ENCODERS)}") from None
    return factory(model, threads)


__all__ = ["ENCODERS", "Encoder", "create_encoder", "l2_normalize", "usable_cores"]
