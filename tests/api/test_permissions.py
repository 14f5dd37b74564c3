"""Role × endpoint matrix over EVERY route of the app, and city scoping (locality) of every read.

Expectations are derived from the permission each route declares (``Depends(require(...))`` or a
page's ``page_user(...)``) and from ``PERMISSIONS``, so routes added by any feature are covered
without editing this file. A route that declares no permission must be listed in PUBLIC or
AUTHENTICATED below, on purpose.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.security import route_permission
from kb.service import LeianService
from kb.users import PERMISSIONS
from tests.helpers import ROWS, rows

# /help only redirects to /help/ (which needs a session); it serves no data.
PUBLIC = {
    "/api/health", "/api/auth/login", "/login", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/help",
}  # fmt: skip
AUTHENTICATED = {"/api/auth/me", "/api/auth/logout", "/api/units"}
# Other cities' cases carry this marker in their registry number: it must never reach a 广州市 user.
MARKER = "OTHERCITY"


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    permission: str | None

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")

    def url(self, ids: dict[str, str]) -> str:
        return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: ids.get(m.group(1), "1"), self.path)


def endpoints(app: object) -> list[Endpoint]:
    try:  # FastAPI >= 0.13x keeps included routers nested; older ones flatten them into app.routes
        from fastapi.routing import iter_route_contexts

        routes = [rc.route for rc in iter_route_contexts(app.routes)]  # type: ignore[attr-defined]
    except ImportError:
        routes = list(app.routes)  # type: ignore[attr-defined]
    out = []
    for route in routes:
        for method in sorted(getattr(route, "methods", None) or ()):
            if method != "HEAD":
                out.append(Endpoint(method, route.path, route_permission(route)))
    return out


@pytest.fixture
def seeded(service: LeianService, tokens: dict[str, str]) -> dict[str, int]:
    """广州市 cases as in the helpers; every other city's case is marked in its registry number."""
    data = [
        {**r, "external_no": r["external_no"] if r["city"] == "广州市" else f"{MARKER}-{r['external_no']}"}
        for r in ROWS
    ]
    service.ingest(rows(data))
    return {r["external_no"]: service.get_case_by_external(r["external_no"]).id for r in data}


def session_clients(service: LeianService) -> Iterator[tuple[str, TestClient]]:
    for username in ("u_admin", "u_handler", "u_reviewer", "u_supervisor", "u_analyst", "u_gz"):
        c = TestClient(create_app(service), raise_server_exceptions=False, follow_redirects=False)
        r = c.post("/api/auth/login", json={"username": username, "password": "password-123"})
        assert r.status_code == 200, r.text
        c.headers["X-CSRF-Token"] = c.cookies["leian_csrf"]  # as the web pages' scripts send it
        yield r.json()["role"], c


def _body(ep: Endpoint) -> dict:
    return {"json": {}} if ep.method in ("POST", "PUT", "PATCH") else {}


def test_every_route_is_protected_or_deliberately_public(service: LeianService) -> None:
    for ep in endpoints(create_app(service)):
        if ep.permission is None:
            assert ep.path in PUBLIC | AUTHENTICATED or ep.path.startswith("/static"), f"{ep} declares no permission"
        else:
            assert any(ep.permission in perms for perms in PERMISSIONS.values()), f"{ep}: unknown permission"


def test_role_endpoint_matrix(service: LeianService, seeded: dict[str, int]) -> None:
    app = create_app(service)
    eps = [e for e in endpoints(app) if e.path not in PUBLIC]
    ids = {"case_id": str(seeded["T-001"]), "external_no": "T-001"}
    anonymous = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
    checked = 0
    for ep in eps:
        r = anonymous.request(ep.method, ep.url(ids), **_body(ep))
        if ep.is_api:
            assert r.status_code == 401, (ep, r.status_code)
        else:
            assert r.status_code in (303, 307, 401), (ep, r.status_code)
        checked += 1
    # Deletes and logout last, so that they do not remove what the other requests need.
    eps.sort(key=lambda e: (e.path == "/api/auth/logout", e.method == "DELETE"))
    for role, client in session_clients(service):
        for ep in eps:
            r = client.request(ep.method, ep.url(ids), **_body(ep))
            assert r.status_code < 500, (role, ep, r.status_code, r.text[:300])
            assert r.status_code != 401, (role, ep)
            if ep.permission is not None and ep.permission not in PERMISSIONS[role]:
                assert r.status_code == 403, (role, ep, r.status_code)
            elif ep.method == "GET":
                # A permitted read is never refused (writes may still meet a finer check, e.g. a lock).
                assert r.status_code != 403, (role, ep, r.text[:300])
            checked += 1
        client.close()
    assert checked >= len(eps) * 7
    print(f"role x endpoint checks: {checked} ({len(eps)} endpoints x 6 principals + anonymous)")


def test_city_user_never_sees_other_cities(service: LeianService, tokens: dict, seeded: dict[str, int]) -> None:
    """Every GET route (with other cities' case ids filled in), search and facets, as a 广州市 handler."""
    app = create_app(service)
    client = TestClient(app, raise_server_exceptions=False, headers={"Authorization": f"Bearer {tokens['gz_handler']}"})
    other_ids = [v for k, v in seeded.items() if k.startswith(MARKER)]
    own_ids = [v for k, v in seeded.items() if not k.startswith(MARKER)]

    for case_id in other_ids:
        assert client.get(f"/api/cases/{case_id}").status_code == 404
        assert client.post("/api/search", json={"case_id": case_id}).status_code == 404
    for ext in (k for k in seeded if k.startswith(MARKER)):
        assert client.get(f"/api/cases/by-external/{ext}").status_code == 404

    listing = client.get("/api/cases", params={"limit": 500}).json()
    assert listing["total"] == len(own_ids) and {c["city"] for c in listing["items"]} == {"广州市"}
    for text in ("拖欠工资", "废气污染", "平台拖欠运费", "工资"):
        for filters in ({}, {"city": ["深圳市", "佛山市"]}):
            hits = client.post("/api/search", json={"text": text, "k": 50, "filters": filters}).json()["hits"]
            assert all(h["case"]["city"] == "广州市" for h in hits), (text, filters)
    facets = client.get("/api/facets").json()
    assert {f["value"] for f in facets["city"]} <= {"广州市"}

    # Generic sweep: any GET route, with own and other cities' ids, must not return a marked case.
    swept = 0
    for ep in endpoints(app):
        if ep.method != "GET" or not ep.is_api or ep.path in PUBLIC:
            continue
        for case_id in [*other_ids, own_ids[0]] if "{" in ep.path else [0]:
            r = client.get(ep.url({"case_id": str(case_id), "external_no": f"{MARKER}-T-002"}))
            assert r.status_code < 500, (ep, r.status_code)
            # (An error may echo the number asked for; only successful answers are checked.)
            assert r.status_code >= 400 or MARKER not in r.text, (ep, case_id, r.text[:300])
            swept += 1
    assert swept > 10
