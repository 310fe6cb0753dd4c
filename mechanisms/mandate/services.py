"""Public services of the mandate app (MECHANISMS.md §1-2): evaluate the server's org and catalog with the pure
rules, keep the findings and every team's score per evaluation, grant and revoke waivers, show scorecards to the
management chain, and draw the Conway report.

The server's facts come from org and catalog through their public services (``export_org``/``export_catalog``:
the whole organization in a few queries), become the same ``CatalogSnapshot`` that ``mech check`` builds from
catalog files, and go through the same ``rules``. Every write is one transaction with its audit records.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.core.cache import cache
from django.db import transaction

from mechanisms.audit import services as audit_services
from mechanisms.bar_raisers import services as bar_raisers_services
from mechanisms.bar_raisers.contracts import (
    PoolMemberRecord,
    Recommendation,
    ReviewRecord,
    ReviewState,
    Subject,
    SubjectKind,
)
from mechanisms.catalog import services as catalog_services
from mechanisms.catalog.contracts import CatalogExport
from mechanisms.kernel import clock, events
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import NotFound, RuleViolation
from mechanisms.kernel.pagination import Page, paginate
from mechanisms.org import services as org_services
from mechanisms.org.contracts import OrgExport

from . import policy as _policy
from . import rules
from .contracts import (
    ERROR,
    LIVE_TEAM_STATUSES,
    RULE_CATALOG,
    CatalogSnapshot,
    ConwayEdge,
    ConwayGraph,
    ConwayOverview,
    ConwayPair,
    ConwayTeam,
    ConwayView,
    DatastoreFact,
    EdgeFact,
    EvaluationSummary,
    Finding,
    GraphInputEdge,
    GraphInputNode,
    InterfaceFact,
    Location,
    OrgUnitFact,
    PersonFact,
    RuleInfo,
    Scorecard,
    ScorePoint,
    ServiceFact,
    StoredFinding,
    TeamFact,
    TeamLink,
    WaiverFact,
    WaiverRecord,
)
from .models import CurrentFinding as FindingRow
from .models import Evaluation as EvaluationRow
from .models import OrgUnitScore as OrgUnitScoreRow
from .models import TeamScore as TeamScoreRow
from .models import Waiver as WaiverRow

TRIGGERS = ("manual", "change")
EDGE_TARGET_KIND = {"consumes": "api", "accesses": "resource", "links": "component"}
WAIVER_LOCATION = "waiver:"  # a server waiver's Location.file, so an applied waiver leads back to its row
HISTORY_LIMIT = 200
WAIVER_PENDING, WAIVER_ACTIVE, WAIVER_REFUSED, WAIVER_WITHDRAWN = "pending", "active", "refused", "withdrawn"
# What the waiver list filters by: in force, past its expiry date, revoked; waiting for its review, refused by it,
# withdrawn by its requester.
WAIVER_STATES = ("active", "expired", "revoked", WAIVER_PENDING, WAIVER_REFUSED, WAIVER_WITHDRAWN)


def team_ref(slug: str) -> str:
    return f"group:default/{slug}"


def person_ref(handle: str) -> str:
    return f"user:default/{handle}"


# ---------------------------------------------------------------------------------------------- the snapshot


class _Facts:
    """The snapshot and the maps between the server's ids and the rules' references, built in a few queries."""

    def __init__(self, today: dt.date, *, team_ids: set[int] | None = None) -> None:
        self.team_ids = org_services.team_ids_by_slug(actor=Actor.system("mandate"))  # slug -> id
        if team_ids is None:
            org = org_services.export_org(actor=Actor.system("mandate"))
            catalog = catalog_services.export_catalog(actor=Actor.system("mandate"))
        else:
            # A neighbourhood: the teams' services and everything at the other end of their edges, the teams
            # owning those, and every team led by the leaders of these teams (the single-threaded rule counts them).
            catalog = catalog_services.export_catalog(actor=Actor.system("mandate"), team_ids=team_ids)
            owners = {self.team_ids[s.owner_team] for s in catalog.services if s.owner_team in self.team_ids}
            teams = org_services.get_teams(actor=Actor.system("mandate"), ids=team_ids)
            leaders = {t.leader_id for t in teams.values()}
            org = org_services.export_org(
                actor=Actor.system("mandate"),
                team_ids=set(team_ids)
                | owners
                | set(org_services.teams_led_by(actor=Actor.system("mandate"), person_ids=leaders)),
            )
        self.team_by_ref = {team_ref(slug): tid for slug, tid in self.team_ids.items()}
        self.ref_by_team = {tid: ref for ref, tid in self.team_by_ref.items()}
        self.team_names = {t.slug: t.name for t in org.teams}
        self.units = {u.slug: u for u in org_services.all_org_units(actor=Actor.system("mandate"))}
        self.unit_by_ref = {team_ref(slug): unit for slug, unit in self.units.items()}
        # Who may approve a waiver: the active members of the bar-raiser pool, by handle, with their training day.
        pool = {m.handle: m for m in bar_raisers_services.export_pool(actor=Actor.system("mandate")) if m.active}
        self.snapshot = _snapshot(org, catalog, today=today, pool=pool)
        self.index = rules.build_index(self.snapshot)

    def teams_of(self, subject: str) -> list[int]:
        """The teams a finding is filed under (`rules.filing_teams`), the first being the one that lists it once."""
        return [self.team_by_ref[ref] for ref in rules.filing_teams(self.index, subject) if ref in self.team_by_ref]


def snapshot(*, today: dt.date | None = None) -> CatalogSnapshot:
    """The server's org and catalog as the mandate rules read them (the same shape ``mech check`` builds from
    Backstage files), with the server's waivers. References: ``group:default/<team or org unit slug>``,
    ``user:default/<handle>``, ``component:``/``api:``/``resource:default/<name>``."""
    return _Facts(today or clock.today()).snapshot


def _snapshot(
    org: OrgExport, catalog: CatalogExport, *, today: dt.date, pool: dict[str, PoolMemberRecord]
) -> CatalogSnapshot:
    teams = tuple(
        TeamFact(
            ref=team_ref(t.slug),
            name=t.slug,
            status=t.status,
            leader=person_ref(t.leader) if t.leader else None,
            members=tuple(sorted(person_ref(m.person) for m in t.members)),
            org_unit=team_ref(t.org_unit),
        )
        for t in org.teams
    )
    units = tuple(
        OrgUnitFact(team_ref(u.slug), u.slug, team_ref(u.parent) if u.parent else None) for u in org.org_units
    )
    people = tuple(
        PersonFact(
            person_ref(p.handle),
            p.handle,
            person_ref(p.manager) if p.manager else None,
            # Only an active person is in the bar-raiser pool (bar_raisers.contracts.PoolMemberRecord.active).
            pool[p.handle].trained_on if p.handle in pool else None,
            pool[p.handle].capacity if p.handle in pool else None,
        )
        for p in org.people
    )
    provides: dict[str, list[str]] = defaultdict(list)
    for i in catalog.interfaces:
        provides[i.service].append(f"api:default/{i.name}")
    services = tuple(
        ServiceFact(
            f"component:default/{s.name}",
            s.name,
            team_ref(s.owner_team) if s.owner_team else (s.owner_ref or None),
            s.lifecycle,
            s.kind,
            tuple(provides.get(s.name, ())),
        )
        for s in catalog.services
    )
    interfaces = tuple(
        InterfaceFact(
            f"api:default/{i.name}",
            i.name,
            (i.type or "").lower(),
            (f"component:default/{i.service}",),
            i.definition or None,
            i.api_version or None,
            (i.description or "").strip() or None,
            i.auth_scheme or None,
        )
        for i in catalog.interfaces
    )
    datastores = tuple(
        DatastoreFact(
            f"resource:default/{d.name}",
            d.name,
            f"component:default/{d.owner_service}" if d.owner_service else None,
        )
        for d in catalog.datastores
    )
    edges = tuple(
        EdgeFact(f"component:default/{d.service}", d.kind, f"{EDGE_TARGET_KIND[d.kind]}:default/{d.target}")
        for d in catalog.dependencies
        if d.target and d.kind in EDGE_TARGET_KIND
    )
    return CatalogSnapshot(teams, units, people, services, interfaces, datastores, edges, _waiver_facts())


def _waiver_facts() -> tuple[WaiverFact, ...]:
    rows = list(WaiverRow.objects.filter(revoked=False, state=WAIVER_ACTIVE).order_by("id"))
    people = org_services.get_people(actor=Actor.system("mandate"), ids={r.approver_person_id for r in rows})
    return tuple(
        WaiverFact(
            r.subject,
            r.rule,
            r.reason,
            r.expires,
            person_ref(people[r.approver_person_id].handle) if r.approver_person_id in people else "user:default/?",
            r.related or None,
            Location(f"{WAIVER_LOCATION}{r.id}"),
        )
        for r in rows
    )


# ---------------------------------------------------------------------------------------------- evaluation


def evaluate_org(*, actor: Actor, today: dt.date | None = None, trigger: str = "manual") -> EvaluationSummary:
    """Run every mandate and org rule over the whole organization, replace the current findings, and record one
    score per team (MECHANISMS.md §2 M6: findings roll up into per-team scorecards).

    Admins (or the product itself) only. Raises PermissionDenied, RuleViolation (unknown trigger)."""
    return _evaluate(actor=actor, today=today, trigger=trigger, team_ids=None)


def reevaluate_teams(
    *, actor: Actor, team_ids: Iterable[int], today: dt.date | None = None, trigger: str = "change"
) -> EvaluationSummary:
    """Re-evaluate after a change to some teams: the rules run over the whole snapshot (they are linear and take
    milliseconds), but only the findings of these teams and of the teams on the other end of their cross-team
    edges are replaced, and only those teams get a new score (issue 3, item 8).

    Admins (or the product itself) only. Raises PermissionDenied, RuleViolation."""
    return _evaluate(actor=actor, today=today, trigger=trigger, team_ids={int(t) for t in team_ids})


def _evaluate(*, actor: Actor, today: dt.date | None, trigger: str, team_ids: set[int] | None) -> EvaluationSummary:
    org_services.require_admin(actor, "evaluate the organization")
    if trigger not in TRIGGERS:
        raise RuleViolation(f"trigger must be one of {', '.join(TRIGGERS)}", field="trigger")
    today = today or clock.today()
    scope: set[int] | None = None
    if team_ids is None:
        facts = _Facts(today)
    else:
        # The teams named and those on the other end of their cross-team edges: read their neighbourhood only.
        facts = _Facts(today, team_ids=team_ids)
        scope = set(team_ids)
        report = rules.conway(facts.snapshot, index=facts.index)
        for link in report.links:
            source, target = facts.team_by_ref.get(link.source), facts.team_by_ref.get(link.target)
            if source in team_ids or target in team_ids:
                scope.update(t for t in (source, target) if t is not None)
        if scope != team_ids:
            facts = _Facts(today, team_ids=scope)
    result = rules.assess(facts.snapshot, today=today)
    live = sorted(facts.team_by_ref[t.ref] for t in facts.snapshot.teams if t.status in LIVE_TEAM_STATUSES)
    rows: list[FindingRow] = []
    per_team: dict[int, list[Finding]] = defaultdict(list)
    for finding in result.findings:
        teams = facts.teams_of(finding.subject)
        for team in teams:
            per_team[team].append(finding)
        targets: list[int | None] = list(teams) or [None]
        for position, team in enumerate(targets):
            if scope is not None and team not in scope:
                continue  # a neighbourhood says nothing final about other teams, nor about team-less subjects
            rows.append(_finding_row(finding, team, primary=position == 0))
    scored = [t for t in live if scope is None or t in scope]
    with transaction.atomic():
        stale = FindingRow.objects.all() if scope is None else FindingRow.objects.filter(team_id__in=scope)
        stale.delete()
        FindingRow.objects.bulk_create(rows, batch_size=500)
        # An incremental run saw a neighbourhood: the organization's totals are those of the findings now stored.
        totals = rules.summarize(result.findings) if scope is None else _stored_totals()
        evaluation = EvaluationRow.objects.create(
            at=clock.now(), trigger=trigger, actor=actor.label[:200], totals=totals
        )
        scores = []
        for team in scored:
            counts = rules.summarize(per_team.get(team, ()))
            scores.append(
                TeamScoreRow(
                    evaluation=evaluation,
                    team_id=team,
                    errors=counts["errors"],
                    warnings=counts["warnings"],
                    waived=counts["waived"],
                    by_rule=counts["by_rule"],
                )
            )
        TeamScoreRow.objects.bulk_create(scores, batch_size=500)
        OrgUnitScoreRow.objects.bulk_create(_org_unit_scores(evaluation), batch_size=500)
        audit_services.record_change(
            actor=actor,
            verb="evaluate",
            subject_type="mandate_evaluation",
            subject_id=evaluation.id,
            subject_label=f"{trigger} evaluation",
            after={**totals, "teams_scored": len(scores), "scope": sorted(scope) if scope is not None else "all"},
        )
    invalid = tuple(f"{w.waiver.rule} on {w.waiver.subject}: {w.reason}" for w in result.invalid_waivers)
    return _to_summary(evaluation, teams_scored=len(scores), invalid_waivers=invalid)


def _counts(findings: Iterable[tuple[str, str, bool]]) -> dict[str, Any]:
    """Errors, warnings, waived and findings by rule over (rule, severity, waived): one count for a scorecard's
    headline and its history row, so the two never disagree (issue 9, item 7)."""
    errors = warnings = waived = 0
    by_rule: dict[str, int] = defaultdict(int)
    for rule, severity, is_waived in findings:
        by_rule[rule] += 1
        if is_waived:
            waived += 1
        elif severity == ERROR:
            errors += 1
        else:
            warnings += 1
    return {"errors": errors, "warnings": warnings, "waived": waived, "by_rule": dict(sorted(by_rule.items()))}


def _org_unit_scores(evaluation: EvaluationRow) -> list[OrgUnitScoreRow]:
    """Every org unit's score at this evaluation, from the findings now stored: each finding of a team in the unit
    or below it once (a person leading two teams of a unit is one finding there, not two)."""
    units = org_services.all_org_units(actor=Actor.system("mandate"))
    parent = {u.id: u.parent_id for u in units}
    unit_of_team = {t.id: t.org_unit_id for t in org_services.team_index(actor=Actor.system("mandate"))}
    seen: dict[int, dict[tuple[str, str, tuple[str, ...]], tuple[str, str, bool]]] = defaultdict(dict)
    rows = FindingRow.objects.filter(team_id__isnull=False).order_by("rule", "subject", "id")
    for team_id, rule, severity, subject, related, is_waived in rows.values_list(
        "team_id", "rule", "severity", "subject", "related", "waived"
    ):
        unit, depth = unit_of_team.get(team_id), 0
        while unit is not None and depth < 32:  # the tree refuses cycles; the bound only guards bad data
            seen[unit].setdefault((rule, subject, tuple(related)), (rule, severity, is_waived))
            unit, depth = parent.get(unit), depth + 1
    scores = []
    for unit in units:
        counts = _counts(seen.get(unit.id, {}).values())
        scores.append(OrgUnitScoreRow(evaluation=evaluation, org_unit_id=unit.id, **counts))
    return scores


def _stored_totals() -> dict[str, Any]:
    """The counts `rules.summarize` gives, over the current findings as stored (each finding once: its primary row)."""
    return _counts(FindingRow.objects.filter(primary=True).values_list("rule", "severity", "waived"))


def on_teams_changed(event: events.TeamsChanged) -> None:
    """Subscriber of kernel.events (wired in MandateConfig.ready, run as a task by the worker): after a committed
    change, re-evaluate what it affects (issue 3, item 8): the neighbourhood of the changed teams, or everything
    after an import; queued changes coalesce into one run. Nothing runs until someone has evaluated the
    organization once."""
    team_ids = event.team_ids
    if not EvaluationRow.objects.exists():
        return
    system = Actor.system("mandate")
    if team_ids is None:
        evaluate_org(actor=system, trigger="change")
    elif team_ids:
        reevaluate_teams(actor=system, team_ids=team_ids, trigger="change")


def reevaluate_expired_waivers(*, actor: Actor, today: dt.date | None = None) -> int:
    """A waiver past its expiry date stops counting (MECHANISMS.md §2 M6: waivers expire): re-evaluate the teams
    whose stored findings an expired waiver still waives, so the scorecards show the breach again without waiting
    for an unrelated change. Run by the worker's schedule every hour; returns how many expired waivers it found
    still in force in the stored findings. Admins or the product itself. Raises PermissionDenied."""
    org_services.require_admin(actor, "re-evaluate expired waivers")
    today = today or clock.today()
    expired = WaiverRow.objects.filter(expires__lt=today, state=WAIVER_ACTIVE).values_list("id", flat=True)
    stale = FindingRow.objects.filter(waived=True, waiver_id__in=list(expired))
    waivers = set(stale.values_list("waiver_id", flat=True))
    if not waivers:
        return 0
    teams = set(stale.values_list("team_id", flat=True))
    if None in teams:  # a finding on a team-less subject: only a full run re-checks it
        evaluate_org(actor=actor, today=today, trigger="change")
    else:
        reevaluate_teams(actor=actor, team_ids=teams, today=today, trigger="change")
    return len(waivers)


def _finding_row(finding: Finding, team: int | None, *, primary: bool) -> FindingRow:
    waiver_id = None
    if finding.waiver is not None and (finding.waiver.location.file or "").startswith(WAIVER_LOCATION):
        waiver_id = int(finding.waiver.location.file[len(WAIVER_LOCATION) :])
    return FindingRow(
        rule=finding.rule,
        severity=finding.severity,
        subject=finding.subject,
        related=list(finding.related),
        message=finding.message,
        details=list(finding.details),
        team_id=team,
        primary=primary,
        waived=finding.waived,
        waiver_id=waiver_id,
    )


def list_findings(
    *,
    actor: Actor,
    team_id: int | None = None,
    rule: str | None = None,
    blocking: bool | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Page[StoredFinding]:
    """The findings of the latest evaluation, filtered by team, rule, or blocking (an unwaived error).
    Any signed-in person may list them org-wide (the catalog is open); scorecards are for the management chain."""
    org_services.require_signed_in(actor)
    qs = FindingRow.objects.order_by("rule", "subject", "id")
    qs = qs.filter(team_id=team_id) if team_id is not None else qs.filter(primary=True)
    if rule:
        qs = qs.filter(rule=rule)
    if blocking is True:
        qs = qs.filter(severity=ERROR, waived=False)
    elif blocking is False:
        qs = qs.exclude(severity=ERROR, waived=False)
    return paginate(qs, limit=limit, offset=offset, convert=_to_finding)


def subject_pages(*, refs: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Where a finding's subject (or related reference) is shown: `(kind, name)` with kind `team`, `service` or
    `person`, by reference. A datastore or an interface has no page of its own: it leads to the service that owns
    it (MECHANISMS.md §2 M6: a finding names what must change and who owns it). References to nothing known are
    left out, so a page shows them as text. Three queries at most, whatever the number of references."""
    found: dict[str, tuple[str, str]] = {}
    stores: dict[str, str] = {}
    interfaces: dict[str, str] = {}
    for ref in set(refs):
        kind, _, rest = ref.partition(":")
        name = rest.rsplit("/", 1)[-1]
        if not name:
            continue
        if kind in SUBJECT_PAGE_KINDS:
            found[ref] = (SUBJECT_PAGE_KINDS[kind], name)
        elif kind == "resource":
            stores[ref] = name
        elif kind == "api":
            interfaces[ref] = name
    by_store, by_interface = catalog_services.owning_service_ids(
        actor=Actor.system("mandate"), datastores=stores.values(), interfaces=interfaces.values()
    )
    owners = {ref: by_store.get(name.lower()) for ref, name in stores.items()}
    owners.update({ref: by_interface.get(name.lower()) for ref, name in interfaces.items()})
    services = catalog_services.get_services(
        actor=Actor.system("mandate"), ids={i for i in owners.values() if i is not None}
    )
    for ref, service_id in owners.items():
        if service_id in services:
            found[ref] = ("service", services[service_id].name)
    return found


SUBJECT_PAGE_KINDS = {"group": "team", "component": "service", "user": "person"}


def last_evaluation(*, actor: Actor) -> EvaluationSummary | None:
    """The latest evaluation, or None before the first one."""
    org_services.require_signed_in(actor)
    row = EvaluationRow.objects.order_by("-at", "-id").first()
    return _to_summary(row, teams_scored=row.scores.count()) if row else None


# ---------------------------------------------------------------------------------------------- waivers


def request_waiver(
    *,
    actor: Actor,
    subject: str,
    rule: str,
    reason: str,
    expires: dt.date,
    approver_id: int | None = None,
    approver_reason: str = "",
    related: str | None = None,
    question: str = "",
) -> WaiverRecord:
    """Ask for an exception to one rule on one subject (MECHANISMS.md §2 M6): a reason and an expiry date in the
    future. The waiver is `pending` and gets its approval through a bar-raiser review (§4; bar_raisers): the
    review's owner is the requesting person, its teams the subject's teams, and the people the subject stands for
    may not take the seat; the named approver is checked by the pool (in the pool, active, with room,
    independent; naming someone other than the first suggestion needs `approver_reason`), or the first suggestion
    is picked when none is named. The approver's recommendation, once the
    requester accepts it, puts the waiver in force (approve, approve with concerns) or refuses it (do not
    proceed); a waiver is not overridable. Only active waivers count in evaluations.

    Any signed-in person may request one. Raises RuleViolation naming the field (rule, reason, expires, subject,
    related, approver_id, approver_reason, question), PermissionDenied (no person to own the request)."""
    org_services.require_signed_in(actor)
    _policy.require(actor, "request_waiver")
    subject = (subject or "").strip().lower()
    related = (related or "").strip().lower() or None
    reason = (reason or "").strip()
    if rule not in {info.id for info in waivable_rules()}:
        raise RuleViolation(f"unknown rule {rule!r}", field="rule")
    if not reason:
        raise RuleViolation("a waiver needs a reason", field="reason")
    if len(reason) > 5000 or "\x00" in reason:
        raise RuleViolation("the reason is too long or holds a NUL character", field="reason")
    if expires <= clock.today():
        raise RuleViolation("the expiry date must be in the future", field="expires")
    if len(related or "") > 300 or "\x00" in (related or ""):
        raise RuleViolation("related is too long", field="related")
    facts = _Facts(clock.today())
    known = {
        *facts.index.teams,
        *facts.index.people,
        *facts.index.services,
        *facts.index.interfaces,
        *facts.index.datastores,
    }
    if subject not in known or subject in facts.index.org_units and subject not in facts.index.teams:
        raise RuleViolation(f"{subject!r} is not a team, person, service, interface or datastore", field="subject")
    # The same people and teams the rules judge a waiver's independence against (rules.subject_people/teams).
    handles = [ref.rsplit("/", 1)[-1] for ref in rules.subject_people(facts.index, subject)]
    system = Actor.system("mandate")
    subject_people = [p.id for h in handles if (p := org_services.find_person(actor=system, handle=h)) is not None]
    teams = sorted({facts.team_by_ref[t] for t in rules.subject_teams(facts.index, subject) if t in facts.team_by_ref})
    with transaction.atomic():
        row = WaiverRow.objects.create(
            subject=subject,
            rule=rule,
            related=related or "",
            reason=reason,
            expires=expires,
            approver_person_id=approver_id or 0,  # the review's bar raiser, set below
            granted_by=actor.label[:200],
            state=WAIVER_PENDING,
            requested_by_id=actor.person_id,
        )
        review_subject = _waiver_subject(row, team_ids=tuple(teams), excluded_ids=tuple(subject_people))
        try:
            review = bar_raisers_services.request_review(
                actor=actor,
                subject=review_subject,
                bar_raiser_id=approver_id,
                reason=approver_reason,
                question=question,
            )
        except RuleViolation as exc:
            # The pool and the review name their own fields; here they are the approver and why they were picked.
            field = {"bar_raiser_id": "approver_id", "reason": "approver_reason"}.get(exc.field or "", exc.field)
            raise RuleViolation(exc.message, field=field, details={**(exc.details or {}), "field": field}) from exc
        WaiverRow.objects.filter(pk=row.pk).update(approver_person_id=review.bar_raiser_id, review_id=review.id)
        row.approver_person_id, row.review_id = review.bar_raiser_id, review.id
        approver = org_services.get_people(actor=system, ids=[review.bar_raiser_id])
        record = _to_waiver(row, approver)
        audit_services.record_change(
            actor=actor,
            verb="request",
            subject_type="waiver",
            subject_id=row.id,
            subject_label=f"{rule} on {subject}",
            after=_waiver_audit(row),
            reason=reason,
        )
    return record


def _waiver_subject(row: WaiverRow, *, team_ids: tuple[int, ...] = (), excluded_ids: tuple[int, ...] = ()) -> Subject:
    return Subject(
        kind=SubjectKind.WAIVER,
        id=row.id,
        title=f"waiver of {row.rule} on {row.subject}"[:200],
        owner_id=row.requested_by_id,
        team_ids=team_ids,
        excluded_ids=excluded_ids,
        url=f"/waivers?state=all#waiver-{row.id}",
    )


def describe_waiver(actor: Actor, waiver_id: int) -> Subject:
    """The waiver as bar_raisers shows it (its subject-kind registration, MandateConfig.ready): waivers are public,
    so any signed-in person may see one. Raises NotFound."""
    org_services.require_signed_in(actor)
    row = WaiverRow.objects.filter(pk=waiver_id).first()
    if row is None:
        raise NotFound(f"waiver {waiver_id} does not exist", field="waiver_id")
    return _waiver_subject(row)


def visible_waiver_ids(actor: Actor, ids: frozenset[int]) -> frozenset[int]:
    """Which of these waivers the actor may see (bar_raisers asks before it shows their reviews): every waiver to
    every signed-in person (docs/access.md: a waiver is the public record of an exception)."""
    return frozenset(ids) if actor.is_authenticated else frozenset()


def on_waiver_review(actor: Actor, review: ReviewRecord) -> None:
    """The owner answered the waiver's bar-raiser review (bar_raisers calls this inside that write): an accepted
    approve or approve-with-concerns puts the waiver in force, an accepted do-not-proceed refuses it, a withdrawn
    review (or the requester going against an approval) withdraws the request. Re-evaluated on commit."""
    row = WaiverRow.objects.filter(pk=review.subject_id, state=WAIVER_PENDING).first()
    if row is None:
        return
    if review.state is ReviewState.ACCEPTED and review.recommendation is not Recommendation.DO_NOT_PROCEED:
        state, verb = WAIVER_ACTIVE, "activate"
    elif review.state is ReviewState.ACCEPTED:
        state, verb = WAIVER_REFUSED, "refuse"
    else:
        state, verb = WAIVER_WITHDRAWN, "withdraw"
    before = _waiver_audit(row)
    WaiverRow.objects.filter(pk=row.pk).update(state=state, version=row.version + 1)
    row.state, row.version = state, row.version + 1
    if state == WAIVER_ACTIVE:
        events.teams_changed(_waiver_teams(row) or None)  # a waiver on a team-less subject: re-check everything
    audit_services.record_change(
        actor=actor,
        verb=verb,
        subject_type="waiver",
        subject_id=row.id,
        subject_label=f"{row.rule} on {row.subject}",
        before=before,
        after=_waiver_audit(row),
    )


def _waiver_teams(row: WaiverRow) -> set[int]:
    facts = _Facts(clock.today())
    return {facts.team_by_ref[t] for t in rules.subject_teams(facts.index, row.subject) if t in facts.team_by_ref}


def revoke_waiver(*, actor: Actor, waiver_id: int, reason: str = "") -> WaiverRecord:
    """Withdraw a waiver (kept, marked revoked): its finding counts again, re-evaluated on commit (once the org
    has been evaluated at all).
    Admins and the approver only. Raises NotFound, PermissionDenied."""
    org_services.require_signed_in(actor)
    with transaction.atomic():
        row = WaiverRow.objects.filter(pk=waiver_id).first()
        if row is None:
            raise NotFound(f"waiver {waiver_id} does not exist", field="waiver_id")
        _policy.require(actor, "revoke_waiver", row.approver_person_id)
        before = _waiver_audit(row)
        if not row.revoked:
            WaiverRow.objects.filter(pk=row.pk).update(revoked=True, version=row.version + 1)
            row.refresh_from_db()
            teams = set(
                FindingRow.objects.filter(subject=row.subject, team_id__isnull=False).values_list("team_id", flat=True)
            )
            events.teams_changed(teams or None)
            audit_services.record_change(
                actor=actor,
                verb="revoke",
                subject_type="waiver",
                subject_id=row.id,
                subject_label=f"{row.rule} on {row.subject}",
                before=before,
                after=_waiver_audit(row),
                reason=reason,
            )
        return _to_waiver(row, org_services.get_people(actor=actor, ids=[row.approver_person_id]))


def get_waiver(*, actor: Actor, waiver_id: int) -> WaiverRecord:
    """One waiver, in any state. Any signed-in person may read it. Raises NotFound."""
    org_services.require_signed_in(actor)
    row = WaiverRow.objects.filter(pk=waiver_id).first() if isinstance(waiver_id, int) else None
    if row is None:
        raise NotFound(f"waiver {waiver_id} does not exist", field="waiver_id")
    return _to_waiver(row, org_services.get_people(actor=actor, ids=[row.approver_person_id]))


def list_waivers(
    *,
    actor: Actor,
    subject: str | None = None,
    include_revoked: bool = False,
    state: str | None = None,
    team_id: int | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Page[WaiverRecord]:
    """Waivers, newest last: pending and active ones, revoked ones only when asked. Any signed-in person may read them.

    ``state`` picks one of WAIVER_STATES (active: in force; expired: past its expiry date, an error again
    (MECHANISMS.md §2 M6); revoked: withdrawn after approval; pending: waiting for its bar-raiser review; refused:
    the bar raiser's do-not-proceed was accepted; withdrawn: the requester gave it up), or "all"; it overrides
    ``include_revoked``. ``team_id`` keeps the
    waivers whose subject belongs to that team (the team, its services, interfaces, datastores and people: the
    teams its approver had to be independent of). Raises RuleViolation (unknown state), NotFound (unknown team)."""
    org_services.require_signed_in(actor)
    qs = WaiverRow.objects.order_by("subject", "rule", "id")
    if subject:
        qs = qs.filter(subject=subject.strip().lower())
    if state:
        if state not in (*WAIVER_STATES, "all"):
            raise RuleViolation(f"state must be one of {', '.join(WAIVER_STATES)} or all", field="state")
        today = clock.today()
        if state == "active":
            qs = qs.filter(revoked=False, state=WAIVER_ACTIVE, expires__gte=today)
        elif state == "expired":
            qs = qs.filter(revoked=False, state=WAIVER_ACTIVE, expires__lt=today)
        elif state == "revoked":
            qs = qs.filter(revoked=True)
        elif state != "all":
            qs = qs.filter(revoked=False, state=state)
    else:
        # By default: what is asked for or in force; refused and withdrawn requests only when asked by state.
        qs = qs.filter(state__in=(WAIVER_PENDING, WAIVER_ACTIVE))
        if not include_revoked:
            qs = qs.filter(revoked=False)
    if team_id is not None:
        ref = team_ref(org_services.get_team(actor=actor, team_id=team_id).slug)
        index = _Facts(clock.today(), team_ids={team_id}).index  # the team's subjects are all in its neighbourhood
        subjects = {s for s in qs.values_list("subject", flat=True).distinct() if ref in rules.subject_teams(index, s)}
        qs = qs.filter(subject__in=subjects)
    page = paginate(qs, limit=limit, offset=offset, convert=lambda r: r)
    people = org_services.get_people(actor=actor, ids={r.approver_person_id for r in page.items})
    return page.map(lambda r: _to_waiver(r, people))


def waivable_rules() -> list[RuleInfo]:
    """The rules a waiver may name: every rule but ``waiver/expired`` (an expired waiver is renewed, not waived)."""
    return [info for rule, info in sorted(RULE_CATALOG.items()) if rule != "waiver/expired"]


def can_request_waiver(*, actor: Actor) -> bool:
    """Whether the actor may request waivers (MECHANISMS.md §2 M6, §4): any signed-in person (the review's owner);
    the approval comes from an independent bar raiser through the review."""
    return _policy.can(actor, "request_waiver")


def can_revoke_waiver(*, actor: Actor, waiver: WaiverRecord) -> bool:
    """Whether the actor may revoke this waiver: it is not revoked yet, and the actor is its approver or an admin
    (the rule revoke_waiver enforces)."""
    return (
        not waiver.revoked
        and waiver.state == WAIVER_ACTIVE
        and _policy.can(actor, "revoke_waiver", waiver.approver_person_id)
    )


# ---------------------------------------------------------------------------------------------- scorecards


def can_view_team_scorecard(*, actor: Actor, team_id: int) -> bool:
    """MECHANISMS.md §2 M6: a scorecard is visible to the team (members, leader), to the management chain above
    its leader (a manager sees every team below them), to leadership over its org unit, and to admins."""
    return _policy.can(actor, "view_team_scorecard", team_id)


def can_view_org_unit_scorecard(*, actor: Actor, org_unit_id: int) -> bool:
    """An org unit's scorecard: its leader, the management chain above that leader, leadership over the unit,
    and admins."""
    return _policy.can(actor, "view_org_unit_scorecard", org_unit_id)


def team_scorecard(*, actor: Actor, team_id: int) -> Scorecard:
    """A team's current findings and counts by rule, and its score at every evaluation (oldest first).
    Raises NotFound, PermissionDenied (see can_view_team_scorecard)."""
    team = org_services.get_team(actor=actor, team_id=team_id)
    _policy.require(actor, "view_team_scorecard", team_id)
    findings = [_to_finding(r) for r in FindingRow.objects.filter(team_id=team_id).order_by("rule", "subject", "id")]
    history = _history([team_id])
    return _scorecard("team", team.id, team.slug, team.name, findings, history, (team.id,))


def org_unit_scorecard(*, actor: Actor, org_unit_id: int) -> Scorecard:
    """The roll-up of every team in an org unit and its sub-units: current findings (each once) and the summed
    score of those teams at every evaluation. Raises NotFound, PermissionDenied."""
    unit = org_services.get_org_unit(actor=actor, org_unit_id=org_unit_id)
    _policy.require(actor, "view_org_unit_scorecard", org_unit_id)
    units = [unit.id, *org_services.org_unit_descendants(actor=actor, org_unit_id=unit.id)]
    team_ids = sorted(set(org_services.team_ids_in_org_units(actor=actor, org_unit_ids=units)))
    seen: set[tuple[str, str, tuple[str, ...]]] = set()
    findings = []
    for row in FindingRow.objects.filter(team_id__in=team_ids).order_by("rule", "subject", "id"):
        key = (row.rule, row.subject, tuple(row.related))
        if key not in seen:
            seen.add(key)
            findings.append(_to_finding(row))
    history = _org_unit_history(unit.id) or _history(team_ids)  # evaluations before unit scores: the team sums
    return _scorecard("org_unit", unit.id, unit.slug, unit.name, findings, history, tuple(team_ids))


def _org_unit_history(org_unit_id: int) -> list[ScorePoint]:
    rows = OrgUnitScoreRow.objects.filter(org_unit_id=org_unit_id).select_related("evaluation")
    points = [
        ScorePoint(
            evaluation_id=r.evaluation_id,
            at=r.evaluation.at,
            errors=r.errors,
            warnings=r.warnings,
            waived=r.waived,
            by_rule=dict(r.by_rule or {}),
        )
        for r in rows.order_by("evaluation__at", "evaluation_id")
    ]
    return points[-HISTORY_LIMIT:]


def _history(team_ids: list[int]) -> list[ScorePoint]:
    sums: dict[int, list[Any]] = {}
    for score in (
        TeamScoreRow.objects.filter(team_id__in=team_ids)
        .select_related("evaluation")
        .order_by("evaluation__at", "evaluation_id")
    ):
        point = sums.setdefault(score.evaluation_id, [score.evaluation.at, 0, 0, 0, defaultdict(int)])
        point[1] += score.errors
        point[2] += score.warnings
        point[3] += score.waived
        for rule, count in (score.by_rule or {}).items():
            point[4][rule] += count
    points = [
        ScorePoint(evaluation_id=eid, at=at, errors=e, warnings=w, waived=v, by_rule=dict(sorted(by.items())))
        for eid, (at, e, w, v, by) in sums.items()
    ]
    return points[-HISTORY_LIMIT:]


def _scorecard(kind, id_, slug, name, findings: list[StoredFinding], history: list[ScorePoint], team_ids):
    counts = _counts((f.rule, f.severity, f.waived) for f in findings)
    last = EvaluationRow.objects.order_by("-at", "-id").values_list("at", flat=True).first()
    return Scorecard(
        kind=kind,
        id=id_,
        slug=slug,
        name=name,
        errors=counts["errors"],
        warnings=counts["warnings"],
        waived=counts["waived"],
        by_rule=counts["by_rule"],
        findings=tuple(findings),
        history=tuple(history),
        team_ids=tuple(team_ids),
        evaluated_at=last,
    )


# ---------------------------------------------------------------------------------------------- Conway report


def conway_report(*, actor: Actor) -> ConwayView:
    """The team-to-team graph from cross-team dependencies, each team's fan-in and fan-out, and the team pairs
    coupled across org units (MECHANISMS.md §2, Conway report), computed live. Any signed-in person.

    Three reads whatever the size of the org (the teams, the units, the edges rolled up to team pairs by catalog):
    not the whole catalog snapshot an evaluation needs (0.7 s at 2,000 teams)."""
    org_services.require_signed_in(actor)
    teams, units = org_services.team_index(actor=actor), {u.id: u for u in org_services.all_org_units(actor=actor)}
    by_id = {t.id: t for t in teams}
    ref_of = {t.id: team_ref(t.slug) for t in teams}
    id_of = {ref: team_id for team_id, ref in ref_of.items()}
    unit_of = {ref_of[t.id]: team_ref(units[t.org_unit_id].slug) if t.org_unit_id in units else None for t in teams}
    links = [
        TeamLink(ref_of[e.from_team_id], ref_of[e.to_team_id], e.consumes, e.accesses, e.links)
        for e in catalog_services.team_edges(actor=actor)
        if e.from_team_id in ref_of and e.to_team_id in ref_of
    ]
    live = [ref_of[t.id] for t in teams if t.status in LIVE_TEAM_STATUSES]
    report = rules.conway_from_links(links, unit_of=unit_of, live=live)

    def slug(ref: str | None) -> str | None:
        return ref.rsplit("/", 1)[-1] if ref else None

    out_teams = tuple(
        ConwayTeam(
            team_id=id_of[d.team],
            slug=slug(d.team) or "",
            name=by_id[id_of[d.team]].name,
            org_unit_id=by_id[id_of[d.team]].org_unit_id if by_id[id_of[d.team]].org_unit_id in units else None,
            org_unit_slug=slug(d.org_unit),
            fan_in=d.fan_in,
            fan_out=d.fan_out,
        )
        for d in report.degrees
    )
    edges = tuple(
        ConwayEdge(
            id_of[link.source],
            slug(link.source) or "",
            id_of[link.target],
            slug(link.target) or "",
            link.consumes,
            link.accesses,
            link.links,
            link.total,
        )
        for link in report.links
    )
    pairs = tuple(
        ConwayPair(
            id_of[pair.team_a],
            slug(pair.team_a) or "",
            id_of[pair.team_b],
            slug(pair.team_b) or "",
            slug(pair.org_unit_a),
            slug(pair.org_unit_b),
            pair.edges,
            pair.tight,
        )
        for pair in report.coupled_pairs
    )
    return ConwayView(teams=out_teams, edges=edges, coupled_pairs=pairs)


CONWAY_TABLE_ROWS = 100  # teams and pairs the page lists; the API and the CLI give them all
CONWAY_CACHE_SECONDS = 3600


def conway_overview(*, actor: Actor, org_unit_id: int | None = None) -> ConwayOverview:
    """The Conway page's content (`conway_graph` of `conway_report`, the busiest teams, the most coupled pairs).

    Every change to teams or the catalog is followed by an evaluation of the mandate, so the report is computed
    once per evaluation (and org unit drilled into) and kept in the cache: at 2,000 teams computing it takes a few
    hundred milliseconds, a page must take under 100 (issue 9, item 7). Before the first evaluation it is computed
    on each call. Any signed-in person; NotFound for an unknown unit."""
    org_services.require_signed_in(actor)
    last = EvaluationRow.objects.order_by("-at", "-id").values_list("id", "at").first()
    # The time too: a database made again (a test, a demo reloaded) numbers its evaluations from 1 again.
    key = f"mandate:conway:{last[0]}:{last[1].isoformat()}:{org_unit_id}" if last else None
    cached = cache.get(key) if key else None
    if cached is not None:
        return cached
    report = conway_report(actor=actor)
    overview = ConwayOverview(
        graph=conway_graph(actor=actor, report=report, org_unit_id=org_unit_id),
        teams=report.teams[:CONWAY_TABLE_ROWS],
        team_count=len(report.teams),
        edge_count=len(report.edges),
        coupled_pairs=report.coupled_pairs[:CONWAY_TABLE_ROWS],
        pair_count=len(report.coupled_pairs),
        evaluation_id=last[0] if last else None,
        evaluated_at=last[1] if last else None,
    )
    if key:
        cache.set(key, overview, CONWAY_CACHE_SECONDS)
    return overview


CONWAY_TEAMS_DRAWN = 150  # above this many linked teams, the graph draws units (each as one dot) and a drill-down
CONWAY_UNIT_TEAMS_DRAWN = 120  # a unit drilled into: its busiest teams, by links
CONWAY_EDGES_DRAWN = 300


def conway_graph(*, actor: Actor, report: ConwayView, org_unit_id: int | None = None) -> ConwayGraph:
    """The Conway report drawn so that Conway's law shows (issue 9, item 7): teams grouped in a box per org unit,
    cross-unit edges highlighted and intra-unit ones quiet. A large organization is drawn by unit (one dot per unit,
    sized by its teams, and the heaviest cross-unit edges); `org_unit_id` drills into one unit: its teams, and the
    other units they depend on (or that depend on them) drawn whole. Any signed-in person; NotFound for an unknown
    unit."""
    org_services.require_signed_in(actor)
    units = org_services.all_org_units(actor=actor)
    by_id = {u.id: u for u in units}
    order = _tree_order(units)
    team_unit = {t.team_id: t.org_unit_id for t in report.teams}
    unit_teams: dict[int | None, int] = defaultdict(int)
    for team in report.teams:
        unit_teams[team.org_unit_id] += 1
    totals = {_unit_key(by_id, uid): n for uid, n in unit_teams.items()}
    linked = {e.source_id for e in report.edges} | {e.target_id for e in report.edges}
    if org_unit_id is None and len(linked) <= CONWAY_TEAMS_DRAWN:
        shown = [t for t in report.teams if t.team_id in linked] or list(report.teams)
        nodes = [
            GraphInputNode(t.slug, t.name, _unit_key(by_id, t.org_unit_id), weight=t.fan_in)
            for t in sorted(shown, key=lambda t: t.name)
        ]
        edges = [GraphInputEdge(e.source_slug, e.target_slug, e.total, e.accesses + e.links > 0) for e in report.edges]
        return _graph("teams", nodes, edges, by_id, order, None, totals, hidden=len(report.teams) - len(shown))
    if org_unit_id is None:  # by unit: each unit one dot, the edges between units summed
        counts: dict[int | None, int] = defaultdict(int)
        for team in report.teams:
            counts[team.org_unit_id] += 1
        nodes = [
            GraphInputNode(_unit_key(by_id, uid), _unit_name(by_id, uid), _unit_key(by_id, uid), "unit", n)
            for uid, n in counts.items()
        ]
        return _graph("units", nodes, _unit_edges(report, team_unit, by_id), by_id, order, None, totals)
    unit = org_services.get_org_unit(actor=actor, org_unit_id=org_unit_id)
    inside_units = set(org_services.org_unit_descendants(actor=actor, org_unit_id=unit.id)) | {unit.id}
    inside = [t for t in report.teams if t.org_unit_id in inside_units]
    busiest = sorted(inside, key=lambda t: (-(t.fan_in + t.fan_out), t.slug))[:CONWAY_UNIT_TEAMS_DRAWN]
    drawn = {t.team_id for t in busiest}
    nodes = [
        GraphInputNode(t.slug, t.name, _unit_key(by_id, t.org_unit_id), weight=t.fan_in)
        for t in sorted(busiest, key=lambda t: t.name)
    ]
    edges = [
        GraphInputEdge(e.source_slug, e.target_slug, e.total, e.accesses + e.links > 0)
        for e in report.edges
        if e.source_id in drawn and e.target_id in drawn
    ]
    # The rest of the organization, as whole units, wherever these teams' edges lead (or come from).
    outside: set[int | None] = set()
    slug_of_team = {t.team_id: t.slug for t in busiest}
    for e in report.edges:
        for mine, other in ((e.source_id, e.target_id), (e.target_id, e.source_id)):
            other_unit = team_unit.get(other)
            if mine in drawn and other_unit not in inside_units:
                key = _unit_key(by_id, other_unit)
                outside.add(other_unit)
                source, target = (slug_of_team[mine], key) if mine == e.source_id else (key, slug_of_team[mine])
                edges.append(GraphInputEdge(source, target, e.total, e.accesses + e.links > 0))
    nodes += [
        GraphInputNode(_unit_key(by_id, uid), _unit_name(by_id, uid), _unit_key(by_id, uid), "unit", unit_teams[uid])
        for uid in sorted(outside, key=lambda uid: _unit_key(by_id, uid))
    ]
    hidden = len(inside) - len(busiest)
    return _graph("teams", nodes, _merge(edges), by_id, order, unit.slug, totals, hidden=hidden, max_edges=120)


def _unit_key(by_id: dict, unit_id: int | None) -> str:
    return by_id[unit_id].slug if unit_id in by_id else "(no unit)"


def _unit_name(by_id: dict, unit_id: int | None) -> str:
    return by_id[unit_id].name if unit_id in by_id else "No org unit"


def _tree_order(units: list) -> list[int]:
    """Units depth-first from the roots, so sibling units sit side by side in the drawing."""
    children: dict[int | None, list] = defaultdict(list)
    known = {u.id for u in units}
    for u in units:
        children[u.parent_id if u.parent_id in known else None].append(u)
    out, stack = [], list(reversed(children[None]))
    while stack:
        u = stack.pop()
        out.append(u.id)
        stack.extend(reversed(children[u.id]))
    return out


def _unit_edges(report: ConwayView, team_unit: dict, by_id: dict) -> list[GraphInputEdge]:
    edges = [
        GraphInputEdge(
            _unit_key(by_id, team_unit.get(e.source_id)),
            _unit_key(by_id, team_unit.get(e.target_id)),
            e.total,
            e.accesses + e.links > 0,
        )
        for e in report.edges
        if team_unit.get(e.source_id) != team_unit.get(e.target_id)
    ]
    return _merge(edges)


def _merge(edges: list[GraphInputEdge]) -> list[GraphInputEdge]:
    """Edges between the same two dots summed into one (tight if any of them is)."""
    summed: dict[tuple[str, str], list[Any]] = {}
    for e in edges:
        entry = summed.setdefault((e.source, e.target), [0, False])
        entry[0] += e.weight
        entry[1] = entry[1] or e.tight
    return [GraphInputEdge(s, t, w, tight) for (s, t), (w, tight) in summed.items()]


def _graph(
    mode, nodes, edges, by_id, order, unit, totals: dict[str, int], *, hidden: int = 0, max_edges: int = 0
) -> ConwayGraph:
    present = {n.cluster for n in nodes}
    labels = {by_id[uid].slug: by_id[uid].name for uid in order if by_id[uid].slug in present}
    if "(no unit)" in present:
        labels["(no unit)"] = "No org unit"
    drawn: dict[str, int] = defaultdict(int)
    for n in nodes:
        drawn[n.cluster] += 1 if n.kind == "team" else 0
    for key, name in labels.items():
        total = totals.get(key, 0)
        labels[key] = f"{name} · {total} team{'s' if total != 1 else ''}"
        if 0 < drawn[key] < total:
            labels[key] += f", {drawn[key]} drawn"
    clusters, placed, kept, width, height, hidden_edges = rules.layout_conway(
        nodes, edges, labels, max_edges=max_edges or CONWAY_EDGES_DRAWN
    )
    return ConwayGraph(mode, width, height, clusters, placed, kept, unit, hidden, hidden_edges)


# ---------------------------------------------------------------------------------------------- mapping


def _to_finding(row: FindingRow) -> StoredFinding:
    return StoredFinding(
        id=row.id,
        rule=row.rule,
        severity=row.severity,  # type: ignore[arg-type]
        subject=row.subject,
        related=tuple(row.related or ()),
        message=row.message,
        details=tuple(row.details or ()),
        team_id=row.team_id,
        waived=row.waived,
        waiver_id=row.waiver_id,
    )


def _to_summary(row: EvaluationRow, *, teams_scored: int, invalid_waivers: tuple[str, ...] = ()) -> EvaluationSummary:
    totals = row.totals or {}
    return EvaluationSummary(
        id=row.id,
        at=row.at,
        trigger=row.trigger,
        actor=row.actor,
        errors=totals.get("errors", 0),
        warnings=totals.get("warnings", 0),
        waived=totals.get("waived", 0),
        by_rule=dict(totals.get("by_rule", {})),
        teams_scored=teams_scored,
        invalid_waivers=invalid_waivers,
    )


def _waiver_audit(row: WaiverRow) -> dict[str, Any]:
    return {
        "subject": row.subject,
        "rule": row.rule,
        "related": row.related,
        "expires": row.expires.isoformat(),
        "approver_person_id": row.approver_person_id,
        "revoked": row.revoked,
        "state": row.state,
        "review_id": row.review_id,
    }


def _to_waiver(row: WaiverRow, people: dict) -> WaiverRecord:
    approver = people.get(row.approver_person_id)
    return WaiverRecord(
        id=row.id,
        subject=row.subject,
        rule=row.rule,
        related=row.related or None,
        reason=row.reason,
        expires=row.expires,
        approver_person_id=row.approver_person_id,
        approver_handle=approver.handle if approver else "",
        granted_by=row.granted_by,
        created_at=row.created_at,
        revoked=row.revoked,
        expired=row.expires < clock.today(),
        version=row.version,
        state=row.state,
        review_id=row.review_id,
        requested_by_id=row.requested_by_id,
    )
