"""The pages of the team lifecycle (MECHANISMS.md §1): forming a team around a charter, transferring a service with
its open away-team requests, and dissolving a team with a complete plan.

Thin: parse, call one workflow, render. The lifecycle workflows judge every plan; a refused one comes back next to
the field it names (400, or 409 for a stale version). Templates are in `workflows/templates/workflows/`.
"""

from __future__ import annotations

import functools
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
from mechanisms.org.contracts import Team, TeamStatus
from mechanisms.workflows import lifecycle

from .forms import DissolveForm, TeamFormingForm, TransferForm

SUGGESTED_TEAMS = 20  # teams offered in each item's datalist on the dissolve page
TEAM_CONFLICT = "Someone else changed this team while you were preparing the plan. Reload the plan, then try again."
SERVICE_CONFLICT = (
    "Someone else changed this service while you were editing. Reload to see their change, then edit again."
)


@page
def team_form(request: HttpRequest) -> HttpResponse:
    """Form a team around a customer problem (status forming; the charter is required). Admins and the leaders of
    the org unit or above; the leader and the members are told."""
    actor = request.actor
    unit_choices = [(u.id, u.name) for u in org_services.all_org_units(actor=actor)]
    status = 200
    if request.method == "POST":
        form = TeamFormingForm(request.POST, unit_choices=unit_choices)
        if form.is_valid():
            data = form.cleaned_data
            leader_id = person_id(
                form, "leader", data["leader"], find=functools.partial(org_services.find_person, actor=request.actor)
            )
            member_ids = people_ids(
                form, "members", data["members"], find=functools.partial(org_services.find_person, actor=request.actor)
            )
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
        unit = (
            org_services.find_org_unit(actor=actor, slug=query_text(request, "unit"))
            if request.GET.get("unit")
            else None
        )
        form = TeamFormingForm(initial={"org_unit": unit.id if unit else None}, unit_choices=unit_choices)
    return render(request, "workflows/team_forming.html", {"form": form}, status=status)


@page
def service_transfer(request: HttpRequest, name: str) -> HttpResponse:
    """Transfer a service to another active team (its owning team's members, admins); its open away-team requests
    follow it to the new owner."""
    actor = request.actor
    service = catalog_services.get_service_by_name(actor=actor, name=name)
    org_services.require_team_change(actor=actor, team_id=service.owner_team_id, what="transfer this service")
    status = 200
    if request.method == "POST":
        form = TransferForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            # Only the slug is resolved here; whether the team may take the service is the workflow's to say.
            to_team = org_services.find_team(actor=actor, slug=data["to_team"])
            if to_team is None:
                form.add_error("to_team", f"There is no team with the slug {data['to_team']!r}.")
        if form.is_valid():
            try:
                moved = lifecycle.transfer_service(
                    actor=actor,
                    service_id=service.id,
                    version=data["version"],
                    to_team_id=to_team.id,
                    reason=data["reason"],
                )
            except FORM_ERRORS as exc:
                status = show_error(form, exc, fields={"to_team_id": "to_team"}, conflict=SERVICE_CONFLICT)
            else:
                new_owner = org_services.get_team(actor=actor, team_id=moved.owner_team_id)
                messages.success(
                    request, f"{moved.name} is now owned by {new_owner.name}; its open away-team requests followed it."
                )
                return redirect("web:service", name=moved.name)
        if form.errors and status == 200:
            status = 400
    else:
        form = TransferForm(initial={"version": service.version})
    owner = (
        org_services.get_team(actor=actor, team_id=service.owner_team_id) if service.owner_team_id is not None else None
    )
    context = {"service": service, "owner": owner, "form": form, "reload_url": request.path}
    return render(request, "workflows/service_transfer.html", context, status=status)


@page
def team_dissolve(request: HttpRequest, slug: str) -> HttpResponse:
    """Dissolve a team (admins): a choice for every live service it owns (retire, or the team that takes it over)
    and every open request it is party to (close, or the team that carries it on), and the reason. An incomplete
    plan changes nothing and comes back listing what is still unmapped."""
    actor = request.actor
    team = org_services.get_team_by_slug(actor=actor, slug=slug)
    choices = lifecycle.dissolution_choices(actor=actor, team_id=team.id)
    held = choices.holdings
    teams = org_services.get_teams(actor=actor, ids={c.other_team_id for c in choices.requests})
    held_names = {s.id: s.name for s in held.services}
    # Suggested in each item's <datalist>: the teams of the same org unit (a sensible subset); any other active
    # team is typed by its slug.
    nearby = sorted((t for t in choices.live_teams if t.org_unit_id == team.org_unit_id), key=lambda t: t.name)
    nearby = nearby[:SUGGESTED_TEAMS]

    def suggestions(options: tuple[int | str, ...], words, team_words) -> list[tuple[str, str]]:
        allowed = {o for o in options if isinstance(o, int)}
        keywords = [(o, words(o)) for o in options if isinstance(o, str)]
        return keywords + [(t.slug, team_words(t.name)) for t in nearby if t.id in allowed]

    def hint(options: tuple[int | str, ...], words, team_words: str) -> str:
        said = [f"{o} ({words(o)})" if o == "follow" else o for o in options if isinstance(o, str)]
        if any(isinstance(o, int) for o in options):
            said.append(f"the slug of the active team that {team_words}")
        return "Type " + ", or ".join(said) + "."

    def request_words(r):
        def words(option: str) -> str:
            if option == "follow":
                return f"goes with {held_names[r.service_id]}; closed if it is retired"
            return "close it"

        return words

    def service_words(option: str) -> str:
        return "retire it"  # the one keyword a service has

    service_fields = [
        (c.service.id, c.service.name, hint(c.options, service_words, "takes it over")) for c in choices.services
    ]
    request_fields = [
        (c.request.id, f"#{c.request.id} {c.request.title}", hint(c.options, request_words(c.request), "carries it on"))
        for c in choices.requests
    ]
    datalists = {
        f"service_{c.service.id}": suggestions(c.options, service_words, lambda n: f"transfer to {n}")
        for c in choices.services
    }
    datalists.update(
        {
            f"request_{c.request.id}": suggestions(c.options, request_words(c.request), lambda n: f"{n} carries it on")
            for c in choices.requests
        }
    )
    initial: dict[str, Any] = {"version": team.version}
    initial.update({f"service_{c.service.id}": str(c.default) for c in choices.services if c.default is not None})
    initial.update({f"request_{c.request.id}": str(c.default) for c in choices.requests if c.default is not None})
    request_rows = [
        {
            "r": c.request,
            "field": f"request_{c.request.id}",
            "inbound": c.inbound,
            "other": teams.get(c.other_team_id),
            "state": state_words(c.request.state.value),
        }
        for c in choices.requests
    ]

    def make(data=None) -> DissolveForm:
        return DissolveForm(data, initial=initial, services=service_fields, requests=request_fields)

    status = 200
    unmapped: dict[str, Any] = {"message": "", "services": [], "requests": []}
    if request.method == "POST":
        form = make(request.POST)
        find = functools.partial(org_services.find_team, actor=actor)
        plan = _plan(form, held, find=find) if form.is_valid() else None
        if plan is not None:
            data = form.cleaned_data
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
        "services": [
            {"service": s, "field": form[f"service_{s.id}"], "options": datalists[f"service_{s.id}"]}
            for s in held.services
        ],
        "requests": [{**row, "field": form[row["field"]], "options": datalists[row["field"]]} for row in request_rows],
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


def _plan(form: DissolveForm, held: lifecycle.Holdings, *, find) -> lifecycle.DissolutionPlan | None:
    """The plan the admin typed: a keyword ("follow" is the workflow's own choice) or a team's slug, read as that
    team's id. A slug naming no team is shown next to its field and there is no plan (None); whether a team may
    take an item is the workflow's to judge."""
    keywords = ("retire", "close", "follow")

    def target(name: str) -> int | str | None:
        value = form.cleaned_data.get(name, "").strip().lower()
        if not value or value in keywords:
            return value or None
        found = find(slug=value)
        if found is None:
            form.add_error(name, f"There is no team with the slug {value!r}.")
            return None
        return found.id

    services = {s.id: target(f"service_{s.id}") for s in held.services if f"service_{s.id}" in form.fields}
    requests = {r.id: target(f"request_{r.id}") for r in held.requests if f"request_{r.id}" in form.fields}
    if form.errors:
        return None
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
