"""The adversary's world: every role a hiring loop knows, and a candidate's loop in every phase, built through the
public services only (org, bar_raisers, hiring), on top of the root `small_org`.

People (small_org plus a few): ann leads checkout and manages bob and cat; she hires a manager for checkout, so bob
and cat are the would-be reports. rex is the opening's recruiter, ria a recruiter of the retail unit by role grant
(both insiders), ola a recruiter of platform only (an outsider). bri is the independent bar raiser of every loop
here (in the pool, platform, far from ann's chain); hal is a pool member on no loop. dan, eve and gus interview.
fay hires for identity (another hiring manager); vp-retail is ann's manager; zed has no relation to anything;
admin is an admin without a person.

Loops, one candidate each, on ann's manager opening:
- planning: interviews planned, not started;
- interviewing: dan submitted, eve has a draft, gus has written nothing;
- debrief: opened early by the bar raiser: dan and eve submitted, gus still has a draft;
- decided: every feedback submitted, the bar raiser recommended approve, ann decided hire.

Every personal value carries a unique marker (`TOKENS`) so a scan of any table, file or body can find it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from mechanisms.kernel import clock
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.testing import PASSWORD

SYSTEM = Actor.system("seal")
PRINCIPLES = ["ownership", "dive-deep", "earn-trust", "hire-and-develop-the-best"]
# Each interviewer assesses two principles: together every one is covered and none by everyone.
ASSIGNED = {
    "dan": ["ownership", "dive-deep"],
    "eve": ["earn-trust", "hire-and-develop-the-best"],
    "gus": ["ownership", "earn-trust"],
}
INTERVIEWERS = tuple(ASSIGNED)
PHASES = ("planning", "interviewing", "debrief", "decided")
JD = (
    "## Engineering manager, Checkout\n\n"
    "You lead the checkout team: five engineers who own the checkout API and the order store. You hire and "
    "develop the team, own its roadmap with the product lead, and keep the service healthy: on-call, "
    "operational reviews, and the weekly business review of conversion and latency. You write narratives, not "
    "slides, and you dive deep when a metric moves."
)
JD_IDENTITY = JD.replace("Engineering manager, Checkout", "Software engineer II, Identity").replace(
    "checkout", "identity"
)
RESUME = b"%PDF-1.4\n% a r\xc3\xa9sum\xc3\xa9 for the seal tests\n"


def marker(phase: str, what: str) -> str:
    """A value no other test writes, so finding it anywhere is a leak of exactly that value."""
    return f"zq{phase[:4]}{what}x"


@dataclass
class LoopInWorld:
    """One candidate and their loop in one phase: ids of every confidential record, and the markers planted."""

    phase: str
    candidate: Any
    loop: Any
    interviews: dict[str, Any] = field(default_factory=dict)  # interviewer handle -> interview record
    tokens: dict[str, str] = field(default_factory=dict)  # what -> the unique text planted

    @property
    def candidate_id(self) -> int:
        return self.candidate.id

    @property
    def loop_id(self) -> int:
        return self.loop.id

    def interview_id(self, handle: str) -> int:
        return self.interviews[handle].id


@dataclass
class World:
    """The small org, the extra people, both openings and a loop per phase."""

    org: Any
    opening: Any
    other_opening: Any
    loops: dict[str, LoopInWorld] = field(default_factory=dict)

    def actor(self, handle: str) -> Actor:
        return self.org.actor(handle)

    def person_id(self, handle: str) -> int:
        return self.org.people[handle].id


EXTRA_PEOPLE = [
    # handle, name, manager
    ("rex", "Rex Amadi", "ceo"),
    ("ria", "Ria Solberg", "ceo"),
    ("ola", "Ola Brandt", "ceo"),
    ("bri", "Bri Tanaka", "vp-platform"),
    ("zed", "Zed Quill", "vp-platform"),
]


def feedback_input(phase: str, handle: str, *, vote: str = "hire") -> dict[str, Any]:
    """A complete feedback for the handle's interview, every text carrying the phase's feedback marker."""
    from mechanisms.hiring.contracts import EvidenceInput

    token = marker(phase, f"fb{handle}")
    evidence = [
        EvidenceInput(
            principle=slug,
            situation=f"Situation {token} {slug}",
            task=f"Task {token}",
            action=f"Action {token}",
            result=f"Result {token}",
            rating=3,
        )
        for slug in ASSIGNED[handle]
    ]
    return {"vote": vote, "summary": f"Summary {token}", "evidence": evidence}


def build_world(org: Any) -> World:
    """Everything in the module docstring, through public services, as the people who would do each step."""
    from mechanisms.bar_raisers import services as bar_raisers
    from mechanisms.hiring import services as hiring
    from mechanisms.org import services as org_services

    for handle, name, manager in EXTRA_PEOPLE:
        person = org_services.create_person(
            actor=SYSTEM, handle=handle, name=name, email=f"{handle}@acme.test", manager_id=org.people[manager].id
        )
        org.people[handle] = person
        account = org_services.create_account(actor=SYSTEM, username=handle, password=PASSWORD, person_id=person.id)
        org.actors[handle] = Actor(user_id=account.user_id, person_id=person.id, label=handle)
    admin = org.actor("admin")
    for handle, unit in (("rex", "retail"), ("ria", "retail"), ("ola", "platform")):
        org_services.grant_role(
            actor=admin, person_id=org.people[handle].id, role="recruiter", org_unit_id=org.units[unit].id
        )
    bar_raisers.add_to_pool(
        actor=admin, person_id=org.people["bri"].id, trained_on=dt.date(2024, 3, 1), capacity=10, note="seal"
    )
    if org.people["hal"].id not in bar_raisers.pool_ids(actor=admin):
        bar_raisers.add_to_pool(actor=admin, person_id=org.people["hal"].id, trained_on=dt.date(2024, 1, 1))
    org_services.forget_relations()

    ann, rex = org.actor("ann"), org.actor("rex")
    opening = hiring.create_opening(
        actor=ann,
        title="Engineering manager, Checkout",
        team_id=org.teams["checkout"].id,
        hiring_manager_id=org.people["ann"].id,
        recruiter_id=org.people["rex"].id,
        level="M1",
        manager_role=True,
        job_description=JD,
        principles=PRINCIPLES,
    )
    opening = hiring.open_opening(actor=ann, opening_id=opening.id, version=opening.version)
    other = hiring.create_opening(
        actor=org.actor("fay"),
        title="Software engineer II, Identity",
        team_id=org.teams["identity"].id,
        hiring_manager_id=org.people["fay"].id,
        level="L5",
        job_description=JD_IDENTITY,
        principles=PRINCIPLES[:2],
    )
    other = hiring.open_opening(actor=org.actor("fay"), opening_id=other.id, version=other.version)
    world = World(org=org, opening=opening, other_opening=other)

    now = clock.now()
    for number, phase in enumerate(PHASES):
        tokens = {
            "name": f"Quinn {marker(phase, 'name')}",
            "email": f"{marker(phase, 'mail')}@mail.test",
            "phone": f"+1 555 01{number:02d} {number}{number}{number}",
            "source_detail": f"met at {marker(phase, 'src')}",
        }
        candidate = hiring.add_candidate(
            actor=rex,
            opening_id=opening.id,
            name=tokens["name"],
            email=tokens["email"],
            phone=tokens["phone"],
            source="referral",
            source_detail=tokens["source_detail"],
        )
        candidate = hiring.attach_resume(
            actor=rex,
            candidate_id=candidate.id,
            filename=f"{marker(phase, 'cvfile')}.pdf",
            content=RESUME + f"{marker(phase, 'cv')}\n".encode(),
            version=candidate.version,
        )
        tokens["resume"] = marker(phase, "cv")
        loop = hiring.create_loop(
            actor=rex, candidate_id=candidate.id, bar_raiser_id=org.people["bri"].id, reason="seal: the same one"
        )
        entry = LoopInWorld(phase=phase, candidate=candidate, loop=loop, tokens=tokens)
        for slot, handle in enumerate(INTERVIEWERS):
            # Interviews are over by now (feedback is written after the interview); the planning loop's too.
            starts = now - dt.timedelta(hours=6 - slot)
            entry.interviews[handle] = hiring.add_interview(
                actor=rex,
                loop_id=loop.id,
                interviewer_id=org.people[handle].id,
                starts_at=starts,
                ends_at=starts + dt.timedelta(minutes=45),
                principles=ASSIGNED[handle],
            )
        for handle in INTERVIEWERS:
            entry.tokens[f"fb{handle}"] = marker(phase, f"fb{handle}")
        world.loops[phase] = entry
        if phase == "planning":
            continue
        loop = hiring.get_loop(actor=rex, loop_id=loop.id)
        hiring.start_loop(actor=rex, loop_id=loop.id, version=loop.version)
        if phase == "interviewing":
            hiring.submit_feedback(
                actor=org.actor("dan"), interview_id=entry.interview_id("dan"), **feedback_input(phase, "dan")
            )
            hiring.save_feedback(
                actor=org.actor("eve"), interview_id=entry.interview_id("eve"), **feedback_input(phase, "eve")
            )
        elif phase == "debrief":
            for handle in ("dan", "eve"):
                hiring.submit_feedback(
                    actor=org.actor(handle), interview_id=entry.interview_id(handle), **feedback_input(phase, handle)
                )
            hiring.save_feedback(
                actor=org.actor("gus"), interview_id=entry.interview_id("gus"), **feedback_input(phase, "gus")
            )
            loop = hiring.get_loop(actor=org.actor("bri"), loop_id=loop.id)
            hiring.open_debrief(
                actor=org.actor("bri"), loop_id=loop.id, version=loop.version, reason="gus is on leave for a month"
            )
        else:
            for handle in INTERVIEWERS:
                hiring.submit_feedback(
                    actor=org.actor(handle), interview_id=entry.interview_id(handle), **feedback_input(phase, handle)
                )
            hiring.change_vote(
                actor=org.actor("eve"), loop_id=loop.id, vote="strong_hire", reason=f"Heard {marker(phase, 'why')}"
            )
            entry.tokens["vote_reason"] = marker(phase, "why")
            hiring.recommend_on_loop(
                actor=org.actor("bri"),
                loop_id=loop.id,
                recommendation="approve",
                reasoning=f"Raises the bar {marker(phase, 'brwhy')}",
            )
            entry.tokens["reasoning"] = marker(phase, "brwhy")
            loop = hiring.get_loop(actor=ann, loop_id=loop.id)
            hiring.decide(
                actor=ann,
                loop_id=loop.id,
                decision="hire",
                rationale=f"Hire {marker(phase, 'dec')}",
                version=loop.version,
            )
            entry.tokens["rationale"] = marker(phase, "dec")
        entry.loop = hiring.get_loop(actor=rex, loop_id=loop.id)
        entry.candidate = hiring.get_candidate(actor=rex, candidate_id=candidate.id)
    org_services.forget_relations()
    return world
