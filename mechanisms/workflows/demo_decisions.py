"""The demo's decision log (MECHANISMS.md §7, §4): decisions of the demo teams, one-way and two-way doors, owned by
the teams' leaders, with participants who agree, who disagree and commit (saying what their dissent brings) and one
who still disagrees; two reviewed outcomes (right, wrong), a revisit due this week, a rejected proposal, one still
waiting for stances, a high-impact architecture decision waiting for its bar-raiser review, and one imported from a
MADR file. Everything through the services, each step taken by the person who holds it (an account is made for the
few who act). Only once: skipped when any decision exists."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from mechanisms.decisions import services as decisions_services
from mechanisms.decisions.contracts import OptionInput
from mechanisms.kernel import clock
from mechanisms.kernel.actor import Actor
from mechanisms.org import services as org_services

from . import madr_io

# A MADR 4 record written for the demo (not a copy of any repository's): a team keeps it in its repository and
# imports it; its "Decision Drivers" section is not modelled and survives the round trip.
SEARCH_MADR = """\
---
status: accepted
date: {date}
decision-makers:
  - {owner}
---
# Stream catalog changes to the search index

## Context and Problem Statement

The nightly rebuild leaves new products unfindable for up to a day. Should the index follow the catalog as it changes?

## Decision Drivers

* A new product is searchable within a minute
* The index can still be rebuilt from scratch

## Considered Options

* Stream catalog change events into the index
* Rebuild the index every hour

## Decision Outcome

Chosen option: "Stream catalog change events into the index", because only streaming meets the minute.

### Consequences

* Good, because sellers see their products at once
* Bad, because a poisoned event must be replayable
"""


def plant_decisions(system: Actor, *, password: str) -> None:
    """Plant the demo's decisions (see the module's doc). Needs the hand-written demo teams; quick: a dozen writes."""
    if decisions_services.list_decisions(actor=system, limit=1).total:
        return
    teams = {t.slug: t for t in org_services.team_index(actor=system)}
    wanted = ("checkout", "payments", "fraud", "cart", "search")
    if any(slug not in teams for slug in wanted):
        return
    sides = org_services.team_sides(actor=system, team_ids=[teams[s].id for s in wanted])
    people = org_services.get_people(actor=system, ids={p for side in sides.values() for p in side.people})

    def crew(slug: str) -> tuple[int, list[int]]:
        side = sides[teams[slug].id]
        members = sorted(p for p in side.people if p != side.leader_id)
        return side.leader_id, members

    def acting(person_id: int) -> Actor:
        person = people[person_id]
        if not org_services.account_exists(username=person.handle):
            org_services.create_account(actor=system, username=person.handle, password=password, person_id=person.id)
        return org_services.actor_for_handle(handle=person.handle)

    today = clock.today()

    def record(slug: str, question: str, context: str, options: Sequence[tuple[str, str]], n: int = 2, **kw):
        owner, members = crew(slug)
        decision = decisions_services.create_decision(
            actor=acting(owner),
            question=question,
            context=context,
            options=[OptionInput(t, d) for t, d in options],
            team_id=teams[slug].id,
            participant_ids=members[:n],
            **kw,
        )
        return decision, acting(owner), members[:n]

    def decide(decision, owner: Actor, chosen: int, text: str, days_ago: int):
        return decisions_services.decide_decision(
            actor=owner,
            decision_id=decision.id,
            version=decision.version,
            chosen_option=chosen,
            decision=text,
            decided_on=today - dt.timedelta(days=days_ago),
        )

    def sign(decision, person_id: int, stance: str, info: str = "") -> None:
        decisions_services.sign_stance(
            actor=acting(person_id), decision_id=decision.id, stance=stance, new_information=info
        )

    # 1. Checkout: a two-way door, decided, one dissent committed; reviewed: right.
    d, owner, (a, b) = record(
        "checkout",
        "Should checkout be one page or several steps?",
        "Mobile customers abandon at the address step. A single page shows everything at once; steps show less per "
        "screen. Either can be switched back behind a flag.",
        [
            ("One page", "* Good, because nothing is hidden\n* Bad, because long on a phone"),
            ("Three steps", "* Good, because each screen is short\n* Bad, because two more page loads"),
        ],
        door="two_way",
        category="customer_experience",
        revisit_on=today - dt.timedelta(days=20),
    )
    sign(d, a, "agree")
    sign(d, b, "disagree_and_commit", "Our last test showed a drop on small screens when forms grew past two folds.")
    d = decide(d, owner, 1, "One page, with the address form collapsed until needed.", days_ago=60)
    decisions_services.record_outcome(
        actor=owner, decision_id=d.id, outcome="right", note="Abandonment at checkout fell by a fifth.",
        version=d.version,
    )  # fmt: skip

    # 2. Payments: a one-way door, high impact: a bar-raiser review is requested and the decision waits for it.
    d, owner, (a, b) = record(
        "payments",
        "Move the payments ledger to an append-only event store?",
        "Reconciliation needs the history of every balance. Moving the ledger is hard to undo: it is a one-way door.",
        [
            ("Append-only event store", "* Good, because history is the record\n* Bad, because new to the team"),
            ("Keep PostgreSQL with audit tables", "* Good, because known\n* Bad, because history is bolted on"),
        ],
        door="one_way",
        category="architecture",
        high_impact=True,
    )
    sign(d, a, "agree")

    # 3. Fraud: decided with one participant still disagreeing; the revisit is due this week.
    d, owner, (a, b) = record(
        "fraud",
        "Block orders scored above 0.9, or hold them for review?",
        "Blocking loses honest customers; holding needs analysts around the clock.",
        [("Block them", "* Good, because no fraud ships"), ("Hold for review", "* Good, because honest orders pass")],
        door="two_way",
        category="product",
        revisit_on=today + dt.timedelta(days=2),
    )
    sign(d, a, "still_disagree", "Half the orders above 0.9 last month were gift cards bought by loyal customers.")
    sign(d, b, "agree")
    decide(d, owner, 2, "Hold them for review for a quarter, then look at what the analysts found.", days_ago=25)

    # 4. Cart: decided and reviewed: wrong.
    d, owner, (a, b) = record(
        "cart",
        "Keep carts for 30 or for 90 days?",
        "Storage costs grow with every kept cart; customers come back to old carts.",
        [("30 days", "* Good, because cheaper"), ("90 days", "* Good, because customers come back later")],
        door="two_way",
        category="product",
        revisit_on=today - dt.timedelta(days=10),
    )
    sign(d, a, "agree")
    sign(d, b, "disagree_and_commit", "Seasonal shoppers return after about two months.")
    d = decide(d, owner, 1, "Thirty days: the cost matters more now.", days_ago=120)
    decisions_services.record_outcome(
        actor=owner,
        decision_id=d.id,
        outcome="wrong",
        note="Returning seasonal customers found empty carts; we moved to 90 days.",
        version=d.version,
    )

    # 5. Search: proposed, its participants asked to sign and not signed yet.
    record(
        "search",
        "Rank by relevance or by sales by default?",
        "Sellers ask for sales ranking; customers find what they typed with relevance.",
        [("Relevance", ""), ("Sales", ""), ("A blend of both", "")],
        category="customer_experience",
    )

    # 6. Checkout: a proposal rejected.
    d, owner, _ = record(
        "checkout",
        "Rewrite checkout in a new web framework this quarter?",
        "The current framework is old but works.",
        [("Rewrite now", ""), ("Upgrade in place", "")],
        n=1,
        category="architecture",
    )
    decisions_services.reject_decision(
        actor=owner, decision_id=d.id, version=d.version, reason="No customer gains from it this quarter."
    )

    # 7. Search: a decision the team keeps as a MADR file in its repository, imported.
    search_owner, _ = crew("search")
    text = SEARCH_MADR.format(date=(today - dt.timedelta(days=40)).isoformat(), owner=people[search_owner].name)
    madr_io.import_madr(actor=acting(search_owner), files=[("0001-stream-catalog-changes-to-search.md", text)])
