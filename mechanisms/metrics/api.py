"""API of the metrics app (MECHANISMS.md §8), under /api/v1/: the registry (/metrics), data (/metrics/{id}/values,
/metric-loads, /metrics/{id}/sql-source), decks (/decks), goals (/goals).

Thin: parse, call one service, return its contract. Errors are mapped in config/api.py.
"""

from __future__ import annotations

from ninja import Query, Router, Schema, Status

from mechanisms.kernel import machine_api
from mechanisms.kernel.api import READ_ERRORS, WRITE_ERRORS, Id, PageOut, QueryText, page_out, responses
from mechanisms.kernel.changes import changes_from

from . import services
from .contracts import GoalChanges
from .goal_schemas import GoalIn, GoalMixOut, GoalOut, GoalPatch, GoalProgressOut, GoalViewOut

router = Router(tags=["metrics"])

# --- first part: the registry --------------------------------------------------------------------------------

# --- second part: data ---------------------------------------------------------------------------------------

# --- third part: decks and snapshots -------------------------------------------------------------------------

# --- fourth part: goals --------------------------------------------------------------------------------------


class GoalFilter(Schema):
    team_id: Id | None = None
    unit_id: Id | None = None
    year: int | None = None
    state: QueryText | None = None
    metric_id: Id | None = None
    limit: int = 50
    offset: int = 0


@router.get("/goals", response=responses(PageOut[GoalOut], 400, *READ_ERRORS))
def list_goals(request, filters: Query[GoalFilter]):
    """Teams' goals, by team, org unit (its subtree), year, state and metric. Paginated."""
    return page_out(services.list_goals(actor=request.auth, **filters.dict()))


@router.post("/goals", response=responses(GoalOut, *WRITE_ERRORS, status=201))
def create_goal(request, payload: GoalIn):
    """Draft a team's goal (its members or leader): a registry metric, a numeric target and measure, a start and a
    due date within the year; `propose` proposes it to leadership at once."""
    values = payload.dict()
    make = services.propose_goal if values.pop("propose") else services.create_goal
    return Status(201, make(actor=request.auth, **values))


@router.get("/goals/mix", response=responses(GoalMixOut, 400, *READ_ERRORS))
def goal_mix(request, year: int, team_id: Id | None = None, unit_id: Id | None = None):
    """The share of a year's goals tied to input versus output metrics, per team and for the team or unit subtree,
    with a warning for each output-only goal set."""
    return services.goal_mix(actor=request.auth, team_id=team_id, unit_id=unit_id, year=year)


@router.get("/goals/{int:goal_id}", response=responses(GoalViewOut, *READ_ERRORS))
def get_goal(request, goal_id: Id):
    """One goal and the moves you may take now."""
    return services.goal_view(actor=request.auth, goal_id=goal_id)


@router.patch("/goals/{int:goal_id}", response=responses(GoalOut, *WRITE_ERRORS))
def change_goal(request, goal_id: Id, payload: GoalPatch):
    """Change a draft goal (its team); `version` is the version you read: a stale one gets 409."""
    sent = payload.dict(exclude_unset=True)
    version = sent.pop("version")
    changes = changes_from(GoalChanges, sent)
    return services.change_goal(actor=request.auth, goal_id=goal_id, version=version, changes=changes)


@router.get("/goals/{int:goal_id}/progress", response=responses(GoalProgressOut, *READ_ERRORS))
def goal_progress(request, goal_id: Id):
    """A goal's progress from its metric's data and the date: the measured figure, the share of the way and of the
    time, and the status (no_data, naming the missing days, when the measured period is incomplete)."""
    return services.goal_progress(actor=request.auth, goal_id=goal_id)


# One endpoint per declared transition of the goal machine (metrics/machines.py): POST /goals/{goal_id}/<slug>.
GOAL_TRANSITION_BODIES = machine_api.mount(
    router,
    services.GOAL_MACHINE,
    base="/goals",
    apply=lambda *, request_id, **kw: services.apply_goal_transition(goal_id=request_id, **kw),
    response=GoalOut,
    module=__name__,
    schema_prefix="Goal",
)
