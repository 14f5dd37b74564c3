"""CaseService: ingest (all or nothing), create/update/delete, scoped reads, search, reindex, health.

HTTP and the command line are two doors to these methods; authorization is checked here, so both
doors enforce the same rules (``actor`` defaults to the system principal for internal callers).
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import numpy as np
from pydantic import ValidationError

from indexing.encoders import Encoder
from indexing.encoders.base import usable_cores
from indexing.encoders.pool import EncoderPoolError, ProcessPoolEncoder, fit_workers, start_encoding
from indexing.vectors.batch_knn import batch_neighbours
from kb.cases.encode_ahead import EncodeAhead
from kb.cases.stage_store import ImportStage
from kb.domain import Case, CaseIn, CaseUpdate, SearchFilters, SearchHit
from kb.errors import EncodingError, FieldProblem, ImportReport, InvalidInputError, NotFoundError
from kb.fields import case_fields, to_row
from kb.identity_key import KEY_HINT, check_key, key_state
from kb.indexer import CaseIndex
from kb.kernel import IngestBatch, Kernel, scoped, text_of
from kb.messages import problems_from
from kb.privacy import petitioner_key
from kb.readers import CaseTable, StreamedTable
from kb.scope import Scope
from kb.search import Query, hybrid_search
from kb.users import SYSTEM, Principal

log = logging.getLogger(__name__)
ProgressFn = Callable[[int], None]
# One line per stage of an import after its encoding (writing, the ingest hooks, the index).
StageFn = Callable[[str], None]
# Rows an import holds in memory at a time (validation, encoding, writing, ingest hooks).
IMPORT_CHUNK = 4096
# Nearest cases of the same file each imported case is compared with (联名 detection).
PEERS = 10
# Validated rows handed to the encoder at a time while the rest of the file is validated.
AHEAD_STEP = 64


def content_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def out_of_scope(scope: Scope, case: CaseIn, row: int | None, *, moving: bool) -> FieldProblem:
    """The refusal of a case put outside ``scope``, naming the field that puts it there."""
    where = scope.describe()
    if scope.kind in ("city", "cities"):
        verb = "移出" if moving else "登记到"
        return FieldProblem("city", f"不能把案件{verb}{where}之外（地市：{case.city or '未填写'}）", row)
    if scope.kind == "department":
        verb = "移出" if moving else "登记到"
        return FieldProblem(
            "department", f"不能把案件{verb}{where}之外（责任部门：{case.department or '未填写'}）", row
        )
    return FieldProblem("litigation", f"{where}只处理涉法涉诉案件，不能登记或移出案件", row)


def _same(values: Mapping[str, Any], stored: Mapping[str, Any] | None) -> bool:
    """Whether a row sets every column it carries to what is already stored."""
    return stored is not None and all(stored.get(column) == value for column, value in values.items())


class CaseService:
    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.settings, self.db, self.cases, self.index = kernel.settings, kernel.db, kernel.cases, kernel.index
        # Item -> score adjustment for a typed query's vector and tokens (set by the composition root: kb.feedback).
        self.feedback_boosts: Callable[[np.ndarray, Sequence[str]], dict[int, float]] | None = None

    @property
    def encoder(self) -> Encoder:
        return self.kernel.encoder

    # -- writes ----------------------------------------------------------------------------------
    def validate_rows(
        self, rows: Iterable[tuple[int | None, dict[str, Any]]], columns: Mapping[str, str] | None = None
    ) -> list[CaseIn]:
        """Validate every row first; any problem fails the whole batch before anything is written.

        ``columns`` (field name -> the file's header) makes problems name the column as the file
        spells it (``登记日期``) rather than the field (``received_date``); a column the file lacks
        is named by its Chinese label (``内容``).
        """
        return [case for _, case in self._validated(rows, columns)]

    def _validated(
        self, rows: Iterable[tuple[int | None, dict[str, Any]]], columns: Mapping[str, str] | None = None
    ) -> list[tuple[int | None, CaseIn]]:
        problems: list[FieldProblem] = []
        return list(self._validated_stream(rows, columns, problems))

    def _validated_stream(
        self,
        rows: Iterable[tuple[int | None, dict[str, Any]]],
        columns: Mapping[str, str] | None,
        problems: list[FieldProblem],
    ) -> Iterator[tuple[int | None, CaseIn]]:
        """Valid rows as they are read; once the input ends, raises with every problem found (the
        rows yielded before must then be discarded). ``problems`` fills as rows are read."""
        seen: dict[str, int | None] = {}
        keyless: list[tuple[int | None, str]] = []
        units = self.kernel.units
        for row_no, raw in rows:
            try:
                case = CaseIn.model_validate(raw)
            except ValidationError as exc:
                problems.extend(problems_from(exc, row_no))
                continue
            found = units.normalise_case(case, row_no)
            problems.extend(found)
            if case.external_no in seen:
                problems.append(FieldProblem("external_no", f"与第 {seen[case.external_no]} 行重复", row_no))
                found = [problems[-1]]
            seen[case.external_no] = row_no
            if (case.petitioner_id or case.petitioner_phone) and not self.settings.petitioner_key:
                keyless.append((row_no, "petitioner_id" if case.petitioner_id else "petitioner_phone"))
            if not found:
                yield row_no, case
        if keyless:  # one problem for the file: the fix is a setting, not an edit of each row
            lines = "、".join(str(r) for r, _ in keyless[:5] if r is not None)
            where = f"（第 {lines} 行{'等' if len(keyless) > 5 else ''}）" if lines else ""
            message = (
                f"{len(keyless)} 行含身份证号或联系电话{where}，但未配置信访人密钥（{KEY_HINT}），无法保存信访人身份"
            )
            problems.append(FieldProblem(keyless[0][1], message, keyless[0][0]))
        if problems:
            if columns is not None:  # a file: its own header, else the field's Chinese label
                labels = {f.name: f.label for f in case_fields()}
                problems[:] = [replace(p, field=columns.get(p.field) or labels.get(p.field, p.field)) for p in problems]
            raise InvalidInputError(list(problems))

    def check_write_scope(self, rows: Sequence[tuple[int | None, CaseIn]], actor: Principal) -> None:
        """Issue 16: a bound account writes only within its scope, for every row of a batch.

        A new case must be registered within the scope (``Scope.may_write``); an existing
        registry number must belong to a case the account sees, and the row must keep it there.
        Another unit's case is never described: the row is refused with the same words whatever
        the case holds. Any refused row refuses the whole batch, naming every row.
        """
        scope = actor.scope
        if scope.provincial:
            return
        stored = self.cases.get_many_by_external([c.external_no for _, c in rows])
        assigned = self.cases.active_units([c.id for c in stored.values()]) if scope.kind == "department" else {}
        problems: list[FieldProblem] = []
        for row_no, case in rows:
            current = stored.get(case.external_no)
            units = assigned.get(current.id, set()) if current is not None else set()
            if current is not None and not scope.sees(current, units):
                problems.append(FieldProblem("external_no", "登记编号已存在，且不属于本单位", row_no))
            elif current is not None and scope.sees(case, units):
                continue  # an own case updated and still within the scope
            elif not scope.may_write(case.city, case.department):
                problems.append(out_of_scope(scope, case, row_no, moving=current is not None))
        if problems:
            raise InvalidInputError(problems)

    def ingest_table(self, table: CaseTable | StreamedTable, **kwargs: Any) -> ImportReport:
        """``ingest`` of a file read by ``kb.readers.read_table``: its headers name the problems and
        its ignored columns are reported."""
        return self.ingest(table.rows, columns=table.columns, ignored=table.ignored, **kwargs)

    def ingest(
        self,
        rows: Iterable[tuple[int | None, dict[str, Any]]],
        *,
        batch_size: int = 256,
        progress: ProgressFn | None = None,
        actor: Principal = SYSTEM,
        columns: Mapping[str, str] | None = None,
        ignored: Sequence[str] = (),
        phase: StageFn | None = None,
    ) -> ImportReport:
        """Validate, then embed and store all rows in ONE transaction (all or nothing).

        Idempotent on ``external_no``: a re-import updates the stored case, and an unchanged text
        is not embedded again; a row identical to the stored case is counted as unchanged and not
        written at all.
        """
        actor.require("cases:import")
        return self._store(
            rows, batch_size=batch_size, progress=progress, actor=actor, columns=columns, ignored=ignored, phase=phase
        )

    def _store(
        self,
        rows: Iterable[tuple[int | None, dict[str, Any]]],
        *,
        batch_size: int = 256,
        progress: ProgressFn | None = None,
        actor: Principal = SYSTEM,
        columns: Mapping[str, str] | None = None,
        ignored: Sequence[str] = (),
        phase: StageFn | None = None,
    ) -> ImportReport:
        """``ingest`` after its permission check; the ingest hooks see ``actor`` as the one storing.

        The rows are read once and pass in chunks of ``IMPORT_CHUNK`` through a scratch store
        (``kb.cases.stage_store``): validated (every problem of the file is reported before anything
        is written), encoded, then written to the knowledge base in ONE transaction, so memory
        holds one chunk whatever the file size and the import stays all or nothing. With an
        in-process encoder the first chunk is encoded on a thread while the file is still being
        validated (``kb.cases.encode_ahead``; an invalid file stops it). ``phase`` hears of each
        stage after the encoding (a million-row file spends about half an hour there): writing, the
        within-file neighbours, the hooks part by part, the search index and its snapshot; the first
        three run inside the import's write transaction, so it must not write to the database.
        """
        say = phase or (lambda message: None)
        with ImportStage(self.encoder.dim) as stage:
            with self.bulk_encoder() as encoder:
                # An in-process encoder starts on the first part while the file is still validated.
                ahead = (
                    None if isinstance(encoder, ProcessPoolEncoder) else EncodeAhead(encoder, IMPORT_CHUNK, batch_size)
                )
                try:
                    external_nos, identities = self._validate_into(stage, rows, columns, actor, ahead)
                    report = ImportReport(ignored_columns=list(ignored), external_nos=external_nos)
                    hashes_identities = self.settings.petitioner_key is not None and identities
                    if hashes_identities and key_state(self.db, self.settings.petitioner_key) == "mismatch":
                        with self.db.transaction() as conn:  # raises before anything is written
                            check_key(conn, self.settings.petitioner_key or "")
                    encoded = self._prepare(stage, report, batch_size, progress, encoder, ahead)
                finally:
                    if ahead is not None:
                        ahead.close()
            if not stage.changed:
                log.info("import of %d cases: nothing changed", stage.count)
                return report
            with self.db.transaction() as conn:
                if hashes_identities:
                    check_key(conn, self.settings.petitioner_key or "")
                say(f"写入数据库：{stage.changed} 件（新增或有变化）")
                for chunk in stage.prepared_chunks(IMPORT_CHUNK):
                    stored = self.cases.upsert_many(conn, [(case.external_no, values) for _, case, values, _ in chunk])
                    written = [
                        (item[0], case_id, is_new) for item, (case_id, is_new) in zip(chunk, stored, strict=True)
                    ]
                    stage.save_ids(written)
                    self.cases.save_vectors(
                        conn,
                        self.encoder.name,
                        [
                            (cid, chunk[i][2]["content_hash"], stage.vectors[pos])
                            for i, (pos, cid, _) in enumerate(written)
                        ],
                    )
                ids, created = stage.ids()
                self._run_hooks(conn, stage, ids, created, actor, say)
                generation = CaseIndex.bump_generation(conn, ids)
            say(f"更新检索索引：{len(ids)} 件")
            for start in range(0, len(ids), IMPORT_CHUNK):
                part = stage.prepared_at(list(range(start, min(len(ids), start + IMPORT_CHUNK))))
                last = start + IMPORT_CHUNK >= len(ids)
                self.index.apply(
                    ids[start : start + IMPORT_CHUNK],
                    np.asarray(stage.vectors[start : start + len(part)]),
                    [values["tokens"].split() for _, values, _ in part],
                    generation if last else None,
                )
            say("保存索引快照")
            self.index.save()
        for is_new, re_embedded in zip(created, encoded, strict=True):
            report.created += is_new
            report.updated += not is_new
            report.reembedded += (not is_new) and re_embedded
        log.info(
            "ingested %d cases (%d new, %d updated, %d unchanged)",
            len(external_nos),
            report.created,
            report.updated,
            report.unchanged,
        )
        return report

    def _validate_into(
        self,
        stage: ImportStage,
        rows: Iterable[tuple[int | None, dict[str, Any]]],
        columns: Mapping[str, str] | None,
        actor: Principal,
        ahead: EncodeAhead | None = None,
    ) -> tuple[list[str], bool]:
        """Validate every row into ``stage``: (external numbers in file order, whether any row
        carries an identity). Raises with every problem of the file (validation first, then scope).

        ``ahead`` gets the rows of the first part whose text is not stored yet, as they pass."""
        external_nos: list[str] = []
        identities = False
        scope_problems: list[FieldProblem] = []
        chunk: list[tuple[int | None, CaseIn]] = []
        problems: list[FieldProblem] = []

        def flush() -> None:
            if not problems:
                try:
                    self.check_write_scope(chunk, actor)
                except InvalidInputError as exc:
                    scope_problems.extend(exc.problems)
                stage.add_cases(chunk)
            chunk.clear()

        fed = 0  # rows of ``chunk`` handed to ``ahead`` (or passed over)

        def feed() -> None:
            nonlocal fed
            if ahead is None or problems or scope_problems or stage.count >= ahead.limit:
                return
            cases = [case for _, case in chunk[fed:]]
            existing = self.cases.hashes_by_external([c.external_no for c in cases])
            texts = [text_of(c) for c in cases]
            ahead.feed(
                [
                    (stage.count + fed + i, text)
                    for i, (c, text) in enumerate(zip(cases, texts, strict=True))
                    if existing.get(c.external_no, (0, ""))[1] != content_hash(text)
                ]
            )
            fed = len(chunk)

        for row_no, case in self._validated_stream(rows, columns, problems):
            external_nos.append(case.external_no)
            identities = identities or bool(case.petitioner_id or case.petitioner_phone)
            chunk.append((row_no, case))
            if len(chunk) - fed >= AHEAD_STEP:
                feed()
            if len(chunk) >= IMPORT_CHUNK:
                feed()
                flush()
                fed = 0
        feed()
        if ahead is not None:
            ahead.end()
        flush()
        if scope_problems:
            raise InvalidInputError(scope_problems)
        return external_nos, identities

    def _prepare(
        self,
        stage: ImportStage,
        report: ImportReport,
        batch_size: int,
        progress: ProgressFn | None,
        encoder: Encoder,
        ahead: EncodeAhead | None = None,
    ) -> list[bool]:
        """Segment and encode the changed rows chunk by chunk into ``stage``; whether each was encoded
        now (else its stored vector is reused), in file order. ``ahead``: the first part's texts
        already being encoded (``EncodeAhead``)."""
        encoded_flags: list[bool] = []
        stage.reserve_vectors()
        for chunk in stage.case_chunks(IMPORT_CHUNK):
            stored = self.cases.stored_values([c.external_no for _, c in chunk])
            row_values = {seq: self._row_values(c) for seq, c in chunk}
            changed = [(seq, c) for seq, c in chunk if not _same(row_values[seq], stored.get(c.external_no))]
            unchanged = len(chunk) - len(changed)
            report.unchanged += unchanged
            if progress and unchanged:
                progress(unchanged)
            if not changed:
                continue
            existing = self.cases.hashes_by_external([c.external_no for _, c in changed])
            texts = [text_of(c) for _, c in changed]
            to_encode = [
                i
                for i, (_, c) in enumerate(changed)
                if existing.get(c.external_no, (0, ""))[1] != content_hash(texts[i])
            ]
            vectors = np.zeros((len(changed), self.encoder.dim), dtype=np.float32)
            # Worker processes (if any), or a thread, encode while this process segments.
            early = ahead is not None and chunk[0][0] < ahead.limit
            pending = None if early else start_encoding(encoder, [texts[i] for i in to_encode], batch_size)
            values = [self._values(c, row_values[seq]) for seq, c in changed]
            if to_encode:
                done = ahead.take([(changed[i][0], texts[i]) for i in to_encode], progress) if ahead and early else None
                if done is None:
                    pending = pending or start_encoding(encoder, [texts[i] for i in to_encode], batch_size)
                    done = pending(progress)
                vectors[to_encode] = done
            elif ahead is not None and early:
                ahead.close()
            encoded = set(to_encode)
            reuse = [i for i in range(len(changed)) if i not in encoded]
            if reuse:
                stored_vectors = self.cases.vectors_for(
                    self.encoder.name, [existing[changed[i][1].external_no][0] for i in reuse]
                )
                for i in reuse:
                    vec = stored_vectors.get(existing[changed[i][1].external_no][0])
                    vectors[i] = vec if vec is not None else self.encoder.encode([texts[i]])[0]
                if progress:
                    progress(len(reuse))
            stage.save_prepared([(seq, values[i], i in encoded) for i, (seq, _) in enumerate(changed)], vectors)
            encoded_flags.extend(i in encoded for i in range(len(changed)))
        return encoded_flags

    def _run_hooks(
        self,
        conn: Any,
        stage: ImportStage,
        ids: list[int],
        created: list[bool],
        actor: Principal,
        say: StageFn,
    ) -> None:
        """The ingest hooks over the written rows, ``IMPORT_CHUNK`` at a time in (date, id) order,
        each seeing the import's nearest neighbours within the file (``batch_neighbours``); ``say``
        hears of the neighbour search and of every tenth of the parts."""
        say(f"文件内近邻检索：{len(ids)} 件（联名与重复信访的候选）")
        near = batch_neighbours(stage.vectors.head(len(ids)), PEERS)
        id_array = np.asarray(ids, dtype=np.int64)
        order = stage.positions_by_date()
        parts = -(-len(order) // IMPORT_CHUNK)
        step = max(1, parts // 10)
        for part, start in enumerate(range(0, len(order), IMPORT_CHUNK)):
            if part % step == 0:
                say(f"检测重复信访并归入类案组：{start}/{len(order)} 件")
            positions = order[start : start + IMPORT_CHUNK]
            prepared = stage.prepared_at(positions)
            peers = {ids[p]: [int(id_array[q]) for q in near[p] if 0 <= q != p] for p in positions}
            batch = IngestBatch(
                [ids[p] for p in positions],
                [created[p] for p in positions],
                [case for case, _, _ in prepared],
                np.asarray(stage.vectors[positions]),
                [values["tokens"].split() for _, values, _ in prepared],
                actor,
                peers=peers,
                import_ids=ids,
                import_created=sum(created),
                part=part,
            )
            self.kernel.hooks.run(conn, batch)

    @contextmanager
    def bulk_encoder(self) -> Iterator[Encoder]:
        """The encoder for bulk paths: a worker-process pool when ``ingest_workers`` > 1 and the
        encoder can be rebuilt in workers, else the service's own encoder. ``ingest_workers`` counts
        encoders: when the service's encoder runs one thread, this process is one of them and
        ``ingest_workers - 1`` processes are spawned (``ProcessPoolEncoder.processes``). Workers start
        only for a large enough input and stop when the block ends."""
        workers = self.settings.ingest_workers
        if workers > 1 and self.settings.ingest_workers_by_load:
            load = os.getloadavg()[0]
            fitted = fit_workers(workers, usable_cores(), load)
            if fitted < workers:
                log.info("主机负载 %.1f（%d 核）：编码进程由 %d 个减为 %d 个", load, usable_cores(), workers, fitted)
            workers = fitted
        spec = self.kernel.encoder_spec
        if spec is None or workers <= 1:
            yield self.encoder
            return
        try:
            with ProcessPoolEncoder(spec, workers, local=self.encoder) as pool:
                yield pool
        except EncoderPoolError as exc:
            hint = "可设置 LEIAN_INGEST_WORKERS=1 或 --workers 1 改为单进程编码"
            raise EncodingError(f"并行编码失败：{exc}（{hint}）") from exc

    def _row_values(self, case: CaseIn) -> dict[str, Any]:
        """The stored columns a row sets: its fields, and the petitioner key when it carries an
        identity (a row without one, such as a re-imported export, keeps the stored key)."""
        values = to_row(case)
        identity = case.petitioner_id or case.petitioner_phone
        if identity and self.settings.petitioner_key:
            values["petitioner_key"] = petitioner_key(self.settings.petitioner_key, identity)
        return values

    def _values(self, case: CaseIn, row_values: dict[str, Any] | None = None) -> dict[str, Any]:
        """The stored columns of ``case`` with its content hash and tokens (``row_values``: its
        ``_row_values`` when already computed)."""
        text = text_of(case)
        return {
            **(row_values if row_values is not None else self._row_values(case)),
            "content_hash": content_hash(text),
            "tokens": " ".join(self.kernel.segmenter.tokens(text)),
        }

    def create_case(self, case: CaseIn, actor: Principal = SYSTEM) -> Case:
        actor.require("cases:write")
        self._store([(None, case.model_dump(mode="json"))], actor=actor)
        stored = self.cases.get_by_external(case.external_no)
        assert stored is not None
        return stored

    def update_case(self, case_id: int, update: CaseUpdate, actor: Principal = SYSTEM) -> Case:
        actor.require("cases:write")
        current = self.kernel.get_case(case_id, actor)
        changes = update.model_dump(mode="json", exclude_unset=True)
        if not changes:
            return current
        merged = {
            k: v
            for k, v in current.__dict__.items()
            if k in CaseIn.model_fields and k not in ("petitioner_id", "petitioner_phone")
        }
        merged.update(changes)
        try:
            candidate = CaseIn.model_validate(merged)
        except ValidationError as exc:
            raise InvalidInputError(problems_from(exc, None)) from None
        # Only the unit fields the update changes are checked (a stored value predating the catalog stays).
        unit_problems = self.kernel.units.normalise_case(candidate, None, fields=changes.keys())
        if unit_problems:
            raise InvalidInputError(unit_problems)
        scope = actor.scope
        if not scope.provincial:
            units = self.cases.active_units([case_id]).get(case_id, set()) if scope.kind == "department" else set()
            if not scope.sees(candidate, units):
                raise InvalidInputError([out_of_scope(scope, candidate, None, moving=True)])
        values = self._values(candidate)
        values["petitioner_key"] = current.petitioner_key
        text_changed = values["content_hash"] != self.cases.content_hash(case_id)
        vector = self.encoder.encode([text_of(candidate)]) if text_changed else None
        with self.db.transaction() as conn:
            self.cases.update_fields(conn, case_id, values)
            if vector is not None:
                self.cases.save_vectors(conn, self.encoder.name, [(case_id, values["content_hash"], vector[0])])
            generation = CaseIndex.bump_generation(conn, [case_id])
        if vector is not None:
            self.index.apply([case_id], vector, [values["tokens"].split()], generation)
        else:
            self.index.mark_applied(generation)
        self.index.save()
        return self.kernel.get_case(case_id)

    def delete_case(self, case_id: int, actor: Principal = SYSTEM) -> None:
        actor.require("cases:write")
        self.kernel.get_case(case_id, actor)
        with self.db.transaction() as conn:
            if not self.cases.delete(conn, case_id):
                raise NotFoundError(f"案件 {case_id} 不存在")
            generation = CaseIndex.bump_generation(conn, [case_id])
        self.index.remove([case_id], generation)
        self.index.save()

    # -- reads -----------------------------------------------------------------------------------
    def get_case(self, case_id: int, actor: Principal = SYSTEM) -> Case:
        """A case the actor may see; another city's case is reported as absent, not as forbidden."""
        actor.require("cases:read")
        return self.kernel.get_case(case_id, actor)

    def get_case_by_external(self, external_no: str, actor: Principal = SYSTEM) -> Case:
        actor.require("cases:read")
        return self.kernel.get_case_by_external(external_no, actor)

    def list_cases(
        self, filters: SearchFilters, limit: int = 50, offset: int = 0, actor: Principal = SYSTEM
    ) -> tuple[list[Case], int]:
        actor.require("cases:read")
        return self.cases.page(scoped(actor, filters), limit, offset)

    def query_for_text(self, text: str) -> Query:
        return self.kernel.query_for_text(text)

    def query_for_case(self, case_id: int, actor: Principal = SYSTEM) -> Query:
        return self.kernel.query_for_case(case_id, actor)

    def search(
        self,
        *,
        text: str | None = None,
        case_id: int | None = None,
        filters: SearchFilters | None = None,
        k: int = 10,
        mode: str = "hybrid",
        actor: Principal = SYSTEM,
    ) -> list[SearchHit]:
        actor.require("search")
        if (text is None) == (case_id is None):
            raise InvalidInputError([FieldProblem("text", "请提供检索文本或案件编号之一")])
        if not 1 <= k <= 200:
            raise InvalidInputError([FieldProblem("k", "返回条数应在 1 到 200 之间")])
        if mode not in ("hybrid", "dense", "lexical"):
            raise InvalidInputError([FieldProblem("mode", "检索模式应为 hybrid、dense 或 lexical")])
        query = self.query_for_case(case_id, actor) if case_id is not None else self.query_for_text(text or "")
        typed = self.feedback_boosts is not None and text is not None
        return hybrid_search(
            self.index,
            query,
            scoped(actor, filters or SearchFilters()),
            k,
            method=self.settings.fusion,
            dense_weight=self.settings.dense_weight,
            depth=self.settings.candidate_depth,
            mode=mode,
            boosts=self.feedback_boosts(query.vector, query.tokens) if typed and self.feedback_boosts else None,
            is_place=self.kernel.gazetteer.is_place,  # a hit sharing only place names is not relevant
        )

    def reindex(self, progress: ProgressFn | None = None, re_encode: bool = False, actor: Principal = SYSTEM) -> int:
        actor.require("system:admin")
        if re_encode:
            with self.db.transaction() as conn:
                self.cases.delete_vectors(conn, self.encoder.name)
        with self.db.transaction() as conn:
            CaseIndex.bump_generation(conn, None)
        with self.bulk_encoder() as encoder:
            n = self.index.rebuild(save=True, progress=progress, encoder=encoder)
        # The rebuild stored the vectors it encoded without a generation of their own: one more
        # "any case" write tells the other serving processes to rebuild from them.
        with self.db.transaction() as conn:
            generation = CaseIndex.bump_generation(conn, None)
        self.index.mark_applied(generation)
        self.index.save()
        return n

    def health(self) -> dict[str, Any]:
        return {
            "status": "ok",
            "encoder": self.encoder.name,
            "dim": self.encoder.dim,
            "index_backend": self.settings.index_backend,
            "fusion": self.settings.fusion,
            "cases": self.cases.count(),
            "indexed_vectors": len(self.index.vectors),
            "indexed_lexical": len(self.index.lexical),
            "worker_pid": os.getpid(),
            "index_generation": self.index.watermark,
        }

    def case_ids_by_external(self, external_nos: Sequence[str]) -> dict[str, int]:
        return {k: v[0] for k, v in self.cases.hashes_by_external(list(external_nos)).items()}
