"""API of the workflows: import and export the whole org and catalog (JSON, Backstage YAML), and the team
lifecycle (form a team, transfer a service, dissolve a team)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import tempfile
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Literal

from ninja import Field, Router, Schema, Status
from pydantic import Strict

from mechanisms.kernel.api import Id, InSchema, OutSchema, responses
from mechanisms.kernel.errors import RuleViolation
from mechanisms.kernel.importing import ImportFailed

from . import backstage_io, catalog_io, madr_io
from . import lifecycle as lifecycle_services

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


# ---------------------------------------------------------------------------------------------- team lifecycle

lifecycle = Router(tags=["team lifecycle"])
router.add_router("", lifecycle)


class FormTeamIn(InSchema):
    slug: str = Field(..., max_length=63)
    name: str = Field(..., max_length=200)
    org_unit_id: int = Field(..., ge=1, le=2**63 - 1)
    charter: str = Field(..., max_length=20000, description="the customer problem the team exists to solve")
    leader_id: int | None = Field(None, ge=1, le=2**63 - 1, description="its single-threaded leader")
    member_ids: list[int] = Field(default_factory=list, max_length=100)


class TeamOut(OutSchema):
    id: int
    slug: str
    name: str
    charter: str
    status: str
    org_unit_id: int
    leader_id: int | None
    created_on: dt.date
    dissolved_on: dt.date | None
    member_count: int
    version: int


class TransferIn(InSchema):
    version: int = Field(..., ge=1, le=2**31 - 1)
    to_team_id: int = Field(..., ge=1, le=2**63 - 1)
    reason: str = Field("", max_length=5000)


class ServiceOut(OutSchema):
    id: int
    name: str
    title: str
    description: str
    owner_team_id: int | None
    lifecycle: str
    kind: str
    tier: int
    repository: str
    on_call: str
    version: int


# JSON object keys are always text: a plan's ids are keys, read as integers although bodies are otherwise strict.
PlanKey = Annotated[int, Strict(False), Field(ge=1, le=2**63 - 1)]


class PlanIn(InSchema):
    services: dict[PlanKey, int | Literal["retire"]] = Field(
        default_factory=dict, description="service id -> the id of the team taking it over, or 'retire'"
    )
    requests: dict[PlanKey, int | Literal["close", "follow"]] = Field(
        default_factory=dict,
        description="open away-team request id -> the team carrying it on, 'close', or 'follow' (a request on one "
        "of the team's services goes with it)",
    )


class DissolveIn(InSchema):
    version: int = Field(..., ge=1, le=2**31 - 1, description="the team's version you read")
    reason: str = Field(..., max_length=5000)
    plan: PlanIn


class HeldServiceOut(OutSchema):
    id: int
    name: str
    version: int
    open_requests: int


class HeldRequestOut(OutSchema):
    id: int
    title: str
    state: str
    direction: str
    service_id: int
    service_name: str
    other_team_id: int
    other_team_slug: str


class HoldingsOut(OutSchema):
    team: TeamOut
    services: list[HeldServiceOut]
    requests: list[HeldRequestOut]


class DissolutionOut(OutSchema):
    team: TeamOut
    transferred: int
    retired: int
    rerouted: int
    closed: int
    released: int


@lifecycle.post("/teams/form", response=responses(TeamOut, 400, 401, 403, 404, 409, 422, status=201))
def form_team(request, payload: FormTeamIn):
    """Form a team (status forming) around a customer problem, named in its required charter (admins and the
    org unit's leaders)."""
    return Status(201, lifecycle_services.form_team(actor=request.auth, **payload.dict()))


@lifecycle.post("/services/{service_id}/transfer", response=responses(ServiceOut))
def transfer_service(request, service_id: Id, payload: TransferIn):
    """Move a service to another active team: the ownership history keeps who owned it when, and its open
    away-team requests follow it to the new owner."""
    return lifecycle_services.transfer_service(actor=request.auth, service_id=service_id, **payload.dict())


@lifecycle.get("/teams/{team_id}/dissolution", response=responses(HoldingsOut, 401, 403, 404, 422))
def dissolution_holdings(request, team_id: Id):
    """What dissolving this team must map: its live services and every open request it is party to (admin)."""
    held = lifecycle_services.holdings_for(actor=request.auth, team_id=team_id)
    open_per_service: dict[int, int] = {}
    for r in held.requests:
        if r.home_team_id == team_id:
            open_per_service[r.service_id] = open_per_service.get(r.service_id, 0) + 1
    return {
        "team": held.team,
        "services": [
            {"id": s.id, "name": s.name, "version": s.version, "open_requests": open_per_service.get(s.id, 0)}
            for s in held.services
        ],
        "requests": [
            {
                "id": r.id,
                "title": r.title,
                "state": r.state.value,
                "direction": "inbound" if r.home_team_id == team_id else "outbound",
                "service_id": r.service_id,
                "service_name": r.service_name,
                "other_team_id": r.requesting_team_id if r.home_team_id == team_id else r.home_team_id,
                "other_team_slug": r.requesting_team_slug if r.home_team_id == team_id else r.home_team_slug,
            }
            for r in held.requests
        ],
    }


@lifecycle.post("/teams/{team_id}/dissolve", response=responses(DissolutionOut))
def dissolve_team(request, team_id: Id, payload: DissolveIn):
    """Dissolve a team in one atomic step from a plan mapping every live service (new owner or retire) and every
    open request (new party or close); its members are released. An incomplete plan is a 400 whose
    `error.details` lists every orphan (`services`, `requests`); nothing changes then (admin)."""
    plan = lifecycle_services.DissolutionPlan(services=payload.plan.services, requests=payload.plan.requests)
    return lifecycle_services.dissolve_team(
        actor=request.auth, team_id=team_id, version=payload.version, plan=plan, reason=payload.reason
    )


# ---------------------------------------------------------------------------------------------- MADR files (decisions)

madr = Router(tags=["decisions"])
router.add_router("", madr)


class MadrFileIn(InSchema):
    name: Annotated[str, Field(min_length=1, max_length=300, description="the file's name, e.g. 0001-use-x.md")]
    text: Annotated[str, Field(max_length=500_000)]


class MadrImportIn(InSchema):
    files: list[MadrFileIn] = Field(..., min_length=1, max_length=500)
    owner_id: Id | None = Field(None, description="owns every imported decision; unmatched decision-makers allowed")


class MadrDecisionOut(OutSchema):
    id: int
    number: int
    question: str
    status: str
    version: int


class MadrUnmatchedOut(Schema):
    file: str
    decision_maker: str


class MadrImportOut(Schema):
    decisions: list[MadrDecisionOut]
    unmatched: list[MadrUnmatchedOut]


class MadrExportOut(Schema):
    filename: str
    text: str


@madr.post("/decisions/madr-import", response=responses(MadrImportOut, 400, 401, 403, 404, 422, status=201))
def import_madr(request, payload: MadrImportIn):
    """Import MADR Markdown files, all or nothing. A bad file is a 400 naming the file, the line and the field
    (`error.details`: file, line, field); nothing is written. Decision-makers are matched by name, handle or
    e-mail; the first owns the decision (or `owner_id`, which lets unmatched ones through, listed in `unmatched`)."""
    report = madr_io.import_madr(
        actor=request.auth, files=[(f.name, f.text) for f in payload.files], owner_id=payload.owner_id
    )
    return Status(
        201,
        {
            "decisions": [
                {"id": d.id, "number": d.number, "question": d.question, "status": d.status.value, "version": d.version}
                for d in report.decisions
            ],
            "unmatched": [{"file": f, "decision_maker": who} for f, who in report.unmatched],
        },
    )


@madr.get("/decisions/{decision_id}/madr", response=responses(MadrExportOut, 401, 404, 422))
def export_madr(request, decision_id: Id):
    """A decision as a MADR Markdown file (`NNNN-slug.md`): an imported one comes back with the same sections in
    the same order."""
    filename, text = madr_io.export_madr(actor=request.auth, decision_id=decision_id)
    return {"filename": filename, "text": text}
