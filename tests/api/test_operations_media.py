"""The request guard's media types come from the routes, not from generating the OpenAPI
document on the first request (0.6–1.2 s of CPU in the first answer after a start)."""

from __future__ import annotations

from pathlib import Path

from app.api.main import create_app
from app.api.operations import declared_media_types, route_media_types
from tests.conftest import make_settings


def test_route_media_types_are_what_the_openapi_document_declares(tmp_path: Path) -> None:
    app = create_app(make_settings(f"sqlite:///{tmp_path}/unused.db"))
    from_routes = route_media_types(app)
    assert from_routes == declared_media_types(app.openapi())
    assert from_routes[("POST", "/v1/outcomes/skills")] == frozenset({"application/json"})
    # a route whose raw body is declared through openapi_extra (not a body field) counts too
    assert any(len(types) > 1 or "application/json" not in types for types in from_routes.values())


def test_the_first_request_does_not_generate_the_openapi_document(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    app = create_app(make_settings(f"sqlite:///{tmp_path}/first.db"))
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        assert client.post("/v1/outcomes/skills", json={"outcomes": ["x"]}).status_code < 500
        assert app.openapi_schema is None
