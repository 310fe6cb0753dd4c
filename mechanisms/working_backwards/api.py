"""API of the working_backwards app (MECHANISMS.md §6): PR/FAQs, their circles and transitions, the checker, the
funnel; narratives. Thin: parse, call one service, return its contract. Errors are mapped in config/api.py."""

from __future__ import annotations

from ninja import Path, Query, Router, Schema, Status

from mechanisms.kernel import machine_api
from mechanisms.kernel.api import READ_ERRORS, WRITE_ERRORS, Id, PageOut, QueryText, page_out, responses

from . import services
from .contracts import NarrativeChanges
from .schemas import (
    CheckReportOut,
    CircleMembersIn,
    CircleOut,
    CircleSuggestionOut,
    NarrativeBodyIn,
    NarrativeCheckIn,
    NarrativeCheckOut,
    NarrativeCreateIn,
    NarrativeOut,
    NarrativePatch,
    NarrativeSessionIn,
    NarrativeSessionOut,
    NarrativeViewOut,
    PrFaqBodyIn,
    PrFaqCheckIn,
    PrFaqCreateIn,
    PrFaqOut,
    PrFaqViewOut,
)

router = Router(tags=["working backwards"])


def _actor(request):
    return request.auth  # the Actor, set by config.api's authenticators


# --- PR/FAQs (prfaq)


class PrFaqFilter(Schema):
    state: QueryText | None = None
    team_id: Id | None = None
    circle: int | None = None
    text: QueryText = ""
    limit: int = 50
    offset: int = 0


class CirclePath(Schema):
    prfaq_id: Id
    circle: int


@router.get("/prfaqs", response=responses(PageOut[PrFaqOut], 400, *READ_ERRORS))
def list_prfaqs(request, filters: Query[PrFaqFilter]):
    """The PR/FAQs you may read (you wrote them, or you are named in a circle they reached), most recently changed
    first; by state, team, circle or title words. Paginated."""
    return page_out(services.list_prfaqs(actor=_actor(request), **filters.dict()))


@router.post("/prfaqs", response=responses(PrFaqOut, 400, 401, 403, 404, 422, status=201))
def create_prfaq(request, payload: PrFaqCreateIn):
    """Start a PR/FAQ: a draft in circle 1 (you, the author), owned by a team."""
    return Status(201, services.create_prfaq(actor=_actor(request), **payload.dict()))


@router.post("/prfaqs/check", response=responses(CheckReportOut, 400, 401, 422))
def check_prfaq(request, payload: PrFaqCheckIn):
    """Run the checker on unsaved parts: missing sections, the press release over one page, the FAQ over five,
    jargon and weasel words (the editor calls this). Nothing is written."""
    return services.check_parts(actor=_actor(request), parts=payload.parts)


@router.get("/prfaqs/{prfaq_id}", response=responses(PrFaqViewOut, *READ_ERRORS))
def get_prfaq(request, prfaq_id: Id):
    """A PR/FAQ, its current parts, its circles, the checker's report and what you can do now. 404 unless you
    are its author or named in a circle it has reached."""
    return services.prfaq_view(actor=_actor(request), prfaq_id=prfaq_id)


@router.put("/prfaqs/{prfaq_id}/body", response=responses(PrFaqViewOut, *WRITE_ERRORS))
def revise_prfaq(request, prfaq_id: Id, payload: PrFaqBodyIn):
    """Revise the parts (the author, while draft or in review); every revision is kept. A stale version is 409."""
    return services.revise_prfaq(actor=_actor(request), prfaq_id=prfaq_id, **payload.dict())


@router.get("/prfaqs/{prfaq_id}/suggested-circles", response=responses(list[CircleSuggestionOut], *READ_ERRORS))
def suggest_circles(request, prfaq_id: Id):
    """Who the org chart suggests for circle 3 (the owning team leader's chain below the top) and 4 (the top)."""
    return list(services.suggest_circles(actor=_actor(request), prfaq_id=prfaq_id))


@router.get("/prfaqs/{prfaq_id}/circles/{circle}", response=responses(CircleOut, 400, *READ_ERRORS))
def get_circle(request, path: Path[CirclePath]):
    """The people named in one circle (1 is the author): its reviewers and its readers."""
    return services.get_circle(actor=_actor(request), prfaq_id=path.prfaq_id, circle=path.circle)


@router.put("/prfaqs/{prfaq_id}/circles/{circle}", response=responses(PrFaqOut, *WRITE_ERRORS))
def set_circle(request, path: Path[CirclePath], payload: CircleMembersIn):
    """Name one circle's reviewers and readers (the author, while draft or in review; never a circle passed)."""
    return services.set_circle_members(
        actor=_actor(request), prfaq_id=path.prfaq_id, circle=path.circle, **payload.dict()
    )


def _apply_prfaq(*, actor, request_id, version, transition, values):
    return services.apply_transition(
        actor=actor, prfaq_id=request_id, version=version, transition=transition, values=values
    )


# One endpoint per declared transition (machines.py): POST /prfaqs/{id}/submit|advance|approve|shelve.
PRFAQ_TRANSITION_BODIES = machine_api.mount(
    router,
    services.PRFAQ_MACHINE,
    base="/prfaqs",
    apply=_apply_prfaq,
    response=PrFaqOut,
    module=__name__,
    schema_prefix="PrFaq",
)

# --- narratives (reading)
# Reading sessions themselves (done reading, close, their comments) are the documents API's /reading-sessions/{id}.


class NarrativeFilter(Schema):
    team_id: Id | None = None
    text: QueryText = ""
    limit: int = 50
    offset: int = 0


@router.get("/narratives", response=responses(PageOut[NarrativeOut], *READ_ERRORS))
def list_narratives(request, filters: Query[NarrativeFilter]):
    """The narratives you may read (a confidential one only for its author, team, named and session readers),
    most recently changed first; by team or title words. Paginated."""
    return page_out(services.list_narratives(actor=_actor(request), **filters.dict()))


@router.post("/narratives", response=responses(NarrativeOut, 400, 401, 403, 422, status=201))
def create_narrative(request, payload: NarrativeCreateIn):
    """Write a narrative for a team (you are its author). Over six pages or full of bullets it is saved with its
    findings (see `check`), but cannot be read in a session."""
    return Status(201, services.create_narrative(actor=_actor(request), **payload.dict()))


@router.post("/narratives/check", response=responses(NarrativeCheckOut, 400, 401, 422))
def check_narrative(request, payload: NarrativeCheckIn):
    """The page measure and the bullet-ratio lint of a text (nothing stored): the same as `mech narratives check`."""
    _actor(request)
    return services.check_narrative(body=payload.body, appendix=payload.appendix)


@router.get("/narratives/{narrative_id}", response=responses(NarrativeViewOut, *READ_ERRORS))
def get_narrative(request, narrative_id: Id):
    """A narrative with its current body and appendix, their check, and what you may do."""
    return services.get_narrative(actor=_actor(request), narrative_id=narrative_id)


@router.put("/narratives/{narrative_id}/body", response=responses(NarrativeViewOut, *WRITE_ERRORS))
def revise_narrative(request, narrative_id: Id, payload: NarrativeBodyIn):
    """Revise the body and/or appendix (and title): a new revision, every one kept (the author). Name the
    document's version you read: a stale one is a 409 and nothing is written."""
    return services.revise_narrative(actor=_actor(request), narrative_id=narrative_id, **payload.dict())


@router.patch("/narratives/{narrative_id}", response=responses(NarrativeOut, *WRITE_ERRORS))
def update_narrative(request, narrative_id: Id, payload: NarrativePatch):
    """Make a narrative confidential or open, or change its named readers (the author; the narrative's
    `version`: stale is a 409)."""
    sent = payload.dict(exclude_unset=True)
    version = sent.pop("version")
    if "reader_ids" in sent:
        sent["reader_ids"] = tuple(sent["reader_ids"] or ())
    if sent.get("confidential", False) is None:
        sent.pop("confidential")
    changes = NarrativeChanges(**sent)
    return services.update_narrative(actor=_actor(request), narrative_id=narrative_id, version=version, changes=changes)


@router.get("/narratives/{narrative_id}/sessions", response=responses(PageOut[NarrativeSessionOut], *READ_ERRORS))
def list_narrative_sessions(request, narrative_id: Id, limit: int = 50, offset: int = 0):
    """The narrative's reading sessions, newest first. Paginated."""
    found = services.list_narrative_sessions(
        actor=_actor(request), narrative_id=narrative_id, limit=limit, offset=offset
    )
    return page_out(found)


@router.post("/narratives/{narrative_id}/sessions", response=responses(NarrativeSessionOut, status=201))
def start_narrative_session(request, narrative_id: Id, payload: NarrativeSessionIn):
    """Start a silent reading of the current revision (the author presents): at least one reader, 1..240 minutes;
    refused over six pages. The readers of a confidential narrative become its named readers."""
    record = services.start_narrative_session(
        actor=_actor(request), narrative_id=narrative_id, reader_ids=payload.reader_ids, minutes=payload.minutes
    )
    return Status(201, record)


# --- board and funnel (board)
