"""schemathesis over every operation of /api/openapi.json, in-process (WSGI) on the test database, signed in as the
small org's admin and as a plain member: no 5xx, every response as documented (issue 8, item 8; DESIGN.md §6).

Bounded so the run stays short on two cores: a few examples per operation, a fixed seed and deterministic
generation, so a failure found in CI reproduces locally. Marked `fuzz`: scripts/test runs it in the SQLite run only.
"""

from __future__ import annotations

import hypothesis
import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from mechanisms.org import services as org_services

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

CHECKS = [not_a_server_error, response_schema_conformance]
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20261201,
        "suppress-health-check": ["all"],
        "generation": {"max-examples": 6, "deterministic": True, "no-shrink": True, "database": "none"},
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": True, "unexpected-methods": []},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": True, "max-steps": 6},
        },
    }
)
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application(), config=CONFIG)


@pytest.fixture(autouse=True)
def one_connection_for_the_test():
    """Requests go through the real WSGI handler, whose request signals close the database connection after each
    request; the test's transaction lives on that connection, so, as Django's test client does, they are off."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(params=["admin", "bob"])
def bearer(request, small_org) -> dict[str, str]:
    """Headers of the small org's admin, then of bob (a plain member of checkout)."""
    token = org_services.issue_api_token(actor=small_org.actor(request.param), name="fuzz")
    return {"Authorization": f"Bearer {token.secret}"}


@schema.parametrize()
def test_no_operation_answers_a_server_error_or_breaks_its_documented_response(case, bearer):
    case.call_and_validate(headers=bearer, checks=CHECKS)


def test_sequences_of_calls_linked_by_their_ids_answer_no_server_error(bearer):
    """The stateful phase: operations chained through the ids one returns and another takes (links inferred from
    the parameter names), as the admin and as a plain member."""
    checks = CHECKS

    class Workflow(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"headers": bearer}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=checks, transport_kwargs=kwargs)

    Workflow.run(
        settings=hypothesis.settings(
            max_examples=8,
            stateful_step_count=6,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
            phases=[hypothesis.Phase.generate],
        )
    )
