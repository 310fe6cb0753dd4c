"""The metrics app's pages (MECHANISMS.md §8): the registry, a metric's page (series, completeness, lineage,
plans), the WBR decks (charts, box, commentary, exceptions first, snapshots, PDF/HTML/JSON), goals per team and
org unit. Thin: parse, call one service, render (kernel.pages). Templates are in `metrics/templates/metrics/`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from mechanisms.audit import services as audit_services
from mechanisms.kernel import clock, machine_forms
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import NotFound
from mechanisms.kernel.pages import FORM_ERRORS, PAGE_SIZE, page, query_int, query_text, show_error
from mechanisms.org import services as org_services

from . import services
from .contracts import Goal, GoalMix, GoalState, GoalStatus
from .goal_forms import GoalForm

# --- first part: the registry --------------------------------------------------------------------------------

# --- second part: data ---------------------------------------------------------------------------------------

# --- third part: decks and snapshots -------------------------------------------------------------------------

# --- fourth part: goals --------------------------------------------------------------------------------------

GOAL_MACHINE = services.GOAL_MACHINE
GOAL_CONFLICT = (
    "Someone else changed this goal while you were looking at it. Reload to see what changed, then try again."
)
GOAL_STATUS_WORDS = {
    GoalStatus.ON_TRACK: "on track",
    GoalStatus.AT_RISK: "at risk",
    GoalStatus.OFF_TRACK: "off track",
    GoalStatus.ACHIEVED: "achieved",
    GoalStatus.MISSED: "missed",
    GoalStatus.NO_DATA: "N/A: incomplete data",
}


def _goal_rows(actor: Actor, goals: list[Goal]) -> list[dict[str, Any]]:
    progress = services.goal_progresses(actor=actor, goal_ids=[g.id for g in goals])
    teams = org_services.get_teams(actor=actor, ids={g.team_id for g in goals})
    return [
        {
            "g": g,
            "team": teams.get(g.team_id),
            "state": GOAL_MACHINE.state_words(g.state.value),
            "p": progress.get(g.id),
            "status": GOAL_STATUS_WORDS[progress[g.id].status] if g.id in progress else "",
        }
        for g in goals
    ]


def _mix_rows(actor: Actor, mix: GoalMix) -> list[dict[str, Any]]:
    teams = org_services.get_teams(actor=actor, ids=[line.team_id for line in mix.teams])
    return [{"line": line, "team": teams.get(line.team_id)} for line in mix.teams]


@page
def goal_list(request: HttpRequest) -> HttpResponse:
    """Goals by team and org unit for a year: each goal's progress status computed from its data, the share tied
    to input versus output metrics, and the output-only warnings."""
    actor = request.actor
    year = query_int(request, "year") or clock.today().year
    team_slug, unit_slug = query_text(request, "team"), query_text(request, "unit")
    state = query_text(request, "state")
    unknown = []
    team = org_services.find_team(actor=actor, slug=team_slug) if team_slug else None
    if team_slug and team is None:
        unknown.append(f"No team has the slug {team_slug!r}.")
    unit = org_services.find_org_unit(actor=actor, slug=unit_slug) if unit_slug else None
    if unit_slug and unit is None:
        unknown.append(f"No org unit has the slug {unit_slug!r}.")
    found, mix = None, None
    if not unknown and 2000 <= year <= 2100:
        filters = {"team_id": team.id if team else None, "unit_id": unit.id if unit else None}
        found = services.list_goals(
            actor=actor,
            year=year,
            state=state if state in {s.value for s in GoalState} else None,
            limit=PAGE_SIZE,
            offset=query_int(request, "offset"),
            **filters,
        )
        mix = services.goal_mix(actor=actor, year=year, **filters)
    context = {
        "page": found,
        "rows": _goal_rows(actor, list(found.items)) if found else [],
        "mix": mix,
        "mix_rows": _mix_rows(actor, mix) if mix else [],
        "year": year,
        "team": team_slug,
        "unit": unit_slug,
        "state": state,
        "states": [(s.value, GOAL_MACHINE.state_words(s.value)) for s in GoalState],
        "units": org_services.all_org_units(actor=actor),
        "unknown": unknown,
    }
    return render(request, "metrics/goal_list.html", context)


@page
def goal_new(request: HttpRequest) -> HttpResponse:
    """Draft a team's goal: a registry metric, the measured figure, baseline and target, start and due dates."""
    actor = request.actor
    initial = {"year": clock.today().year, "team": query_text(request, "team")}
    form = GoalForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            team = org_services.find_team(actor=actor, slug=data["team"])
            metric_id = services.metric_id_by_name(actor=actor, name=data["metric"])
            if team is None:
                form.add_error("team", f"no team has the slug {data['team']!r}")
            elif metric_id is None:
                form.add_error("metric", f"there is no metric {data['metric']!r} in the registry")
            else:
                make = services.propose_goal if data["propose"] else services.create_goal
                try:
                    goal = make(
                        actor=actor,
                        team_id=team.id,
                        year=data["year"],
                        title=data["title"],
                        description=data["description"],
                        metric_id=metric_id,
                        measure=data["measure"],
                        baseline=data["baseline"],
                        target=data["target"],
                        start_date=data["start_date"],
                        due_date=data["due_date"],
                    )
                except FORM_ERRORS as exc:
                    status = show_error(form, exc, fields={"team_id": "team", "metric_id": "metric"})
                else:
                    messages.success(request, f"Goal {goal.id} is {GOAL_MACHINE.state_words(goal.state.value)}.")
                    return redirect(goal.url)
    return render(request, "metrics/goal_new.html", {"form": form}, status=status)


@page
def goal_detail(request: HttpRequest, goal_id: int) -> HttpResponse:
    return _render_goal(request, goal_id)


def _render_goal(
    request: HttpRequest, goal_id: int, *, failed: tuple[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    actor = request.actor
    view = services.goal_view(actor=actor, goal_id=goal_id)
    g = view.goal
    progress = services.goal_progress(actor=actor, goal_id=g.id)
    team = org_services.get_teams(actor=actor, ids=[g.team_id]).get(g.team_id)
    people = org_services.get_people(actor=actor, ids={g.owner_id} | ({g.decided_by_id} if g.decided_by_id else set()))
    action_forms = []
    for name in view.actions:
        t = GOAL_MACHINE.transition(name)
        form = (
            failed[1]
            if failed and failed[0] == name
            else machine_forms.action_form(GOAL_MACHINE, name, version=g.version)
        )
        action_forms.append(
            {
                "name": name,
                "url": f"/goals/{g.id}/{t.slug}",
                "title": t.title,
                "help": t.help,
                "form": form,
                "buttons": machine_forms.buttons(t),
                "secondary": t.secondary,
                "fields": list(form),
            }
        )
    changes = audit_services.list_changes(actor=actor, subject_type=services.SUBJECT_GOAL, subject_id=g.id, limit=30)
    context = {
        "g": g,
        "view": view,
        "p": progress,
        "status_words": GOAL_STATUS_WORDS[progress.status],
        "state": GOAL_MACHINE.state_words(g.state.value),
        "team": team,
        "owner": people.get(g.owner_id),
        "decided_by": people.get(g.decided_by_id) if g.decided_by_id else None,
        "missing_days": sorted({d for gap in progress.gaps for d in (*gap.missing, *gap.blank)}),
        "action_forms": action_forms,
        "history": {
            "rows": audit_services.history_lines(records=changes.items),
            "total": changes.total,
            "shown": len(changes.items),
        },
    }
    return render(request, "metrics/goal_detail.html", context, status=status)


@require_POST
@page
def goal_action(request: HttpRequest, goal_id: int, action: str) -> HttpResponse:
    """One move of the goal machine; back to the goal on success, or the page again with the error by its field."""
    name = action.replace("-", "_")
    if name not in GOAL_MACHINE.by_name:
        raise NotFound(f"there is no move {action!r} on a goal", field="action")
    t = GOAL_MACHINE.transition(name)
    goal = services.get_goal(actor=request.actor, goal_id=goal_id)
    form = machine_forms.action_form(GOAL_MACHINE, name, request.POST, version=goal.version)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.apply_goal_transition(
                actor=request.actor,
                goal_id=goal.id,
                version=data["version"],
                transition=name,
                values=machine_forms.form_values(t, data),
            )
        except FORM_ERRORS as exc:
            status = show_error(form, exc, conflict=GOAL_CONFLICT)
        else:
            messages.success(request, f"Goal {goal.id}: {t.words_for(t.done, '') or t.name}.")
            return redirect(goal.url)
    return _render_goal(request, goal_id, failed=(name, form), status=status)


def team_goals_panel(request: HttpRequest, team: Any, **bound: Any) -> dict[str, Any]:
    """The team page's goals for this year: each with its computed status, and the input/output share."""
    year = clock.today().year
    found = services.list_goals(actor=request.actor, team_id=team.id, year=year, limit=20)
    mix = services.goal_mix(actor=request.actor, team_id=team.id, year=year)
    return {
        "team": team,
        "year": year,
        "found": found,
        "rows": _goal_rows(request.actor, list(found.items)),
        "mix": mix,
    }
