"""PR/FAQs through the doors other apps keep (issue 11 item 7, "readers outside the circle are tried through every
door"): the bar-raiser review of a high-impact one, the change log (a record's history, the whole log, a
correlation id), the inbox, search, the home page, board and funnel, the lists of the CLI, the exports.

The world is mechanisms/working_backwards/tests/seal_world.py: a PR/FAQ in every place of its review, each text a
unique marker. A person outside a PR/FAQ's reached circles must find none of its markers, nor a link to it,
anywhere; its readers do find it (so each scan is shown able to find something)."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from typer.testing import CliRunner

from mechanisms.config.cli import app as mech
from mechanisms.kernel.testing import api_door, check_matrix, page_door, signed_in
from mechanisms.working_backwards.tests.seal_doors import ROLES
from mechanisms.working_backwards.tests.seal_world import EVERYONE, READERS, STAGES, build_world

pytestmark = pytest.mark.django_db

# Where a person sees many records at once: each must leave out what they may not read.
PAGES = ("/", "/prfaqs", "/prfaqs/board", "/prfaqs/funnel", "/search?q=zq", "/search?q=checkout", "/inbox",
         "/bar-raisers/queue", "/people/bob", "/teams/checkout")  # fmt: skip
API = ("/api/v1/prfaqs?limit=200", "/api/v1/prfaqs/board", "/api/v1/prfaqs/funnel", "/api/v1/prfaqs/waiting",
       "/api/v1/inbox?limit=200", "/api/v1/bar-raisers/reviews?limit=200")  # fmt: skip
CLI = (["prfaqs", "list"], ["prfaqs", "board"], ["prfaqs", "funnel"])


@pytest.fixture
def seal(small_org, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return build_world(small_org, reading=False)


def _traces(world, stage: str) -> list[str]:
    """Everything that would give a PR/FAQ away: its markers, and links to it or to its document."""
    p = world.prfaqs[stage]
    return [*p.tokens.values(), rf"/prfaqs/{p.id}(?!\d)", rf"/documents/{p.document_id}(?!\d)"]


def _found(text: str, traces: list[str]) -> list[str]:
    return [t for t in traces if re.search(t, text, re.I)]


def _everything_seen_by(handle: str, as_) -> dict[str, str]:
    """Every aggregate door's answer to this person, by door."""
    seen = {}
    client = signed_in(handle)
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, (handle, path, response.status_code)
        seen[f"page {path}"] = response.content.decode()
    for path in API:
        response = as_(handle).get(path)
        assert response.status_code == 200, (handle, path, response.status_code)
        seen[f"api {path}"] = response.content.decode()
    for args in CLI:
        result = CliRunner().invoke(mech, [*args, "--as", handle, "--format", "json"])
        assert result.exit_code == 0, (handle, args, result.output)
        seen["cli " + " ".join(args)] = result.output
    return seen


def test_no_aggregate_door_shows_a_prfaq_to_someone_outside_its_circles(seal, as_):
    leaks, found_own = [], {}
    for handle in EVERYONE:
        if handle == "admin":
            continue  # no person: the pages for people (inbox, queue) are the product's; admin is tried below
        seen = _everything_seen_by(handle, as_)
        for stage in STAGES:
            traces = _traces(seal, stage)
            for door, text in seen.items():
                hits = _found(text, traces)
                if handle not in READERS[stage] and hits:
                    leaks.append(f"{handle} sees {stage} through {door}: {hits}")
                if handle in READERS[stage] and hits:
                    found_own.setdefault(handle, set()).add(stage)
    assert not leaks, "\n".join(leaks)
    # The scans can find things: every reader finds every PR/FAQ they read somewhere (the list, at least).
    for handle in EVERYONE:
        wanted = {s for s in STAGES if handle in READERS[s]}
        assert found_own.get(handle, set()) == wanted, handle


def test_an_admin_lists_no_prfaq_and_the_exports_carry_none(seal, as_):
    everything = [t for stage in STAGES for t in _traces(seal, stage)]
    admin = as_("admin")
    for path in ("/api/v1/prfaqs?limit=200", "/api/v1/prfaqs/board", "/api/v1/bar-raisers/reviews?limit=200",
                 "/api/v1/exports/json"):  # fmt: skip
        response = admin.get(path)
        assert response.status_code in (200, 403), (path, response.status_code)
        assert _found(response.content.decode(), everything) == [], path
    page = signed_in("admin").get("/prfaqs")
    assert _found(page.content.decode(), everything) == []
    result = CliRunner().invoke(mech, ["prfaqs", "list", "--format", "json"])  # the operator: the product itself
    assert _found(result.output, everything) == []


def test_the_whole_change_log_keeps_prfaq_values_closed_even_for_admins(seal, as_):
    # Admins may read the whole log (who, when, what kind of change), never the PR/FAQs' text: `prfaq` and
    # `document` are confidential subject types (field names only).
    everything = [t for stage in STAGES for t in seal.prfaqs[stage].tokens.values()]
    admin = as_("admin")
    for query in ("", "&subject_type=prfaq", "&subject_type=document", "&subject_type=bar_raiser_review"):
        offset, total = 0, None
        while total is None or offset < total:
            response = admin.get(f"/api/v1/history?limit=200&offset={offset}{query}")
            assert response.status_code == 200, (query, response.status_code)
            body = response.json()
            total = body["total"]
            assert _found(json.dumps(body), everything) == [], query
            offset += 200
        assert total > 0


def test_a_records_history_is_read_by_its_readers_only(seal, as_):
    records = {stage: seal.prfaqs[stage] for stage in STAGES}
    doors = [
        api_door(lambda p: f"/api/v1/history?subject_type=prfaq&subject_id={p.id}", client_for=as_, name="prfaq"),
        api_door(
            lambda p: f"/api/v1/history?subject_type=document&subject_id={p.document_id}", client_for=as_, name="doc"
        ),
    ]
    table = [" ".join(STAGES)]
    for role in EVERYONE:
        table.append(" ".join([role, *("allowed" if role in READERS[s] else "404" for s in STAGES)]))
    table.append(" ".join(["anonymous", *["401"] * len(STAGES)]))
    check_matrix("\n".join(table), doors=doors, records=records, roles=ROLES)


def test_a_correlation_id_shows_nothing_of_a_prfaq_to_someone_outside_it(seal, as_):
    # A non-reader's correlation-id query leaves the PR/FAQ's changes out; an admin, who may read the whole log,
    # sees that it changed (who, when, verb, field names) but never the text (docs/audit.md).
    from mechanisms.documents import services as documents

    p = seal.prfaqs["c3"]
    version = documents.get_document(actor=seal.actor("bob"), document_id=p.document_id).version
    response = as_("bob").put(
        f"/api/v1/prfaqs/{p.id}/body",
        json.dumps({"parts": {"summary": "A second summary zqc3secondx."}, "version": version}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    request_id = response["X-Request-ID"]
    for handle in EVERYONE:
        answer = as_(handle).get(f"/api/v1/history?correlation_id={request_id}")
        items = answer.json()["items"] if answer.status_code == 200 else []
        subjects = {(c["subject_type"], str(c["subject_id"])) for c in items}
        mine = subjects & {("prfaq", str(p.id)), ("document", str(p.document_id))}
        if handle in READERS["c3"]:
            assert mine, handle
        elif handle == "admin":
            assert _found(answer.content.decode(), [*p.tokens.values(), "zqc3secondx"]) == []
        else:
            assert not mine, f"{handle} sees the changes of c3 through its correlation id"


def test_the_bar_raiser_review_of_a_high_impact_prfaq_is_for_its_readers(seal, as_):
    p = seal.prfaqs["high"]
    assert p.review_id
    doors = [
        api_door(lambda q: f"/api/v1/bar-raisers/reviews/{q.review_id}", client_for=as_, name="api"),
        page_door(lambda q: f"/bar-raisers/reviews/{q.review_id}", name="page"),
        api_door(
            lambda q: f"/api/v1/history?subject_type=bar_raiser_review&subject_id={q.review_id}",
            client_for=as_,
            name="history",
        ),
    ]
    table = ["high"]
    table += [f"{role} {'allowed' if role in READERS['high'] else '404'}" for role in EVERYONE]
    table.append("anonymous 401")
    check_matrix("\n".join(table), doors=doors, records={"high": p}, roles=ROLES)


def test_an_outer_circles_inbox_is_told_nothing_before_the_prfaq_reaches_it(seal, as_):
    # ceo is named in circle 4 of every PR/FAQ here, vp-retail in circle 3: they hear of one only once it arrives.
    told = {}
    for handle in ("ceo", "vp-retail", "dan", "eve", "hal"):
        body = as_(handle).get("/api/v1/inbox?limit=200").json()
        text = json.dumps(body)
        told[handle] = {stage for stage in STAGES if _found(text, _traces(seal, stage))}
    assert told["ceo"] == {"c4", "approved"}
    assert told["vp-retail"] == {"c3", "c4", "approved", "shelved3"}
    assert told["dan"] <= READERS_OF("dan") and told["eve"] <= READERS_OF("eve")
    assert told["hal"] <= {"high"}
    assert Client().get("/api/v1/inbox").status_code == 401


def READERS_OF(handle: str) -> set[str]:  # noqa: N802 - reads as the set it is
    return {stage for stage in STAGES if handle in READERS[stage]}


def test_mech_documents_comments_hides_other_readers_comments_during_a_reading_session(small_org, settings, tmp_path):
    # The reading session of seal_world: bob is done (he sees cat's comment), cat and eve are not, ann presents.
    from mechanisms.documents import services as documents

    settings.MEDIA_ROOT = str(tmp_path / "media")
    world = build_world(small_org, stages=(), reading=True)
    r = world.reading

    def shown(handle: str) -> set[str]:
        result = CliRunner().invoke(
            mech, ["documents", "comments", str(r.document_id), "--as", handle, "--format", "json"]
        )
        assert result.exit_code == 0, result.output
        return {author for author, token in r.tokens.items() if token in result.output}

    sees = {"bob": {"bob", "cat"}, "cat": {"cat"}, "eve": set(), "ann": set(), "dan": set()}
    assert {handle: shown(handle) for handle in sees} == sees
    for handle in ("cat", "eve"):
        documents.mark_done_reading(actor=world.actor(handle), session_id=r.session_id)
    assert {handle: shown(handle) for handle in sees} == dict.fromkeys(sees, {"bob", "cat"})
