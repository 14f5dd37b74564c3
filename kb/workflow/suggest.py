"""Routing suggestions fed from the knowledge base: live kNN over the index + a lazily refitted linear model.

The linear model (``kb.routing_features``) is fitted on the handled cases' tokens, vectors and texts
(title。content, so the title features see each case's title) and takes its class terms from a finer
field of the same cases: the categories seen per department, the districts seen per city.

A fitted model is stored in the database (``kb.workflow.router_store``, migration 34): a later start
of any worker or machine loads it instead of fitting while it still matches (same encoder, same
configuration, labelled count within ``refit_growth``), and a model found stale is first looked up
there again (another worker may have refitted it) before this process fits and stores a new one.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import numpy as np

from kb.domain import SearchFilters
from kb.kernel import Kernel
from kb.routing_features import LinearRouter, terms_from_fields
from kb.search import Query, hybrid_search
from kb.storage.filter_cache import read_filter_generation
from kb.workflow import store
from kb.workflow.router_store import RouterModelStore, config_key, process_owner
from kb.workflow.routing import RouterConfig, Suggestion, suggestion

log = logging.getLogger(__name__)
HANDLED = ["in_progress", "resolved", "unresolved", "closed"]
TARGETS = {"department": "责任部门", "city": "属地"}
# The finer field whose values, per target class, become that class's terms.
TERM_FIELDS = {"department": "category", "city": "district"}


@dataclass(frozen=True)
class ModelSource:
    """Where a target's model in memory came from: ``fitted`` here or ``loaded`` from the database."""

    source: str
    labelled_count: int
    seconds: float


class LiveRouter:
    def __init__(self, kernel: Kernel, config: RouterConfig | None = None) -> None:
        self.kernel = kernel
        self.config = config or RouterConfig()
        self.stored = RouterModelStore(kernel.db, kernel.clock)
        self._models: dict[str, tuple[int, LinearRouter]] = {}
        self._sources: dict[str, ModelSource] = {}
        self._counts: dict[str, tuple[int, int]] = {}  # column -> (filter generation, labelled count)
        self.fits = 0  # fits done by this router (the stored models save the others)
        # Claim owner: this process, and this router within it (two routers on one database in a test).
        self.owner = f"{process_owner()}:{id(self)}"
        self.claim_poll_seconds = 2.0  # how often a worker waiting for another's fit looks again
        self._lock = threading.Lock()
        self._warming: threading.Thread | None = None
        self._warm_error: str | None = None

    # -- readiness: fitted at start in the background, reported by health ------------------------
    def warm_up(self) -> None:
        """Fit or load every target's linear model now (the first suggestion then answers at once).

        A first pass skips the targets another worker is fitting, so two workers starting together
        fit one target each; the second pass waits for those and loads them."""
        for column in TARGETS:
            self.linear(column, wait=False)
        for column in TARGETS:
            self.linear(column)

    def warm_up_in_background(self) -> threading.Thread:
        """Start ``warm_up`` in a daemon thread (idempotent); a suggestion asked meanwhile waits
        for the fit in progress instead of fitting a second time."""
        with self._lock:
            if self._warming is None:
                self._warming = threading.Thread(target=self._warm, name="leian-router-warm-up", daemon=True)
                self._warming.start()
            return self._warming

    def _warm(self) -> None:
        try:
            self.warm_up()
            log.info("routing models ready")
        except Exception as exc:  # a failed warm-up leaves the lazy fit on first use
            self._warm_error = type(exc).__name__
            log.exception("routing warm-up failed; models will be fitted on first use")

    @property
    def state(self) -> str:
        """``ready`` (every model fitted, loaded or not needed), ``fitting`` (the warm-up thread is on
        it: fitting, loading or waiting for another worker's fit) or ``lazy`` (done on first use)."""
        if all(column in self._models for column in TARGETS):
            return "ready"
        if self._warming is not None and self._warming.is_alive():
            return "fitting"
        if self._warming is not None and self._warm_error is None:
            return "ready"  # fewer than two labelled cases: there is nothing to fit yet
        return "lazy"

    def sources(self) -> dict[str, dict[str, object]]:
        """Per target: ``fitted`` or ``loaded``, the labelled count it was fitted on and the seconds
        its fit or load took (what ``/api/health`` reports as ``router_models``)."""
        # Without ``_lock``: a fit holds it for minutes, and health must answer meanwhile.
        return {
            t: {"source": s.source, "labelled_count": s.labelled_count, "seconds": round(s.seconds, 2)}
            for t, s in dict(self._sources).items()
        }

    def labelled_count(self, column: str) -> int:
        """Handled cases with ``column`` set, counted again only when the filter generation moved.

        Every suggestion asks (is the model still current?); the count reads the status index and
        every handled row's ``column``: 1.4–1.9 s at 1,000,000 cases (docs/benchmarks.md "Warm
        paths"). ``meta.filter_generation`` is moved by triggers on every insert, delete and update
        of status, department or city (kb/storage/filter_cache.py), in any process, so an unchanged
        generation means an unchanged count."""
        generation = read_filter_generation(self.kernel.db)  # before the count, as the filter cache
        cached = self._counts.get(column)
        if generation is not None and cached is not None and cached[0] == generation:
            return cached[1]
        count = store.labelled_count(self.kernel.db, column, HANDLED)
        if generation is not None:
            self._counts[column] = (generation, count)
        return count

    def _current(self, fitted_on: int, count: int) -> bool:
        return abs(count - fitted_on) <= fitted_on * self.config.refit_growth

    def _key(self, column: str) -> str:
        # The segmenter's dictionaries too: they decide the title features' tokens.
        words = self.kernel.segmenter.dictionary_digest()
        return config_key((self.config.linear, self.config.max_train, TERM_FIELDS[column], HANDLED, words))

    def linear(self, column: str, *, wait: bool = True) -> LinearRouter | None:
        """The fitted linear model: the one in memory, else the stored one, else fitted now (and
        stored); refitted when the labelled count moved by more than ``refit_growth``. While another
        worker is fitting it, wait and load its result (``wait=False``: return None instead)."""
        count = self.labelled_count(column)
        with self._lock:
            cached = self._models.get(column)
            if cached and self._current(cached[0], count):
                return cached[1]
            if count < 2:
                return None
            loaded = self._load(column, count)
            if loaded is not None:
                return loaded
            claim = self._claim_fit(column, count, wait)
            if claim is None:  # another worker is fitting it and the caller does not wait
                return None
            loaded, claimed = claim
            try:
                if loaded is not None:
                    return loaded
                started = time.perf_counter()
                model = self._fit(column)
                seconds = time.perf_counter() - started
                self.fits += 1
                self._models[column] = (count, model)
                self._sources[column] = ModelSource("fitted", count, seconds)
                try:
                    self.stored.save(column, count, self._key(column), self.kernel.encoder.name, model, seconds)
                except Exception:  # not stored: this process keeps its fit, the next start fits again
                    log.exception("the fitted %s router could not be stored", column)
            finally:
                if claimed:
                    self._release(column)
            return model

    def _claim_fit(self, column: str, count: int, wait: bool = True) -> tuple[LinearRouter | None, bool] | None:
        """Claim the fit of ``column``, or wait while another worker holds it and load its result.

        Returns (a model another worker stored, or None: fit it here; whether this router holds
        the claim), or None when another worker holds it and ``wait`` is false. A claim that cannot
        be read or written at all (e.g. mid-upgrade) fits unclaimed."""
        while True:
            try:
                mine = self.stored.claim(column, self.owner)
            except Exception:
                log.exception("could not claim the %s router fit; fitting unclaimed", column)
                return None, False
            if mine:  # another worker may have stored it between the look-up and the claim
                return self._load(column, count), True
            if not wait:
                return None
            log.info("another worker is fitting the %s router; waiting to load it", column)
            while self._claimed_elsewhere(column):
                time.sleep(self.claim_poll_seconds)
            loaded = self._load(column, count)
            if loaded is not None:
                return loaded, False
            # The other worker stopped without storing a match: claim again (or take over).

    def _release(self, column: str) -> None:
        try:
            self.stored.release(column, self.owner)
        except Exception:  # the claim then expires (CLAIM_SECONDS) or dies with this process
            log.exception("could not release the %s router fit claim", column)

    def _claimed_elsewhere(self, column: str) -> bool:
        try:
            return self.stored.claimed_by_other(column, self.owner)
        except Exception:
            log.exception("could not read the %s router fit claim", column)
            return False

    def _load(self, column: str, count: int) -> LinearRouter | None:
        """The stored model when it matches this encoder, configuration and labelled count."""
        key, encoder = self._key(column), self.kernel.encoder.name
        started = time.perf_counter()
        try:
            stored_count = self.stored.labelled_count(column, key, encoder)
            if stored_count is None or not self._current(stored_count, count):
                return None
            found = self.stored.load(column, key, encoder, self.kernel.segmenter.tokens)
        except Exception:  # the table unreadable (e.g. mid-migration): fit as before
            log.exception("the stored %s router could not be read; fitting", column)
            return None
        if found is None:
            return None
        seconds = time.perf_counter() - started
        self._models[column] = (found.labelled_count, found.model)
        self._sources[column] = ModelSource("loaded", found.labelled_count, seconds)
        log.info("loaded the %s router fitted on %d cases (%.1f s)", column, found.labelled_count, seconds)
        return found.model

    def _fit(self, column: str) -> LinearRouter:
        rows = store.training_rows(self.kernel.db, column, TERM_FIELDS[column], HANDLED, self.config.max_train)
        vectors = self.kernel.cases.vectors_for(self.kernel.encoder.name, [r["id"] for r in rows])
        rows = [r for r in rows if r["id"] in vectors]
        dense = np.vstack([vectors[r["id"]] for r in rows]) if rows else np.zeros((0, self.kernel.encoder.dim))
        labels = [r["label"] for r in rows]
        # As kb.domain.Case.text: what the query side sees for a stored case.
        texts = [f"{r['title']}。{r['content']}" if r["title"] else r["content"] for r in rows]
        log.info("fitting the %s router on %d handled cases", column, len(rows))
        # The bare linear model: kNN votes come from the live index, so no training matrices are kept.
        router = LinearRouter(self.config.linear, self.kernel.segmenter.tokens)
        return router.fit(
            [r["tokens"].split() for r in rows],
            dense,
            labels,
            texts,
            terms_from_fields([r["term"] for r in rows], labels),
        )

    def knn(self, query: Query, column: str) -> dict[str, float]:
        """Votes of the most similar handled cases found by the live hybrid search."""
        kernel = self.kernel
        hits = hybrid_search(
            kernel.index,
            query,
            SearchFilters(statuses=HANDLED),
            self.config.k,
            method=kernel.settings.fusion,
            dense_weight=kernel.settings.dense_weight,
            depth=kernel.settings.candidate_depth,
        )
        # RRF scores barely separate rank 1 from rank 15, so votes use the similarities themselves
        # (dense cosine and BM25 relative to the best hit), squared as in ``routing.knn_proba``.
        votes: dict[str, float] = {}
        top_lex = max((h.lexical_score or 0.0 for h in hits), default=0.0) or 1.0
        w = self.config.dense_weight
        for h in hits:
            label = getattr(h.case, column)
            sim = w * max(h.dense_score or 0.0, 0.0) + (1 - w) * (h.lexical_score or 0.0) / top_lex
            if label:
                votes[label] = votes.get(label, 0.0) + sim**2
        total = sum(votes.values())
        return {k: v / total for k, v in votes.items()} if total else {}

    def suggest(self, query: Query, column: str) -> Suggestion:
        knn = self.knn(query, column)
        model = self.linear(column)
        linear: dict[str, float] = {}
        if model is not None and model.model_ is not None:
            proba = model.proba([query.tokens], query.vector[None, :], [query.text])[0]
            linear = dict(zip(model.classes_, proba.tolist(), strict=True))
        classes = sorted(set(knn) | set(linear))
        if knn and linear:
            w, basis = self.config.knn_weight, "相似案件投票 + 线性模型"
        elif knn:
            w, basis = 1.0, "相似案件投票"
        else:
            w, basis = 0.0, "线性模型"
        combined = np.array([w * knn.get(c, 0.0) + (1 - w) * linear.get(c, 0.0) for c in classes])
        found = suggestion(column, classes, combined, self.config, basis)
        return self.with_place(found, query.text) if column == "city" else found

    def with_place(self, found: Suggestion, text: str) -> Suggestion:
        """The locality the text names beats the classifier; a disagreement is kept as ``conflict``."""
        place = self.kernel.gazetteer.city_in(text)
        if place is None:
            return found
        model = found.value
        probs = dict(found.alternatives)
        if model is not None:
            probs[model] = found.confidence
        others = [(c, p) for c, p in sorted(probs.items(), key=lambda cp: -cp[1]) if c != place.city][:3]
        return Suggestion(
            found.target,
            place.city,
            probs.get(place.city, 0.0),
            others,
            low_confidence=model is not None and model != place.city,
            basis=f"文中地名（{place.label}）" + (f" + {found.basis}" if found.basis else ""),
            place=place.label,
            conflict=model if model is not None and model != place.city else None,
        )
