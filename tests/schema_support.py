"""Validating JSON against the published OpenAPI schema (OpenAPI 3.1: JSON Schema 2020-12)."""

from functools import cache

from django.test import Client
from openapi_schema_validator import OAS31Validator


@cache
def published_schema() -> dict:
    response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def schema_validator(schema: dict, spec: dict | None = None) -> OAS31Validator:
    """A validator for ``schema`` whose ``#/components/...`` references resolve in ``spec``."""
    spec = spec or published_schema()
    return OAS31Validator({**schema, "components": spec["components"]}, format_checker=OAS31Validator.FORMAT_CHECKER)


def response_schema(path: str, method: str, status: int) -> dict:
    return published_schema()["paths"][path][method]["responses"][str(status)]["content"]["application/json"]["schema"]


def assert_matches_schema(body, path: str, method: str, status: int) -> None:
    errors = list(schema_validator(response_schema(path, method, status)).iter_errors(body))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors]
