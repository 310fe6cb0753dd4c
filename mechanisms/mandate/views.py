"""The pages of the mandate (MECHANISMS.md §2 M6): team and org-unit scorecards, the org-unit pages that carry them,
waivers (list, grant, revoke) and the Conway report.

Who may see a scorecard, grant or revoke a waiver is decided by mandate's services (`can_view_*_scorecard`,
`can_request_waiver`, `can_revoke_waiver`); these views only ask and render. A team's scorecard has a page of its
own, refused (403) outside the team and its management chain; an org unit's page is open to every signed-in
person, as the org tree is, and carries its scorecard only for those the service lets see it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from mechanisms.kernel.errors import NotFound
from mechanisms.kernel.pages import FORM_ERRORS, PAGE_SIZE, page, person_id, query_int, query_text, show_error
from mechanisms.mandate import services as mandate_services
from mechanisms.mandate.contracts import RULE_CATALOG, Scorecard, ScorePoint
from mechanisms.org import services as org_services
from mechanisms.org.contracts import Team

from .forms import WaiverForm, WaiverRevokeForm

HISTORY_ROWS = 20  # evaluations listed under the sparkline, newest first; the sparkline draws them all
FINDINGS_SHOWN = 100  # an org unit high in the tree may have thousands; its teams' scorecards list them all
UNIT_TEAMS_PAGE = 100
SPARK_WIDTH, SPARK_HEIGHT = 300, 40
WAIVER_FORM_FIELDS = {"approver_id": "approver"}  # the form's names of the service's fields (others are equal)
WAIVER_STATE_CHOICES = (*mandate_services.WAIVER_STATES, "all")


def _trend(history: Sequence[ScorePoint]) -> dict[str, Any]:
    """The trend of a scorecard: an SVG polyline of errors + warnings at every evaluation, and the newest rows."""
    peak = max([p.errors + p.warnings for p in history] + [1])
    step = SPARK_WIDTH / max(len(history) - 1, 1)
    points = " ".join(
        f"{i * step:.1f},{SPARK_HEIGHT - 36 * (p.errors + p.warnings) / peak:.1f}" for i, p in enumerate(history)
    )
    return {"sparkline": points, "history": list(reversed(history))[:HISTORY_ROWS]}


def _rules(card: Scorecard) -> list[tuple[str, int, Any]]:
    return [(rule, count, RULE_CATALOG.get(rule)) for rule, count in card.by_rule.items()]


def _waiver_url(*, rule: str, subject: str, related: Sequence[str], team: str | None = None) -> str:
    """The grant form, filled in from a finding."""
    params = {"rule": rule, "subject": subject}
    if related:
        params["related"] = related[0]
    if team:
        params["team"] = team
    return "/waivers/new?" + urlencode(params)


# ---------------------------------------------------------------------------------------------- findings

SUBJECT_URL_NAMES = {"team": "web:team", "service": "web:service", "person": "web:person"}
BLOCKING_CHOICES = {"yes": True, "no": False}


def _subject_urls(findings: Sequence[Any]) -> dict[str, str]:
    """The page of every subject and related reference of these findings (the service decides which page)."""
    refs = [ref for f in findings for ref in (f.subject, *f.related)]
    return {
        ref: reverse(SUBJECT_URL_NAMES[kind], args=[name])
        for ref, (kind, name) in mandate_services.subject_pages(refs=refs).items()
    }


@page
def findings(request: HttpRequest) -> HttpResponse:
    """The findings of the latest evaluation, org-wide (open to every signed-in person, as the catalog is), by rule
    and blocking, a page at a time; each subject links to its page. Before the first evaluation the page says so
    (and an admin can run one from here): no findings then means "not evaluated", never "clean"."""
    rule = query_text(request, "rule", max_length=64)
    blocking = request.GET.get("blocking", "")
    found = mandate_services.list_findings(
        actor=request.actor,
        rule=rule or None,
        blocking=BLOCKING_CHOICES.get(blocking),
        limit=PAGE_SIZE,
        offset=query_int(request, "offset"),
    )
    teams = org_services.get_teams(actor=request.actor, ids={f.team_id for f in found.items})
    urls = _subject_urls(found.items)
    rows = [
        {
            "finding": f,
            "team": teams.get(f.team_id),
            "subject_url": urls.get(f.subject),
            "related": [(r, urls.get(r)) for r in f.related],
        }
        for f in found.items
    ]
    context = {
        "evaluation": mandate_services.last_evaluation(actor=request.actor),
        "page": found,
        "rows": rows,
        "rule": rule,
        "blocking": blocking,
        "rules": sorted(RULE_CATALOG.values(), key=lambda info: info.id),
        "can_evaluate": request.actor.is_admin,
    }
    return render(request, "mandate/findings.html", context)


@require_POST
@page
def evaluate(request: HttpRequest) -> HttpResponse:
    """Evaluate the organization now (admins: the service refuses anyone else), then back to the page asked from."""
    summary = mandate_services.evaluate_org(actor=request.actor)
    messages.success(
        request,
        f"Evaluated: {summary.errors} error{pluralize(summary.errors)}, {summary.warnings} "
        f"warning{pluralize(summary.warnings)}, {summary.waived} waived, over {summary.teams_scored} teams.",
    )
    back = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}) or not back.startswith("/"):
        back = "/findings"
    return redirect(back)


# ---------------------------------------------------------------------------------------------- team scorecard


@page
def team_scorecard(request: HttpRequest, slug: str) -> HttpResponse:
    """A team's scorecard (MECHANISMS.md §2 M6): findings by rule, the findings, and the trend of every evaluation.
    Visible to the team, its management chain and admins (the service decides). Each open finding links to the
    waiver form, filled in."""
    team = org_services.get_team_by_slug(actor=request.actor, slug=slug)
    card = mandate_services.team_scorecard(actor=request.actor, team_id=team.id)
    urls = _subject_urls(card.findings)
    findings = [
        {
            "finding": f,
            "subject_url": urls.get(f.subject),
            "related": [(r, urls.get(r)) for r in f.related],
            "waiver_url": None
            if f.waived
            else _waiver_url(rule=f.rule, subject=f.subject, related=f.related, team=team.slug),
        }
        for f in card.findings
    ]
    context = {
        "team": team,
        "card": card,
        "rules": _rules(card),
        "findings": findings,
        "can_grant": mandate_services.can_request_waiver(actor=request.actor),
        **_trend(card.history),
    }
    return render(request, "mandate/team_scorecard.html", context)


# ---------------------------------------------------------------------------------------------- org units


@page
def org_unit_list(request: HttpRequest) -> HttpResponse:
    """Org units, filtered by text, a page at a time, with their parent and leader."""
    q = query_text(request, "q")
    found = org_services.list_org_units(
        actor=request.actor, text=q or None, limit=PAGE_SIZE, offset=query_int(request, "offset")
    )
    parents = org_services.get_org_units(actor=request.actor, ids={u.parent_id for u in found.items})
    leaders = org_services.get_people(actor=request.actor, ids={u.leader_id for u in found.items})
    rows = [{"unit": u, "parent": parents.get(u.parent_id), "leader": leaders.get(u.leader_id)} for u in found.items]
    return render(request, "mandate/org_unit_list.html", {"q": q, "page": found, "rows": rows})


@page
def org_unit_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """An org unit: its leader, where it sits in the tree, its teams, and (for its leader, their management chain
    and admins) its scorecard: findings by rule over every team in it and below, the trend, the findings."""
    unit = org_services.find_org_unit(actor=request.actor, slug=slug)
    if unit is None:
        raise NotFound(f"no org unit has the slug {slug!r}", field="slug")
    units = org_services.all_org_units(actor=request.actor)
    by_id = {u.id: u for u in units}
    path, parent_id = [], unit.parent_id
    while parent_id in by_id and len(path) < 32:  # the tree refuses cycles; the bound only guards bad data
        path.insert(0, by_id[parent_id])
        parent_id = by_id[parent_id].parent_id
    teams = org_services.list_teams(
        actor=request.actor, org_unit_id=unit.id, limit=UNIT_TEAMS_PAGE, offset=query_int(request, "offset")
    )
    leaders = org_services.get_people(actor=request.actor, ids={t.leader_id for t in teams.items} | {unit.leader_id})
    context: dict[str, Any] = {
        "unit": unit,
        "path": path,
        "parent": by_id.get(unit.parent_id),
        "children": [u for u in units if u.parent_id == unit.id],
        "leader": leaders.get(unit.leader_id),
        "page": teams,
        "teams": [{"team": t, "leader": leaders.get(t.leader_id)} for t in teams.items],
        "all_teams": org_services.list_teams(
            actor=request.actor, org_unit_id=unit.id, include_sub_units=True, limit=1
        ).total,
        "card": None,
    }
    if mandate_services.can_view_org_unit_scorecard(actor=request.actor, org_unit_id=unit.id):
        card = mandate_services.org_unit_scorecard(actor=request.actor, org_unit_id=unit.id)
        shown = card.findings[:FINDINGS_SHOWN]
        names = org_services.get_teams(actor=request.actor, ids={f.team_id for f in shown})
        urls = _subject_urls(shown)
        context.update(
            card=card,
            rules=_rules(card),
            findings=[
                {
                    "finding": f,
                    "team": names.get(f.team_id),
                    "subject_url": urls.get(f.subject),
                    "related": [(r, urls.get(r)) for r in f.related],
                }
                for f in shown
            ],
            findings_hidden=len(card.findings) - len(shown),
            **_trend(card.history),
        )
    return render(request, "mandate/org_unit_detail.html", context)


# ---------------------------------------------------------------------------------------------- waivers


@page
def waiver_list(request: HttpRequest) -> HttpResponse:
    """Waivers by state (active by default) and by team, a page at a time, with a revoke button for those who may."""
    state = request.GET.get("state") if request.GET.get("state") in WAIVER_STATE_CHOICES else "active"
    team_slug = query_text(request, "team", max_length=64)
    team = org_services.find_team(actor=request.actor, slug=team_slug) if team_slug else None
    found = None
    if not (team_slug and team is None):
        found = mandate_services.list_waivers(
            actor=request.actor,
            state=state,
            team_id=team.id if team else None,
            limit=PAGE_SIZE,
            offset=query_int(request, "offset"),
        )
    rows = [
        {"waiver": w, "can_revoke": mandate_services.can_revoke_waiver(actor=request.actor, waiver=w)}
        for w in (found.items if found else [])
    ]
    context = {
        "state": state,
        "states": WAIVER_STATE_CHOICES,
        "team_slug": team_slug,
        "team": team,
        "unknown_team": bool(team_slug and team is None),
        "page": found,
        "rows": rows,
        "revoke_form": WaiverRevokeForm(),
        "can_grant": mandate_services.can_request_waiver(actor=request.actor),
        "here": request.get_full_path(),
    }
    return render(request, "mandate/waiver_list.html", context)


@page
def waiver_new(request: HttpRequest) -> HttpResponse:
    """Request a waiver (any person; MECHANISMS.md §2 M6): it is pending until the independent bar raiser's
    recommendation on its review, accepted by the requester, puts it in force or refuses it.

    Reached from a finding with the rule, subject and related reference filled in."""
    actor = request.actor
    choices = [(info.id, f"{info.id} — {info.title}") for info in mandate_services.waivable_rules()]
    team_slug = query_text(request, "team", max_length=64)
    status = 200
    if request.method == "POST":
        form = WaiverForm(request.POST, rule_choices=choices)
        if form.is_valid():
            data = form.cleaned_data
            approver_id = None
            if data["approver"]:
                approver_id = person_id(
                    form,
                    "approver",
                    data["approver"],
                    find=functools.partial(org_services.find_person, actor=request.actor),
                )
            if not form.errors:
                try:
                    waiver = mandate_services.request_waiver(
                        actor=actor,
                        subject=data["subject"],
                        rule=data["rule"],
                        related=data["related"] or None,
                        reason=data["reason"],
                        expires=data["expires"],
                        approver_id=approver_id,
                        approver_reason=data["approver_reason"],
                        question=data["question"],
                    )
                except FORM_ERRORS as exc:
                    status = show_error(form, exc, fields=WAIVER_FORM_FIELDS)
                else:
                    messages.success(
                        request,
                        f"Waiver {waiver.id} requested: {waiver.rule} on {waiver.subject} until "
                        f"{waiver.expires:%d %b %Y}. {waiver.approver_handle} reviews it; once you accept an "
                        "approval it applies from the next evaluation of the mandate.",
                    )
                    return redirect("web:bar-raiser-review", review_id=waiver.review_id)
        if form.errors and status == 200:
            status = 400
    else:
        form = WaiverForm(
            rule_choices=choices,
            initial={
                "rule": query_text(request, "rule", max_length=64),
                "subject": query_text(request, "subject", max_length=300),
                "related": query_text(request, "related", max_length=300),
            },
        )
    context = {
        "form": form,
        "can_grant": mandate_services.can_request_waiver(actor=actor),
        "team": org_services.find_team(actor=actor, slug=team_slug) if team_slug else None,
        "request_url": request.build_absolute_uri(),
        "rule_info": RULE_CATALOG.get(query_text(request, "rule", max_length=64)),
    }
    return render(request, "mandate/waiver_form.html", context, status=status)


@require_POST
@page
def waiver_revoke(request: HttpRequest, waiver_id: int) -> HttpResponse:
    """Revoke a waiver with a reason (its approver or an admin); back to the list the button was on."""
    form = WaiverRevokeForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    waiver = mandate_services.revoke_waiver(actor=request.actor, waiver_id=waiver_id, reason=reason)
    messages.success(
        request, f"Waiver {waiver.id} revoked: {waiver.rule} on {waiver.subject} counts again at the next evaluation."
    )
    back = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}) or not back.startswith("/"):
        back = "/waivers"
    return redirect(back)


# ---------------------------------------------------------------------------------------------- Conway report


@page
def conway(request: HttpRequest) -> HttpResponse:
    """The Conway report: the team graph drawn as SVG with a box per org unit (laid out by mandate's service; a
    large organization by unit, `?unit=SLUG` drilling into one), fan-in and fan-out per team, and the team pairs
    coupled across org units."""
    unit_slug = query_text(request, "unit", max_length=64)
    unit = org_services.find_org_unit(actor=request.actor, slug=unit_slug) if unit_slug else None
    if unit_slug and unit is None:
        raise NotFound(f"no org unit has the slug {unit_slug!r}", field="unit")
    overview = mandate_services.conway_overview(actor=request.actor, org_unit_id=unit.id if unit is not None else None)
    graph = overview.graph
    context = {
        "overview": overview,
        "graph": graph,
        "unit": unit,
        "view_box": f"-8 -8 {graph.width + 16:.0f} {graph.height + 16:.0f}",
        "max_width": f"{graph.width + 16:.0f}",
        # Hundreds of links: reversing each one would cost more than the rest of the page (slugs are URL-safe).
        "team_base": reverse("web:teams") + "/",
        "unit_base": reverse("web:units") + "/",
        "conway_url": reverse("web:conway"),
    }
    return render(request, "mandate/conway.html", context)


# ---------------------------------------------------------------------------------------------- panels
# What the mandate adds to the composite pages (declared in apps.py, drawn by the shell).


def team_scorecard_link(request: HttpRequest, team: Team, **bound: Any) -> dict[str, Any] | None:
    """The link to the team's scorecard, for those the mandate lets see it (the team, its chain, admins)."""
    return {"team": team} if mandate_services.can_view_team_scorecard(actor=request.actor, team_id=team.id) else None


HOME_RULES_SHOWN = 6


def home_findings_panel(request: HttpRequest, subject: None, **bound: Any) -> dict[str, Any]:
    """The home page's API-mandate panel: the latest evaluation's counts and its commonest rules, or, before the
    first evaluation, that nothing is known yet (never "no findings")."""
    evaluation = mandate_services.last_evaluation(actor=request.actor)
    rules = sorted((evaluation.by_rule if evaluation else {}).items(), key=lambda item: (-item[1], item[0]))
    shown = rules[:HOME_RULES_SHOWN]
    return {"evaluation": evaluation, "top_rules": shown, "more_rules": len(rules) > len(shown)}
