"""Helpers of the data tests: metrics and decks through their services, CSV text, what is stored."""

from __future__ import annotations

import datetime as dt

from mechanisms.kernel.actor import Actor
from mechanisms.metrics import services
from mechanisms.metrics.models import DataPoint, Deck, Metric

from .helpers import define

DAY0 = dt.date(2026, 1, 1)


def metric(o, name, *, owner="ann", team="checkout", grain="day", numerator=None, denominator=None) -> Metric:
    """A metric defined through the registry's service (an output metric, so any owner may watch it)."""
    return define(
        o, name, kind="output", owner=owner, team=team, grain=grain, numerator=numerator, denominator=denominator
    )


def deck_with(o, *metrics, week_ends_on=5, slug="deck") -> Deck:
    """A deck of the checkout team, owned by ann, with these metrics in order (through the decks' services)."""
    deck = services.create_deck(
        actor=Actor.system("test"),
        slug=slug,
        title=slug.title(),
        team_id=o.teams["checkout"].id,
        owner_id=o.people["ann"].id,
        week_ends_on=week_ends_on,
    )
    services.set_deck_rows(
        actor=Actor.system("test"), deck_id=deck.id, version=deck.version, rows=[(m.pk, "", "") for m in metrics]
    )
    return Deck.objects.get(pk=deck.id)


def stored(metric: Metric) -> dict:
    return dict(DataPoint.objects.filter(metric=metric).values_list("day", "value"))


def wide_csv(names, days, *, start=DAY0) -> bytes:
    lines = ["date," + ",".join(names)]
    for i in range(days):
        day = start + dt.timedelta(days=i)
        lines.append(f"{day}," + ",".join(str(i + j) for j in range(len(names))))
    return ("\n".join(lines) + "\n").encode()
