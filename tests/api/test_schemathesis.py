"""Property-based requests generated from the OpenAPI schema, as an admin: zero server errors.

Every operation of the schema (features added later included) gets a bounded number of generated
requests through schemathesis' Python API against the ASGI app.
"""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from api.app import create_app
from kb.service import LeianService
from tests.conftest import auth
from tests.helpers import rows

pytestmark = pytest.mark.slow
EXAMPLES_PER_OPERATION = 20


def test_generated_requests_never_get_a_server_error(service: LeianService, tokens: dict[str, str]) -> None:
    service.ingest(rows())
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(service))
    tally: Counter[str] = Counter()
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck))
        def run(case: schemathesis.Case) -> None:
            tally["cases"] += 1
            try:
                response = case.call(headers=auth(tokens["admin"]))
            except Exception as exc:  # the test client re-raises what the app turned into a 500
                failures.append(f"{case.method} {case.formatted_path}: {type(exc).__name__}: {exc}")
                return
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:200]}")

        run()
    print(f"\nschemathesis: {tally['cases']} cases over {len(operations)} operations, {len(failures)} server errors")
    assert len(operations) >= 20
    assert not failures, failures[:10]
