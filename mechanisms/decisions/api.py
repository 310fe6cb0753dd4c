"""API of the decisions app (MECHANISMS.md §7): the decision log (create, read, list with filters, change),
participants, each participant's signed stance, the machine's transitions (generated: decide, reject, deprecate,
supersede), the outcome review, the track record per owner, and the PDF. MADR import and export are workflows'
(`/api/v1/decisions/madr-import`, `/api/v1/decisions/{id}/madr`).

Thin: parse, call one service, return its contract. Errors are mapped in config/api.py: the wrong moment or input
is a 400 naming the field, the wrong person a 403, a stale version a 409.
"""

from __future__ import annotations

from ninja import Query, Router, Schema, Status

from mechanisms.kernel import machine_api
from mechanisms.kernel.api import READ_ERRORS, Id, PageOut, QueryText, page_out, responses
from mechanisms.kernel.changes import changes_from

from . import services
from .contracts import DecisionChanges, OptionInput
from .schemas import (
    DecisionIn,
    DecisionOut,
    DecisionPatch,
    DecisionViewOut,
    OutcomeIn,
    ParticipantIn,
    StanceIn,
    TrackRecordOut,
)

router = Router(tags=["decisions"])


def _actor(request):
    return request.auth


class DecisionFilter(Schema):
    owner_id: Id | None = None
    team_id: Id | None = None
    participant_id: Id | None = None
    status: QueryText | None = None
    category: QueryText | None = None
    text: QueryText | None = None
    limit: int = 50
    offset: int = 0


@router.get("/decisions", response=responses(PageOut[DecisionOut], 400, *READ_ERRORS))
def list_decisions(request, filters: Query[DecisionFilter]):
    """The decision log, newest first: by owner, team, participant, status, category and words. Paginated."""
    return page_out(services.list_decisions(actor=_actor(request), **filters.dict()))


@router.post("/decisions", response=responses(DecisionOut, 400, 401, 403, 404, 422, status=201))
def create_decision(request, payload: DecisionIn):
    """Record a proposed decision; its participants are asked to sign their stance. High impact (design,
    architecture, customer experience) requests a bar-raiser review."""
    values = payload.dict()
    values["options"] = [OptionInput(**o) for o in values["options"]]
    return Status(201, services.create_decision(actor=_actor(request), **values))


@router.get("/decisions/track-record", response=responses(list[TrackRecordOut], *READ_ERRORS))
def track_record(request, owner_id: Id | None = None):
    """Per owner: decided, reviewed, right, partly right, wrong, and the share right ("right a lot")."""
    return services.track_record(actor=_actor(request), owner_id=owner_id)


@router.get("/decisions/{int:decision_id}", response=responses(DecisionViewOut, *READ_ERRORS))
def get_decision(request, decision_id: Id):
    """One decision, the transitions you may take now, and its bar-raiser review."""
    return services.decision_view(actor=_actor(request), decision_id=decision_id)


@router.patch("/decisions/{int:decision_id}", response=responses(DecisionOut))
def update_decision(request, decision_id: Id, payload: DecisionPatch):
    """Change a decision (the owner or an admin); `version` is the version you read: a stale one gets 409."""
    sent = payload.dict(exclude_unset=True)
    version = sent.pop("version")
    if "options" in sent:
        sent["options"] = tuple(OptionInput(**o) for o in sent["options"] or ())
    changes = changes_from(DecisionChanges, sent)
    return services.update_decision(actor=_actor(request), decision_id=decision_id, changes=changes, version=version)


@router.post("/decisions/{decision_id}/review", response=responses(DecisionOut))
def request_decision_review(request, decision_id: Id, version: int):
    """Ask again for the bar-raiser review of a high-impact decision whose review was withdrawn (owner or admin);
    `version` (query) is the decision's version you read."""
    return services.request_decision_review(actor=_actor(request), decision_id=decision_id, version=version)


@router.post("/decisions/{decision_id}/participants", response=responses(DecisionOut))
def add_participant(request, decision_id: Id, payload: ParticipantIn):
    """Add a participant, who is asked to sign their stance (the owner or an admin)."""
    return services.add_participant(actor=_actor(request), decision_id=decision_id, **payload.dict())


@router.delete("/decisions/{decision_id}/participants/{person_id}", response=responses(DecisionOut))
def remove_participant(request, decision_id: Id, person_id: Id, version: int):
    """Remove a participant (the owner or an admin); `version` (query) is the decision's version you read."""
    return services.remove_participant(
        actor=_actor(request), decision_id=decision_id, person_id=person_id, version=version
    )


@router.post("/decisions/{decision_id}/stance", response=responses(DecisionOut))
def sign_stance(request, decision_id: Id, payload: StanceIn):
    """Sign your own stance: agree; disagree and commit (with the new information the dissent brings); or still
    disagree. Only the participant themself (403 for anyone else, the owner and admins included)."""
    return services.sign_stance(actor=_actor(request), decision_id=decision_id, **payload.dict())


@router.post("/decisions/{decision_id}/outcome", response=responses(DecisionOut))
def record_outcome(request, decision_id: Id, payload: OutcomeIn):
    """Record the later outcome review (the owner or their manager), once decided."""
    return services.record_outcome(actor=_actor(request), decision_id=decision_id, **payload.dict())


@router.get("/decisions/{decision_id}/pdf", response=responses(None, *READ_ERRORS))
def decision_pdf(request, decision_id: Id):
    """The decision as a PDF (print layout; user text through the one Markdown renderer)."""
    from mechanisms.kernel.http import download

    from .views import decision_pdf_bytes

    return download(*decision_pdf_bytes(actor=_actor(request), decision_id=decision_id))


# One endpoint per declared transition (decisions/machines.py): POST /decisions/{decision_id}/<slug>.
TRANSITION_BODIES = machine_api.mount(
    router,
    services.MACHINE,
    base="/decisions",
    apply=lambda *, request_id, **kw: services.apply_transition(decision_id=request_id, **kw),
    response=DecisionOut,
    module=__name__,
    schema_prefix="Decision",
)
