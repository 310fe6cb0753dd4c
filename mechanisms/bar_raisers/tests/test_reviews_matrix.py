"""Who sees a bar-raiser review and the overrides report, as tables (kernel.testing.check_matrix): the review to its
bar raiser, its owner, the owner's chain above, admins and whoever the subject kind admits; the overrides report to
the chain above the owner, leadership over the owning team's unit and admins; everyone else gets nothing."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from mechanisms.bar_raisers import services as br
from mechanisms.bar_raisers.cli import bar_raisers as br_cli
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.testing import (
    api_door,
    check_matrix,
    cli_door,
    field_error,
    listing_door,
    page_door,
    signed_in,
)
from mechanisms.org import services as org_services

from .conftest import overridden, recommended

pytestmark = pytest.mark.django_db

# bob owns the design (team checkout); ann is his manager, vp-retail his skip-level, dan a peer manager (also under
# vp-retail), hal the bar raiser, cat a member of checkout (the design kind lets its team read it), gus an outsider.
ROLES = {
    "owner": "bob",
    "manager": "ann",
    "skip_level": "vp-retail",
    "peer_manager": "dan",
    "bar_raiser": "hal",
    "team_member": "cat",
    "admin": "admin",
    "outsider": "gus",
}


def test_a_review_is_visible_to_its_parties_and_the_kind_and_to_the_chain_once_overridden(small_org, as_, review):
    doors = [
        api_door(lambda r: f"/api/v1/bar-raisers/reviews/{r.id}", client_for=as_),
        page_door(lambda r: f"/bar-raisers/reviews/{r.id}"),
    ]
    # ann manages bob but is also on checkout, which the design kind admits; vp-retail is above bob only.
    check_matrix(
        """
                      review
        owner         allowed
        manager       allowed
        bar_raiser    allowed
        team_member   allowed
        admin         allowed
        skip_level    404
        peer_manager  404
        outsider      404
        anonymous     401
        """,
        doors=doors,
        records={"review": review},
        roles=ROLES,
    )
    check_matrix(
        """
                      review
        owner         allowed
        bar_raiser    allowed
        peer_manager  404
        outsider      404
        """,
        doors=[cli_door(br_cli, lambda r: ["review", str(r.id)])],
        records={"review": review},
        roles=ROLES,
    )

    def listed(handle, r):
        items = as_(handle).get("/api/v1/bar-raisers/reviews?limit=200").json()["items"] if handle else []
        return any(i["id"] == r.id for i in items)

    check_matrix(
        """
                      review
        owner         allowed
        team_member   allowed
        skip_level    404
        peer_manager  404
        outsider      404
        """,
        doors=[listing_door(listed, name="api list")],
        records={"review": review},
        roles=ROLES,
    )
    # An override is made visible to the owner's whole chain (MECHANISMS.md §4): they are told, and may read it.
    done = overridden(small_org, review)
    check_matrix(
        """
                      review
        skip_level    allowed
        peer_manager  404
        outsider      404
        """,
        doors=[*doors, listing_door(listed, name="api list")],
        records={"review": done},
        roles=ROLES,
    )


def test_a_refused_move_changes_nothing(small_org, as_, review):
    def state(r):
        return br.get_review(actor=Actor.system("test"), review_id=r.id).version

    check_matrix(
        """
                      review
        owner         403
        manager       403
        admin         403
        peer_manager  404
        outsider      404
        """,
        doors=[
            api_door(
                lambda r: f"/api/v1/bar-raisers/reviews/{r.id}/recommend",
                client_for=as_,
                method="post",
                body=lambda r: {"version": r.version, "recommendation": "approve", "reasoning": "fine"},
            )
        ],
        records={"review": review},
        roles=ROLES,
        unchanged=state,
    )


def test_the_overrides_report_lists_an_override_to_the_chain_above_the_owner_leadership_and_admins(
    small_org, as_, review
):
    done = overridden(small_org, review)
    # cat holds leadership over retail (checkout's unit) since yesterday: she sees its overrides in the report.
    org_services.grant_role(
        actor=Actor.system("test"),
        person_id=small_org.people["cat"].id,
        role="leadership",
        org_unit_id=small_org.units["retail"].id,
        starts_on=dt.date.today() - dt.timedelta(days=1),
    )

    def by_service(handle, r):
        actor = org_services.actor_for_handle(handle=handle) if handle != "admin" else small_org.actor("admin")
        return any(i.id == r.id for i in br.list_overrides(actor=actor).items)

    def by_api(handle, r):
        body = as_(handle).get("/api/v1/bar-raisers/overrides").json()
        return any(i["id"] == r.id and i["rationale"] == r.rationale for i in body["items"])

    def by_page(handle, r):
        return f"/bar-raisers/reviews/{r.id}" in signed_in(handle).get("/bar-raisers/overrides").content.decode()

    def by_cli(handle, r):
        from typer.testing import CliRunner

        args = ["overrides", "--format", "json", *(["--as", handle] if handle != "admin" else [])]
        result = CliRunner().invoke(br_cli, args)
        return result.exit_code == 0 and any(i["id"] == r.id for i in json.loads(result.output)["items"])

    check_matrix(
        """
                      override
        owner         404
        manager       allowed
        skip_level    allowed
        peer_manager  404
        bar_raiser    404
        team_member   allowed
        admin         allowed
        outsider      404
        """,
        doors=[
            listing_door(by_service, name="service"),
            listing_door(by_api, name="api"),
            listing_door(by_page, name="page"),
            listing_door(by_cli, name="cli"),
        ],
        records={"override": done},
        roles=ROLES,
    )
    assert Client().get("/api/v1/bar-raisers/overrides").status_code == 401


def test_recommend_and_accept_through_the_api_and_the_page(small_org, as_, review):
    hal = as_("hal")
    url = f"/api/v1/bar-raisers/reviews/{review.id}"
    assert hal.get(url).json()["actions"] == ["recommend"]
    bad = hal.post(f"{url}/recommend", {"version": review.version, "recommendation": "approve"}, "application/json")
    assert bad.status_code == 422
    body = {"version": review.version, "recommendation": "approve", "reasoning": "Sound."}
    response = hal.post(f"{url}/recommend", body, "application/json")
    assert response.status_code == 200 and response.json()["state"] == "recommended"
    stale = hal.post(f"{url}/recommend", body, "application/json")
    assert stale.status_code == 409
    bob = signed_in("bob")
    page = bob.get(f"/bar-raisers/reviews/{review.id}").content.decode()
    assert "Accept the recommendation" in page and "Sound." in page
    posted = bob.post(
        f"/bar-raisers/reviews/{review.id}/accept", {"accept-version": response.json()["version"], "accept-note": ""}
    )
    assert posted.status_code == 302
    assert br.get_review(actor=small_org.actor("bob"), review_id=review.id).state.value == "accepted"


def test_the_page_shows_a_refusal_next_to_its_field(small_org, review):
    done = recommended(small_org, review)
    bob = signed_in("bob")
    response = bob.post(
        f"/bar-raisers/reviews/{review.id}/override", {"override-version": done.version, "override-rationale": ""}
    )
    assert response.status_code == 400 and "required" in field_error(response, "id_override-rationale")
    assert br.get_review(actor=Actor.system("test"), review_id=review.id).state.value == "recommended"


def test_the_cli_lists_shows_and_moves_a_review(small_org, review):
    from typer.testing import CliRunner

    runner = CliRunner()
    listed = runner.invoke(br_cli, ["reviews", "--state", "open", "--as", "hal", "--format", "json"])
    assert listed.exit_code == 0 and [i["id"] for i in json.loads(listed.output)["items"]] == [review.id]
    args = ["recommend", str(review.id), "--version", str(review.version), "--recommendation", "do_not_proceed"]
    refused = runner.invoke(br_cli, [*args, "--reasoning", "Unsafe.", "--as", "bob"])
    assert refused.exit_code == 1 and "only the assigned bar raiser" in refused.output
    done = runner.invoke(br_cli, [*args, "--reasoning", "Unsafe.", "--as", "hal", "--format", "json"])
    assert done.exit_code == 0 and json.loads(done.output)["state"] == "recommended"


def test_the_queue_page_links_each_subject(small_org, review):
    page = signed_in("hal").get("/bar-raisers/queue").content.decode()
    assert f"/bar-raisers/reviews/{review.id}" in page and 'href="/designs/1"' in page
    assert "No review waits" in signed_in("gus").get("/bar-raisers/queue").content.decode()
