"""Unknown query parameters are refused, as unknown body fields are (request models forbid them).

``GET /api/cases?cty=广州市`` used to list every case, silently. Each API route now accepts only the
query parameters it declares — its own and those of its dependencies (the field table's filters
included) — and answers anything else with 422, naming each unknown parameter and the ones the
route accepts: ``未知查询参数 cty（可用参数：city、department、…）``. Installed as an app-level
dependency, so a route added later is covered without a line of its own.
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from kb.errors import FieldProblem, InvalidInputError

# Query parameters every route tolerates: none today (a cache-busting ``_`` would go here).
ALWAYS_ALLOWED: frozenset[str] = frozenset()
_ALLOWED: dict[int, tuple[str, ...]] = {}


def accepted_query_parameters(route: APIRoute) -> tuple[str, ...]:
    """The query parameter names a route declares, in declaration order (cached per route)."""
    key = id(route)
    if key not in _ALLOWED:
        _ALLOWED[key] = tuple(dict.fromkeys(_query_names(route.dependant)))
    return _ALLOWED[key]


def _query_names(dependant: Dependant) -> Iterator[str]:
    for param in dependant.query_params:
        yield param.alias
    for sub in dependant.dependencies:
        yield from _query_names(sub)


async def reject_unknown_query_parameters(request: Request) -> None:
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not request.url.path.startswith("/api/"):
        return
    accepted = accepted_query_parameters(route)
    unknown = [k for k in dict.fromkeys(request.query_params.keys()) if k not in accepted and k not in ALWAYS_ALLOWED]
    if not unknown:
        return
    hint = f"（可用参数：{'、'.join(accepted)}）" if accepted else "（此接口不接受查询参数）"
    problems = [FieldProblem(name, f"未知查询参数 {name}{hint}") for name in unknown]
    raise InvalidInputError(problems, f"未知查询参数：{'、'.join(unknown)}{hint}")
