"""The ONE stated order of every schema migration, assembled from the modules that own them.

Storage applies whatever list it is given and imports no feature; this module (not storage) may
import the features, and the composition root passes ``ALL_MIGRATIONS`` to ``Database``.

Databases in the field recorded versions 1..7 in ``schema_migrations``, so those numbers are fixed
forever. To add a step: declare ``Migration(N, name, sql)`` in the owning feature's ``MIGRATIONS``
with N = the highest version below plus one, and append it to the end of ``ALL_MIGRATIONS``. A
duplicate or decreasing version, or a step declared but not listed here (or the reverse), is
refused when this module is imported.
"""

from __future__ import annotations

from kb import security_schema as security
from kb.campaigns import schema as campaigns
from kb.cases import progress as import_progress
from kb.feedback import schema as feedback
from kb.groups import schema as groups
from kb.jobs import schema as jobs
from kb.modelcases import schema as modelcases
from kb.storage import filter_cache
from kb.storage import migrations as storage
from kb.storage.migrate import Migration, assemble
from kb.units import schema as units
from kb.workflow import router_store
from kb.workflow import schema as workflow
from kb.zhengfa import schema as zhengfa

# Who declares which steps (each list ascending).
DECLARED: dict[str, list[Migration]] = {
    "kb.storage.migrations": storage.MIGRATIONS,
    "kb.groups.schema": groups.MIGRATIONS,
    "kb.modelcases.schema": modelcases.MIGRATIONS,
    "kb.workflow.schema": workflow.MIGRATIONS,
    "kb.security_schema": security.MIGRATIONS,
    "kb.units.schema": units.MIGRATIONS,
    "kb.campaigns.schema": campaigns.MIGRATIONS,
    "kb.zhengfa.schema": zhengfa.MIGRATIONS,
    "kb.feedback.schema": feedback.MIGRATIONS,
    "kb.jobs.schema": jobs.MIGRATIONS,
    "kb.storage.filter_cache": filter_cache.MIGRATIONS,
    "kb.cases.progress": import_progress.MIGRATIONS,
    "kb.workflow.router_store": router_store.MIGRATIONS,
}

# The stated order is the version order; new steps go at the end with the next number.
ALL_MIGRATIONS: tuple[Migration, ...] = assemble(
    [
        storage.CASES,  # 1
        storage.USERS,  # 2
        groups.CASE_GROUPS,  # 3
        modelcases.MODEL_CASES,  # 4
        workflow.WORKFLOW,  # 5
        security.AUDIT_AND_SESSIONS,  # 6
        groups.POOL_PINS,  # 7
        units.UNITS,  # 8
        security.ACCOUNT_SCOPES,  # 9
        workflow.LIFECYCLE,  # 10
        workflow.HANDLING,  # 11
        workflow.NOTICES,  # 12
        security.LOGIN_ATTEMPTS,  # 13
        storage.STATUS_LOG,  # 14
        campaigns.CAMPAIGNS,  # 15
        workflow.PACKAGES,  # 16
        groups.SPECIAL_GROUPS,  # 17
        zhengfa.HANDOVER,  # 18
        groups.FAMILIES,  # 19
        feedback.FEEDBACK,  # 20
        storage.STATUS_LOG_RUNS,  # 21
        workflow.ASSIGNMENT_END,  # 23
        feedback.MARK_VECTORS,  # 24
        jobs.JOBS,  # 27
        storage.INDEX_CHANGES,  # 28
        filter_cache.FILTER_GENERATION,  # 29
        import_progress.IMPORT_PROGRESS,  # 32
        router_store.ROUTER_MODELS,  # 34
        groups.SUMMARIES,  # 35
    ],
    DECLARED,
)
