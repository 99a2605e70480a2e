"""Fuzzing every HTTP route: any input gets a clear 4xx (problem+json) or a success, never a 500."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coord.entrypoints.http.messages import Request, serve
from tests.e2e.test_function_app import ROOT

OPENAPI = yaml.safe_load((ROOT / "docs" / "openapi.yaml").read_text(encoding="utf-8"))

# operationId -> the route function that serves it (function_app.py registers the same targets).
TARGETS = {
    "start_promotion": "coord.entrypoints.http.promotions:start_promotion",
    "get_promotion": "coord.entrypoints.http.promotions:get_promotion",
    "cancel_promotion": "coord.entrypoints.http.promotions:cancel_promotion",
    "status": "coord.entrypoints.http.statuspage:status",
    "status_page": "coord.entrypoints.http.statuspage:status_html",
    "octopus_events": "coord.entrypoints.http.feed:octopus_events",
    "report": "coord.entrypoints.http.reports:report_route",
    "acquire_lock": "coord.entrypoints.http.locks:acquire_lock",
    "release_lock": "coord.entrypoints.http.locks:release_lock",
    "gate": "coord.entrypoints.http.locks:gate",
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(
        st.sampled_from(["EventType", "Payload", "group", "from", "to", "holder", "ttl_seconds", "dry_run"]),
        json_values,
        max_size=5,
    ).map(lambda v: json.dumps(v).encode()),
)
texts = st.text(max_size=40)


def route(target: str) -> Any:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for methods in OPENAPI["paths"].values():
        for method, operation in methods.items():
            if operation["operationId"] in TARGETS:
                found.append((operation["operationId"], method.upper(), operation))
    return found


@pytest.mark.parametrize(
    ("operation_id", "method", "operation"), operations(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_no_input_makes_a_route_fail_with_a_500(coord, operation_id, method, operation) -> None:
    function = route(TARGETS[operation_id])
    path_names = [p["name"] for p in operation.get("parameters", []) if p.get("in") == "path"]
    query_names = [p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"] + [
        "code",
        "x",
    ]
    allowed = {int(code) for code in operation["responses"]} | {401, 503}

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        body=bodies,
        path=st.fixed_dictionaries({name: texts for name in path_names}),
        query=st.dictionaries(st.sampled_from(query_names), texts, max_size=3),
        secret=st.sampled_from([None, "s3cret", "wrong", ""]),
        accept=st.sampled_from([None, "text/html", "application/json", "text/html;q=x, */*;q="]) | texts,
    )
    def check(
        body: bytes, path: dict[str, str], query: dict[str, str], secret: str | None, accept: str | None
    ) -> None:
        headers = {} if secret is None else {"X-Coord-Secret": secret}
        if accept is not None:
            headers["Accept"] = accept
        request = Request(method, route_params=path, query=query, headers=headers, body=body)
        answer = serve(lambda r: function(r, coord.services), request)
        assert answer.status != 500, answer.body[:300]
        assert answer.status in allowed, (answer.status, answer.body[:300])
        if answer.status >= 400:
            assert answer.content_type == "application/problem+json"
            problem = json.loads(answer.body)
            assert problem["status"] == answer.status and problem["detail"]

    check()


def test_every_operation_in_the_published_document_has_a_route_in_function_app() -> None:
    documented = {op["operationId"] for methods in OPENAPI["paths"].values() for op in methods.values()}
    assert documented == set(TARGETS)
    source = (ROOT / "function_app.py").read_text(encoding="utf-8")
    assert {target for target in TARGETS.values() if f'"{target}"' in source} == set(TARGETS.values())
