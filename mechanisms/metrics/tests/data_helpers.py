"""Helpers of the data tests: metrics and decks as rows (the registry's and decks' create services are other parts
of this issue; once merged these helpers can call them), CSV text, what is stored."""

from __future__ import annotations

import datetime as dt

from mechanisms.metrics.models import DataPoint, Deck, DeckRow, Metric

DAY0 = dt.date(2026, 1, 1)


def metric(o, name, *, owner="ann", team="checkout", grain="day", numerator=None, denominator=None) -> Metric:
    return Metric.objects.create(
        name=name,
        title=name.title(),
        kind="output",
        definition=f"{name}, counted daily.",
        owner_id=o.people[owner].id,
        team_id=o.teams[team].id,
        grain=grain,
        numerator=numerator,
        denominator=denominator,
    )


def deck_with(o, *metrics, week_ends_on=5, slug="deck") -> Deck:
    deck = Deck.objects.create(slug=slug, title=slug.title(), owner_id=o.people["ann"].id, week_ends_on=week_ends_on)
    for i, m in enumerate(metrics, 1):
        DeckRow.objects.create(deck=deck, metric=m, position=i)
    return deck


def stored(metric: Metric) -> dict:
    return dict(DataPoint.objects.filter(metric=metric).values_list("day", "value"))


def wide_csv(names, days, *, start=DAY0) -> bytes:
    lines = ["date," + ",".join(names)]
    for i in range(days):
        day = start + dt.timedelta(days=i)
        lines.append(f"{day}," + ",".join(str(i + j) for j in range(len(names))))
    return ("\n".join(lines) + "\n").encode()
