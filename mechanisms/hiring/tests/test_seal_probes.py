"""Adversarial probes beyond the matrix (issue 10, "How it will be checked"): guessed ids, lists and filters that
would leak counts, the change log by correlation id and in full, notification bodies, the CLI as the product
itself, and submitted feedback that no door can change. (Exports and the Django admin, which are config's doors, are
probed in tests/test_hiring_seal_exports.py.)"""

from __future__ import annotations

import dataclasses
import json
import re

import pytest
from typer.testing import CliRunner

from mechanisms.audit import services as audit_services
from mechanisms.hiring import services as hiring
from mechanisms.hiring.cli import hiring as mech_hiring
from mechanisms.kernel.testing import page_text, signed_in

from .scan import database_hits, text_hits
from .world import feedback_input, marker

pytestmark = pytest.mark.django_db

OUTSIDERS = ("zed", "admin", "bob", "fay", "vp-retail", "ola", "hal")
VOTE_WORDS = ("strong_hire", "strong hire", "strong_no_hire", "no_hire")


def _feedback_tokens(world) -> list[str]:
    return [token for entry in world.loops.values() for what, token in entry.tokens.items() if what.startswith("fb")]


def _personal_tokens(world) -> list[str]:
    return [token for entry in world.loops.values() for token in entry.tokens.values()]


# ------------------------------------------------------------------------------------------------ guessed ids


def test_a_hidden_record_and_a_missing_one_answer_the_same(world, as_):
    """An outsider cannot tell a real candidate, loop or interview from an id that does not exist."""
    entry = world.loops["interviewing"]
    missing = 10**9
    for path in (
        "/api/v1/hiring/candidates/{}",
        "/api/v1/hiring/candidates/{}/resume",
        "/api/v1/hiring/loops/{}",
        "/api/v1/hiring/loops/{}/debrief",
        "/api/v1/hiring/loops/{}/feedback-status",
        "/api/v1/hiring/interviews/{}/feedback",
    ):
        real_id = (
            entry.interview_id("dan")
            if "interviews" in path
            else (entry.candidate_id if "candidates" in path else entry.loop_id)
        )
        for handle in ("zed", "admin"):
            real = as_(handle).get(path.format(real_id))
            fake = as_(handle).get(path.format(missing))
            assert real.status_code == fake.status_code == 404, (handle, path)
            assert real.json()["error"]["message"].replace(str(real_id), "N") == fake.json()["error"][
                "message"
            ].replace(str(missing), "N"), (handle, path)


def test_guessing_every_id_reveals_nothing_to_an_outsider(world, as_):
    client = as_("zed")
    top = max(e.loop_id for e in world.loops.values()) + 3
    for number in range(1, top):
        for path in (f"/api/v1/hiring/candidates/{number}", f"/api/v1/hiring/loops/{number}"):
            assert client.get(path).status_code == 404, path


# ------------------------------------------------------------------------------------------------ lists and counts


def test_lists_and_their_filters_leak_no_count_to_outsiders(world, as_):
    ids = {str(world.person_id(h)) for h in ("dan", "eve", "gus")}
    queries = [
        "/api/v1/hiring/candidates",
        "/api/v1/hiring/candidates?state=in_loop",
        f"/api/v1/hiring/candidates?opening_id={world.opening.id}",
        f"/api/v1/hiring/candidates?text={world.loops['debrief'].tokens['name'].split()[-1]}",
        "/api/v1/hiring/loops",
        "/api/v1/hiring/loops?state=interviewing",
        "/api/v1/hiring/loops?state=debrief",
        f"/api/v1/hiring/loops?opening_id={world.opening.id}",
        *[f"/api/v1/hiring/loops?interviewer={i}" for i in ids],
        *[f"/api/v1/hiring/loops?interviewer_id={i}" for i in ids],
    ]
    for query in queries[:8]:
        assert as_("rex").get(query).json()["items"], f"the recruiter sees what {query} finds"
    for handle in OUTSIDERS:
        for query in queries:
            response = as_(handle).get(query)
            assert response.status_code in (200, 422), (handle, query, response.status_code)
            if response.status_code == 200:
                body = response.json()
                assert (body["items"], body.get("total", 0)) == ([], 0), (handle, query, body)


def test_an_interviewer_lists_only_the_loops_they_are_in(world, as_):
    """gus is on every loop; a second opening's loop without him is not his to count."""
    response = as_("gus").get("/api/v1/hiring/loops?limit=100")
    assert {item["id"] for item in response.json()["items"]} == {e.loop_id for e in world.loops.values()}
    mine = as_("gus").get("/api/v1/me/interviews?limit=100")
    if mine.status_code == 404:
        mine = as_("gus").get("/api/v1/hiring/me/interviews?limit=100")
    assert mine.status_code == 200
    assert text_hits(mine.content.decode(), [t for t in _feedback_tokens(world) if "fbgus" not in t]) == []


def test_the_opening_shows_outsiders_no_trace_of_its_candidates(world, as_):
    """The opening is an internal posting: an outsider's view of it is the same with one more candidate and loop."""

    def views():
        client = as_("zed")
        page = signed_in("zed").get(f"/hiring/openings/{world.opening.id}")
        api = client.get(f"/api/v1/hiring/openings/{world.opening.id}").json()
        listed = client.get("/api/v1/hiring/openings?limit=100").json()
        return page_text(page), api, listed

    before = views()
    candidate = hiring.add_candidate(
        actor=world.actor("rex"),
        opening_id=world.opening.id,
        name="Late Applicant",
        email="late@mail.test",
        source="inbound",
    )
    hiring.create_loop(
        actor=world.actor("rex"),
        candidate_id=candidate.id,
        bar_raiser_id=world.person_id("bri"),
        reason="seal: the same one",
    )
    after = views()
    assert before[1:] == after[1:]
    assert re.sub(r"\d+", "N", before[0]) == re.sub(r"\d+", "N", after[0])
    assert text_hits(after[0] + json.dumps(after[1:]), _personal_tokens(world)) == []


# ------------------------------------------------------------------------------------------------ pages and bodies


@pytest.mark.parametrize("handle", ["ann", "bri", "rex", "ria", "gus", "eve"])
def test_before_the_debrief_no_page_or_answer_shows_an_insider_anyone_elses_feedback_or_vote(world, as_, handle):
    entry = world.loops["interviewing"]
    others = [entry.tokens[f"fb{h}"] for h in ("dan", "eve", "gus") if h != handle]
    client, api = signed_in(handle), as_(handle)
    bodies = [
        client.get(f"/hiring/loops/{entry.loop_id}").content.decode(),
        client.get(f"/hiring/loops/{entry.loop_id}/debrief").content.decode(),
        client.get(f"/hiring/candidates/{entry.candidate_id}").content.decode(),
        client.get("/hiring/interviews").content.decode(),
        client.get("/").content.decode(),
        api.get(f"/api/v1/hiring/loops/{entry.loop_id}").content.decode(),
        api.get(f"/api/v1/hiring/loops/{entry.loop_id}/feedback-status").content.decode(),
        api.get(f"/api/v1/hiring/loops/{entry.loop_id}/debrief").content.decode(),
    ]
    for handle_ in ("dan", "eve"):
        bodies.append(api.get(f"/api/v1/hiring/interviews/{entry.interview_id(handle_)}/feedback").content.decode())
        bodies.append(client.get(f"/hiring/interviews/{entry.interview_id(handle_)}/feedback").content.decode())
    text = "\n".join(bodies)
    assert text_hits(text, others) == []
    status = api.get(f"/api/v1/hiring/loops/{entry.loop_id}/feedback-status").content.decode()
    assert text_hits(status, VOTE_WORDS) == [], "who submitted and when, never a vote"


def test_notifications_never_carry_feedback_votes_or_candidate_contact(world, as_):
    """Every inbox item, e-mail and chat message the world sent, read from the tables and through the doors."""
    tokens = _personal_tokens(world)
    hits = [hit for hit in database_hits(tokens) if hit.split(":")[0].startswith("notifications_")]
    assert hits == []
    everyone = [h for h in world.org.actors if h != "admin"]
    for handle in everyone:
        inbox = as_(handle).get("/api/v1/inbox?limit=200").content.decode()
        assert text_hits(inbox, tokens) == [], handle
        assert text_hits(inbox, ("strong_hire", "strong hire")) == [], handle
    told = as_("bri").get("/api/v1/inbox?limit=200").json()["items"]
    assert told, "the bar raiser was told of their loops: the scan reads real notices"
    outbox = as_("admin").get("/api/v1/notification-deliveries?limit=200")
    assert outbox.json()["items"], "e-mails were queued"
    outbox = outbox.content.decode()
    assert text_hits(outbox, tokens) == []
    assert text_hits(outbox, ("strong_hire", "strong hire")) == []


# ------------------------------------------------------------------------------------------------ the change log


def test_the_change_log_by_correlation_id_shows_an_outsider_nothing_of_a_feedback_submission(world, as_):
    entry = world.loops["interviewing"]
    body = feedback_input("interviewing", "eve")
    payload = {
        "vote": body["vote"],
        "summary": body["summary"],
        "evidence": [dataclasses.asdict(e) for e in body["evidence"]],
    }
    response = as_("eve").post(
        f"/api/v1/hiring/interviews/{entry.interview_id('eve')}/feedback",
        json.dumps(payload),
        content_type="application/json",
    )
    assert response.status_code in (200, 201), response.content
    correlation = response["X-Request-ID"]
    for handle in OUTSIDERS:
        if handle == "admin":
            continue
        found = as_(handle).get(f"/api/v1/history?correlation_id={correlation}")
        assert found.status_code == 200
        assert found.json()["items"] == [], handle
    assert as_("eve").get(f"/api/v1/history?correlation_id={correlation}").json()["items"], "eve sees her own save"
    for handle in ("ann", "bri", "dan"):
        found = as_(handle).get(f"/api/v1/history?correlation_id={correlation}").content.decode()
        assert text_hits(found, [entry.tokens["fbeve"], "strong_hire"]) == [], handle


def test_the_whole_change_log_read_by_an_admin_shows_only_field_names_of_loops_interviews_and_feedback(world, as_):
    admin = world.actor("admin")
    changes = audit_services.list_changes(actor=admin, limit=5000).items
    confidential = [c for c in changes if c.subject_type in ("hiring_loop", "hiring_interview", "hiring_feedback")]
    assert confidential
    for change in confidential:
        for side in (change.before, change.after):
            assert side in (None, {}) or set(side) == {"fields"}, change
        assert change.reason in ("", "[withheld]"), change
    raw = database_hits(_feedback_tokens(world))
    assert [hit for hit in raw if hit.startswith("audit_")] == []


# ------------------------------------------------------------------------------------------------ CLI and exports


def test_the_cli_as_the_product_itself_reads_no_sealed_feedback(world):
    """`mech hiring ...` on the server without --as: the product itself is nobody's insider (sealing.md §2)."""
    entry = world.loops["debrief"]
    runner = CliRunner()
    result = runner.invoke(mech_hiring, ["feedback", "show", str(entry.interview_id("dan"))])
    assert result.exit_code != 0
    assert text_hits(result.output, [entry.tokens["fbdan"]]) == []
    for args in (
        ["candidates"],
        ["loops"],
        ["debrief", str(entry.loop_id)],
        ["candidate", "show", str(entry.candidate_id)],
    ):
        assert text_hits(runner.invoke(mech_hiring, args).output, _personal_tokens(world)) == [], args


@pytest.mark.parametrize("handle", ["dan", "ann", "bri", "rex", "zed", "admin"])
def test_the_hiring_cli_as_each_role_shows_no_sealed_text(world, handle):
    entry = world.loops["interviewing"]
    runner = CliRunner()
    outputs = []
    for args in (
        ["loops"],
        ["loop", str(entry.loop_id)],
        ["candidates"],
        ["debrief", str(entry.loop_id)],
        ["feedback", "show", str(entry.interview_id("eve"))],
        *(["feedback", "show", str(entry.interview_id(h))] for h in ("dan",) if h != handle),
    ):
        outputs.append(runner.invoke(mech_hiring, [*args, "--as", handle]).output)
    text = "\n".join(outputs)
    hidden = [entry.tokens["fbeve"]] + ([] if handle == "dan" else [entry.tokens["fbdan"]])
    assert text_hits(text, hidden) == []
    if handle in ("zed", "admin"):
        assert text_hits(text, list(entry.tokens.values())) == []


# ------------------------------------------------------------------------------------------------ immutability


def _row(entry, handle):
    from mechanisms.hiring.models import Feedback

    feedback = Feedback.objects.get(interview_id=entry.interview_id(handle))
    evidence = list(
        feedback.evidence.order_by("principle").values_list(
            "principle", "situation", "task", "action", "result", "rating"
        )
    )
    return (feedback.vote, feedback.summary, feedback.submitted_at, feedback.minutes_to_submit, evidence)


def test_submitted_feedback_cannot_be_changed_through_any_door(world, as_, tmp_path):
    from mechanisms.kernel.errors import RuleViolation

    entry = world.loops["interviewing"]
    interview = entry.interview_id("dan")
    before = _row(entry, "dan")
    changed = feedback_input("interviewing", "dan", vote="strong_no_hire")
    changed["summary"] = f"Rewritten {marker('interviewing', 'rewrite')}"
    for write in (hiring.save_feedback, hiring.submit_feedback):
        with pytest.raises(RuleViolation) as refused:
            write(actor=world.actor("dan"), interview_id=interview, **changed)
        assert refused.value.field == "feedback"
    payload = {
        "vote": changed["vote"],
        "summary": changed["summary"],
        "evidence": [dataclasses.asdict(e) for e in changed["evidence"]],
    }
    for handle in ("dan", "eve", "ann", "bri", "rex", "admin", "zed"):
        for method in ("put", "post", "patch"):
            response = getattr(as_(handle), method)(
                f"/api/v1/hiring/interviews/{interview}/feedback", json.dumps(payload), content_type="application/json"
            )
            assert response.status_code in (400, 403, 404, 405), (handle, method, response.status_code)
        page = signed_in(handle).post(
            f"/hiring/interviews/{interview}/feedback", {"vote": "strong_no_hire", "summary": changed["summary"]}
        )
        assert page.status_code in (400, 403, 404, 405), (handle, page.status_code)
    file = tmp_path / "feedback.json"
    file.write_text(json.dumps(payload))
    args = ["feedback", "submit", str(interview), "--file", str(file), "--as", "dan"]
    result = CliRunner().invoke(mech_hiring, args)
    assert result.exit_code != 0
    assert _row(entry, "dan") == before
    assert database_hits([marker("interviewing", "rewrite")]) == []


@pytest.mark.parametrize("handle", ["admin", "vp-retail", "ceo", "zed"])
def test_outsiders_above_the_hiring_manager_cannot_read_the_loops_review(world, as_, handle):
    """The bar-raiser review of a loop (its recommendation's reasoning, the response) is its insiders' only; the
    hiring manager's managers see it only in the overrides report, and only once it is overridden."""
    from mechanisms.bar_raisers import services as bar_raisers
    from mechanisms.kernel.actor import Actor

    entry = world.loops["decided"]
    review = bar_raisers.review_for(actor=Actor.system("seal"), subject_kind="hiring_loop", subject_id=entry.loop_id)
    response = as_(handle).get(f"/api/v1/bar-raisers/reviews/{review.id}")
    assert response.status_code == 404, text_hits(response.content.decode(), list(entry.tokens.values()))
    listed = as_(handle).get("/api/v1/bar-raisers/reviews?limit=200").json()["items"]
    assert review.id not in {item["id"] for item in listed}


def test_an_interviewer_whose_interview_is_cancelled_is_an_outsider_again(world, as_):
    entry = world.loops["planning"]
    interview = entry.interviews["gus"]
    assert as_("gus").get(f"/api/v1/hiring/loops/{entry.loop_id}").status_code == 200
    hiring.cancel_interview(actor=world.actor("rex"), interview_id=interview.id, version=interview.version)
    for path in (
        f"/api/v1/hiring/loops/{entry.loop_id}",
        f"/api/v1/hiring/candidates/{entry.candidate_id}",
        f"/api/v1/hiring/candidates/{entry.candidate_id}/resume",
        f"/api/v1/history?subject_type=hiring_loop&subject_id={entry.loop_id}",
    ):
        assert as_("gus").get(path).status_code == 404, path
    listed = as_("gus").get("/api/v1/hiring/loops?limit=100").json()["items"]
    assert entry.loop_id not in {item["id"] for item in listed}


def test_the_overrides_report_names_the_opening_and_loop_never_the_candidate(world, as_):
    """A no-hire against the bar raiser's approval is an override its managers see (MECHANISMS.md §4), with the
    rationale: but no candidate name, contact or feedback text reaches the report or the notices about it."""
    entry = world.loops["debrief"]
    bri, ann = world.actor("bri"), world.actor("ann")
    hiring.recommend_on_loop(actor=bri, loop_id=entry.loop_id, recommendation="approve", reasoning="Raises the bar.")
    loop = hiring.get_loop(actor=ann, loop_id=entry.loop_id)
    hiring.decide(actor=ann, loop_id=entry.loop_id, decision="no_hire", rationale="Team changed.", version=loop.version)
    report = as_("vp-retail").get("/api/v1/bar-raisers/overrides?limit=100")
    assert report.status_code == 200
    assert report.json()["items"], "the hiring manager's manager sees the override"
    personal = [entry.tokens[k] for k in ("name", "email", "phone", "source_detail", "fbdan", "fbeve", "fbgus")]
    assert text_hits(report.content.decode(), personal) == []
    inbox = as_("vp-retail").get("/api/v1/inbox?limit=100").content.decode()
    assert "override" in inbox.lower() or "overrid" in inbox.lower()
    assert text_hits(inbox, [*personal, "Team changed."]) == []
    assert as_("zed").get("/api/v1/bar-raisers/overrides?limit=100").json()["items"] == []


def test_the_health_figures_name_no_candidate(world, as_):
    response = as_("admin").get("/api/v1/hiring/health")
    assert response.status_code == 200
    assert response.json()["loops_decided"] == 1
    assert text_hits(response.content.decode(), _personal_tokens(world)) == []
    for handle in ("zed", "dan", "bob"):
        assert as_(handle).get("/api/v1/hiring/health").status_code == 403, handle
