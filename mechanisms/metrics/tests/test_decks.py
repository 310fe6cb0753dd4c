"""Decks: creating them and their rows, who may, bad input (services)."""

from __future__ import annotations

import pytest

from mechanisms.kernel.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from mechanisms.metrics import services

from .deck_helpers import make_metric


@pytest.fixture
def metrics(small_org):
    return [make_metric(small_org, f"m{i}") for i in range(13)]


def test_a_team_member_creates_a_teams_deck_and_owns_it(small_org):
    deck = services.create_deck(
        actor=small_org.actor("bob"), slug="checkout-wbr", title="Checkout WBR", team_id=small_org.teams["checkout"].id
    )
    assert deck.owner_id == small_org.people["bob"].id
    assert deck.week_ends_on == 5 and deck.fiscal_year_end_month == 12 and deck.rows == ()
    assert services.find_deck(actor=small_org.actor("gus"), slug="checkout-wbr").id == deck.id
    assert services.find_deck(actor=small_org.actor("gus"), slug="nope") is None
    with pytest.raises(NotFound):
        services.get_deck(actor=small_org.actor("gus"), deck_id=deck.id + 1000)


@pytest.mark.parametrize(
    ("handle", "allowed"),
    [("vp-retail", True), ("ceo", True), ("ann", False), ("fay", False), ("admin", True), ("bob", False)],
)
def test_a_units_deck_is_created_by_its_leader_or_above(small_org, handle, allowed):
    unit = small_org.units["retail"]
    _lead(small_org, "retail", "vp-retail")
    _lead(small_org, "acme", "ceo")
    call = lambda: services.create_deck(  # noqa: E731
        actor=small_org.actor(handle),
        slug=f"retail-{handle}",
        title="Retail",
        unit_id=unit.id,
        owner_id=small_org.people["vp-retail"].id if handle == "admin" else None,
    )
    if allowed:
        assert call().unit_id == unit.id
    else:
        with pytest.raises(PermissionDenied):
            call()


def _lead(o, unit_slug: str, handle: str) -> None:
    from mechanisms.kernel.actor import Actor
    from mechanisms.org import services as org
    from mechanisms.org.contracts import OrgUnitChanges

    unit = org.get_org_unit(actor=Actor.system("t"), org_unit_id=o.units[unit_slug].id)
    org.update_org_unit(
        actor=Actor.system("t"),
        org_unit_id=unit.id,
        version=unit.version,
        changes=OrgUnitChanges(leader_id=o.people[handle].id),
    )


def test_only_a_member_of_the_team_creates_its_deck(small_org):
    with pytest.raises(PermissionDenied):
        services.create_deck(actor=small_org.actor("eve"), slug="x", title="X", team_id=small_org.teams["checkout"].id)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"slug": "Bad Slug"}, "slug"),
        ({"slug": ""}, "slug"),
        ({"title": ""}, "title"),
        ({"week_ends_on": 7}, "week_ends_on"),
        ({"fiscal_year_end_month": 0}, "fiscal_year_end_month"),
        ({"team_id": None}, "unit_id"),
    ],
)
def test_bad_deck_fields_are_refused_by_name(small_org, kwargs, field):
    args = {"slug": "ok", "title": "OK", "team_id": small_org.teams["checkout"].id, **kwargs}
    with pytest.raises(RuleViolation) as caught:
        services.create_deck(actor=small_org.actor("bob"), **args)
    assert caught.value.field == field


def test_a_second_deck_of_the_same_slug_is_a_conflict(small_org):
    team = small_org.teams["checkout"].id
    services.create_deck(actor=small_org.actor("bob"), slug="same", title="A", team_id=team)
    with pytest.raises(Conflict):
        services.create_deck(actor=small_org.actor("cat"), slug="same", title="B", team_id=team)


def test_rows_are_set_in_order_by_the_owner_with_labels_and_formats(small_org, metrics):
    bob = small_org.actor("bob")
    deck = services.create_deck(actor=bob, slug="d", title="D", team_id=small_org.teams["checkout"].id)
    deck = services.set_deck_rows(
        actor=bob, deck_id=deck.id, version=deck.version, rows=[(metrics[2].pk, "Two", ",.0f"), (metrics[0].pk, "", "")]
    )
    assert [(r.metric_name, r.label, r.number_format) for r in deck.rows] == [("m2", "Two", ",.0f"), ("m0", "", "")]
    with pytest.raises(Conflict):
        services.set_deck_rows(actor=bob, deck_id=deck.id, version=deck.version - 1, rows=[(metrics[1].pk, "", "")])
    with pytest.raises(PermissionDenied):
        services.set_deck_rows(
            actor=small_org.actor("cat"), deck_id=deck.id, version=deck.version, rows=[(metrics[1].pk, "", "")]
        )
    again = services.set_deck_rows(
        actor=small_org.actor("admin"), deck_id=deck.id, version=deck.version, rows=[(metrics[1].pk, "", "")]
    )
    assert [r.metric_id for r in again.rows] == [metrics[1].pk]


@pytest.mark.parametrize(
    ("rows", "field"),
    [
        ([], "rows"),
        ("thirteen", "rows"),
        ("unknown", "rows[0].metric_id"),
        ("twice", "rows[1].metric_id"),
        ([("x", "", "")], "rows[0].metric_id"),
    ],
)
def test_bad_rows_are_refused_by_name(small_org, metrics, rows, field):
    bob = small_org.actor("bob")
    deck = services.create_deck(actor=bob, slug="d", title="D", team_id=small_org.teams["checkout"].id)
    rows = (
        {
            "thirteen": [(m.pk, "", "") for m in metrics],
            "unknown": [(999999, "", "")],
            "twice": [(metrics[0].pk, "", ""), (metrics[0].pk, "", "")],
        }.get(rows, rows)
        if isinstance(rows, str)
        else rows
    )
    with pytest.raises(RuleViolation) as caught:
        services.set_deck_rows(actor=bob, deck_id=deck.id, version=deck.version, rows=rows)
    assert caught.value.field == field
    assert services.get_deck(actor=bob, deck_id=deck.id).rows == ()


def test_the_owner_changes_the_deck_and_a_stale_version_is_a_conflict(small_org):
    bob = small_org.actor("bob")
    deck = services.create_deck(actor=bob, slug="d", title="D", team_id=small_org.teams["checkout"].id)
    changed = services.change_deck(actor=bob, deck_id=deck.id, version=deck.version, title="New", week_ends_on=6)
    assert (changed.title, changed.week_ends_on, changed.version) == ("New", 6, deck.version + 1)
    with pytest.raises(Conflict):
        services.change_deck(actor=bob, deck_id=deck.id, version=deck.version, title="Older")
    with pytest.raises(PermissionDenied):
        services.change_deck(actor=small_org.actor("cat"), deck_id=deck.id, version=changed.version, title="X")


def test_decks_are_listed_and_filtered_by_team(small_org):
    bob, eve = small_org.actor("bob"), small_org.actor("eve")
    services.create_deck(actor=bob, slug="a", title="A", team_id=small_org.teams["checkout"].id)
    services.create_deck(actor=eve, slug="b", title="B", team_id=small_org.teams["payments"].id)
    assert [d.slug for d in services.list_decks(actor=eve).items] == ["a", "b"]
    assert [d.slug for d in services.list_decks(actor=eve, team_ids=[small_org.teams["payments"].id]).items] == ["b"]
