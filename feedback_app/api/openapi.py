"""``/api/v1/openapi.json``: assembled from the parts each API module declares in ``PATHS``/``SCHEMAS``."""
from __future__ import annotations

from flask import current_app

from . import bp

PATHS: dict[str, dict] = {}
SCHEMAS: dict[str, dict] = {
    "Error": {"type": "object", "required": ["error"], "properties": {
        "error": {"type": "string"}, "errors": {"type": "object", "additionalProperties": {"type": "string"}},
        "event": {"type": "string"}, "state": {"type": "string"}}},
}

UNAVAILABLE = {"description": "the database is unreachable for a moment; retry after `Retry-After` seconds",
               "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
TOO_LARGE = {"description": "the body is larger than the server takes (`MAX_CONTENT_LENGTH`, 60 MiB)",
             "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def document(paths: dict[str, dict] | None = None, schemas: dict[str, dict] | None = None) -> None:
    """Called by each API module at import time to add its operations and schemas."""
    for path, operations in (paths or {}).items():
        for operation in operations.values():
            # any operation may meet the database down: 503 with Retry-After (views_common.py)
            operation.setdefault("responses", {}).setdefault("503", UNAVAILABLE)
            if "requestBody" in operation:  # refused before the view reads it
                operation["responses"].setdefault("413", TOO_LARGE)
        PATHS.setdefault(path, {}).update(operations)
    SCHEMAS.update(schemas or {})


@bp.get("/openapi.json")
def openapi_json():
    return {
        "openapi": "3.0.3",
        "info": {"title": "pakn API", "version": "1.0.0",
                 "description": f"Phản ánh, kiến nghị: {current_app.config['AGENCY_NAME']}"},
        "servers": [{"url": "/"}],
        "paths": PATHS,
        "components": {"schemas": SCHEMAS,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }
