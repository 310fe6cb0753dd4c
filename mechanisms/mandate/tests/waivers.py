"""Waivers as the tests need them: requested by a person and approved through their bar-raiser review (the bar
raiser recommends, the requester accepts), all through the public services."""

from __future__ import annotations

import datetime as dt

from mechanisms.bar_raisers import services as bar_raisers
from mechanisms.kernel.actor import Actor
from mechanisms.mandate import services as mandate

SYSTEM = Actor.system("test")


def approved_waiver(
    o,
    *,
    requester: str,
    subject: str,
    rule: str,
    reason: str,
    expires: dt.date,
    related: str | None = None,
    approver: str = "hal",
    recommendation: str = "approve",
):
    """A waiver requested by `requester`, recommended by `approver` and accepted by the requester."""
    waiver = mandate.request_waiver(
        actor=o.actor(requester),
        subject=subject,
        rule=rule,
        reason=reason,
        expires=expires,
        related=related,
        approver_id=o.people[approver].id,
        approver_reason="named by the test",
    )
    review = bar_raisers.get_review(actor=o.actor(approver), review_id=waiver.review_id)
    review = bar_raisers.recommend(
        actor=o.actor(approver),
        review_id=review.id,
        version=review.version,
        recommendation=recommendation,
        reasoning="Checked the migration plan.",
    )
    bar_raisers.accept_review(actor=o.actor(requester), review_id=review.id, version=review.version)
    return mandate.get_waiver(actor=SYSTEM, waiver_id=waiver.id)
