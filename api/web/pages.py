"""HTML pages of the web workbench; data comes from the JSON API, pages only carry the shell."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from api.auth import SESSION_COOKIE
from api.deps import ServiceDep
from api.web import guide
from kb.fields import DEADLINES, filter_fields, input_fields
from kb.users import ROLE_LABELS, Principal

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
templates = Jinja2Templates(directory=WEB_DIR / "templates")
router = APIRouter(include_in_schema=False)

# (key, path, label, permission): the top navigation, shown per permission.
NAV = [
    ("workbench", "/", "案件研判", "search"),
    ("queue", "/queue", "我的待办", "workflow:read"),
    ("inbox", "/inbox", "收件箱", "workflow:read"),
    ("groups", "/groups", "类案组", "groups:read"),
    ("special", "/special-groups", "专项小组", "groups:read"),
    ("modelcases", "/modelcases", "典型案例库", "modelcases:read"),
    ("supervision", "/supervision", "督查督办", "reports:read"),
    ("campaigns", "/campaigns", "攻坚活动", "reports:read"),
    ("leaders", "/leaders", "领导包案", "workflow:read"),
    ("litigation", "/litigation", "诉访分离", "workflow:write"),
    ("import", "/import", "数据导入", "cases:import"),
    ("jobs", "/jobs", "后台任务", "cases:read"),
]


# In a <script type="application/json"> block only "</script" could end it; escaping <, > and &
# as JSON \u escapes keeps any display name inert (JSON.parse reads them back unchanged).
_SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def script_json(value: Any) -> str:
    """JSON for embedding inside a ``<script>`` element."""
    return json.dumps(value, ensure_ascii=False).translate(_SCRIPT_SAFE)


def safe_next(target: str | None) -> str:
    """A post-login target on this site: a path with one leading "/", else "/".

    Browsers read "/\\host" as "//host" and drop tabs and newlines ("/\\t/host" is "//host"), so
    backslashes and control characters are refused too; the result has no scheme and no host.
    """
    if not target or not target.startswith("/") or target[1:2] in ("/", "\\"):
        return "/"
    if any(c == "\\" or ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return "/"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/"


def session_principal(request: Request, service: ServiceDep) -> Principal | None:
    """The signed-in user from the session cookie, or None (pages redirect instead of failing)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    return service.sessions.by_token(token)


def page_user(permission: str) -> Callable[..., Principal | None]:
    """Like ``require`` for pages: None means "not signed in"; the permission is checked on render."""

    def check(principal: Annotated[Principal | None, Depends(session_principal)]) -> Principal | None:
        return principal

    check.permission = permission  # type: ignore[attr-defined]
    return check


def render(
    request: Request, user: Principal | None, permission: str, template: str, active: str, **context: Any
) -> Response:
    """The page for a signed-in user holding ``permission``; else a redirect to login or a 403 page."""
    if user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    if not user.can(permission):
        template, context = "denied.html", {}
    nav = [(key, path, label) for key, path, label, perm in NAV if user.can(perm)]
    me = {
        "username": user.username,
        "display_name": user.display_name or user.username,
        "role": user.role,
        "role_label": ROLE_LABELS.get(user.role, user.role),
        "city": user.scope.city,
        "unit": user.unit,
        "scope": user.scope.kind,
        "scope_label": user.scope.label,
        "permissions": sorted(user.permissions),
    }
    help_anchor = guide.slug(guide.ROLE_SECTIONS.get(user.role, ""))
    return templates.TemplateResponse(
        request,
        template,
        {"nav": nav, "active": active, "me": me, "me_json": script_json(me), "help_anchor": help_anchor, **context},
        status_code=403 if template == "denied.html" else 200,
    )


Search = Annotated[Principal | None, Depends(page_user("search"))]
CasesRead = Annotated[Principal | None, Depends(page_user("cases:read"))]
GroupsRead = Annotated[Principal | None, Depends(page_user("groups:read"))]
ModelRead = Annotated[Principal | None, Depends(page_user("modelcases:read"))]
ReportsRead = Annotated[Principal | None, Depends(page_user("reports:read"))]
WorkflowRead = Annotated[Principal | None, Depends(page_user("workflow:read"))]
Importer = Annotated[Principal | None, Depends(page_user("cases:import"))]


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, user: Annotated[Principal | None, Depends(session_principal)]) -> Response:
    # Only same-site paths: never redirect a user off the intranet host after login.
    nxt = safe_next(request.query_params.get("next", "/"))
    if user is not None:
        return RedirectResponse(nxt, status_code=303)
    return templates.TemplateResponse(request, "login.html", {"next": nxt})


@router.get("/", response_class=HTMLResponse)
def workbench(request: Request, user: Search) -> Response:
    return render(request, user, "search", "workbench.html", "workbench", filters=filter_fields(), deadlines=DEADLINES)


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: int, user: CasesRead) -> Response:
    return render(request, user, "cases:read", "case.html", "workbench", case_id=case_id)


@router.get("/queue", response_class=HTMLResponse)
def queue_page(request: Request, user: WorkflowRead) -> Response:
    return render(request, user, "workflow:read", "queue.html", "queue")


@router.get("/inbox", response_class=HTMLResponse)
def inbox_page(request: Request, user: WorkflowRead) -> Response:
    return render(request, user, "workflow:read", "inbox.html", "inbox")


@router.get("/petitioners/{key}", response_class=HTMLResponse)
def petitioner_page(request: Request, key: str, user: CasesRead) -> Response:
    return render(request, user, "cases:read", "petitioner.html", "workbench", key=key)


@router.get("/groups", response_class=HTMLResponse)
def groups_page(request: Request, user: GroupsRead) -> Response:
    return render(request, user, "groups:read", "groups.html", "groups")


@router.get("/groups/{group_id}", response_class=HTMLResponse)
def group_page(request: Request, group_id: int, user: GroupsRead) -> Response:
    return render(request, user, "groups:read", "group.html", "groups", group_id=group_id)


@router.get("/modelcases", response_class=HTMLResponse)
def modelcases_page(request: Request, user: ModelRead) -> Response:
    return render(request, user, "modelcases:read", "modelcases.html", "modelcases")


@router.get("/modelcases/{mc_id}", response_class=HTMLResponse)
def modelcase_page(request: Request, mc_id: int, user: ModelRead) -> Response:
    return render(request, user, "modelcases:read", "modelcase.html", "modelcases", mc_id=mc_id)


@router.get("/supervision", response_class=HTMLResponse)
def supervision_page(request: Request, user: ReportsRead) -> Response:
    return render(request, user, "reports:read", "supervision.html", "supervision")


@router.get("/campaigns", response_class=HTMLResponse)
def campaigns_page(request: Request, service: ServiceDep, user: ReportsRead) -> Response:
    # The server's date: the default week of a new notice and of letters and visits.
    today = service.clock.today().isoformat()
    return render(request, user, "reports:read", "campaigns.html", "campaigns", today=today)


@router.get("/leaders", response_class=HTMLResponse)
def leaders_page(request: Request, service: ServiceDep, user: WorkflowRead) -> Response:
    max_open = service.settings.package_max_open
    return render(request, user, "workflow:read", "leaders.html", "leaders", max_open=max_open)


@router.get("/special-groups", response_class=HTMLResponse)
def special_groups_page(request: Request, user: GroupsRead) -> Response:
    return render(request, user, "groups:read", "special_groups.html", "special")


@router.get("/special-groups/{special_id}", response_class=HTMLResponse)
def special_group_page(request: Request, special_id: int, user: GroupsRead) -> Response:
    return render(request, user, "groups:read", "special_group.html", "special", special_id=special_id)


@router.get("/litigation", response_class=HTMLResponse)
def litigation_page(request: Request, service: ServiceDep, user: WorkflowRead) -> Response:
    # For the 政法委, the 政法 units that receive cases and the handlers who refer them.
    days, today = service.settings.litigation_feedback_days, service.clock.today().isoformat()
    return render(request, user, "workflow:read", "litigation.html", "litigation", feedback_days=days, today=today)


@router.get("/import", response_class=HTMLResponse)
def import_page(request: Request, user: Importer) -> Response:
    return render(request, user, "cases:import", "import.html", "import", fields=input_fields())


@router.get("/jobs", response_class=HTMLResponse)
def jobs_page(request: Request, user: CasesRead) -> Response:
    return render(request, user, "cases:read", "jobs.html", "jobs")


@router.get("/help")
def help_redirect() -> Response:
    # The guide's screenshots are relative links (screenshots/…): they resolve under /help/.
    return RedirectResponse("/help/", status_code=308)


@router.get("/help/", response_class=HTMLResponse)
def help_page(request: Request, user: CasesRead) -> Response:
    found = guide.guide_html()
    if found is None:
        return render(request, user, "cases:read", "help.html", "help", title="用户手册", body=None)
    title, body = found
    return render(request, user, "cases:read", "help.html", "help", title=title, body=Markup(body))


@router.get("/help/screenshots/{name}")
def help_screenshot(name: str, user: CasesRead) -> Response:
    if user is None:  # not signed in: refused like any other page data
        return Response(status_code=401)
    path = guide.screenshot(name)
    if path is None:
        return Response(status_code=404)
    return FileResponse(path, media_type="image/png")
