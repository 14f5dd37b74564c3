"""The HTTP contract is typed: every JSON answer has a declared schema, and schemas live in api/schemas/."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from pydantic import BaseModel

from api.app import create_app
from tests.conftest import REPO

API = REPO / "api"
ROUTE_MODULES = sorted([*(API / "routes").glob("*.py"), *(API / "web").glob("*.py")])


@pytest.fixture(scope="module")
def app_schema() -> dict[str, Any]:
    # The schema is built from the routes alone: no service is opened.
    return create_app().openapi()


def resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    name = ref.removeprefix("#/components/schemas/")
    return dict(spec["components"]["schemas"][name])


def is_typed(schema: dict[str, Any], spec: dict[str, Any]) -> bool:
    """False for ``{}``, a bare ``object`` and ``dict[str, Any]``; lists and unions must be typed inside."""
    schema = resolve(schema, spec)
    if not schema:
        return False
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return all(s.get("type") == "null" or is_typed(s, spec) for s in schema[key])
    kind = schema.get("type")
    if kind == "array":
        return is_typed(schema.get("items", {}), spec)
    if kind == "object" or kind is None:
        if schema.get("properties"):
            return True
        extra = schema.get("additionalProperties")
        return isinstance(extra, dict) and is_typed(extra, spec)
    return True


def operations(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(f"{method.upper()} {path}", op) for path, ops in spec["paths"].items() for method, op in ops.items()]


def test_every_success_response_has_a_typed_schema(app_schema: dict[str, Any]) -> None:
    untyped, checked = [], 0
    for name, op in operations(app_schema):
        for code in ("200", "201"):
            response = op["responses"].get(code)
            if response is None:
                continue
            content = response.get("content") or {}
            if not content:
                untyped.append(f"{name} {code}: no content declared")
            for media, body in content.items():
                checked += 1
                if not is_typed(body.get("schema", {}), app_schema):
                    untyped.append(f"{name} {code} {media}: {body.get('schema')}")
    assert checked >= 50
    assert not untyped, untyped


def test_workflow_endpoints_are_typed_one_by_one(app_schema: dict[str, Any]) -> None:
    """The JSON endpoints of the workflow door (14 of them used to return plain dicts; dual assignment,
    queues and workload added 7, reminders, orders, ratings and links 14), each typed."""
    json_ops = [
        (name, op) for name, op in operations(app_schema) if " /api/workflow/" in name and not name.endswith("/export")
    ]
    assert len(json_ops) >= 14 + 7 + 14
    for name, op in json_ops:
        code = "201" if "201" in op["responses"] else "200"
        schema = op["responses"][code]["content"]["application/json"]["schema"]
        assert is_typed(schema, app_schema), name


def test_file_downloads_declare_their_media_types(app_schema: dict[str, Any]) -> None:
    for name, op in operations(app_schema):
        if name.endswith("/export"):
            content = op["responses"]["200"]["content"]
            assert content and all(v["schema"] == {"type": "string", "format": "binary"} for v in content.values())


def test_request_bodies_reject_unknown_fields() -> None:
    for route in create_app().routes:
        if isinstance(route, APIRoute) and route.body_field is not None:
            model = route.body_field.field_info.annotation
            if isinstance(model, type) and issubclass(model, BaseModel):
                assert model.model_config.get("extra") == "forbid", f"{route.path}: {model.__name__}"


def defined_models(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imports_pydantic = any(
        isinstance(n, ast.ImportFrom) and (n.module or "").startswith("pydantic") for n in ast.walk(tree)
    )
    classes = [n.name for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    return classes if imports_pydantic else [c for c in classes if c.endswith(("In", "Out", "Request", "Response"))]


@pytest.mark.parametrize("path", ROUTE_MODULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_route_modules_define_no_schemas(path: Path) -> None:
    assert defined_models(path) == [], f"move these models to api/schemas/: {defined_models(path)}"


def test_schemas_do_not_import_the_doors() -> None:
    for path in (API / "schemas").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        modules += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        assert not [m for m in modules if m.startswith(("api.routes", "api.web", "api.cli", "api.app"))], path
