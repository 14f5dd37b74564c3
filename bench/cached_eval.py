"""Run a ``leian eval`` command with USE-m3 vectors served from the bench caches (same code path).

    python -m bench.cached_eval clustering --data MIXED.jsonl
    python -m bench.cached_eval routing --data ../shared/eval/gov_messages_labeled.jsonl.gz --folds 5 --nested \\
        --unlabeled ../shared/eval/gov_messages_unlabeled.jsonl.gz

Everything after the first word is passed to ``leian eval`` unchanged; the only difference is the
engine's encoder: a text whose vector is in ``--cache`` (default /tmp/leian-grain, the caches of
``bench.group_grain`` / ``bench.groups`` / ``bench.triplets_fusion``: same model, same texts) gets it,
any other text is encoded by the configured encoder. On a shared 2-core machine this saves
re-encoding thousands of messages per command; the figures are those of the plain command.
"""

from __future__ import annotations

import gzip
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EVAL = Path(os.environ.get("LEIAN_EVAL_DIR") or ROOT.parent / "shared" / "eval")
SOURCES = {
    "gov_labeled": "gov_messages_labeled.jsonl.gz",
    "gov_unlabeled": "gov_messages_unlabeled.jsonl.gz",
}


class CachedEncoder:
    """The configured encoder with a text -> vector table in front of it."""

    def __init__(self, inner_factory, table: dict[str, np.ndarray], name: str, dim: int) -> None:  # type: ignore[no-untyped-def]
        self._factory, self._inner = inner_factory, None
        self.table, self.name, self.dim = table, name, dim
        self.misses = 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        missing = [i for i, t in enumerate(texts) if t not in self.table]
        for i, t in enumerate(texts):
            if t in self.table:
                out[i] = self.table[t]
        if missing:
            self.misses += len(missing)
            if self._inner is None:
                self._inner = self._factory()
            out[missing] = self._inner.encode([texts[i] for i in missing])
        return out


def table(cache: Path) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for name, file in SOURCES.items():
        vec = cache / f"{name}.npy"
        if vec.exists() and (EVAL / file).exists():
            with gzip.open(EVAL / file, "rt", encoding="utf-8") as fh:
                texts = [json.loads(line)["text"] for line in fh]
            out.update(zip(texts, np.load(vec), strict=True))
    texts_file = cache / "triplets.texts.json"
    if texts_file.exists() and (cache / "triplets.npy").exists():
        texts = json.loads(texts_file.read_text(encoding="utf-8"))
        out.update(zip(texts, np.load(cache / "triplets.npy"), strict=True))
    return out


def main(argv: list[str] | None = None) -> None:
    import api.cli.eval as cli_eval
    from api.cli import cli, register_commands
    from indexing.encoders import create_encoder
    from kb.evaluation.engine import Engine

    args = list(sys.argv[1:] if argv is None else argv)
    cache = Path(os.environ.get("LEIAN_BENCH_CACHE", "/tmp/leian-grain"))
    vectors = table(cache)

    def engine(ctx):  # type: ignore[no-untyped-def]
        settings = cli_eval.settings_from(ctx)

        def factory():  # type: ignore[no-untyped-def]
            return create_encoder(settings.encoder, settings.encoder_model, settings.threads)

        enc = CachedEncoder(factory, vectors, settings.encoder, 512)
        return Engine(settings, encoder=enc, tracker=cli_eval._bar)

    cli_eval._engine = engine
    register_commands()
    cli.main(["eval", *args], standalone_mode=True)


if __name__ == "__main__":
    main()
