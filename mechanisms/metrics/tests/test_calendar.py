"""The company's calendar (settings.MECH_WEEK_ENDS_ON, MECH_FISCAL_YEAR_END_MONTH): the one rule for "the last week
that has ended", and the defaults every part takes from the settings (new decks, goals' progress)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from mechanisms.metrics import rules, services

pytestmark = pytest.mark.django_db


@settings(max_examples=60, deadline=None)
@given(today=st.dates(min_value=dt.date(1999, 1, 1), max_value=dt.date(2100, 12, 31)), ends=st.integers(0, 6))
def test_the_last_ended_week_ends_on_its_weekday_within_the_seven_days_before_today(today, ends):
    week = rules.last_ended_week(today, ends)
    assert week.weekday() == ends
    assert 1 <= (today - week).days <= 7  # a week ending today has not ended yet
    assert rules.week_ending_by(today, ends) == (today if today.weekday() == ends else week)


def test_a_new_deck_takes_the_companys_calendar_unless_it_names_its_own(small_org):
    bob = small_org.actor("bob")
    team = small_org.teams["checkout"].id
    with override_settings(MECH_WEEK_ENDS_ON=6, MECH_FISCAL_YEAR_END_MONTH=3):
        deck = services.create_deck(actor=bob, slug="sunday", title="Sunday weeks", team_id=team)
        own = services.create_deck(actor=bob, slug="own", title="Own", team_id=team, week_ends_on=4)
        assert services.last_ended_week(today=dt.date(2026, 12, 2)) == dt.date(2026, 11, 29)  # a Sunday
    assert (deck.week_ends_on, deck.fiscal_year_end_month) == (6, 3)
    assert (own.week_ends_on, own.fiscal_year_end_month) == (4, 3)
    assert services.last_ended_week(today=dt.date(2026, 12, 2)) == dt.date(2026, 11, 28)  # Saturday, the default
