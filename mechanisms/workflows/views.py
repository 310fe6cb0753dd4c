"""The pages of the team lifecycle (MECHANISMS.md §1): forming a team around a charter, transferring a service with
its open away-team requests, and dissolving a team with a complete plan.

Thin: parse, call one workflow, render. The lifecycle workflows judge every plan; a refused one comes back next to
the field it names (400, or 409 for a stale version). Templates are in `workflows/templates/workflows/`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from mechanisms.away_teams.contracts import state_words
from mechanisms.catalog import services as catalog_services
from mechanisms.catalog.contracts import Lifecycle, Service
from mechanisms.kernel.errors import Conflict, PermissionDenied, RuleViolation
from mechanisms.kernel.pages import FORM_ERRORS, page, people_ids, per_request, person_id, query_text, show_error
from mechanisms.org import services as org_services
from mechanisms.org.contracts import LIVE_TEAM_STATUSES, Team, TeamStatus
from mechanisms.workflows import lifecycle

from .forms import DissolveForm, TeamFormingForm, TransferForm

TEAM_CONFLICT = "Someone else changed this team while you were preparing the plan. Reload the plan, then try again."
SERVICE_CONFLICT = (
    "Someone else changed this service while you were editing. Reload to see their change, then edit again."
)


@page
def team_form(request: HttpRequest) -> HttpResponse:
    """Form a team around a customer problem (status forming; the charter is required). Admins and the leaders of
    the org unit or above; the leader and the members are told."""
    actor = request.actor
    unit_choices = [(u.id, u.name) for u in org_services.all_org_units()]
    status = 200
    if request.method == "POST":
        form = TeamFormingForm(request.POST, unit_choices=unit_choices)
        if form.is_valid():
            data = form.cleaned_data
            leader_id = person_id(form, "leader", data["leader"], find=org_services.find_person)
            member_ids = people_ids(form, "members", data["members"], find=org_services.find_person)
            if not form.errors:
                try:
                    team = lifecycle.form_team(
                        actor=actor,
                        slug=data["slug"],
                        name=data["name"],
                        org_unit_id=data["org_unit"],
                        charter=data["charter"],
                        leader_id=leader_id,
                        member_ids=member_ids,
                    )
                except FORM_ERRORS as exc:
                    status = show_error(
                        form, exc, fields={"org_unit_id": "org_unit", "leader_id": "leader", "member_ids": "members"}
                    )
                except PermissionDenied as exc:
                    if exc.field != "org_unit_id":
                        raise
                    # Refused for this org unit: say so next to it, keeping what was typed.
                    form.add_error("org_unit", exc.message)
                    status = exc.http_status
                else:
                    messages.success(request, f"{team.name} is forming. Its leader and members have been told.")
                    return redirect("web:team", slug=team.slug)
        if form.errors and status == 200:
            status = 400
    else:
        unit = org_services.find_org_unit(slug=query_text(request, "unit")) if request.GET.get("unit") else None
        form = TeamFormingForm(initial={"org_unit": unit.id if unit else None}, unit_choices=unit_choices)
    return render(request, "workflows/team_forming.html", {"form": form}, status=status)


def _live_teams(*, excluding: Iterable[int] = ()) -> list[Team]:
    skip = set(excluding)
    return [t for t in org_services.team_index() if t.status in LIVE_TEAM_STATUSES and t.id not in skip]


@page
def service_transfer(request: HttpRequest, name: str) -> HttpResponse:
    """Transfer a service to another active team (its owning team's members, admins); its open away-team requests
    follow it to the new owner."""
    actor = request.actor
    service = catalog_services.get_service_by_name(name=name)
    org_services.require_team_change(actor=actor, team_id=service.owner_team_id, what="transfer this service")
    choices = [(t.id, t.name) for t in _live_teams(excluding=[service.owner_team_id])]
    status = 200
    if request.method == "POST":
        form = TransferForm(request.POST, team_choices=choices)
        if form.is_valid():
            data = form.cleaned_data
            try:
                moved = lifecycle.transfer_service(
                    actor=actor,
                    service_id=service.id,
                    version=data["version"],
                    to_team_id=data["to_team"],
                    reason=data["reason"],
                )
            except FORM_ERRORS as exc:
                status = show_error(form, exc, fields={"to_team_id": "to_team"}, conflict=SERVICE_CONFLICT)
            else:
                new_owner = org_services.get_team(team_id=moved.owner_team_id)
                messages.success(
                    request, f"{moved.name} is now owned by {new_owner.name}; its open away-team requests followed it."
                )
                return redirect("web:service", name=moved.name)
        if form.errors and status == 200:
            status = 400
    else:
        form = TransferForm(team_choices=choices, initial={"version": service.version})
    owner = org_services.get_team(team_id=service.owner_team_id) if service.owner_team_id is not None else None
    context = {"service": service, "owner": owner, "form": form, "reload_url": request.path}
    return render(request, "workflows/service_transfer.html", context, status=status)


@page
def team_dissolve(request: HttpRequest, slug: str) -> HttpResponse:
    """Dissolve a team (admins): a choice for every live service it owns (retire, or the team that takes it over)
    and every open request it is party to (close, or the team that carries it on), and the reason. An incomplete
    plan changes nothing and comes back listing what is still unmapped."""
    actor = request.actor
    team = org_services.get_team_by_slug(slug=slug)
    held = lifecycle.holdings_for(actor=actor, team_id=team.id)
    live = _live_teams(excluding=[team.id])
    held_services = {s.id: s for s in held.services}
    teams = org_services.get_teams(ids={t for r in held.requests for t in (r.requesting_team_id, r.home_team_id)})

    service_fields = [
        (s.id, s.name, [("retire", "retire it"), *((str(t.id), f"transfer to {t.name}") for t in live)])
        for s in held.services
    ]
    request_fields = []
    initial: dict[str, Any] = {"version": team.version}
    for s in held.services:
        if not live:  # nothing can take it over: retiring is the only choice
            initial[f"service_{s.id}"] = "retire"
    request_rows = []
    for r in held.requests:
        inbound = r.home_team_id == team.id
        other = r.requesting_team_id if inbound else r.home_team_id
        follows = inbound and r.service_id in held_services
        choices = [("close", "close it")]
        if follows:
            # A request on this team's service goes with the service: one choice says so, and is pre-selected.
            choices.insert(0, ("follow", f"goes with {held_services[r.service_id].name} (closed if it is retired)"))
            initial[f"request_{r.id}"] = "follow"
        carriers = [t for t in live if t.id != other]
        if not inbound:
            choices.extend((str(t.id), f"{t.name} carries it on") for t in carriers)
            if not carriers:
                initial[f"request_{r.id}"] = "close"
        elif not follows:
            initial[f"request_{r.id}"] = "close"  # its service is no longer live: it can only be closed
        label = f"#{r.id} {r.title}"
        request_fields.append((r.id, label, choices))
        other_team = teams.get(other)
        request_rows.append(
            {
                "r": r,
                "field": f"request_{r.id}",
                "inbound": inbound,
                "other": other_team,
                "state": state_words(r.state.value),
            }
        )

    def make(data=None) -> DissolveForm:
        return DissolveForm(data, initial=initial, services=service_fields, requests=request_fields)

    status = 200
    unmapped: dict[str, Any] = {"message": "", "services": [], "requests": []}
    if request.method == "POST":
        form = make(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            plan = _plan(data, held)
            try:
                result = lifecycle.dissolve_team(
                    actor=actor, team_id=team.id, version=data["version"], plan=plan, reason=data["reason"]
                )
            except RuleViolation as exc:
                if exc.field == "plan" and isinstance(exc.details, dict):
                    unmapped = _unmapped(exc)
                    for kind in ("service", "request"):
                        for item in unmapped[f"{kind}s"]:
                            name = f"{kind}_{item['id']}"
                            # Held since the page was drawn: it is in the list above the form, not beside a field.
                            if name in form.fields:
                                form.add_error(name, item["problem"])
                    status = exc.http_status
                else:
                    status = show_error(form, exc)
            except Conflict as exc:
                status = show_error(form, exc, conflict=TEAM_CONFLICT)
            else:
                messages.success(
                    request,
                    f"{result.team.name} is dissolved: {result.transferred} service(s) transferred, {result.retired} "
                    f"retired, {result.rerouted} request(s) re-routed, {result.closed} closed, {result.released} "
                    "member(s) released.",
                )
                return redirect("web:team", slug=team.slug)
        if form.errors and status == 200:
            status = 400
    else:
        form = make()
    context = {
        "team": team,
        "form": form,
        "services": [{"service": s, "field": form[f"service_{s.id}"]} for s in held.services],
        "requests": [{**row, "field": form[row["field"]]} for row in request_rows],
        "unmapped": unmapped,
        "reload_url": request.path if status == 409 else "",
    }
    return render(request, "workflows/team_dissolve.html", context, status=status)


def _unmapped(exc: RuleViolation) -> dict[str, Any]:
    """What the refused plan leaves unmapped, as the workflow says."""
    return {
        "message": exc.message,
        "services": list(exc.details.get("services", [])),
        "requests": list(exc.details.get("requests", [])),
    }


def _plan(data: dict[str, Any], held: lifecycle.Holdings) -> lifecycle.DissolutionPlan:
    """The plan the admin chose, as the form's values ("follow" is the workflow's own choice)."""

    def target(value: str) -> int | str | None:
        if not value:
            return None
        return value if value in ("retire", "close", "follow") else int(value)

    services = {s.id: target(data.get(f"service_{s.id}", "")) for s in held.services}
    requests = {r.id: target(data.get(f"request_{r.id}", "")) for r in held.requests}
    return lifecycle.DissolutionPlan(
        services={k: v for k, v in services.items() if v is not None},
        requests={k: v for k, v in requests.items() if v is not None},
    )


# ---------------------------------------------------------------------------------------------- panels
# The lifecycle's buttons on the composite team and service pages (declared in apps.py, drawn by the shell).


def team_dissolve_action(request: HttpRequest, team: Team, **bound: Any) -> dict[str, Any] | None:
    """Dissolving is for administrators (lifecycle.dissolve_team refuses anyone else), of a team not dissolved."""
    return {"team": team} if request.actor.is_admin and team.status != TeamStatus.DISSOLVED else None


def service_transfer_action(request: HttpRequest, service: Service, **bound: Any) -> dict[str, Any] | None:
    """Transferring is for whoever may change the owning team, of a service not retired."""
    if service.lifecycle == Lifecycle.RETIRED:
        return None
    key = f"org.can_change_team:{service.owner_team_id}"
    allowed = per_request(
        request, key, lambda: org_services.can_change_team(actor=request.actor, team_id=service.owner_team_id)
    )
    return {"service": service} if allowed else None
