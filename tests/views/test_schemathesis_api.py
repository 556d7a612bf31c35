"""schemathesis against ``/api/v1/openapi.json``, in process (WSGI), with a bearer token.

Every operation of the document gets generated requests, valid and invalid; every response must
be no server error and match the document (status code, content type, headers, body schema).
Bounded: a few dozen examples per operation, a few hundred requests in all.
"""

from __future__ import annotations

import time

import schemathesis
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import positive_data_acceptance
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from app.operations import follow_ups, tokens
from support import NOW

EXAMPLES = 40
# Left out: "a schema-valid request is accepted". The server checks more than a JSON schema can say
# (a push endpoint's host allow-list, a real P-256 key, a phone number's characters) and answers
# those with the documented 422; every response is still checked against the document.


def _with_real_ids(case, customer_ids: list[int], follow_up_ids: list[int]):
    """Point a generated case at an existing customer or follow-up, so that the success paths are tried too."""
    if case.path_parameters and "customer_id" in case.path_parameters:
        case.path_parameters["customer_id"] = customer_ids[0]
    if case.path_parameters and "follow_up_id" in case.path_parameters:
        case.path_parameters["follow_up_id"] = follow_up_ids[0]
    if isinstance(case.body, dict) and "customer_id" in case.body:
        case.body["customer_id"] = customer_ids[0]
    return case


def _failures(operation, headers: dict, statuses: list[int], customer_ids: list[int],
              follow_up_ids: list[int]) -> list[str]:
    """Run generated cases against *operation*; return the failures, one line each."""
    found: list[str] = []
    sent = [0]
    cases = operation.as_strategy()

    @given(case=st.one_of(cases, cases.map(lambda case: _with_real_ids(case, customer_ids, follow_up_ids))))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case):
        sent[0] += 1
        try:
            response = case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])
            statuses.append(response.status_code)
        except (Failure, FailureGroup) as exc:
            failures = exc.exceptions if isinstance(exc, FailureGroup) else (exc,)
            for failure in failures:
                found.append(f"{operation.label}: {failure.title}: {failure.message}\n  {case.as_curl_command()}")

    run()
    assert sent[0] > 0, operation.label
    return found


def test_the_api_holds_to_its_document_under_generated_requests(app, make_user, make_customer, session):
    rep = make_user()
    customer_ids = [make_customer(rep, f"Customer {n}").id for n in range(3)]
    follow_up_ids = [follow_ups.plan_follow_up(session, actor=rep, customer_id=customer_ids[1], due_day=NOW.date(),
                                               now=NOW).follow_up.id]
    token = tokens.create_token(session, rep, name="schemathesis", now=NOW).plaintext
    session.commit()
    # Uncompressed: the WSGI transport hands schemathesis the body as sent, and a list of a few
    # customers is already past Flask-Compress's threshold.
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"}

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    started = time.monotonic()
    failures: list[str] = []
    labels, statuses = [], {}
    for result in schema.get_all_operations():
        operation = result.ok()
        labels.append(operation.label)
        statuses[operation.label] = []
        failures += _failures(operation, headers, statuses[operation.label], customer_ids, follow_up_ids)
    assert len(labels) >= 6, labels
    succeeded = {label for label, codes in statuses.items() if any(200 <= c < 300 for c in codes)}
    assert {"GET /me", "GET /customers", "POST /customers", "GET /customers/{customer_id}", "POST /touches",
            "GET /follow-ups", "GET /follow-ups/{follow_up_id}"} <= succeeded
    assert not failures, "\n\n".join(dict.fromkeys(failures))
    assert time.monotonic() - started < 60
