"""The demo organization: a company that reads like a real one, deterministic for a given size.

`build_demo(teams=N)` returns an export document (the same format `mech import` reads); `load_demo` imports it
and creates the demo accounts. It plants a few breaches on purpose so a new user sees the point at once: an
oversized team, one person leading two teams, a team without a leader, and a service reading another team's
database.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from mechanisms.away_teams import services as away_services
from mechanisms.bar_raisers import services as bar_raisers_services
from mechanisms.catalog import services as catalog_services
from mechanisms.hiring import services as hiring_services
from mechanisms.hiring.contracts import EvidenceInput, OpeningChanges
from mechanisms.kernel import clock
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.importing import ImportReport
from mechanisms.mandate import services as mandate_services
from mechanisms.org import services as org_services

from .catalog_io import FORMAT, import_everything
from .demo_decisions import plant_decisions
from .demo_experiments import plant_experiments
from .demo_metrics import plant_metrics
from .demo_working_backwards import plant_working_backwards

DEMO_PASSWORD = "mechanisms-demo"
DEMO_ACCOUNTS = (("admin", True), ("maya.chen", False))

FIRST = [
    "Maya",
    "Liam",
    "Noah",
    "Olivia",
    "Emma",
    "Ava",
    "Sofia",
    "Mateo",
    "Lucas",
    "Amara",
    "Ines",
    "Kenji",
    "Priya",
    "Arjun",
    "Leila",
    "Omar",
    "Hana",
    "Yuki",
    "Tomas",
    "Elena",
    "Jonas",
    "Freya",
    "Nia",
    "Kofi",
    "Zara",
    "Ravi",
    "Chloe",
    "Diego",
    "Ingrid",
    "Malik",
    "Aisha",
    "Felix",
    "Greta",
    "Hugo",
    "Iris",
    "Jamal",
    "Kai",
    "Lena",
    "Marco",
    "Nora",
    "Oscar",
    "Paula",
    "Quinn",
    "Rosa",
    "Samir",
    "Tara",
    "Uma",
    "Victor",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zoe",
    "Ben",
    "Clara",
    "Dev",
    "Esther",
    "Farid",
    "Gabriel",
    "Helen",
    "Ivan",
    "Julia",
    "Karim",
    "Lucia",
    "Mikael",
    "Nadia",
    "Pablo",
    "Rhea",
    "Stefan",
    "Tanvi",
    "Ulla",
    "Vera",
    "Wanjiru",
    "Yara",
]
LAST = [
    "Chen",
    "Okafor",
    "Silva",
    "Kowalski",
    "Nguyen",
    "Haddad",
    "Larsen",
    "Moreau",
    "Tanaka",
    "Patel",
    "Schmidt",
    "Rossi",
    "Mensah",
    "Ivanova",
    "Costa",
    "Johansson",
    "Garcia",
    "Fischer",
    "Dubois",
    "Novak",
    "Sato",
    "Kim",
    "Ali",
    "Hansen",
    "Romero",
    "Weber",
    "Kaur",
    "Murphy",
    "Lindqvist",
    "Adeyemi",
    "Bauer",
    "Park",
    "Reyes",
    "Torres",
    "Jensen",
    "Nakamura",
    "Petrov",
    "Hoffmann",
    "Sharma",
    "Brennan",
    "Varga",
    "Oyelaran",
    "Castillo",
    "Berg",
    "Leclerc",
    "Abe",
    "Mwangi",
    "Herrera",
    "Quispe",
    "Zhang",
    "Duarte",
    "Eriksen",
    "Volkov",
    "Ibrahim",
    "Lopez",
    "Marsh",
    "Yilmaz",
    "Singh",
    "Ferreira",
]

# (org unit slug, name, parent slug)
UNITS = [
    ("larkspur", "Larkspur Commerce", None),
    ("consumer", "Consumer", "larkspur"),
    ("shopping", "Shopping Experience", "consumer"),
    ("checkout-payments", "Checkout & Payments", "consumer"),
    ("fulfillment", "Fulfillment", "larkspur"),
    ("platform", "Platform", "larkspur"),
    ("data", "Data & Insights", "larkspur"),
]

# (slug, name, unit, charter, services: [(name, description)], datastores: [(name, type, owner service)])
TEAMS: list[tuple[str, str, str, str, list[tuple[str, str]], list[tuple[str, str, str]]]] = [
    (
        "checkout",
        "Checkout",
        "checkout-payments",
        "Customers finish a purchase in under a minute, on any device, without surprises at the last step.",
        [
            ("checkout-api", "Places orders: cart validation, totals, order creation."),
            ("checkout-web", "The checkout pages customers see."),
        ],
        [("orders-db", "database", "checkout-api")],
    ),
    (
        "payments",
        "Payments",
        "checkout-payments",
        "Customers pay the way they prefer, and every payment is captured exactly once.",
        [
            ("payments-api", "Authorizes and captures payments with card networks and wallets."),
            ("refunds-worker", "Processes refunds asynchronously."),
        ],
        [("ledger-db", "database", "payments-api"), ("payment-events", "topic", "payments-api")],
    ),
    (
        "fraud",
        "Fraud Prevention",
        "checkout-payments",
        "Customers are never charged for what they did not buy; honest orders are never blocked.",
        [("risk-scoring", "Scores every order for fraud risk in real time.")],
        [("risk-features", "cache", "risk-scoring")],
    ),
    (
        "cart",
        "Cart",
        "shopping",
        "Customers keep what they picked across devices until they are ready to buy.",
        [("cart-api", "Stores and prices shopping carts.")],
        [("carts-db", "database", "cart-api")],
    ),
    (
        "search",
        "Search",
        "shopping",
        "Customers find the item they mean from the words they type.",
        [("search-api", "Query understanding and ranking."), ("search-indexer", "Keeps the search index fresh.")],
        [("search-index", "database", "search-api")],
    ),
    (
        "product-catalog",
        "Product Catalog",
        "shopping",
        "Every item has accurate, complete details so customers can decide with confidence.",
        [("catalog-api", "Items, variants, images and attributes.")],
        [("items-db", "database", "catalog-api"), ("item-images", "bucket", "catalog-api")],
    ),
    (
        "reviews",
        "Reviews",
        "shopping",
        "Customers read honest reviews from people who bought the item.",
        [("reviews-api", "Collects and serves customer reviews.")],
        [("reviews-db", "database", "reviews-api")],
    ),
    (
        "ratings",
        "Ratings",
        "shopping",
        "Star ratings customers can trust at a glance.",
        [("ratings-api", "Aggregates star ratings per item.")],
        [],
    ),
    (
        "recommendations",
        "Recommendations",
        "data",
        "Customers discover items they love and would not have found alone.",
        [("recommendations-engine", "Personalized item recommendations.")],
        [("reco-models", "bucket", "recommendations-engine")],
    ),
    (
        "inventory",
        "Inventory",
        "fulfillment",
        "What we show as in stock is in stock.",
        [("inventory-api", "Stock levels per warehouse, reservations.")],
        [("stock-db", "database", "inventory-api")],
    ),
    (
        "shipping",
        "Shipping",
        "fulfillment",
        "Customers get a delivery promise we keep.",
        [("shipping-api", "Delivery promises, carriers and labels."), ("tracking-worker", "Carrier tracking updates.")],
        [("shipments-db", "database", "shipping-api")],
    ),
    (
        "identity",
        "Identity",
        "platform",
        "Customers and employees sign in safely and quickly.",
        [("identity-api", "Accounts, sign-in, tokens."), ("auth-sdk", "Client library for token validation.")],
        [("accounts-db", "database", "identity-api")],
    ),
    (
        "notifications",
        "Notifications",
        "platform",
        "Customers hear from us when it helps them, in the channel they chose.",
        [("notify-api", "E-mail, push and SMS delivery.")],
        [("notify-queue", "queue", "notify-api")],
    ),
    (
        "observability",
        "Observability",
        "platform",
        "Every team knows within minutes when customers are hurting.",
        [("metrics-gateway", "Ingests service metrics and traces.")],
        [],
    ),
    (
        "data-platform",
        "Data Platform",
        "data",
        "Teams answer questions about customers from trustworthy data, self-service.",
        [("events-pipeline", "Collects business events into the warehouse.")],
        [("events-lake", "bucket", "events-pipeline")],
    ),
    (
        "growth-experiments",
        "Growth Experiments",
        "data",
        "Find out fast which changes make customers' lives better.",
        [("weblab-api", "Experiment assignment and analysis.")],
        [],
    ),
]

# (consumer service, interface) consumes edges; (service, datastore, access) accesses; (service, linked) links
CONSUMES = [
    ("checkout-api", "payments-http"),
    ("checkout-api", "cart-http"),
    ("checkout-api", "inventory-http"),
    ("checkout-api", "risk-grpc"),
    ("checkout-api", "shipping-http"),
    ("checkout-api", "identity-http"),
    ("checkout-web", "checkout-http"),
    ("checkout-web", "identity-http"),
    ("cart-api", "catalog-http"),
    ("search-api", "catalog-http"),
    ("search-indexer", "catalog-events"),
    ("reviews-api", "identity-http"),
    ("recommendations-engine", "catalog-http"),
    ("recommendations-engine", "events-graphql"),
    ("refunds-worker", "notify-http"),
    ("shipping-api", "notify-http"),
    ("tracking-worker", "notify-http"),
    ("payments-api", "risk-grpc"),
    ("weblab-api", "events-graphql"),
    ("ratings-api", "reviews-http"),
]
ACCESSES = [
    ("checkout-api", "orders-db", "read-write"),
    ("payments-api", "ledger-db", "read-write"),
    ("refunds-worker", "ledger-db", "read-write"),
    ("cart-api", "carts-db", "read-write"),
    ("search-api", "search-index", "read"),
    ("search-indexer", "search-index", "write"),
    ("catalog-api", "items-db", "read-write"),
    ("reviews-api", "reviews-db", "read-write"),
    ("inventory-api", "stock-db", "read-write"),
    ("shipping-api", "shipments-db", "read-write"),
    ("identity-api", "accounts-db", "read-write"),
    ("notify-api", "notify-queue", "read-write"),
    # The planted back door: recommendations reads Checkout's order database directly.
    ("recommendations-engine", "orders-db", "read"),
]
LINKS = [("checkout-api", "auth-sdk"), ("reviews-api", "auth-sdk")]
INTERFACES = [
    # (name, service, type, description, paths)
    ("checkout-http", "checkout-api", "openapi", "Place and read orders.", ["orders", "orders/{orderId}"]),
    (
        "payments-http",
        "payments-api",
        "openapi",
        "Authorize, capture and refund payments.",
        ["payments", "payments/{paymentId}/capture", "refunds"],
    ),
    ("risk-grpc", "risk-scoring", "grpc", "Real-time order risk scores.", []),
    (
        "cart-http",
        "cart-api",
        "openapi",
        "Read and change a customer's cart.",
        ["carts/{cartId}", "carts/{cartId}/items"],
    ),
    ("search-http", "search-api", "openapi", "Search items by text and filters.", ["search"]),
    ("catalog-http", "catalog-api", "openapi", "Items, variants and images.", ["items", "items/{itemId}"]),
    ("catalog-events", "catalog-api", "asyncapi", "Item changes as events.", []),
    ("reviews-http", "reviews-api", "openapi", "Customer reviews per item.", ["items/{itemId}/reviews"]),
    ("reco-http", "recommendations-engine", "openapi", "Recommendations for a customer.", ["recommendations"]),
    ("inventory-http", "inventory-api", "openapi", "Stock and reservations.", ["stock/{sku}", "reservations"]),
    ("shipping-http", "shipping-api", "openapi", "Delivery promises and shipments.", ["promises", "shipments"]),
    ("identity-http", "identity-api", "openapi", "Sign-in and tokens.", ["tokens", "users/{userId}"]),
    ("notify-http", "notify-api", "openapi", "Send a notification.", ["notifications"]),
    ("metrics-http", "metrics-gateway", "openapi", "Push metrics.", ["metrics"]),
    ("events-graphql", "events-pipeline", "graphql", "Query business events.", []),
    ("weblab-http", "weblab-api", "openapi", "Experiment assignment.", ["experiments/{id}/assignment"]),
]
OVERSIZED_TEAM = "search"
DOUBLE_LEADER_TEAMS = ("reviews", "ratings")
LEADERLESS_TEAM = "growth-experiments"


def build_demo(*, teams: int = len(TEAMS), seed: int = 7) -> dict[str, Any]:
    """The demo as an export document. `teams` above the hand-written ones adds generated teams (up to 2,000,
    with five services each: 10,000 services)."""
    return _build(teams=teams, seed=seed)[0]


def demo_pool(*, teams: int = len(TEAMS), seed: int = 7) -> list[tuple[str, dt.date, int]]:
    """The demo's bar raisers (handle, trained on, capacity), earliest trained first: one engineer in every fourth
    team. `load_demo` puts them in the pool through the bar_raisers services, each trained by the first of them."""
    return _build(teams=teams, seed=seed)[1]


def _build(*, teams: int, seed: int) -> tuple[dict[str, Any], list[tuple[str, dt.date, int]]]:
    if teams < 1 or teams > 5000:
        raise ValueError("teams must be between 1 and 5000")
    rng = random.Random(seed)
    names = _NameSource(rng)
    doc: dict[str, Any] = {
        "format": FORMAT,
        "people": [],
        "org_units": [],
        "teams": [],
        "services": [],
        "interfaces": [],
        "datastores": [],
        "dependencies": [],
    }
    people = doc["people"]
    pool: list[tuple[str, dt.date, int]] = []

    def person(manager: str | None, title: str, discipline: str = "engineering", handle: str | None = None) -> str:
        full, generated = names.next()
        handle = handle or generated
        people.append(
            {
                "handle": handle,
                "name": full if handle != "maya.chen" else "Maya Chen",
                "email": f"{handle}@larkspur.example",
                "manager": manager,
                "title": title,
                "discipline": discipline,
                "active": True,
            }
        )
        return handle

    ceo = person(None, "Chief Executive Officer", "leadership")
    unit_leader: dict[str, str] = {}
    for slug, name, parent in UNITS:
        leader = ceo if parent is None else person(unit_leader[parent], f"VP, {name}", "leadership")
        unit_leader[slug] = leader
        doc["org_units"].append(
            {
                "slug": slug,
                "name": name,
                "kind": "company" if parent is None else ("division" if parent == "larkspur" else "org"),
                "parent": parent,
                "leader": leader,
            }
        )

    specs = list(TEAMS[:teams])
    for i in range(len(specs), teams):
        specs.append(_generated_team(i, rng))
    # At scale, five services per team in all (2,000 teams: 10,000 services): some generated teams own a sixth
    # (a small org has fewer generated teams than the hand-written ones' shortfall: each gets one, no more).
    extra = 5 * teams - sum(len(s[4]) for s in specs) if teams > len(TEAMS) else 0
    for i in range(len(TEAMS), min(len(specs), len(TEAMS) + max(extra, 0))):
        slug, name, unit, charter, services, datastores = specs[i]
        specs[i] = (slug, name, unit, charter, [*services, (f"{slug}-jobs", f"Scheduled jobs for {name}.")], datastores)
    if teams > len(TEAMS):
        for unit in {s[2] for s in specs} - {u[0] for u in UNITS}:
            doc["org_units"].append(
                {
                    "slug": unit,
                    "name": unit.replace("-", " ").title(),
                    "kind": "org",
                    "parent": "platform" if "platform" in unit else "consumer",
                    "leader": person(unit_leader["consumer"], "Director", "leadership"),
                }
            )
            unit_leader[unit] = doc["org_units"][-1]["leader"]

    leaders: dict[str, str] = {}
    for index, (slug, name, unit, charter, services, datastores) in enumerate(specs):
        leader = None
        if slug == DOUBLE_LEADER_TEAMS[1] and DOUBLE_LEADER_TEAMS[0] in leaders:
            leader = leaders[DOUBLE_LEADER_TEAMS[0]]  # planted: one person leads two teams
        elif slug != LEADERLESS_TEAM:
            leader = person(unit_leader[unit], f"Head of {name}", handle="maya.chen" if slug == "checkout" else None)
        leaders[slug] = leader or ""
        size = 12 if slug == OVERSIZED_TEAM else 3 + (index * 7 + 3) % 5
        members = [leader] if leader else []
        disciplines = ["engineering"] * 4 + ["product", "design", "data"]
        while len(members) < size:
            members.append(
                person(
                    leader or unit_leader[unit],
                    "Software Engineer" if len(members) % 5 else "Product Manager",
                    disciplines[len(members) % len(disciplines)],
                )
            )
        if index % 4 == 1:
            trained_on = dt.date(2023, 1, 1) + dt.timedelta(days=index * 11 % 700)
            pool.append((people[-1]["handle"], trained_on, 2 + index % 3))
        doc["teams"].append(
            {
                "slug": slug,
                "name": name,
                "org_unit": unit,
                "charter": charter,
                "status": "forming" if slug == LEADERLESS_TEAM else "active",
                "leader": leader,
                "created_on": (dt.date(2019, 3, 1) + dt.timedelta(days=index * 37 % 2000)).isoformat(),
                "dissolved_on": None,
                "members": [
                    {"person": m, "role": "leader" if m == leader else "member", "joined_on": "2024-01-15"}
                    for m in members
                ],
            }
        )
        for s_index, (svc, description) in enumerate(services):
            doc["services"].append(
                {
                    "name": svc,
                    "owner_team": slug,
                    "title": svc.replace("-", " ").title(),
                    "description": description,
                    "lifecycle": "experimental"
                    if slug == LEADERLESS_TEAM
                    else ("production" if s_index < 3 else "deprecated"),
                    "kind": "library" if svc.endswith("-sdk") else ("website" if svc.endswith("-web") else "service"),
                    "tier": 1 + (index + s_index) % 3,
                    "repository": f"https://git.larkspur.example/{slug}/{svc}",
                    "on_call": f"{slug}-primary",
                }
            )
        for ds, kind, owner in datastores:
            doc["datastores"].append(
                {"name": ds, "type": kind, "owner_service": owner, "description": f"{kind.title()} of {owner}."}
            )

    service_names = {s["name"] for s in doc["services"]}
    for name, svc, kind, description, paths in INTERFACES:
        if svc in service_names:
            doc["interfaces"].append(_interface(name, svc, kind, description, paths))
    interface_names = {i["name"] for i in doc["interfaces"]}
    datastore_names = {d["name"] for d in doc["datastores"]}
    for svc, itf in CONSUMES:
        if svc in service_names and itf in interface_names:
            doc["dependencies"].append(
                {"service": svc, "kind": "consumes", "target": itf, "access": "", "description": ""}
            )
    for svc, ds, access in ACCESSES:
        if svc in service_names and ds in datastore_names:
            doc["dependencies"].append(
                {"service": svc, "kind": "accesses", "target": ds, "access": access, "description": ""}
            )
    for svc, linked in LINKS:
        if svc in service_names and linked in service_names:
            doc["dependencies"].append(
                {"service": svc, "kind": "links", "target": linked, "access": "", "description": ""}
            )
    if teams > len(TEAMS):
        _generated_catalog(doc, specs[len(TEAMS) :], rng)
    return doc, sorted(pool, key=lambda member: (member[1], member[0]))


def load_demo(*, teams: int = len(TEAMS), seed: int = 7, password: str = DEMO_PASSWORD) -> ImportReport:
    """Import the demo organization and create its sign-in accounts (idempotent: a second run changes nothing)."""
    actor = Actor.system("demo")
    document, pool = _build(teams=teams, seed=seed)
    report = import_everything(actor=actor, document=document)
    _bar_raisers(actor, pool)
    for username, is_admin in DEMO_ACCOUNTS:
        person = org_services.find_person(actor=actor, handle=username)
        if not org_services.account_exists(username=username):
            org_services.create_account(
                actor=actor,
                username=username,
                password=password,
                is_admin=is_admin,
                person_id=person.id if person else None,
            )
    if teams == len(TEAMS):
        _plant_requests(actor, password)
        _plant_hiring(actor, password)
        plant_decisions(actor, password=password)
        plant_working_backwards(actor, password)
        plant_metrics(actor, password=password)
        plant_experiments(actor, password=password)
    _leader_accounts(actor, password)
    # Evaluated on load, so the scorecards show the planted breaches from the first page a new user opens; an
    # organization never evaluated would read as "not evaluated yet" everywhere (issue 9, item 7).
    mandate_services.evaluate_org(actor=actor)
    return report


def evaluate_if_never_evaluated() -> bool:
    """Evaluate the organization when no evaluation has run yet (a database loaded before the demo was evaluated on
    load), so that `./scripts/start` never shows every scorecard as "not evaluated". True when it evaluated."""
    system = Actor.system("demo")
    if mandate_services.last_evaluation(actor=system) is not None:
        return False
    mandate_services.evaluate_org(actor=system)
    return True


def _bar_raisers(system: Actor, pool: list[tuple[str, dt.date, int]]) -> None:
    """Put the demo's bar raisers in the pool (idempotent): the earliest trained has no trainer, every later one was
    trained by them (MECHANISMS.md §4)."""
    trainer_id = None
    for handle, trained_on, capacity in pool:
        person = org_services.find_person(actor=system, handle=handle)
        if person is None:
            continue
        if bar_raisers_services.find_pool_member(actor=system, person_id=person.id) is None:
            bar_raisers_services.add_to_pool(
                actor=system, person_id=person.id, trained_on=trained_on, trainer_id=trainer_id, capacity=capacity
            )
        trainer_id = trainer_id or person.id


def _leader_accounts(system: Actor, password: str) -> None:
    """A sign-in account (the demo password) for every leader of a hand-written team and every person who must
    decide an escalation, so each demo request can be moved by whoever holds it. Generated teams' leaders get
    none: at 2,000 teams that would be 2,000 password hashes for accounts nobody uses."""
    hand_written = {slug for slug, *_ in TEAMS}
    people = {
        t.leader_id
        for t in org_services.team_index(actor=Actor.system("workflows"))
        if t.slug in hand_written and t.leader_id is not None
    }
    people |= {r.decider_id for r in away_services.list_requests(actor=system).items if r.decider_id is not None}
    for person in org_services.get_people(actor=Actor.system("workflows"), ids=people).values():
        if not org_services.account_exists(username=person.handle):
            org_services.create_account(actor=system, username=person.handle, password=password, person_id=person.id)


# ------------------------------------------------------------------------------------------------ away-team requests

# (requesting team, home service, title, what, why, the moves after filing: (transition, kwargs))
REQUESTS: list[tuple[str, str, str, str, str, list[tuple[str, dict[str, Any]]]]] = [
    (
        "checkout",
        "payments-api",
        "Show saved wallets on the checkout page",
        "An endpoint listing a customer's saved wallets (Apple Pay, PayPal) with their last use.",
        "Returning customers re-enter payment details on every order; a third abandon at that step.",
        [
            ("accept", {"standards": "Payments API guidelines v3; PCI scope review before merge", "effort_days": 2}),
            ("start", {}),
        ],
    ),
    (
        "search",
        "catalog-api",
        "Expose product attributes for faceted search",
        "Return size, colour and material as structured attributes in the catalog API.",
        "Customers cannot filter shoes by size; they scroll through pages of products they cannot buy.",
        [
            ("decline", {"reason": "We are migrating the catalog schema this quarter; attributes change next month."}),
            ("escalate", {"reason": "Filtering is the first thing customers ask for in every survey."}),
        ],
    ),
    (
        "recommendations",
        "events-pipeline",
        "Stream add-to-cart events",
        "Publish add-to-cart events to the pipeline within a minute, with product and session ids.",
        "Recommendations lag a day behind what customers just did, so we suggest what they already bought.",
        [
            ("accept", {"standards": "Event schema registry; backwards-compatible changes only", "effort_days": 1}),
            ("start", {}),
            ("submit", {}),
            ("review", {"approved": True}),
            (
                "hand_off",
                {
                    "tests": True,
                    "docs": True,
                    "runbook": True,
                    "downstream_impact": "Recommendations refresh in five minutes instead of a day.",
                },
            ),
            ("accept_hand_off", {}),
        ],
    ),
    (
        "checkout",
        "identity-api",
        "Passkey sign-in during checkout",
        "Let customers confirm their identity with a passkey inside the checkout flow.",
        "Password resets during checkout cost us orders every day.",
        [],
    ),
    (
        "shipping",
        "notify-api",
        "SMS delivery updates",
        "Send an SMS when a parcel is out for delivery, if the customer opted in.",
        "Customers miss deliveries because the e-mail arrives after the courier.",
        [("build_at_home", {"effort_days": 5, "note": "SMS is on our roadmap for next month anyway."})],
    ),
    (
        "cart",
        "inventory-api",
        "Reserve stock when an item is added to the cart",
        "A short reservation (15 minutes) on add-to-cart.",
        "Customers lose items they had in their cart to someone who checked out faster.",
        [
            ("decline", {"reason": "Reservations would double our write load; not before the re-platforming."}),
            ("duplicate", {"service": "cart-api", "reason": "We keep a soft hold in the cart service instead."}),
        ],
    ),
]


def _plant_requests(system: Actor, password: str) -> None:
    """A few away-team requests in every state, filed and answered by the demo's team leaders, who get sign-in
    accounts (same password) so a visitor can see each side. Only once: skipped when requests exist."""
    if away_services.list_requests(actor=system, limit=1).total:
        return
    teams = {t.slug: t for t in org_services.team_index(actor=system)}

    def leader_of(slug: str) -> Actor:
        leader = org_services.get_person(actor=system, person_id=teams[slug].leader_id)
        if not org_services.account_exists(username=leader.handle):
            org_services.create_account(actor=system, username=leader.handle, password=password, person_id=leader.id)
        return org_services.actor_for_handle(handle=leader.handle)

    moves = {
        "accept": away_services.accept_request,
        "build_at_home": away_services.build_at_home,
        "decline": away_services.decline_request,
        "escalate": away_services.escalate_request,
        "duplicate": away_services.duplicate_request,
        "start": away_services.start_building,
        "submit": away_services.submit_for_review,
        "review": away_services.review_request,
        "hand_off": away_services.hand_off_request,
        "accept_hand_off": away_services.accept_hand_off,
    }
    home_side = {"accept", "build_at_home", "decline", "review", "accept_hand_off"}
    for requesting, service_name, title, what, why, steps in REQUESTS:
        service = catalog_services.get_service_by_name(actor=system, name=service_name)
        home = next(slug for slug, t in teams.items() if t.id == service.owner_team_id)
        request = away_services.file_request(
            actor=leader_of(requesting),
            service_id=service.id,
            requesting_team_id=teams[requesting].id,
            title=title,
            what=what,
            why=why,
        )
        for move, kwargs in steps:
            actor = leader_of(home if move in home_side else requesting)
            args = dict(kwargs)
            if move == "accept":
                args["contact_id"] = actor.person_id
            if move == "duplicate":
                args["duplicate_service_id"] = catalog_services.get_service_by_name(
                    actor=actor, name=args.pop("service")
                ).id
            request = moves[move](actor=actor, request_id=request.id, version=request.version, **args)


# ------------------------------------------------------------------------------------------------ generation


class _NameSource:
    """Unique, real-sounding names and handles, deterministic for a seed."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def next(self) -> tuple[str, str]:
        while True:
            first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
            handle = f"{first}.{last}".lower()
            n = 2
            while handle in self.used:
                handle = f"{first}.{last}{n}".lower()
                n += 1
            if handle == "maya.chen":
                continue
            self.used.add(handle)
            return f"{first} {last}", handle


AREAS = (
    "Ads",
    "Billing",
    "Catalog",
    "Delivery",
    "Devices",
    "Editorial",
    "Gift Cards",
    "Grocery",
    "Kids",
    "Loyalty",
    "Maps",
    "Marketplace",
    "Media",
    "Music",
    "Partners",
    "Photos",
    "Pricing",
    "Returns",
    "Seller",
    "Subscriptions",
    "Support",
    "Tax",
    "Travel",
    "Video",
    "Wallet",
    "Warehouse",
)
FUNCTIONS = (
    "Intake",
    "Insights",
    "Routing",
    "Profiles",
    "Settlement",
    "Discovery",
    "Quality",
    "Onboarding",
    "Compliance",
    "Forecasting",
    "Ledger",
    "Messaging",
    "Scheduling",
    "Search",
    "Storage",
    "Sync",
)
GEN_UNITS = ("consumer-services", "seller-services", "platform-services", "operations-tech")


def _generated_team(i: int, rng: random.Random) -> tuple:
    area, function = AREAS[i % len(AREAS)], FUNCTIONS[(i // len(AREAS)) % len(FUNCTIONS)]
    name = (
        f"{area} {function} {i // (len(AREAS) * len(FUNCTIONS)) + 1}"
        if i >= len(AREAS) * len(FUNCTIONS)
        else (f"{area} {function}")
    )
    slug = name.lower().replace(" ", "-")
    services = [
        (f"{slug}-{part}", f"{part.title()} for {name}.") for part in ("api", "worker", "store", "web", "events")
    ]
    datastores = [(f"{slug}-db", "database", f"{slug}-api")]
    return (
        slug,
        name,
        GEN_UNITS[i % len(GEN_UNITS)],
        f"{name}: serve our customers' {area.lower()} needs.",
        services,
        datastores,
    )


def _generated_catalog(doc: dict[str, Any], specs: list[tuple], rng: random.Random) -> None:
    """Interfaces and a realistic mix of edges for generated teams: mostly through APIs, a few back doors."""
    apis = []
    for slug, name, *_ in specs:
        api = f"{slug}-http"
        doc["interfaces"].append(_interface(api, f"{slug}-api", "openapi", f"{name} API.", ["items", "items/{id}"]))
        apis.append((slug, api))
    for index, (slug, *_rest) in enumerate(specs):
        for _ in range(3):
            other, api = apis[rng.randrange(len(apis))]
            if other != slug:
                doc["dependencies"].append(
                    {"service": f"{slug}-worker", "kind": "consumes", "target": api, "access": "", "description": ""}
                )
        doc["dependencies"].append(
            {
                "service": f"{slug}-api",
                "kind": "accesses",
                "target": f"{slug}-db",
                "access": "read-write",
                "description": "",
            }
        )
        if index % 50 == 7:
            other = apis[(index + 1) % len(apis)][0]
            doc["dependencies"].append(
                {
                    "service": f"{slug}-worker",
                    "kind": "accesses",
                    "target": f"{other}-db",
                    "access": "read",
                    "description": "",
                }
            )
    seen = set()
    unique = []
    for d in doc["dependencies"]:
        key = (d["service"], d["kind"], d["target"])
        if key not in seen:
            seen.add(key)
            unique.append(d)
    doc["dependencies"] = unique


def _interface(name: str, service: str, kind: str, description: str, paths: list[str]) -> dict[str, Any]:
    return {
        "name": name,
        "service": service,
        "type": kind,
        "api_version": "1.4.0",
        "description": description,
        "definition": _definition(name, kind, description, paths),
        "docs_url": f"https://docs.larkspur.example/apis/{name}",
        "auth_scheme": "oauth2",
        "visibility": "internal",
        "lifecycle": "production",
    }


def _definition(name: str, kind: str, description: str, paths: list[str]) -> str:
    title = name.replace("-", " ").title()
    if kind == "openapi":
        lines = [
            "openapi: 3.0.3",
            "info:",
            f"  title: {title}",
            "  version: 1.4.0",
            f"  description: {description}",
            "servers:",
            f"  - url: https://api.larkspur.example/{name}",
            "components:",
            "  securitySchemes:",
            "    oauth2:",
            "      type: oauth2",
            "      flows:",
            "        clientCredentials:",
            "          tokenUrl: https://auth.larkspur.example/oauth2/token",
            "          scopes: {}",
            "security:",
            "  - oauth2: []",
            "paths:",
        ]
        for path in paths or ["status"]:
            lines += [
                f"  /{path}:",
                "    get:",
                f"      summary: Read {path.split('/')[0]}",
                "      responses:",
                "        '200':",
                "          description: OK",
            ]
        return "\n".join(lines) + "\n"
    if kind == "asyncapi":
        return (
            "asyncapi: 2.6.0\ninfo:\n  title: "
            + title
            + "\n  version: 1.4.0\n  description: "
            + description
            + "\nservers:\n  production:\n    url: kafka.larkspur.example:9093\n    protocol: kafka-secure\n"
            "    security:\n      - sasl: []\ncomponents:\n  securitySchemes:\n    sasl:\n      type: scramSha512\n"
            "channels:\n  item-changed:\n    subscribe:\n      message:\n        payload:\n          type: object\n"
        )
    if kind == "graphql":
        return (
            "type Event {\n  id: ID!\n  name: String!\n  occurredAt: String!\n}\n\n"
            "type Query {\n  events(name: String, first: Int = 50): [Event!]!\n}\n"
        )
    return (
        'syntax = "proto3";\n\npackage larkspur.risk.v1;\n\nservice RiskScoring {\n'
        "  rpc ScoreOrder (ScoreOrderRequest) returns (ScoreOrderResponse);\n}\n\n"
        "message ScoreOrderRequest {\n  string order_id = 1;\n}\n\nmessage ScoreOrderResponse {\n"
        "  double score = 1;\n}\n"
    )


# ------------------------------------------------------------------------------------------------ hiring loops
# Two openings and candidates in every state (MECHANISMS.md §4-§5), planted through the hiring and bar-raiser
# services as the people who hold each step, so that a visitor can sign in as any of them and walk a loop:
# ingrid.varga hires for Payments (a debrief waits on her decision), maya.chen owes feedback on an interview that
# just ended, wanjiru.petrov is the bar raiser of the loop in debrief, amelia.brooks recruits (company-wide). Times
# are relative to the load (interviews ended minutes to hours ago), so the health figures read like a real week.

RECRUITER = ("amelia.brooks", "Amelia Brooks", "Technical Recruiter")
PAYMENTS_JD = """\
## Senior Software Engineer, Payments

Payments authorizes and captures every order Larkspur takes, exactly once, with every card network and wallet our
customers prefer. You will own parts of `payments-api` end to end: design, build, operate and improve them.

**What you will do**
- Design idempotent payment flows that survive retries, timeouts and partial failures at the card networks.
- Raise the bar on our operational excellence: alarms that matter, runbooks that work, blameless corrections of
  error.
- Mentor engineers on the team and in the teams that integrate with us through our published interfaces.

**What you bring**: five or more years building distributed services in production, a habit of writing things
down, and care for the customer who just wants to pay and get on with their day.
"""
# The payments job description's first draft: its hiring manager adds the mentoring line as revision 2, so the
# demo's opening shows a job description with revisions and a diff (documents keeps every revision).
PAYMENTS_JD_DRAFT = PAYMENTS_JD.replace(
    "- Mentor engineers on the team and in the teams that integrate with us through our published interfaces.\n", ""
)
PAYMENTS_JD_NOTE = "mentoring is half of this role: say so"
SEARCH_EM_JD = """\
## Engineering Manager, Search

Search turns the words customers type into the item they mean. You will lead the engineers of the Search team:
hire and develop them, set the bar for what we ship, and own the team's roadmap with product.

**What you will do**
- Grow a team of engineers; hire people better than you; give clear, written, kind feedback.
- Own query understanding and ranking with the team: measurable input metrics, weekly reviews, honest corrections.
- Work with the teams around you through their service interfaces, never their databases.

**What you bring**: experience leading engineers through a large change, a record of developing people, and the
backbone to disagree and then commit.
"""
OPENINGS = (
    # (key, title, team, hiring manager, level, manager role, principles)
    (
        "payments",
        "Senior Software Engineer, Payments",
        "payments",
        "ingrid.varga",
        "L6",
        False,
        ("customer-obsession", "ownership", "dive-deep", "insist-on-the-highest-standards", "deliver-results"),
    ),
    (
        "search-em",
        "Engineering Manager, Search",
        "search",
        "tanvi.murphy",
        "M1",
        True,
        ("hire-and-develop-the-best", "earn-trust", "have-backbone-disagree-and-commit", "think-big", "frugality"),
    ),
)
# The interviewers of every loop (leaders of other teams, who have sign-in accounts) with their principles by
# position in the opening's list: every principle at least once, none by everyone.
PANEL = {
    "payments": (("ingrid.silva", (0, 1)), ("vera.fischer", (2, 3)), ("maya.chen", (4, 0))),
    "search-em": (("nora.nakamura", (0, 1)), ("freya.quispe", (2, 3)), ("elena.haddad", (4, 0))),
}
# (opening, name, source, what happens: the steps below, in order). Minutes: how long ago each interview ended.
CANDIDATES = (
    ("payments", "Aiko Tanabe", "inbound", "applied"),
    ("payments", "Bruno Albers", "referral", "planning"),
    ("payments", "Carmen Ortega", "sourced", "interviewing"),
    ("payments", "Dmitri Volkov", "agency", "debrief"),
    ("payments", "Elif Demir", "referral", "offer"),
    ("payments", "Farah Nasser", "inbound", "vetoed"),
    ("search-em", "Hannah Berg", "sourced", "override"),
    ("search-em", "Ibrahim Sow", "referral", "withdrawn"),
    ("search-em", "Gustavo Lima", "internal", "hired"),
)
VOTES = {  # the written votes of a loop's interviewers, in panel order
    "interviewing": ("hire",),  # then a draft, then maya.chen's feedback is due
    "debrief": ("hire", "no_hire", "strong_hire"),
    "offer": ("strong_hire", "hire", "hire"),
    "vetoed": ("hire", "no_hire", "no_hire"),
    "override": ("hire", "no_hire", "no_hire"),
    "hired": ("strong_hire", "hire", "strong_hire"),
}
RECOMMENDATIONS = {
    "offer": ("approve", "Consistent, specific evidence on every principle; raises the bar for the team."),
    "vetoed": (
        "do_not_proceed",
        "Two interviewers found the candidate took credit for the team's work and could not say what they did "
        "themselves; on a payments team that owns money movement, that is below our bar.",
    ),
    "override": ("approve", "Strong on developing people and earning trust; the concerns are coachable."),
    "hired": ("approve", "Has built and grown teams through a re-platforming; clear written judgment."),
}
DECISIONS = {
    "offer": ("hire", "The panel and the bar raiser agree; the evidence on ownership and dive deep is strong."),
    "vetoed": ("no_hire", "The bar raiser's veto stands; we keep looking."),
    "override": (
        "no_hire",
        "The team needs someone who has run on-call for a ranking system; we go against the recommendation.",
    ),
    "hired": ("hire", "Everyone inclined; the bar raiser approves."),
}
DEBRIEF_BAR_RAISER = ("wanjiru.petrov", "Has run payments debriefs before; independent of Payments and its chain.")
DELAYS = (35, 55, 90, 150, 240, 420)  # minutes from an interview's end to its feedback, in turn


def _star(candidate: str, principle: str) -> dict[str, str]:
    """STAR evidence that reads like an interviewer's notes (the same for a given candidate and principle)."""
    words = principle.replace("-", " ")
    return {
        "situation": f"{candidate} described a project where {words} was tested: a launch at risk two weeks out.",
        "task": "They had to keep the launch date without lowering the quality bar the team had agreed on.",
        "action": "They wrote the trade-offs down, asked the customer-facing team what mattered most, and cut scope.",
        "result": "The launch shipped on time with one feature deferred; incidents in the first month: none.",
    }


def _plant_hiring(system: Actor, password: str) -> None:
    """Openings, candidates and loops in every state (applied, planning, interviewing with some feedback in, in
    debrief, offer, hired, rejected by a veto, rejected by an override, withdrawn), all through services, each step
    taken by the person who holds it. Only once: skipped when any opening exists."""
    if hiring_services.list_openings(actor=system, limit=1).total:
        return
    now = clock.now().replace(second=0, microsecond=0)
    teams = {t.slug: t for t in org_services.team_index(actor=system)}

    def person(handle: str):
        return org_services.get_person_by_handle(actor=system, handle=handle)

    def acting(handle: str) -> Actor:
        found = person(handle)
        if not org_services.account_exists(username=found.handle):
            org_services.create_account(actor=system, username=found.handle, password=password, person_id=found.id)
        return org_services.actor_for_handle(handle=found.handle)

    handle, name, title = RECRUITER
    recruiter = org_services.find_person(actor=system, handle=handle)
    if recruiter is None:
        top = org_services.find_org_unit(actor=system, slug="larkspur")
        recruiter = org_services.create_person(
            actor=system,
            handle=handle,
            name=name,
            email=f"{handle}@larkspur.example",
            manager_id=top.leader_id if top else None,
            title=title,
            discipline="recruiting",
        )
        org_services.grant_role(actor=system, person_id=recruiter.id, role="recruiter", reason="demo: recruits")
    recruiting = acting(handle)

    openings = {}
    for key, title, team, manager, level, manager_role, principles in OPENINGS:
        opening = hiring_services.create_opening(
            actor=recruiting,
            title=title,
            team_id=teams[team].id,
            hiring_manager_id=person(manager).id,
            recruiter_id=recruiter.id,
            level=level,
            manager_role=manager_role,
            job_description=PAYMENTS_JD_DRAFT if key == "payments" else SEARCH_EM_JD,
            principles=principles,
        )
        if key == "payments":
            opening = hiring_services.update_opening(
                actor=acting(manager),
                opening_id=opening.id,
                changes=OpeningChanges(job_description=PAYMENTS_JD),
                version=opening.version,
                job_description_note=PAYMENTS_JD_NOTE,
            )
        openings[key] = hiring_services.open_opening(actor=recruiting, opening_id=opening.id, version=opening.version)

    hired = []
    for index, (key, candidate_name, source, outcome) in enumerate(CANDIDATES):
        opening = openings[key]
        manager = acting(next(o[3] for o in OPENINGS if o[0] == key))
        first = candidate_name.split()[0].lower()
        candidate = hiring_services.add_candidate(
            actor=recruiting,
            opening_id=opening.id,
            name=candidate_name,
            email=f"{first}@candidates.example",
            source=source,
            source_detail="demo",
        )
        if outcome == "applied":
            continue
        if outcome == "debrief":  # a manual pick states why; the others take the first suggestion
            pick = person(DEBRIEF_BAR_RAISER[0]).id
            loop = hiring_services.create_loop(
                actor=recruiting, candidate_id=candidate.id, bar_raiser_id=pick, reason=DEBRIEF_BAR_RAISER[1]
            )
        else:
            loop = hiring_services.create_loop(actor=recruiting, candidate_id=candidate.id)
        acting(loop.bar_raiser_handle)  # every bar raiser of the demo signs in, to recommend or read their queue
        panel = PANEL[key][:2] if outcome == "planning" else PANEL[key]
        interviews = []
        for position, (interviewer, picks) in enumerate(panel):
            ends = now - dt.timedelta(minutes=DELAYS[(index + position) % len(DELAYS)] + 5)
            if outcome == "planning":
                ends = now + dt.timedelta(days=2 + position, hours=1)
            interviews.append(
                hiring_services.add_interview(
                    actor=recruiting,
                    loop_id=loop.id,
                    interviewer_id=person(interviewer).id,
                    starts_at=ends - dt.timedelta(minutes=55),
                    ends_at=ends,
                    principles=tuple(opening.principles[i] for i in picks),
                )
            )
        if outcome == "planning":
            continue  # two interviews: the coverage check shows what is missing before it can start
        loop = hiring_services.get_loop(actor=recruiting, loop_id=loop.id)
        hiring_services.start_loop(actor=recruiting, loop_id=loop.id, version=loop.version)
        votes = VOTES.get(outcome, ())
        for position, (interview, (interviewer, _)) in enumerate(zip(interviews, panel, strict=True)):
            if position >= len(votes):
                if outcome == "interviewing" and position == len(votes):
                    # A draft: started, not submitted (only its author can read it).
                    hiring_services.save_feedback(
                        actor=acting(interviewer),
                        interview_id=interview.id,
                        vote=None,
                        summary="Notes so far.",
                        evidence=[
                            EvidenceInput(principle=p, **_star(candidate_name, p), rating=None)
                            for p in interview.principles
                        ],
                    )
                continue  # the interviewing loop's last interviewer owes feedback (maya.chen: feedback due)
            hiring_services.submit_feedback(
                actor=acting(interviewer),
                interview_id=interview.id,
                vote=votes[position],
                summary=f"{candidate_name}: specific examples, in their own words.",
                evidence=[
                    EvidenceInput(
                        principle=p, **_star(candidate_name, p), rating=3 if votes[position].endswith("hire") else 2
                    )
                    for p in interview.principles
                ],
            )
        if outcome in ("interviewing", "debrief"):
            continue  # the debrief opened by itself with the last feedback; it waits for the bar raiser
        if outcome == "withdrawn":
            loop = hiring_services.get_loop(actor=recruiting, loop_id=loop.id)
            hiring_services.withdraw_loop(
                actor=manager, loop_id=loop.id, version=loop.version, reason="The candidate accepted another offer."
            )
            continue
        loop = hiring_services.get_loop(actor=recruiting, loop_id=loop.id)
        recommendation, reasoning = RECOMMENDATIONS[outcome]
        hiring_services.recommend_on_loop(
            actor=acting(org_services.get_person(actor=system, person_id=loop.bar_raiser_id).handle),
            loop_id=loop.id,
            recommendation=recommendation,
            reasoning=reasoning,
        )
        loop = hiring_services.get_loop(actor=recruiting, loop_id=loop.id)
        decision, rationale = DECISIONS[outcome]
        hiring_services.decide(
            actor=manager, loop_id=loop.id, decision=decision, rationale=rationale, version=loop.version
        )
        if outcome == "hired":
            hired.append(candidate.id)
    for candidate_id in hired:  # last: an accepted offer fills its opening
        candidate = hiring_services.get_candidate(actor=recruiting, candidate_id=candidate_id)
        hiring_services.accept_offer(actor=recruiting, candidate_id=candidate.id, version=candidate.version)
