"""The authorization matrix of hiring (sealing.md; issue 10, deliverable 7): every role a loop knows against every
confidential record, through every door (API, pages, CLI, history, lists, search), before and after the debrief
opens. Outsiders (admins included) get 404 everywhere; insiders get 403 "sealed until the debrief" for feedback
before it opens; after it opens insiders read every submitted feedback except an interviewer who has not submitted
their own. Drafts are their author's alone, ever.

The world (hiring/tests/world.py): ann hires a manager for checkout (bob and cat would report to the hire), rex is
the opening's recruiter, ria recruits for retail, ola for platform only, bri is the bar raiser, dan, eve and gus
interview; fay hires elsewhere, vp-retail is ann's manager, hal is a bar raiser on no loop, zed is nobody."""

from __future__ import annotations

import pytest

from .doors import Target, api_list_probe, api_probe, cli_probe, history_probe, page_probe, run_matrix, search_probe

pytestmark = pytest.mark.django_db

INSIDERS = ["dan", "eve", "gus", "ann", "bri", "rex", "ria"]
OUTSIDER_HANDLES = ["ola", "admin", "bob", "cat", "fay", "vp-retail", "ceo", "hal", "zed"]
HANDLES = INSIDERS + OUTSIDER_HANDLES
ROLES = {"anonymous": None, **{handle: handle for handle in HANDLES}}


def doors(as_):
    return [
        api_probe(as_),
        page_probe(),
        cli_probe(),
        history_probe(as_),
        api_list_probe(as_),
        search_probe(),
    ]


def outsiders(records: int) -> str:
    """Rows for everyone outside the loop: the opening is an internal posting (readable), the rest is hidden; the
    anonymous caller is sent to sign in."""
    rows = [" ".join([role, "allowed", *["404"] * (records - 1)]) for role in OUTSIDER_HANDLES]
    rows.append(" ".join(["anonymous", *["401"] * records]))
    return "\n".join(rows)


def test_planning_loop_is_for_insiders_only(world, as_):
    entry = world.loops["planning"]
    records = {
        "opening": Target("opening", entry, world),
        "candidate": Target("candidate", entry, world),
        "resume": Target("resume", entry, world),
        "loop": Target("loop", entry, world),
        "status": Target("status", entry, world),
        "review": Target("review", entry, world),
    }
    run_matrix(
        f"""
                   opening candidate resume  loop    status review
        dan        allowed allowed   allowed allowed allowed allowed
        eve        allowed allowed   allowed allowed allowed allowed
        gus        allowed allowed   allowed allowed allowed allowed
        ann        allowed allowed   allowed allowed allowed allowed
        bri        allowed allowed   allowed allowed allowed allowed
        rex        allowed allowed   allowed allowed allowed allowed
        ria        allowed allowed   allowed allowed allowed allowed
        {outsiders(len(records))}
        """,
        doors=doors(as_),
        records=records,
        roles=ROLES,
    )


def test_feedback_is_sealed_from_everyone_but_its_author_before_the_debrief(world, as_):
    """Interviewing: dan submitted, eve has a draft, gus wrote nothing."""
    entry = world.loops["interviewing"]
    records = {
        "opening": Target("opening", entry, world),
        "candidate": Target("candidate", entry, world),
        "resume": Target("resume", entry, world),
        "loop": Target("loop", entry, world),
        "status": Target("status", entry, world),
        "dan_submitted": Target("feedback", entry, world, author="dan"),
        "eve_draft": Target("feedback", entry, world, author="eve"),
        "debrief": Target("debrief", entry, world),
        "review": Target("review", entry, world),
    }
    run_matrix(
        f"""
                   opening candidate resume  loop    status  dan_submitted eve_draft debrief review
        dan        allowed allowed   allowed allowed allowed allowed       403       403 allowed
        eve        allowed allowed   allowed allowed allowed 403           allowed   403 allowed
        gus        allowed allowed   allowed allowed allowed 403           403       403 allowed
        ann        allowed allowed   allowed allowed allowed 403           403       403 allowed
        bri        allowed allowed   allowed allowed allowed 403           403       403 allowed
        rex        allowed allowed   allowed allowed allowed 403           403       403 allowed
        ria        allowed allowed   allowed allowed allowed 403           403       403 allowed
        {outsiders(len(records))}
        """,
        doors=doors(as_),
        records=records,
        roles=ROLES,
    )


def test_after_the_debrief_opens_insiders_read_submitted_feedback_but_not_an_unsubmitted_interviewer(world, as_):
    """Debrief opened early by the bar raiser: dan and eve submitted, gus still has a draft. gus reads nobody's
    (he has not submitted his own); his draft stays his alone: to the others it is not there (404), as any
    unsubmitted feedback is once the debrief is open."""
    entry = world.loops["debrief"]
    records = {
        "opening": Target("opening", entry, world),
        "candidate": Target("candidate", entry, world),
        "resume": Target("resume", entry, world),
        "loop": Target("loop", entry, world),
        "status": Target("status", entry, world),
        "dan_submitted": Target("feedback", entry, world, author="dan"),
        "eve_submitted": Target("feedback", entry, world, author="eve"),
        "gus_draft": Target("feedback", entry, world, author="gus"),
        "debrief": Target("debrief", entry, world),
        "review": Target("review", entry, world),
    }
    run_matrix(
        f"""
                   opening candidate resume  loop    status  dan_submitted eve_submitted gus_draft debrief review
        dan        allowed allowed   allowed allowed allowed allowed       allowed       404       allowed allowed
        eve        allowed allowed   allowed allowed allowed allowed       allowed       404       allowed allowed
        gus        allowed allowed   allowed allowed allowed 403           403           allowed   403     allowed
        ann        allowed allowed   allowed allowed allowed allowed       allowed       404       allowed allowed
        bri        allowed allowed   allowed allowed allowed allowed       allowed       404       allowed allowed
        rex        allowed allowed   allowed allowed allowed allowed       allowed       404       allowed allowed
        ria        allowed allowed   allowed allowed allowed allowed       allowed       404       allowed allowed
        {outsiders(len(records))}
        """,
        doors=doors(as_),
        records=records,
        roles=ROLES,
    )


def test_a_decided_loop_stays_confidential_to_its_insiders(world, as_):
    entry = world.loops["decided"]
    records = {
        "opening": Target("opening", entry, world),
        "candidate": Target("candidate", entry, world),
        "resume": Target("resume", entry, world),
        "loop": Target("loop", entry, world),
        "status": Target("status", entry, world),
        "dan_submitted": Target("feedback", entry, world, author="dan"),
        "eve_submitted": Target("feedback", entry, world, author="eve"),
        "gus_submitted": Target("feedback", entry, world, author="gus"),
        "debrief": Target("debrief", entry, world),
        "review": Target("review", entry, world),
    }
    insider = "allowed " * 9  # and the review below
    run_matrix(
        f"""
                   opening candidate resume  loop    status  dan_submitted eve_submitted gus_submitted debrief review
        dan        {insider} allowed
        eve        {insider} allowed
        gus        {insider} allowed
        ann        {insider} allowed
        bri        {insider} allowed
        rex        {insider} allowed
        ria        {insider} allowed
        {outsiders(len(records))}
        """,
        doors=doors(as_),
        records=records,
        roles=ROLES,
    )
