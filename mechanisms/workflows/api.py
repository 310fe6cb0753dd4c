"""API of the workflows: import and export the whole org and catalog (JSON, Backstage YAML)."""

from __future__ import annotations

import dataclasses
import os
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from ninja import Field, Router, Schema

from mechanisms.kernel.api import InSchema, responses
from mechanisms.kernel.errors import RuleViolation
from mechanisms.kernel.importing import ImportFailed

from . import backstage_io, catalog_io

router = Router(tags=["import and export"])


class ImportReportOut(Schema):
    created: dict[str, int]
    updated: dict[str, int]
    unchanged: dict[str, int]
    missing: dict[str, list[str]]
    removed: dict[str, int]


class BackstageImportIn(InSchema):
    files: dict[str, str] = Field(..., description="relative path -> YAML text, e.g. {'catalog-info.yaml': '...'}")
    prune: bool = False


class JsonImportIn(InSchema):
    document: dict[str, Any] = Field(..., description="an export document (format mechanisms/v1)")
    prune: bool = False


@router.post("/imports/backstage", response=responses(ImportReportOut))
def import_backstage(request, payload: BackstageImportIn):
    """Import Backstage descriptor files (admin): idempotent, keyed by entity reference, all or nothing. A 400
    lists every problem with its file, line, entity and field in `error.details.problems`."""
    with tempfile.TemporaryDirectory(prefix="mech-import-") as folder:
        for name, text in payload.files.items():
            relative = PurePosixPath(name)
            if relative.is_absolute() or ".." in relative.parts or not name.strip():
                raise RuleViolation(f"file name {name!r} must be a relative path inside the upload", field="files")
            target = Path(folder, *relative.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        try:
            report = backstage_io.import_backstage(actor=request.auth, paths=[folder], prune=payload.prune)
        except ImportFailed as exc:
            # Locate problems by the uploaded names, not by the temporary folder they were written to.
            shown = (folder + os.sep, os.path.relpath(folder) + os.sep)
            raise ImportFailed(
                [dataclasses.replace(p, source=_unprefix(p.source, shown)) for p in exc.problems]
            ) from None
    return report.as_dict()


@router.post("/imports/json", response=responses(ImportReportOut))
def import_json(request, payload: JsonImportIn):
    """Import an export document (admin): all or nothing, every problem located (`people[3].email`)."""
    return catalog_io.import_everything(actor=request.auth, document=payload.document, prune=payload.prune).as_dict()


@router.get("/exports/json", response=responses(dict, 401, 403))
def export_json(request):
    """The whole org and catalog as one document (format mechanisms/v1), keyed by names."""
    return catalog_io.export_everything_for(actor=request.auth)


def _unprefix(source: str, prefixes: tuple[str, ...]) -> str:
    for prefix in prefixes:
        if source.startswith(prefix):
            return source[len(prefix) :]
    return source
