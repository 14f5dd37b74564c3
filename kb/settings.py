"""Typed settings, the only place that reads the environment (built by a function, never at import).

Every ``Settings`` is validated when it is built (``validate``), whether from ``LEIAN_*`` variables,
keyword overrides (the CLI's options) or ``with_``: a bad value fails at start with an error naming
the variable and what it accepts, never later in a request. Every operational limit lives here.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Literal, get_args

from indexing.encoders import usable_cores
from kb.errors import FieldProblem, InvalidInputError

EncoderName = Literal["use-m3", "use-m3-int8", "sbert", "hashing"]
# LEIAN_ENCODER: an encoder, or "auto" (the default): the encoder the data directory was indexed
# with, and NEW_DIRECTORY_ENCODER for a directory that holds no vectors yet (kb/encoder_choice.py).
EncoderSetting = Literal["auto", "use-m3", "use-m3-int8", "sbert", "hashing"]
NEW_DIRECTORY_ENCODER: EncoderName = "use-m3-int8"
IndexBackend = Literal["faiss", "exact", "milvus"]
FusionMethod = Literal["linear", "rrf"]
StopwordSet = Literal["petition", "function", "none"]
# Who runs background jobs (kb/jobs): a thread of `leian serve`, or nobody in this process.
JobRunnerMode = Literal["inline", "off"]
SegmenterBackend = Literal["auto", "jieba", "rjieba"]

MB = 1024 * 1024
# Web sessions and login lock-out (kb/sessions.py reads these defaults too).
SESSION_HOURS = 8
LOGIN_MAX_FAILURES = 5
LOGIN_LOCK_MINUTES = 15
# Failed logins from one client (any user names: password spraying) within the lock window.
LOGIN_CLIENT_MAX_FAILURES = 20
MIN_PASSWORD_LENGTH = 12
# Time limits of the Petition Work Regulations (信访工作条例), in calendar days (docs/workflow.md).
DEADLINE_DAYS: dict[str, int] = {
    "acceptance_days": 15,  # 登记 -> 受理 / 不予受理 (notice within 15 days of receipt)
    "handling_days": 60,  # 受理 -> 答复 (60 days from acceptance)
    "extension_days": 30,  # one extension of at most this much, with a reason and an approver
    "review_request_days": 30,  # the petitioner may ask for 复查 within this long after the reply
    "review_days": 30,  # 复查 decided within this long of the request
    "recheck_request_days": 30,  # 复核 requested within this long after the 复查 opinion
    "recheck_days": 30,  # 复核 decided within this long of the request
    "near_due_days": 5,  # a deadline this close (or closer) counts as 即将超期
    "sign_days": 3,  # an assigned unit signs for (签收) or returns a case within this long
    "litigation_feedback_days": 30,  # a 政法 unit reports its result on a referred case within this long
}
MAX_DEADLINE_DAYS = 365
# 化解 statuses (kb/fields.Status) counted as resolved by default: 已化解 and 已办结 (a 终结 or 息访 case
# is concluded; 未化解 is not). LEIAN_RESOLVED_STATUSES takes a comma-separated list of the codes.
STATUS_CODES = ("pending", "in_progress", "resolved", "unresolved", "closed")
RESOLVED_STATUSES: tuple[str, ...] = ("resolved", "closed")


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("var/leian")
    # The store: None = SQLite in data_dir/leian.db (the embedded default); "postgresql://user@host/db"
    # = that PostgreSQL database for every table (docs/deploy.md). Index files stay in data_dir.
    database_url: str | None = None
    encoder: EncoderSetting = "auto"
    encoder_model: str | None = None
    threads: int = field(default_factory=usable_cores)
    # Encoder threads of a serving process (`leian serve`, each of its workers): concurrent requests
    # already keep the cores busy, and a second BLAS thread per query made text search 4x slower at
    # one client on 2 loaded cores (docs/benchmarks.md "Encoder threads of a serving process").
    serve_threads: int = 1
    # Worker processes (one encoder thread each) for bulk encoding: imports and reindex; 1 = in-process.
    ingest_workers: int = field(default_factory=usable_cores)
    # Fewer workers when other work already keeps the cores busy: a pool on a loaded host was slower
    # than one process (issue 20); indexing.encoders.pool.fit_workers decides from cores and load.
    ingest_workers_by_load: bool = True
    index_backend: IndexBackend = "faiss"
    # "auto": exact Flat below indexing.vectors.choose.AUTO_THRESHOLD vectors, IVF-SQ8 above; or any
    # FAISS factory string (e.g. "HNSW32,SQ8"); for Milvus the index type (default FLAT).
    index_factory: str = "auto"
    # Milvus backend: a cluster URI ("http://host:19530") or a Milvus Lite file; None = data_dir/milvus.db.
    milvus_uri: str | None = None
    milvus_collection: str = "leian_cases"
    milvus_token: str | None = None
    # Linear score blend beat RRF on samples, duplicates and kNN routing (docs/quality.md, "Fusion").
    fusion: FusionMethod = "linear"
    dense_weight: float = 0.5
    candidate_depth: int = 200
    userdicts: tuple[Path, ...] = ()
    stopwords: tuple[Path, ...] = ()
    # Which bundled stopword list the segmenter uses (indexing.segment.STOPWORD_SETS): "petition" for
    # petitions, "function" (function words only) for legal facts (docs/quality.md, "Retrieval").
    bundled_stopwords: StopwordSet = "petition"
    # Who runs jieba's segmentation: "auto" = rjieba (jieba-rs, the same tokens, ~20x faster) when
    # installed, else jieba (indexing/segment_rust.py); "jieba" / "rjieba" force one.
    segmenter: SegmenterBackend = "auto"
    # Extra synonym/colloquial lexicons (indexing/resources/synonyms.txt format), after the bundled one.
    synonyms: tuple[Path, ...] = ()
    # "inline": `leian serve` runs queued background jobs in a thread; "off": `leian jobs worker` does.
    job_runner: JobRunnerMode = "inline"
    # API worker processes of `leian serve` (--workers). Above 1 every process keeps its in-memory
    # indexes in step with the others' writes through the database's change log (kb/indexer.py
    # ``catch_up``) and only one of them writes the index files (docs/deploy.md "API workers").
    api_workers: int = 1
    # Whether other processes may open this data directory while this one runs: `leian serve` (any
    # number of workers) and a CLI command started while a server runs. The index then follows the
    # change log and only the saver-lock holder writes the index files, as with several workers.
    # Set by those doors (LEIAN_SHARED_INDEX for any other process that opens the directory beside one).
    shared_index: bool = False
    # PostgreSQL connections each process keeps (threads of one API worker read at once on them;
    # writers queue on an advisory lock). Mind the server's max_connections: workers x this.
    db_pool_size: int = 4
    # Keyed-hash secret for petitioner identities; no default outside the demo.
    petitioner_key: str | None = None
    # Longest query text accepted by search (characters).
    max_text_chars: int = 20000
    # Largest HTTP request body accepted (413 above it); the uploads below are capped separately.
    max_body_bytes: int = 64 * MB
    # Largest case file accepted by POST /api/cases/import (before decompression).
    max_upload_bytes: int = 50 * MB
    # Largest model-case library file accepted by POST /api/modelcases/import.
    max_library_upload_bytes: int = 20 * MB
    # Most rows one case-list export (GET /api/cases/export) may hold.
    max_export_rows: int = 100_000
    # Most rows an import file may hold (counting blank rows: a small XLSX can declare millions).
    max_import_rows: int = 200_000
    # A gzip case file may expand to at most this much (a small archive can expand to gigabytes).
    max_decompressed_bytes: int = 256 * MB
    # A web session lasts this long; this many failed logins within the lock window lock the name.
    session_hours: int = SESSION_HOURS
    login_max_failures: int = LOGIN_MAX_FAILURES
    login_lock_minutes: int = LOGIN_LOCK_MINUTES
    # This many failed logins from one client address within the lock window lock that client out.
    login_client_max_failures: int = LOGIN_CLIENT_MAX_FAILURES
    # Shortest password accepted for a new account (kb/passwords.py adds variety and a common-password list).
    min_password_length: int = MIN_PASSWORD_LENGTH
    # Lifecycle time limits (days); DEADLINE_DAYS above has the defaults and what each one limits.
    acceptance_days: int = DEADLINE_DAYS["acceptance_days"]
    handling_days: int = DEADLINE_DAYS["handling_days"]
    extension_days: int = DEADLINE_DAYS["extension_days"]
    review_request_days: int = DEADLINE_DAYS["review_request_days"]
    review_days: int = DEADLINE_DAYS["review_days"]
    recheck_request_days: int = DEADLINE_DAYS["recheck_request_days"]
    recheck_days: int = DEADLINE_DAYS["recheck_days"]
    near_due_days: int = DEADLINE_DAYS["near_due_days"]
    sign_days: int = DEADLINE_DAYS["sign_days"]
    # 领导包案: a leader holds at most this many open packages at a time (docs/workflow.md).
    package_max_open: int = 3
    litigation_feedback_days: int = DEADLINE_DAYS["litigation_feedback_days"]
    # Imports refuse columns no case field claims (序号, 备注) instead of ignoring and naming them.
    import_strict: bool = False
    # Relevance marks of this deployment re-rank typed searches and guidance (kb/feedback/store.py;
    # docs/quality.md "Feedback": the gain on held-out queries, bench/feedback.py).
    feedback_ranking: bool = True
    # Rates (kb/workflow/rates.py, docs/workflow.md "口径"): the 化解 statuses that count as resolved,
    # the window after a resolution in which a new petition on the same matter is a 再次信访, the
    # fewest cases a unit needs to be ranked, and the 再次信访率 above which a unit is flagged.
    resolved_statuses: tuple[str, ...] = RESOLVED_STATUSES
    repeat_window_days: int = 90
    rate_min_cases: int = 5
    repeat_rate_alert: float = 0.2

    def __post_init__(self) -> None:
        validate({f.name: getattr(self, f.name) for f in fields(self)})

    @property
    def db_path(self) -> Path:
        return self.data_dir / "leian.db"

    @property
    def database(self) -> str | Path:
        """What ``Database`` opens: the PostgreSQL URL when one is set, else the SQLite file."""
        return self.database_url or self.db_path

    @property
    def index_path(self) -> Path:
        return self.data_dir / "vectors.index"

    @property
    def lexical_path(self) -> Path:
        """The persisted BM25 index (``indexing.lexical``), saved with each vector snapshot."""
        return self.data_dir / "vectors.index.bm25"

    def index_options(self) -> dict[str, object]:
        """Backend options for ``create_index`` / ``load_index``."""
        if self.index_backend == "faiss":
            return {"factory": self.index_factory}
        if self.index_backend == "milvus":
            return {
                "uri": self.milvus_uri or str(self.data_dir / "milvus.db"),
                "collection": self.milvus_collection,
                "token": self.milvus_token,
                "index_type": None if self.index_factory == "auto" else self.index_factory,
            }
        return {}

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


# The environment variable behind each setting: error messages name it, and README documents it.
ENV: dict[str, str] = {
    "data_dir": "LEIAN_DATA_DIR",
    "database_url": "LEIAN_DATABASE_URL",
    "encoder": "LEIAN_ENCODER",
    "encoder_model": "LEIAN_ENCODER_MODEL",
    "threads": "LEIAN_THREADS",
    "serve_threads": "LEIAN_SERVE_THREADS",
    "db_pool_size": "LEIAN_DB_POOL_SIZE",
    "ingest_workers": "LEIAN_INGEST_WORKERS",
    "index_backend": "LEIAN_INDEX_BACKEND",
    "index_factory": "LEIAN_INDEX_FACTORY",
    "milvus_uri": "LEIAN_MILVUS_URI",
    "milvus_collection": "LEIAN_MILVUS_COLLECTION",
    "milvus_token": "LEIAN_MILVUS_TOKEN",
    "fusion": "LEIAN_FUSION",
    "dense_weight": "LEIAN_DENSE_WEIGHT",
    "candidate_depth": "LEIAN_CANDIDATE_DEPTH",
    "userdicts": "LEIAN_USERDICTS",
    "stopwords": "LEIAN_STOPWORDS",
    "bundled_stopwords": "LEIAN_BUNDLED_STOPWORDS",
    "segmenter": "LEIAN_SEGMENTER",
    "synonyms": "LEIAN_SYNONYMS",
    "petitioner_key": "LEIAN_PETITIONER_KEY",
    "max_text_chars": "LEIAN_MAX_TEXT_CHARS",
    "max_body_bytes": "LEIAN_MAX_BODY_BYTES",
    "max_upload_bytes": "LEIAN_MAX_UPLOAD_BYTES",
    "max_library_upload_bytes": "LEIAN_MAX_LIBRARY_UPLOAD_BYTES",
    "max_export_rows": "LEIAN_MAX_EXPORT_ROWS",
    "max_import_rows": "LEIAN_MAX_IMPORT_ROWS",
    "session_hours": "LEIAN_SESSION_HOURS",
    "login_max_failures": "LEIAN_LOGIN_MAX_FAILURES",
    "login_lock_minutes": "LEIAN_LOGIN_LOCK_MINUTES",
    "login_client_max_failures": "LEIAN_LOGIN_CLIENT_MAX_FAILURES",
    "min_password_length": "LEIAN_MIN_PASSWORD_LENGTH",
    "max_decompressed_bytes": "LEIAN_MAX_DECOMPRESSED_BYTES",
    **{name: f"LEIAN_{name.upper()}" for name in DEADLINE_DAYS},
    "import_strict": "LEIAN_IMPORT_STRICT",
    "feedback_ranking": "LEIAN_FEEDBACK_RANKING",
    "ingest_workers_by_load": "LEIAN_INGEST_WORKERS_BY_LOAD",
    "shared_index": "LEIAN_SHARED_INDEX",
    "resolved_statuses": "LEIAN_RESOLVED_STATUSES",
    "repeat_window_days": "LEIAN_REPEAT_WINDOW_DAYS",
    "rate_min_cases": "LEIAN_RATE_MIN_CASES",
    "repeat_rate_alert": "LEIAN_REPEAT_RATE_ALERT",
    "package_max_open": "LEIAN_PACKAGE_MAX_OPEN",
    "job_runner": "LEIAN_JOB_RUNNER",
    "api_workers": "LEIAN_API_WORKERS",
}
CHOICES: dict[str, tuple[str, ...]] = {
    "encoder": get_args(EncoderSetting),
    "index_backend": get_args(IndexBackend),
    "fusion": get_args(FusionMethod),
    "bundled_stopwords": get_args(StopwordSet),
    "job_runner": get_args(JobRunnerMode),
    "segmenter": get_args(SegmenterBackend),
}
# Whole numbers that must be at least 1; dense_weight is the one bounded fraction.
POSITIVE_INTS = (
    "threads",
    "serve_threads",
    "db_pool_size",
    "api_workers",
    "ingest_workers",
    "candidate_depth",
    "max_text_chars",
    "max_body_bytes",
    "max_upload_bytes",
    "max_library_upload_bytes",
    "max_export_rows",
    "max_import_rows",
    "max_decompressed_bytes",
    "session_hours",
    "login_max_failures",
    "login_lock_minutes",
    "login_client_max_failures",
    "min_password_length",
    "repeat_window_days",
    "rate_min_cases",
    "package_max_open",
)


def describe_bytes(size: int) -> str:
    """A byte limit as staff read it: ``50 MB``, ``4 KB``, ``2000 字节``."""
    if size % MB == 0:
        return f"{size // MB} MB"
    return f"{size // 1024} KB" if size % 1024 == 0 else f"{size} 字节"


def _label(name: str, from_env: Collection[str]) -> str:
    env = ENV[name]
    # A keyword override (the CLI's --index-backend) is named by its field and its variable.
    return f"环境变量 {env} " if name in from_env else f"设置 {name}（环境变量 {env}）"


def problems(values: Mapping[str, object], from_env: Collection[str] = ()) -> list[FieldProblem]:
    """What is wrong with the setting ``values``; ``from_env`` names those read from the environment."""
    out: list[FieldProblem] = []

    def bad(name: str, expected: str) -> None:
        out.append(FieldProblem(ENV[name], f"{_label(name, from_env)}应为{expected}，当前为 {values[name]!r}"))

    for name, allowed in CHOICES.items():
        if values[name] not in allowed:
            bad(name, f" {'、'.join(allowed)} 之一")
    for name in POSITIVE_INTS:
        value = values[name]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            bad(name, "不小于 1 的整数")
    for name in DEADLINE_DAYS:
        value = values[name]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DEADLINE_DAYS:
            bad(name, f" 1 到 {MAX_DEADLINE_DAYS} 之间的整数（天）")
    statuses = values["resolved_statuses"]
    if not isinstance(statuses, tuple) or not statuses or any(v not in STATUS_CODES for v in statuses):
        bad("resolved_statuses", f"以逗号分隔的状态代码（{'、'.join(STATUS_CODES)}），至少一个")
    alert = values["repeat_rate_alert"]
    if isinstance(alert, bool) or not isinstance(alert, int | float) or not 0 <= alert <= 1:
        bad("repeat_rate_alert", " 0 到 1 之间的数值")
    weight = values["dense_weight"]
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 <= weight <= 1:
        bad("dense_weight", " 0 到 1 之间的数值")  # NaN fails the comparison too
    model = values["encoder_model"]
    numeric = isinstance(model, str) and model.isascii() and model.isdigit()
    if values["encoder"] == "hashing" and model is not None and not numeric:
        # The hashing encoder reads its "model" as the vector dimension.
        bad("encoder_model", "正整数（hashing 编码器的向量维数）")
    if not isinstance(values["data_dir"], Path):
        bad("data_dir", "路径")
    url = values["database_url"]
    if url is not None and not (isinstance(url, str) and url.startswith(("postgresql://", "postgres://"))):
        bad("database_url", " postgresql://用户@主机:端口/数据库 形式的地址（不设则使用数据目录中的 SQLite）")
    for flag in ("import_strict", "feedback_ranking", "ingest_workers_by_load", "shared_index"):
        if not isinstance(values[flag], bool):
            bad(flag, " true/false（或 1/0、yes/no）")
    return out


def validate(values: Mapping[str, object], from_env: Collection[str] = ()) -> None:
    """Raise ``InvalidInputError`` naming every bad setting, its variable and the values it accepts.

    The one check behind ``load_settings`` (environment and keyword overrides alike), ``Settings(...)``
    and ``Settings.with_``.
    """
    found = problems(values, from_env)
    if found:
        raise InvalidInputError(found, "配置有误：" + "；".join(p.message for p in found))


def _paths(value: str | None) -> tuple[Path, ...]:
    return tuple(Path(p) for p in (value or "").split(os.pathsep) if p)


def _number(env: Mapping[str, str], name: str, default: int | float) -> int | float:
    """``env[name]`` as the type of ``default``; a malformed value is an error naming the variable."""
    raw = env.get(name)
    if raw is None:
        return default
    try:
        return type(default)(raw)
    except ValueError:
        kind = "整数" if isinstance(default, int) else "数值"
        message = f"环境变量 {name} 应为{kind}，当前为 {raw!r}"
        raise InvalidInputError([FieldProblem(name, message)], f"配置有误：{message}") from None


_FLAGS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}


def _flag(env: Mapping[str, str], name: str, default: bool) -> object:
    """``env[name]`` as a boolean; an unknown spelling is kept as given, for the message naming it."""
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    return _FLAGS.get(raw.strip().lower(), raw)


def settings_environment(settings: Settings) -> dict[str, str]:
    """``settings`` as ``LEIAN_*`` variables ``load_settings`` reads back to the same settings: how
    `leian serve --workers N` hands its options to worker processes (uvicorn starts them from an
    import string). The petitioner key is left out: a worker reads it as this process did (its own
    ``LEIAN_PETITIONER_KEY``, inherited, or the data directory's key file)."""
    out: dict[str, str] = {}
    for name, var in ENV.items():
        if name == "petitioner_key":
            continue
        value = getattr(settings, name)
        if value is None:
            out[var] = ""
        elif isinstance(value, bool):
            out[var] = "1" if value else "0"
        elif name == "resolved_statuses":
            out[var] = ",".join(value)
        elif isinstance(value, tuple):
            out[var] = os.pathsep.join(str(p) for p in value)
        else:
            out[var] = str(value)
    return out


def load_settings(env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Build settings from ``LEIAN_*`` variables, then apply keyword overrides; validated once here."""
    env = os.environ if env is None else env
    base = Settings()
    values: dict[str, object] = {
        "data_dir": Path(env.get("LEIAN_DATA_DIR", str(base.data_dir))),
        "database_url": env.get("LEIAN_DATABASE_URL") or None,
        "encoder": env.get("LEIAN_ENCODER", base.encoder),
        "encoder_model": env.get("LEIAN_ENCODER_MODEL") or None,
        "threads": _number(env, "LEIAN_THREADS", base.threads),
        "serve_threads": _number(env, "LEIAN_SERVE_THREADS", base.serve_threads),
        "db_pool_size": _number(env, "LEIAN_DB_POOL_SIZE", base.db_pool_size),
        "ingest_workers": max(1, _number(env, "LEIAN_INGEST_WORKERS", base.ingest_workers)),
        "index_backend": env.get("LEIAN_INDEX_BACKEND", base.index_backend),
        "index_factory": env.get("LEIAN_INDEX_FACTORY", base.index_factory),
        "milvus_uri": env.get("LEIAN_MILVUS_URI") or None,
        "milvus_collection": env.get("LEIAN_MILVUS_COLLECTION", base.milvus_collection),
        "milvus_token": env.get("LEIAN_MILVUS_TOKEN") or None,
        "fusion": env.get("LEIAN_FUSION", base.fusion),
        "dense_weight": _number(env, "LEIAN_DENSE_WEIGHT", base.dense_weight),
        "candidate_depth": _number(env, "LEIAN_CANDIDATE_DEPTH", base.candidate_depth),
        "userdicts": _paths(env.get("LEIAN_USERDICTS")),
        "stopwords": _paths(env.get("LEIAN_STOPWORDS")),
        "bundled_stopwords": env.get("LEIAN_BUNDLED_STOPWORDS", base.bundled_stopwords),
        "segmenter": env.get("LEIAN_SEGMENTER", base.segmenter),
        "synonyms": _paths(env.get("LEIAN_SYNONYMS")),
        "job_runner": env.get("LEIAN_JOB_RUNNER", base.job_runner),
        "petitioner_key": env.get("LEIAN_PETITIONER_KEY") or None,
    }
    numeric = (
        "max_text_chars",
        "max_body_bytes",
        "max_upload_bytes",
        "max_library_upload_bytes",
        "max_export_rows",
        "max_import_rows",
        "session_hours",
        "login_max_failures",
        "login_lock_minutes",
        "login_client_max_failures",
        "min_password_length",
        "repeat_window_days",
        "rate_min_cases",
        "repeat_rate_alert",
        "package_max_open",
        *DEADLINE_DAYS,
    )
    for name in numeric:
        values[name] = _number(env, ENV[name], getattr(base, name))
    raw_statuses = env.get(ENV["resolved_statuses"])
    values["resolved_statuses"] = base.resolved_statuses
    if raw_statuses is not None and raw_statuses.strip():
        values["resolved_statuses"] = tuple(v.strip() for v in raw_statuses.split(",") if v.strip())
    values["import_strict"] = _flag(env, ENV["import_strict"], base.import_strict)
    values["feedback_ranking"] = _flag(env, ENV["feedback_ranking"], base.feedback_ranking)
    values["ingest_workers_by_load"] = _flag(env, ENV["ingest_workers_by_load"], base.ingest_workers_by_load)
    values["max_decompressed_bytes"] = _number(env, ENV["max_decompressed_bytes"], base.max_decompressed_bytes)
    values["api_workers"] = _number(env, ENV["api_workers"], base.api_workers)
    values["shared_index"] = _flag(env, ENV["shared_index"], base.shared_index)
    unknown = sorted(set(overrides) - set(ENV))
    if unknown:
        raise TypeError(f"unknown settings: {', '.join(unknown)}")
    values.update(overrides)
    # Checked before building so the message says where a bad value came from (the environment, or a
    # keyword such as the CLI's --index-backend); Settings.__post_init__ applies the same rules.
    validate(values, {name for name, var in ENV.items() if var in env and name not in overrides})
    return Settings(**values)  # type: ignore[arg-type]
