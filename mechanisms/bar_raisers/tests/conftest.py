"""Fixtures of the review tests: a DESIGN subject kind registered the way an owning app would (decisions arrive in
a later issue, so the tests stand in for it with a tiny describe/visible pair), and reviews requested of it."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from mechanisms.bar_raisers import kinds
from mechanisms.bar_raisers import services as br
from mechanisms.bar_raisers.contracts import Subject, SubjectKind
from mechanisms.kernel.errors import NotFound
from mechanisms.org import services as org_services


@dataclass
class DesignKind:
    """The test's owning app: design documents owned by bob on team checkout, visible to checkout's members."""

    org: object
    overridable: bool = True
    admins: bool = True  # whether the owning app lets admin accounts see its designs
    held: dict[int, str] = field(default_factory=dict)  # design id -> why the recommendation must wait
    responses: list = field(default_factory=list)  # (actor label, review state) told to the owner app
    acting: set = field(default_factory=set)  # people the owner app lets answer for the owner

    def subject(self, design_id: int) -> Subject:
        return Subject(
            kind=SubjectKind.DESIGN,
            id=design_id,
            title=f"Design {design_id}: checkout retries",
            owner_id=self.org.people["bob"].id,
            team_ids=(self.org.teams["checkout"].id,),
            url=f"/designs/{design_id}",
        )

    def describe(self, actor, design_id: int) -> Subject:
        if design_id not in self.visible(actor, frozenset({design_id})):
            raise NotFound(f"design {design_id} does not exist")
        return self.subject(design_id)

    def visible(self, actor, ids: frozenset[int]) -> frozenset[int]:
        if actor.is_admin:
            return frozenset(ids) if self.admins else frozenset()
        if actor.person_id is None:
            return frozenset()
        relations = org_services.relations_of(actor=actor)
        return frozenset(ids) if self.org.teams["checkout"].id in relations.member_of else frozenset()

    def register(self) -> None:
        br.register_subject_kind(
            SubjectKind.DESIGN,
            describe=self.describe,
            visible=self.visible,
            overridable=self.overridable,
            may_recommend=lambda design_id: self.held.get(design_id),
            on_response=lambda actor, review: self.responses.append((actor.label, review.state.value)),
            acts_for_owner=lambda actor, design_id: actor.person_id in self.acting,
        )


@pytest.fixture
def design(small_org):
    # The decisions app registers DESIGN itself (issue 11): the stand-in replaces it for the test, then gives it back.
    previous = kinds.find(SubjectKind.DESIGN)
    kind = DesignKind(small_org)
    kind.register()
    yield kind
    kinds.unregister(SubjectKind.DESIGN)
    if previous is not None:
        kinds.register(previous)


@pytest.fixture
def review(small_org, design):
    """Review of design 1, requested by its owner bob; hal (the only pool member) is suggested."""
    return br.request_review(actor=small_org.actor("bob"), subject=design.subject(1), question="Are retries safe?")


def recommended(small_org, review, recommendation="do_not_proceed", reasoning="Retries double-charge."):
    return br.recommend(
        actor=small_org.actor("hal"),
        review_id=review.id,
        version=review.version,
        recommendation=recommendation,
        reasoning=reasoning,
    )


def overridden(small_org, review, rationale="We ship behind a flag and watch the ledger."):
    done = recommended(small_org, review)
    return br.override_review(
        actor=small_org.actor("bob"), review_id=done.id, version=done.version, rationale=rationale
    )
