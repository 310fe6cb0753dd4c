"""The adversary's world for PR/FAQs and reading sessions (issue 11 item 7: "readers outside the circle are tried
through every door"), built through the public services only, on top of the root `small_org`.

People: bob (checkout) writes every PR/FAQ here. Its circles name the same people each time: circle 2 reviewer
dan and reader eve, circle 3 reviewer vp-retail, circle 4 reviewer ceo. ann is bob's manager and named nowhere,
cat his team mate named nowhere, gus an outsider (platform), admin an admin without a person, hal the bar raiser
of the high-impact one (in the pool since 2024).

PR/FAQs, one in each place (`STAGES`): a draft (circle 1), in review at circles 2, 3 and 4, approved for staffing
(a mockup attached), shelved at circle 2 and at circle 3, and a high-impact one in circle 2 with its bar-raiser
review requested from hal. Each has a comment by its circle-2 reviewer (the draft excepted: nobody else reads it)
and an image attachment.

Reading session (`Reading`): ann presents a narrative of checkout to readers bob, cat and eve; bob and cat each
comment, bob marks "done reading", cat and eve do not (yet).

Every text carries a unique marker (`marker`), so a scan of any answer finds exactly what leaked."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from mechanisms.kernel.actor import Actor

SYSTEM = Actor.system("seal")
STAGES = ("draft", "c2", "c3", "c4", "approved", "shelved2", "shelved3", "high")
AUTHOR = "bob"
MEMBERS = {2: (["dan"], ["eve"]), 3: (["vp-retail"], []), 4: (["ceo"], [])}  # circle -> (reviewers, readers)

# Who may read a PR/FAQ at each stage: its author and the people named in a circle it has reached (+ its bar
# raiser). The matrix tables spell this out; this is what the stateful test and the scans use.
READERS = {
    "draft": {"bob"},
    "c2": {"bob", "dan", "eve"},
    "c3": {"bob", "dan", "eve", "vp-retail"},
    "c4": {"bob", "dan", "eve", "vp-retail", "ceo"},
    "approved": {"bob", "dan", "eve", "vp-retail", "ceo"},
    "shelved2": {"bob", "dan", "eve"},
    "shelved3": {"bob", "dan", "eve", "vp-retail"},
    "high": {"bob", "dan", "eve", "hal"},
}
EVERYONE = ("bob", "dan", "eve", "vp-retail", "ceo", "ann", "cat", "gus", "admin", "hal")


def marker(stage: str, what: str) -> str:
    """A value no other test writes, so finding it anywhere is a leak of exactly that value."""
    return f"zq{stage}{what}x"


def png(color=(30, 90, 160)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (6, 4), color).save(out, format="PNG")
    return out.getvalue()


def parts(stage: str) -> dict[str, str]:
    """A complete PR/FAQ whose every core paragraph carries the stage's body marker."""
    token = marker(stage, "body")
    return {
        "subheading": f"Checkout for busy people {token}",
        "summary": f"One tap to pay {token}.",
        "customer": f"Shoppers in a hurry {token}.",
        "problem": f"Paying takes five screens {token}.",
        "solution": f"One screen, remembered details {token}.",
        "external_faq": f"**Is it safe?** Yes {token}.",
        "risks": f"Fraud {token}.",
    }


@dataclass
class PrFaqInWorld:
    """One PR/FAQ of the world: its record, its document, its attachment and comment, the markers planted."""

    stage: str
    prfaq: Any
    document_id: int
    attachment_id: int | None = None
    comment_id: int | None = None
    review_id: int | None = None
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> int:
        return self.prfaq.id

    @property
    def readers(self) -> set[str]:
        return READERS[self.stage]


@dataclass
class Reading:
    """The reading session of the world: its narrative, document and session, each reader's comment."""

    narrative: Any
    document_id: int
    session_id: int
    comments: dict[str, int] = field(default_factory=dict)  # author handle -> comment id
    tokens: dict[str, str] = field(default_factory=dict)  # author handle -> the comment's marker


@dataclass
class World:
    """The small org with the PR/FAQs of every stage and the reading session."""

    org: Any
    prfaqs: dict[str, PrFaqInWorld] = field(default_factory=dict)
    reading: Reading | None = None

    def actor(self, handle: str) -> Actor:
        return self.org.actor(handle)

    def person_id(self, handle: str) -> int:
        return self.org.people[handle].id


def fresh(world: World, stage: str) -> Any:
    """The PR/FAQ of a stage as it is now (its version moves with every write)."""
    from mechanisms.working_backwards import services as wb

    return wb.get_prfaq(actor=world.actor(AUTHOR), prfaq_id=world.prfaqs[stage].id)


def make_prfaq(world: World, stage: str) -> PrFaqInWorld:
    """One PR/FAQ brought to `stage` as the people who would do each step."""
    from mechanisms.documents import services as documents
    from mechanisms.working_backwards import services as wb

    org = world.org
    bob = world.actor(AUTHOR)
    title = f"One-tap checkout {marker(stage, 'title')}"
    record = wb.create_prfaq(
        actor=bob, title=title, team_id=org.teams["checkout"].id, parts=parts(stage), high_impact=stage == "high"
    )
    entry = PrFaqInWorld(stage=stage, prfaq=record, document_id=record.document_id)
    entry.tokens = {"title": marker(stage, "title"), "body": marker(stage, "body")}
    for circle, (reviewers, readers) in MEMBERS.items():
        current = wb.get_prfaq(actor=bob, prfaq_id=record.id)
        wb.set_circle_members(
            actor=bob,
            prfaq_id=record.id,
            circle=circle,
            reviewer_ids=[org.people[h].id for h in reviewers],
            reader_ids=[org.people[h].id for h in readers],
            version=current.version,
        )
    attachment = documents.attach_file(
        actor=bob,
        document_id=record.document_id,
        name=f"{marker(stage, 'file')}.png",
        content=png(),
        purpose="mockup",
    )
    entry.attachment_id = attachment.id
    entry.tokens["file"] = marker(stage, "file")
    if stage == "draft":
        return entry
    current = fresh_of(world, record.id)
    wb.submit_prfaq(actor=bob, prfaq_id=record.id, version=current.version)
    comment = documents.add_comment(
        actor=world.actor("dan"), document_id=record.document_id, body=f"Why now? {marker(stage, 'comment')}"
    )
    entry.comment_id = comment.id
    entry.tokens["comment"] = marker(stage, "comment")
    if stage == "high":
        from mechanisms.bar_raisers import services as bar_raisers

        review = bar_raisers.review_for(actor=world.actor("hal"), subject_kind="prfaq", subject_id=record.id)
        assert review is not None, "a high-impact PR/FAQ leaving draft asks for a bar-raiser review"
        entry.review_id = review.id
    steps = {
        "c2": [],
        "c3": [("advance", "dan")],
        "c4": [("advance", "dan"), ("advance", "vp-retail")],
        "approved": [("advance", "dan"), ("advance", "vp-retail"), ("approve", "ceo")],
        "shelved2": [("shelve", "dan")],
        "shelved3": [("advance", "dan"), ("shelve", "vp-retail")],
        "high": [],
    }[stage]
    for step, handle in steps:
        current = fresh_of(world, record.id)
        actor = world.actor(handle)
        if step == "advance":
            wb.advance_prfaq(actor=actor, prfaq_id=record.id, version=current.version)
        elif step == "approve":
            wb.approve_prfaq(actor=actor, prfaq_id=record.id, version=current.version)
        else:
            wb.shelve_prfaq(
                actor=actor, prfaq_id=record.id, version=current.version, reason="timing", note=marker(stage, "why")
            )
            entry.tokens["why"] = marker(stage, "why")
    entry.prfaq = fresh_of(world, record.id)
    return entry


def fresh_of(world: World, prfaq_id: int) -> Any:
    from mechanisms.working_backwards import services as wb

    return wb.get_prfaq(actor=world.actor(AUTHOR), prfaq_id=prfaq_id)


def make_reading(world: World) -> Reading:
    """ann presents a narrative to bob, cat and eve; bob and cat comment; bob is done reading, cat and eve not."""
    from mechanisms.documents import services as documents
    from mechanisms.working_backwards import services as wb

    org = world.org
    ann = world.actor("ann")
    narrative = wb.create_narrative(
        actor=ann,
        title=f"Checkout in 2027 {marker('read', 'title')}",
        team_id=org.teams["checkout"].id,
        body="Our customers wait too long at checkout. " * 40 + marker("read", "body"),
    )
    session = wb.start_narrative_session(
        actor=ann, narrative_id=narrative.id, reader_ids=[org.people[h].id for h in ("bob", "cat", "eve")], minutes=30
    )
    reading = Reading(narrative=narrative, document_id=narrative.document_id, session_id=session.id)
    for handle in ("bob", "cat"):
        token = marker("read", f"c{handle}")
        comment = documents.add_comment(
            actor=world.actor(handle), document_id=narrative.document_id, body=f"{handle} thinks {token}"
        )
        reading.comments[handle] = comment.id
        reading.tokens[handle] = token
    documents.mark_done_reading(actor=world.actor("bob"), session_id=session.id)
    return reading


def build_world(org: Any, *, stages: tuple[str, ...] = STAGES, reading: bool = True) -> World:
    """Everything in the module docstring, through public services."""
    from mechanisms.org import services as org_services

    world = World(org=org)
    for stage in stages:
        world.prfaqs[stage] = make_prfaq(world, stage)
    if reading:
        world.reading = make_reading(world)
    org_services.forget_relations()
    return world
