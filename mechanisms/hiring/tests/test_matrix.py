"""Who sees and changes openings and candidates, as tables (kernel.testing.check_matrix; docs/hiring.md "Who sees
what"). Openings are an internal posting for every signed-in person; a candidate is for their insiders only
(recruiters of the unit, the hiring manager, the loop's interviewers and bar raiser) and a 404 for everyone else,
admins included, through the API, the pages, the CLI, lists, search and history. A refused write changes nothing.

The seal helper's matrix covers the loop's confidential records (feedback, the debrief); this one the openings'
and candidates' doors."""

from __future__ import annotations

import datetime as dt

import pytest

from mechanisms.audit import services as audit_services
from mechanisms.hiring import services as hiring
from mechanisms.hiring.cli import hiring as hiring_cli
from mechanisms.kernel.testing import api_door, check_matrix, cli_door, listing_door, page_door, page_text, signed_in

pytestmark = pytest.mark.django_db

# rex: the opening's recruiter (retail); rae: a company-wide recruiter; ann: the hiring manager; bob: interviews
# the looped candidate; hal: its bar raiser; cat: on the team, no interview; dan: another manager in retail; fay:
# another unit's leader; admin: an admin who is none of these.
ROLES = {
    "recruiter": "rex",
    "company_recruiter": "rae",
    "hiring_manager": "ann",
    "interviewer": "bob",
    "bar_raiser": "hal",
    "teammate": "cat",
    "other_manager": "dan",
    "other_unit": "fay",
    "admin": "admin",
}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def records(hiring_org, make_opening, make_candidate):
    opening = make_opening()
    applied = make_candidate(opening=opening, name="Ada Applied", email="ada@example.com")
    hiring.attach_resume(
        actor=hiring_org.actor("rex"), candidate_id=applied.id, filename="cv.txt", content=b"Ada", version=1
    )
    looped = make_candidate(opening=opening, name="Lou Looped", email="lou@example.com")
    loop = hiring.create_loop(actor=hiring_org.actor("rex"), candidate_id=looped.id)
    start = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    hiring.add_interview(
        actor=hiring_org.actor("rex"),
        loop_id=loop.id,
        interviewer_id=hiring_org.people["bob"].id,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        principles=("ownership",),
    )
    return {
        "opening": opening,
        "applied": hiring.get_candidate(actor=hiring_org.actor("rex"), candidate_id=applied.id),
        "looped": hiring.get_candidate(actor=hiring_org.actor("rex"), candidate_id=looped.id),
    }


def test_openings_are_read_by_every_signed_in_person(hiring_org, as_, records):
    check_matrix(
        """
                            opening
        recruiter           allowed
        teammate            allowed
        other_unit          allowed
        admin               allowed
        anonymous           401
        """,
        doors=[
            api_door(lambda o: f"/api/v1/hiring/openings/{o.id}", client_for=as_),
            page_door(lambda o: f"/hiring/openings/{o.id}"),
        ],
        records={"opening": records["opening"]},
        roles=ROLES,
    )


def test_candidates_are_seen_by_insiders_only_through_every_door(hiring_org, as_, records):
    def listed(handle, c):
        items = as_(handle).get("/api/v1/hiring/candidates?limit=200").json()["items"]
        return any(i["id"] == c.id for i in items)

    def searched(handle, c):
        return c.name in page_text(signed_in(handle).get(f"/search?q={c.name.split()[0]}"))

    table = """
                            applied   looped
        recruiter           allowed   allowed
        company_recruiter   allowed   allowed
        hiring_manager      allowed   allowed
        interviewer         404       allowed
        bar_raiser          404       allowed
        teammate            404       404
        other_manager       404       404
        other_unit          404       404
        admin               404       404
        """
    check_matrix(
        table + "anonymous 401 401",
        doors=[
            api_door(lambda c: f"/api/v1/hiring/candidates/{c.id}", client_for=as_),
            page_door(lambda c: f"/hiring/candidates/{c.id}"),
        ],
        records={"applied": records["applied"], "looped": records["looped"]},
        roles=ROLES,
    )
    check_matrix(
        table,
        doors=[
            cli_door(hiring_cli, lambda c: ["candidate", "show", str(c.id)]),
            listing_door(listed, name="api list"),
            listing_door(searched, name="search page"),
        ],
        records={"applied": records["applied"], "looped": records["looped"]},
        roles=ROLES,
    )


def test_a_resume_is_downloaded_by_insiders_only(hiring_org, as_, records):
    check_matrix(
        """
                            applied
        recruiter           allowed
        hiring_manager      allowed
        interviewer         404
        teammate            404
        admin               404
        anonymous           401
        """,
        doors=[
            api_door(lambda c: f"/api/v1/hiring/candidates/{c.id}/resume", client_for=as_),
            page_door(lambda c: f"/hiring/candidates/{c.id}/resume"),
        ],
        records={"applied": records["applied"]},
        roles=ROLES,
    )


def test_a_candidates_history_is_read_by_insiders_only(hiring_org, as_, records):
    # Admins are left out here: the audit app lets an admin read every record's history (the seal helper pins
    # that as a known gap in audit/policy.py, outside hiring's reach).
    check_matrix(
        """
                            applied   looped
        recruiter           allowed   allowed
        interviewer         404       allowed
        teammate            404       404
        other_unit          404       404
        """,
        doors=[
            api_door(lambda c: f"/api/v1/history?subject_type=hiring_candidate&subject_id={c.id}", client_for=as_),
        ],
        records={"applied": records["applied"], "looped": records["looped"]},
        roles=ROLES,
    )


def test_only_the_stewards_change_an_opening_and_a_refusal_changes_nothing(hiring_org, as_, records):
    def state(o):
        current = hiring.get_opening(actor=hiring_org.actor("bob"), opening_id=o.id)
        changes = audit_services.list_changes(
            actor=hiring_org.actor("bob"), subject_type="hiring_opening", subject_id=o.id
        ).total
        return current.version, changes

    check_matrix(
        """
                            opening
        teammate            403
        other_manager       403
        other_unit          403
        company_recruiter   allowed
        """,
        doors=[
            api_door(
                lambda o: f"/api/v1/hiring/openings/{o.id}",
                client_for=as_,
                method="patch",
                body=lambda o: {"version": state(o)[0], "level": "L7"},
            )
        ],
        records={"opening": records["opening"]},
        roles=ROLES,
        unchanged=state,
    )


def test_only_recruiters_and_the_hiring_manager_change_a_candidate(hiring_org, as_, records):
    def version(c):
        return hiring.get_candidate(actor=hiring_org.actor("rex"), candidate_id=c.id).version

    check_matrix(
        """
                            applied
        interviewer         404
        teammate            404
        admin               404
        hiring_manager      allowed
        recruiter           allowed
        """,
        doors=[
            api_door(
                lambda c: f"/api/v1/hiring/candidates/{c.id}",
                client_for=as_,
                method="patch",
                body=lambda c: {"version": version(c), "phone": "+1 555 0111"},
            )
        ],
        records={"applied": records["applied"]},
        roles=ROLES,
        unchanged=version,
    )
