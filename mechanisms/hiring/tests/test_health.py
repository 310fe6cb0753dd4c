"""The hiring mechanism's health figures (issue 10 item 5) from loops run through the loop services, and erasure
across every hiring table and the change log with the anonymous aggregates left standing."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import models

from mechanisms.audit import services as audit_services
from mechanisms.hiring import services as hiring
from mechanisms.kernel.errors import PermissionDenied, RuleViolation

from .test_loops import SECRET, started, submit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def org(hiring_org):
    return hiring_org


@pytest.fixture
def loop_of(org, make_candidate, make_opening):
    opening = make_opening()
    names = iter(["Jo Quinn", "Kim Ade", "Lee Moss", "Max Orr"])

    def make(**kwargs):
        name = next(names)
        email = name.lower().replace(" ", ".") + "@example.com"
        candidate = make_candidate(opening=opening, name=name, email=email, source_detail=f"met {name} at a meetup")
        return hiring.create_loop(actor=org.actor("rex"), candidate_id=candidate.id, **kwargs)

    return make


def decided(org, loop_of, *, votes, recommendation, decision):
    loop, interviews = started(org, loop_of)
    for handle, interview, vote in zip(("bob", "cat", "dan"), interviews, votes, strict=True):
        submit(org, handle, interview, vote=vote)
    hiring.recommend_on_loop(
        actor=org.actor("hal"), loop_id=loop.id, recommendation=recommendation, reasoning=f"{SECRET}: reasoning"
    )
    loop = hiring.get_loop(actor=org.actor("ann"), loop_id=loop.id)
    return hiring.decide(
        actor=org.actor("ann"),
        loop_id=loop.id,
        decision=decision,
        rationale=f"{SECRET}: rationale",
        version=loop.version,
    )


@pytest.fixture
def three_loops(org, loop_of):
    """A hire that followed an approval, a no-hire that overrode one, and a veto accepted as a no-hire."""
    return [
        decided(org, loop_of, votes=("hire", "hire", "no_hire"), recommendation="approve", decision="hire"),
        decided(org, loop_of, votes=("hire", "strong_hire", "no_hire"), recommendation="approve", decision="no_hire"),
        decided(
            org,
            loop_of,
            votes=("hire", "no_hire", "strong_no_hire"),
            recommendation="do_not_proceed",
            decision="no_hire",
        ),
    ]


def test_health_counts_vetoes_overrides_coverage_and_promptness(org, three_loops):
    r = hiring.hiring_health(actor=org.actor("admin"))
    assert r.loops_decided == 3
    assert r.qualified_independent_share == 1.0  # hal: in the pool before the loops, independent of checkout
    assert (r.vetoes, r.veto_rate) == (1, pytest.approx(1 / 3))
    assert (r.overrides, r.override_rate) == (1, pytest.approx(1 / 3))
    assert r.principle_coverage_share == 1.0
    assert r.feedback_submitted == 9
    # Each loop's three interviews ended 3, 2 and 1 hours before their feedback: minutes 180, 120, 60 (whole
    # minutes, so a minute less when the clock ticked in between).
    assert 119 <= r.feedback_median_minutes <= 120 and 179 <= r.feedback_p90_minutes <= 180
    assert r.feedback_within_24h_share == 1.0


def test_calibration_compares_each_interviewers_votes_with_the_outcomes(org, three_loops):
    by_handle = {c.handle: c for c in hiring.hiring_health(actor=org.actor("rex")).calibration}
    bob, cat, dan = by_handle["bob"], by_handle["cat"], by_handle["dan"]
    assert (bob.loops, bob.votes, bob.inclined, bob.agreed) == (3, 3, 3, 1)
    assert (cat.inclined, cat.agreed) == (2, 2)
    assert (dan.inclined, dan.agreed) == (0, 2)


def test_health_names_no_candidate(org, three_loops):
    report = repr(hiring.hiring_health(actor=org.actor("admin")))
    for name in ("Jo Quinn", "Kim Ade", "Lee Moss"):
        assert name not in report


def test_health_is_scoped_to_the_recruiters_unit_and_refused_to_others(org, three_loops):
    from mechanisms.kernel.actor import Actor
    from mechanisms.org import services as org_services

    person = org_services.create_person(actor=Actor.system("t"), handle="pia", name="Pia Nu", email="pia@acme.test")
    org_services.grant_role(
        actor=Actor.system("t"), person_id=person.id, role="recruiter", org_unit_id=org.units["platform"].id
    )
    pia = Actor(user_id=999_999, person_id=person.id, label="pia")  # signed in as far as the services know
    assert hiring.hiring_health(actor=pia).loops_decided == 0  # platform recruits none of checkout's loops
    assert hiring.hiring_health(actor=org.actor("rex")).loops_decided == 3
    org_services.grant_role(
        actor=Actor.system("t"),
        person_id=org.people["vp-retail"].id,
        role="leadership",
        org_unit_id=org.units["retail"].id,
    )
    assert hiring.hiring_health(actor=org.actor("vp-retail")).loops_decided == 3  # leadership over retail
    with pytest.raises(PermissionDenied):
        hiring.hiring_health(actor=org.actor("ann"))
    with pytest.raises(RuleViolation):
        import datetime as dt

        hiring.hiring_health(actor=org.actor("admin"), since=dt.date(2030, 1, 2), until=dt.date(2030, 1, 1))


def _text_of_every_hiring_row() -> str:
    """Every text and JSON value of every row of every hiring table, in one string."""
    parts = []
    for model in apps.get_app_config("hiring").get_models():
        fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        for row in model.objects.values_list(*fields):
            parts.append(repr(row))
    return "\n".join(parts)


def test_erasure_leaves_no_personal_content_in_hiring_tables_or_the_log(
    org, three_loops, django_capture_on_commit_callbacks
):
    loop = three_loops[0]
    candidate = hiring.get_candidate(actor=org.actor("rex"), candidate_id=loop.candidate_id)
    hiring.attach_resume(
        actor=org.actor("rex"),
        candidate_id=candidate.id,
        filename="jo-quinn.txt",
        content=b"Jo Quinn CV",
        version=candidate.version,
    )
    before = hiring.hiring_health(actor=org.actor("admin"))
    with django_capture_on_commit_callbacks(execute=True):
        hiring.erase_candidate(actor=org.actor("rex"), candidate_id=candidate.id, reason="the candidate asked")
    # Only that candidate's loop is blanked: the other loops keep their words.
    text = _text_of_every_hiring_row()
    assert "Jo Quinn" not in text, [line for line in text.splitlines() if "Jo Quinn" in line]
    assert "Jo Quinn" not in text and "jo.quinn@example.com" not in text and "jo-quinn" not in text
    # Each of the two other loops keeps its words: 3 summaries, 6 STAR situations, the reasoning, the rationale.
    assert text.count(SECRET) == 2 * (3 + 6 + 1 + 1)
    # The anonymous aggregates are untouched.
    assert hiring.hiring_health(actor=org.actor("admin")) == before
    # The change log: the candidate's history reads as erased; no table anywhere names them any more (raw rows).
    from .scan import database_hits

    history = audit_services.list_changes(
        actor=org.actor("rex"), subject_type="hiring_candidate", subject_id=candidate.id
    ).items
    assert history[0].verb == "erase" and all(c.erased for c in history[1:])
    assert database_hits(["Jo Quinn", "jo.quinn@example.com", "met Jo Quinn", "jo-quinn.txt"]) == []
    assert database_hits(["Kim Ade"])  # the scan does see the candidates who were not erased


def test_erasure_blanks_the_bar_raisers_review_of_the_loop(org, three_loops):
    loop = three_loops[0]
    hiring.erase_candidate(actor=org.actor("rex"), candidate_id=loop.candidate_id, reason="the candidate asked")
    from mechanisms.bar_raisers import services as bar_raisers
    from mechanisms.bar_raisers.contracts import SubjectKind

    review = bar_raisers.review_for(actor=org.actor("hal"), subject_kind=SubjectKind.HIRING_LOOP, subject_id=loop.id)
    assert SECRET not in review.reasoning + review.rationale


def test_the_health_page_and_cli_show_the_figures(org, three_loops):
    from typer.testing import CliRunner

    from mechanisms.hiring.cli import hiring as hiring_cli
    from mechanisms.kernel.testing import page_text, signed_in

    text = page_text(signed_in("rex").get("/hiring/health"))
    assert "Veto rate 33% (1)" in text and "Jo Quinn" not in text
    result = CliRunner().invoke(hiring_cli, ["health", "--as", "rex"])
    assert result.exit_code == 0 and "33%" in result.output
