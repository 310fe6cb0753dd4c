"""Private: the one place that decides who may see and do what in hiring (MECHANISMS.md §5; docs/access.md;
the sealing rules every hiring part follows are docs/hiring.md "Who sees what").

People in relation to a loop (`INSIDER_KINDS`), computed from `org.services.relations_of(actor=...)` (cached per
request) and the opening, loop and interview rows:
- `interviewer`: has a non-cancelled interview in the loop;
- `bar_raiser`: the loop's bar raiser;
- `hiring_manager`: the opening's hiring manager;
- `recruiter`: the opening's named recruiter, or a holder of the `recruiter` role covering the opening's team's
  org unit.
Insiders are all of them. Everyone else is an outsider: admins who are none of these, the candidate's would-be
reports, other managers, recruiters outside the unit, the product itself (`Actor.system`), anonymous callers.

Reads:
- openings (title, team, level, job description, principles, state) and the principles list: every signed-in
  person (an internal job posting); the job description is the opening's document (documents asks
  `document_access`): its readers comment on it, whoever may `edit_opening` revises it and attaches files;
- candidates and loops and everything in them: insiders only; anyone else gets NotFound, and lists, search,
  history and counts leave them out (`visible_to`, `visible_ids`);
- the mechanism-health figures (anonymous aggregates): admins, leadership and recruiters, company-wide or over
  a unit (then only the loops of that unit's teams: `health_team_ids`).

Actions (`can(actor, action, record)`; `require` raises PermissionDenied naming the rule):
- `manage_principles` (record ignored): admins and company-wide recruiters;
- `create_opening` (record: the team id): admins, the team's leader and anyone above the leader in the management
  chain (who may be its hiring manager), recruiters of the team's unit;
- `edit_opening` (record: an Opening row; also its transitions): admins, its hiring manager, its recruiters;
- `add_candidate` (record: an Opening row), `edit_candidate` (record: a Candidate row), `plan_loop` (record: an
  Opening row): the opening's recruiters and its hiring manager;
- `erase_candidate` (record: a Candidate row): the opening's recruiters and admins;
- `see_health` (record ignored): see above.
Refusals of actions on records the actor may not see are NotFound, not PermissionDenied: callers check
visibility first (`require_insider`).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from mechanisms.documents.contracts import Access
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import NotFound, PermissionDenied
from mechanisms.org import services as org_services
from mechanisms.org.contracts import Relations, Role

INTERVIEWER = "interviewer"
BAR_RAISER = "bar_raiser"
HIRING_MANAGER = "hiring_manager"
RECRUITER = "recruiter"
INSIDER_KINDS = frozenset({INTERVIEWER, BAR_RAISER, HIRING_MANAGER, RECRUITER})

RULES = {
    "manage_principles": "only an admin or a company-wide recruiter may {what}",
    "create_opening": "only an admin, the team's leader or a manager above them, or a recruiter of its unit may {what}",
    "edit_opening": "only an admin, the opening's hiring manager or its recruiters may {what}",
    "add_candidate": "only the opening's recruiters or its hiring manager may {what}",
    "edit_candidate": "only the opening's recruiters or its hiring manager may {what}",
    "plan_loop": "only the opening's recruiters or its hiring manager may {what}",
    "erase_candidate": "only the opening's recruiters or an admin may {what}",
    "see_health": "only admins, leadership and recruiters may {what}",
}


# ------------------------------------------------------------------------------------------------ relations


def relations(actor: Actor) -> Relations:
    """The actor's org relations (cached for the request by org)."""
    return org_services.relations_of(actor=actor)


def _person(actor: Actor) -> int | None:
    """The actor's person id when they are a signed-in person; None for anonymous callers and the product itself."""
    return actor.person_id if actor.is_authenticated else None


def recruiter_team_ids(actor: Actor) -> frozenset[int] | None:
    """The teams whose openings the actor recruits for by role: None for every team (a company-wide grant), else
    the teams in the subtrees of their unit grants (empty without a grant)."""
    if _person(actor) is None:
        return frozenset()
    rel = relations(actor)
    scopes = {scope for role, scope in rel.roles if role is Role.RECRUITER}
    if not scopes:
        return frozenset()
    if None in scopes:
        return None
    units = [u for u in rel.unit_parents if any(rel.in_subtree(u, root) for root in scopes)]
    return frozenset(org_services.team_ids_in_org_units(actor=actor, org_unit_ids=units))


def _team_unit(actor: Actor, team_id: int) -> int | None:
    team = org_services.get_teams(actor=actor, ids=[team_id]).get(team_id)
    return team.org_unit_id if team is not None else None


def recruits_for_team(actor: Actor, team_id: int) -> bool:
    """True when a recruiter grant in force covers the team's org unit (company-wide or its subtree)."""
    if _person(actor) is None:
        return False
    rel = relations(actor)
    if not any(role is Role.RECRUITER for role, _ in rel.roles):
        return False
    return rel.has_role(Role.RECRUITER, _team_unit(actor, team_id))


def opening_roles(actor: Actor, opening: Any) -> frozenset[str]:
    """The actor's insider kinds for an opening row: `hiring_manager` and/or `recruiter` (named or by role)."""
    person = _person(actor)
    if person is None:
        return frozenset()
    found = set()
    if opening.hiring_manager_id == person:
        found.add(HIRING_MANAGER)
    if opening.recruiter_id == person or recruits_for_team(actor, opening.team_id):
        found.add(RECRUITER)
    return frozenset(found)


def loop_roles(actor: Actor, loop: Any) -> frozenset[str]:
    """The actor's insider kinds for a loop row: its opening's kinds plus `bar_raiser` and `interviewer` (a
    non-cancelled interview in the loop)."""
    person = _person(actor)
    if person is None:
        return frozenset()
    found = set(opening_roles(actor, loop.opening))
    if loop.bar_raiser_id == person:
        found.add(BAR_RAISER)
    if loop.interviews.filter(interviewer_id=person, cancelled=False).exists():
        found.add(INTERVIEWER)
    return frozenset(found)


def candidate_roles(actor: Actor, candidate: Any) -> frozenset[str]:
    """The actor's insider kinds for a candidate row: their opening's, plus their loop's when there is one."""
    loop = loop_of(candidate)
    return loop_roles(actor, loop) if loop is not None else opening_roles(actor, candidate.opening)


def require_insider(actor: Actor, record: Any, *, what: str = "record") -> frozenset[str]:
    """The actor's insider kinds for a candidate or loop row, or NotFound (the same answer as for a record that
    does not exist, so an outsider learns nothing)."""
    from .models import Loop

    kinds = loop_roles(actor, record) if isinstance(record, Loop) else candidate_roles(actor, record)
    if not kinds:
        raise NotFound(f"{what} {record.pk} does not exist")
    return kinds


def loop_of(candidate: Any) -> Any:
    """The candidate's loop row, or None."""
    from .models import Loop

    try:
        return candidate.loop
    except Loop.DoesNotExist:
        return None


# ------------------------------------------------------------------------------------------------ reads


def require_signed_in(actor: Actor) -> None:
    if not actor.is_authenticated:
        raise PermissionDenied("sign in first")


def visible_to(actor: Actor, qs: QuerySet) -> QuerySet:
    """The one read chokepoint of hiring's tables: the rows of `qs` the actor may see, by the model it reads
    (openings: every signed-in person; candidates and loops: their insiders only, admins included as outsiders)."""
    from .models import Candidate, Loop, Opening

    narrow = {Opening: _visible_openings, Candidate: _visible_candidates, Loop: _visible_loops}.get(qs.model)
    if narrow is None:
        raise ValueError(f"hiring's policy has no read rule for {qs.model.__name__}")
    return narrow(actor, qs)


def _visible_openings(actor: Actor, qs: QuerySet) -> QuerySet:
    """Openings are an internal job posting: every signed-in person reads them; anonymous callers none."""
    return qs if actor.is_authenticated else qs.none()


def _visible_candidates(actor: Actor, qs: QuerySet) -> QuerySet:
    """Candidates the actor is an insider of; outsiders (admins included) none."""
    from .models import Loop

    person = _person(actor)
    if person is None:
        return qs.none()
    teams = recruiter_team_ids(actor)
    if teams is None:
        return qs  # a company-wide recruiter: every candidate
    q = Q(opening__hiring_manager_id=person) | Q(opening__recruiter_id=person)
    if teams:
        q |= Q(opening__team_id__in=sorted(teams))
    loops = _visible_loops(actor, Loop.objects.all()).values("pk")
    q |= Q(loop__in=loops)
    return qs.filter(q)


def _visible_loops(actor: Actor, qs: QuerySet) -> QuerySet:
    """Loops the actor is an insider of; outsiders (admins included) none."""
    person = _person(actor)
    if person is None:
        return qs.none()
    teams = recruiter_team_ids(actor)
    if teams is None:
        return qs
    q = Q(opening__hiring_manager_id=person) | Q(opening__recruiter_id=person) | Q(bar_raiser_id=person)
    q |= Q(interviews__interviewer_id=person, interviews__cancelled=False)
    if teams:
        q |= Q(opening__team_id__in=sorted(teams))
    return qs.filter(q).distinct()


def visible_ids(actor: Actor, subject_type: str, ids: frozenset[str]) -> frozenset[str]:
    """Which of these records' histories the actor may read (the audit log asks the owner; docs/audit.md):
    openings' to every signed-in person; candidates' and loops' to their insiders only."""
    if not actor.is_authenticated:
        return frozenset()
    if subject_type == "hiring_opening":
        return ids
    wanted = [int(i) for i in ids if i.isdigit()]
    if subject_type == "hiring_candidate":
        from .models import Candidate

        seen = _visible_candidates(actor, Candidate.objects.filter(pk__in=wanted)).values_list("pk", flat=True)
        return frozenset(str(pk) for pk in seen)
    if subject_type == "hiring_loop":
        from .models import Loop

        seen = _visible_loops(actor, Loop.objects.filter(pk__in=wanted)).values_list("pk", flat=True)
        return frozenset(str(pk) for pk in seen)
    if subject_type == "hiring_interview":  # an interview's history: the loop's insiders
        from .models import Interview, Loop

        loops = _visible_loops(actor, Loop.objects.all()).values("pk")
        seen = Interview.objects.filter(pk__in=wanted, loop__in=loops).values_list("pk", flat=True)
        return frozenset(str(pk) for pk in seen)
    if subject_type == "hiring_feedback":  # a feedback's history (by interview id): as the feedback itself
        return frozenset(str(pk) for pk in readable_feedback_ids(actor, wanted))
    return frozenset()


def health_team_ids(actor: Actor) -> frozenset[int] | None:
    """Whose loops the actor's health figures count: None for every team (admins, company-wide leadership or
    recruiting), else the teams of the units their leadership or recruiter grants cover. PermissionDenied for
    anyone with neither."""
    if actor.is_admin:
        return None
    if _person(actor) is None:
        raise PermissionDenied(RULES["see_health"].format(what="read the hiring health figures"))
    rel = relations(actor)
    scopes = {scope for role, scope in rel.roles if role in (Role.RECRUITER, Role.LEADERSHIP)}
    if not scopes:
        raise PermissionDenied(RULES["see_health"].format(what="read the hiring health figures"))
    if None in scopes:
        return None
    units = [u for u in rel.unit_parents if any(rel.in_subtree(u, root) for root in scopes)]
    return frozenset(org_services.team_ids_in_org_units(actor=actor, org_unit_ids=units))


# ------------------------------------------------------------------------------------------------ actions


def may_hire_for(actor: Actor, team_id: int, person_id: int | None = None) -> bool:
    """True when the person (the actor's, by default) leads the team or is above its leader in the management
    chain: who may be an opening's hiring manager."""
    person = person_id if person_id is not None else _person(actor)
    if person is None:
        return False
    team = org_services.get_teams(actor=actor, ids=[team_id]).get(team_id)
    if team is None or team.leader_id is None:
        return False
    if team.leader_id == person:
        return True
    chain = org_services.management_chain(actor=actor, person_id=team.leader_id)
    return any(p.id == person for p in chain)


def can(actor: Actor, action: str, record: Any = None) -> bool:
    """True when the actor may take `action` on `record` (see the module docstring for each action)."""
    if action not in RULES:
        raise ValueError(f"unknown hiring action {action!r}")
    if not actor.is_authenticated:
        return False
    if action == "manage_principles":
        return actor.is_admin or (_person(actor) is not None and relations(actor).has_role(Role.RECRUITER, None))
    if action == "see_health":  # the grants alone (no team lookup): the navigation asks it on every page
        if actor.is_admin:
            return True
        return bool(org_services.held_roles(actor=actor) & {Role.RECRUITER, Role.LEADERSHIP})
    if action == "create_opening":
        return actor.is_admin or may_hire_for(actor, record) or recruits_for_team(actor, record)
    if action == "edit_opening":
        return actor.is_admin or bool(opening_roles(actor, record))
    if action in ("add_candidate", "plan_loop"):
        return bool(opening_roles(actor, record))
    if action == "edit_candidate":
        return bool(opening_roles(actor, record.opening))
    if action == "erase_candidate":
        return actor.is_admin or RECRUITER in opening_roles(actor, record.opening)
    return False


def document_access(actor: Actor, opening: Any) -> frozenset[Access]:
    """What the actor may do with the job description (its document) of an opening they may read: read it and
    comment on it, as everyone who reads the opening; revise it and attach files, when they may change the opening
    ("edit_opening": admins, its hiring manager, its recruiters). Frozen once the opening is closed or filled (the
    services' `job_description_frozen`)."""
    granted = {Access.READ, Access.COMMENT}
    if can(actor, "edit_opening", opening):
        granted |= {Access.REVISE, Access.ATTACH}
    return frozenset(granted)


def require(actor: Actor, action: str, record: Any = None, *, what: str, field: str | None = None) -> None:
    """Raise PermissionDenied naming the rule unless the actor may take `action` on `record`."""
    if not can(actor, action, record):
        raise PermissionDenied(RULES[action].format(what=what), field=field)


# --- loops: sealed feedback and the debrief (docs/hiring.md "Who sees what" §3)

SEALED_UNTIL_DEBRIEF = "sealed until the debrief: feedback opens to the loop when the debrief does"
SEALED_UNTIL_YOURS = "sealed until you submit yours: an interviewer reads no one else's feedback before that"


def _unsubmitted_own(actor: Actor, loop: Any) -> bool:
    """True when the actor has a non-cancelled interview in the loop whose feedback is not submitted."""
    person = _person(actor)
    if person is None:
        return False
    return (
        loop.interviews.filter(interviewer_id=person, cancelled=False)
        .exclude(feedback__submitted_at__isnull=False)
        .exists()
    )


def require_debrief_readable(actor: Actor, loop: Any) -> frozenset[str]:
    """The actor's insider kinds when they may read the loop's submitted feedback and its debrief: outsiders get
    NotFound (admins included); insiders before the debrief opens PermissionDenied "sealed until the debrief"; an
    interviewer who has not submitted their own PermissionDenied "sealed until you submit yours"."""
    kinds = loop_roles(actor, loop)
    if not kinds:
        raise NotFound(f"loop {loop.pk} does not exist")
    if loop.debrief_opened_at is None:
        raise PermissionDenied(SEALED_UNTIL_DEBRIEF, field="feedback")
    if INTERVIEWER in kinds and _unsubmitted_own(actor, loop):
        raise PermissionDenied(SEALED_UNTIL_YOURS, field="feedback")
    return kinds


def require_feedback_readable(actor: Actor, loop: Any, *, author_id: int, submitted: bool, what: str) -> None:
    """May the actor read another interviewer's feedback (the author always reads their own: the caller checks
    that first)? As `require_debrief_readable`, and a draft is never anyone else's to read (NotFound)."""
    if _person(actor) is not None and author_id == _person(actor):
        return
    require_debrief_readable(actor, loop)
    if not submitted:
        raise NotFound(f"{what} is not submitted")


def readable_feedback_ids(actor: Actor, interview_ids: list[int]) -> frozenset[int]:
    """Which of these interviews' feedback the actor may read (its history too): their own, or submitted feedback
    of a loop whose debrief they may read."""
    from .models import Interview

    person = _person(actor)
    if person is None or not interview_ids:
        return frozenset()
    from .models import Loop

    rows = list(
        Interview.objects.filter(pk__in=interview_ids).values_list(
            "pk", "interviewer_id", "loop_id", "feedback__submitted_at"
        )
    )
    own = {pk for pk, author, _, _ in rows if author == person}
    loops: dict[int, bool] = {}
    for loop in Loop.objects.filter(pk__in={loop_id for _, _, loop_id, _ in rows}).select_related("opening"):
        try:
            require_debrief_readable(actor, loop)
            loops[loop.pk] = True
        except (NotFound, PermissionDenied):
            loops[loop.pk] = False
    others = {pk for pk, _, loop_id, at in rows if at is not None and loops.get(loop_id)}
    return frozenset(own | others)
