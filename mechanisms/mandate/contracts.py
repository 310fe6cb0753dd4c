"""Plain facts the mandate rules read, and the findings they produce (MECHANISMS.md §1-2).

No Django here: the server builds a ``CatalogSnapshot`` from its tables and ``mech check`` builds the same one from
Backstage files, and both hand it to ``rules.evaluate``. Every reference is a full, lowercase entity reference
``kind:namespace/name`` (``component:default/checkout-api``), so facts from either source compare as strings.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, TypeVar

_T = TypeVar("_T")

Severity = Literal["error", "warning"]
EdgeKind = Literal["consumes", "accesses", "links"]
TeamStatus = Literal["forming", "active", "dissolved"]

ERROR: Severity = "error"
WARNING: Severity = "warning"
TEAM_STATUSES: tuple[TeamStatus, ...] = ("forming", "active", "dissolved")
# A forming team already owns services and has a leader; only dissolution takes a team out of the rules.
LIVE_TEAM_STATUSES = frozenset({"forming", "active"})


def fast_frozen(cls: type[_T]) -> type[_T]:
    """Give a frozen, slotted dataclass an ``__init__`` that sets each slot through its descriptor.

    The ``__init__`` that dataclasses generate for a frozen class calls ``object.__setattr__`` once per field, about
    twice as slow as setting the slot directly. A catalog check builds a few hundred thousand facts, so this halves
    that cost. Nothing else changes: same signature, defaults and ``__post_init__``; instances stay immutable.
    """
    namespace: dict[str, Any] = {}
    parameters, body = [], []
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        if field.default_factory is not dataclasses.MISSING:
            raise TypeError(f"{cls.__name__}.{field.name}: default factories are not supported")
        if field.default is dataclasses.MISSING:
            parameters.append(field.name)
        else:
            namespace[f"_default_{field.name}"] = field.default
            parameters.append(f"{field.name}=_default_{field.name}")
        namespace[f"_set_{field.name}"] = cls.__dict__[field.name].__set__
        body.append(f"    _set_{field.name}(self, {field.name})")
    if hasattr(cls, "__post_init__"):
        body.append("    self.__post_init__()")
    exec(f"def __init__(self, {', '.join(parameters)}):\n" + "\n".join(body), namespace)  # noqa: S102
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    cls.__init__ = init  # type: ignore[misc]
    return cls


@fast_frozen
@dataclass(frozen=True, slots=True)
class Location:
    """Where a fact was written down: a catalog file and line offline, nothing (or a page) in the server."""

    file: str | None = None
    line: int | None = None


NOWHERE = Location()


@fast_frozen
@dataclass(frozen=True, slots=True)
class TeamFact:
    """A two-pizza team: its single-threaded leader and members are what the org rules look at."""

    ref: str
    name: str
    status: TeamStatus = "active"
    leader: str | None = None
    members: tuple[str, ...] = ()
    org_unit: str | None = None
    location: Location = NOWHERE


@fast_frozen
@dataclass(frozen=True, slots=True)
class OrgUnitFact:
    """A node of the org tree (company, division, org) that teams sit in."""

    ref: str
    name: str
    parent: str | None = None
    location: Location = NOWHERE


@fast_frozen
@dataclass(frozen=True, slots=True)
class PersonFact:
    """A person: the manager line gives independence checks, the bar-raiser fields the waiver approvers."""

    ref: str
    name: str
    manager: str | None = None
    bar_raiser_since: date | None = None
    bar_raiser_capacity: int | None = None
    location: Location = NOWHERE

    def in_bar_raiser_pool(self, today: date) -> bool:
        """A person is in the pool from the day they were trained on."""
        return self.bar_raiser_since is not None and self.bar_raiser_since <= today


@fast_frozen
@dataclass(frozen=True, slots=True)
class ServiceFact:
    """A service (a Backstage Component, libraries included) and the interfaces it says it provides."""

    ref: str
    name: str
    owner: str | None = None
    lifecycle: str | None = None
    type: str | None = None
    provides: tuple[str, ...] = ()
    location: Location = NOWHERE


@dataclass(frozen=True, slots=True)
class UnresolvedDefinition:
    """A definition that lives at a URL: recorded, never fetched, so its content is unknown."""

    url: str


@fast_frozen
@dataclass(frozen=True, slots=True)
class InterfaceFact:
    """A way to call a service (any technology, M4) with what M5 needs to judge it externalizable."""

    ref: str
    name: str
    type: str = ""
    providers: tuple[str, ...] = ()
    definition: str | UnresolvedDefinition | None = None
    version: str | None = None
    description: str | None = None
    auth: str | None = None
    location: Location = NOWHERE


@fast_frozen
@dataclass(frozen=True, slots=True)
class DatastoreFact:
    """A database, bucket, queue, topic or cache. Its team is its owning service's team, else ``owner_team``."""

    ref: str
    name: str
    owner_service: str | None = None
    owner_team: str | None = None
    location: Location = NOWHERE


@fast_frozen
@dataclass(frozen=True, slots=True)
class EdgeFact:
    """A dependency of a service: it *consumes* an interface, *accesses* a datastore or *links* a service."""

    source: str
    kind: EdgeKind
    target: str
    location: Location = NOWHERE


@fast_frozen
@dataclass(frozen=True, slots=True)
class WaiverFact:
    """An exception to one rule on one subject (M6); ``related`` narrows it to one finding of that rule."""

    subject: str
    rule: str
    reason: str
    expires: date
    approver: str
    related: str | None = None
    location: Location = NOWHERE


@dataclass(frozen=True, slots=True)
class CatalogSnapshot:
    """Everything the rules need to know about an organization and its catalog, at one moment."""

    teams: tuple[TeamFact, ...] = ()
    org_units: tuple[OrgUnitFact, ...] = ()
    people: tuple[PersonFact, ...] = ()
    services: tuple[ServiceFact, ...] = ()
    interfaces: tuple[InterfaceFact, ...] = ()
    datastores: tuple[DatastoreFact, ...] = ()
    edges: tuple[EdgeFact, ...] = ()
    waivers: tuple[WaiverFact, ...] = ()


@dataclass(frozen=True, slots=True)
class AppliedWaiver:
    """The waiver that turned a finding into an accepted exception."""

    reason: str
    expires: date
    approver: str
    location: Location = NOWHERE


@fast_frozen
@dataclass(frozen=True, slots=True)
class Finding:
    """One offending entity or edge. ``details`` lists every failed point of a multi-point rule."""

    rule: str
    severity: Severity
    subject: str
    related: tuple[str, ...] = ()
    message: str = ""
    location: Location = NOWHERE
    details: tuple[str, ...] = ()
    waiver: AppliedWaiver | None = None

    @property
    def waived(self) -> bool:
        return self.waiver is not None

    @property
    def blocking(self) -> bool:
        """An error that no valid waiver covers: what fails a CI run."""
        return self.severity == ERROR and self.waiver is None


@dataclass(frozen=True, slots=True)
class InvalidWaiver:
    """A waiver that does not apply because its approver may not grant it; reported, never silently used."""

    waiver: WaiverFact
    reason: str


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The result of one evaluation: the findings (waived ones included), the waivers that could not apply, and the
    valid waivers that covered nothing (the finding was fixed, or the waiver sits on the wrong entity)."""

    findings: tuple[Finding, ...]
    invalid_waivers: tuple[InvalidWaiver, ...] = ()
    unused_waivers: tuple[WaiverFact, ...] = ()


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """What a rule checks and how to fix a finding of it: shown by the CLI, SARIF and the pages."""

    id: str
    severity: Severity
    title: str
    hint: str


RULE_CATALOG: dict[str, RuleInfo] = {
    info.id: info
    for info in (
        RuleInfo(
            "org/team-too-large",
            ERROR,
            "A team has more than 10 members",
            "Split the team in two along a customer problem, each with its own leader, or move people out.",
        ),
        RuleInfo(
            "org/team-size-warning",
            WARNING,
            "A team has 9 or 10 members",
            "The two-pizza target is about 6: plan a split before the team passes 10 members.",
        ),
        RuleInfo(
            "org/no-stl",
            ERROR,
            "A team has no single-threaded leader",
            "Name one leader on the team Group: annotation mechanisms.dev/leader: user:<name>.",
        ),
        RuleInfo(
            "org/stl-not-single-threaded",
            ERROR,
            "A person leads more than one active team",
            "Give all but one of these teams another leader, or merge the teams.",
        ),
        RuleInfo(
            "catalog/unowned-service",
            ERROR,
            "A service is not owned by an active team",
            "Set spec.owner to a Group of spec.type team that is not dissolved.",
        ),
        RuleInfo(
            "mandate/back-door",
            ERROR,
            "A service accesses a datastore owned by another team",
            "Call an interface of the owning team's service instead of its datastore, or move the datastore.",
        ),
        RuleInfo(
            "mandate/direct-link",
            ERROR,
            "A service links another team's service in-process",
            "Consume an interface of that service (spec.consumesApis) instead of linking its code.",
        ),
        RuleInfo(
            "mandate/no-interface",
            ERROR,
            "Another team depends on a service that provides no interface",
            "Publish an API entity for it and list it in the service's spec.providesApis.",
        ),
        RuleInfo(
            "mandate/not-externalizable",
            ERROR,
            "An interface is not designed to be externalizable",
            "Give it a parsable definition, a version, a description, an auth scheme and public addresses only.",
        ),
        RuleInfo(
            "waiver/expired",
            ERROR,
            "A waiver has expired",
            "Fix the finding it covered, or have an independent bar raiser approve a new expiry date.",
        ),
        RuleInfo(
            "catalog/dangling-reference",
            WARNING,
            "A reference points to nothing in the catalog",
            "Correct the reference or add the missing entity to the catalog.",
        ),
    )
}


@dataclass(frozen=True, slots=True)
class TeamLink:
    """Cross-team dependencies from one team's services to another team's, counted by kind."""

    source: str
    target: str
    consumes: int = 0
    accesses: int = 0
    links: int = 0

    @property
    def total(self) -> int:
        return self.consumes + self.accesses + self.links


@dataclass(frozen=True, slots=True)
class TeamDegree:
    """How many teams depend on a team (fan-in, its "tax bracket") and how many it depends on (fan-out)."""

    team: str
    org_unit: str | None
    fan_in: int
    fan_out: int


@dataclass(frozen=True, slots=True)
class CoupledPair:
    """Two teams in different org units whose services depend on each other; ``tight`` when code or data is
    shared (links or datastore access), the coupling Conway's law warns about."""

    team_a: str
    team_b: str
    org_unit_a: str | None
    org_unit_b: str | None
    edges: int
    tight: bool


@dataclass(frozen=True, slots=True)
class ConwayReport:
    """The team-to-team graph derived from cross-team dependencies, beside the org tree."""

    links: tuple[TeamLink, ...]
    degrees: tuple[TeamDegree, ...]
    coupled_pairs: tuple[CoupledPair, ...]


# -- what the server's services return (MECHANISMS.md §2 M6) -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredFinding:
    """A finding of the latest server evaluation, with the team that has to act on it (None: no owning team)."""

    id: int
    rule: str
    severity: Severity
    subject: str
    related: tuple[str, ...]
    message: str
    details: tuple[str, ...]
    team_id: int | None
    waived: bool
    waiver_id: int | None = None

    @property
    def blocking(self) -> bool:
        return self.severity == ERROR and not self.waived


@dataclass(frozen=True, slots=True)
class EvaluationSummary:
    """One evaluation: when, why, by whom, the org-wide counts and how many teams got a score."""

    id: int
    at: datetime
    trigger: str
    actor: str
    errors: int
    warnings: int
    waived: int
    by_rule: dict[str, int]
    teams_scored: int
    invalid_waivers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WaiverRecord:
    """A waiver kept in the server; ``approver_handle`` for display, ``expired`` as of today; ``state`` where its
    bar-raiser review has brought it (only an active waiver counts)."""

    id: int
    subject: str
    rule: str
    related: str | None
    reason: str
    expires: date
    approver_person_id: int
    approver_handle: str
    granted_by: str
    created_at: datetime
    revoked: bool
    expired: bool
    version: int
    state: str = "active"  # pending (its bar-raiser review is open), active, refused, withdrawn
    review_id: int | None = None  # the bar-raiser review that approves it
    requested_by_id: int | None = None


@dataclass(frozen=True, slots=True)
class ScorePoint:
    """A team's (or an org unit's) counts at one evaluation: one point of the trend."""

    evaluation_id: int
    at: datetime
    errors: int
    warnings: int
    waived: int
    by_rule: dict[str, int]


@dataclass(frozen=True, slots=True)
class Scorecard:
    """Current counts by rule, the current findings, and the history of every evaluation (oldest first)."""

    kind: Literal["team", "org_unit"]
    id: int
    slug: str
    name: str
    errors: int
    warnings: int
    waived: int
    by_rule: dict[str, int]
    findings: tuple[StoredFinding, ...]
    history: tuple[ScorePoint, ...]
    team_ids: tuple[int, ...] = ()
    evaluated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ConwayTeam:
    """A team of the Conway report: its fan-in ("tax bracket") and fan-out, and its org unit."""

    team_id: int
    slug: str
    name: str
    org_unit_id: int | None
    org_unit_slug: str | None
    fan_in: int
    fan_out: int


@dataclass(frozen=True, slots=True)
class ConwayEdge:
    """Cross-team dependencies from one team to another, counted by kind."""

    source_id: int
    source_slug: str
    target_id: int
    target_slug: str
    consumes: int
    accesses: int
    links: int
    total: int


@dataclass(frozen=True, slots=True)
class ConwayPair:
    """Two teams in different org units whose services depend on each other; ``tight`` when code or data is shared."""

    team_a_id: int
    team_a_slug: str
    team_b_id: int
    team_b_slug: str
    org_unit_a: str | None
    org_unit_b: str | None
    edges: int
    tight: bool


@dataclass(frozen=True, slots=True)
class ConwayView:
    """The Conway report of the server's organization, by team ids and slugs."""

    teams: tuple[ConwayTeam, ...]
    edges: tuple[ConwayEdge, ...]
    coupled_pairs: tuple[ConwayPair, ...]


# -- the Conway graph, laid out (rules.layout_conway) ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GraphInputNode:
    """What the layout draws as one dot: a team (or a whole org unit, drawn as one) in a cluster (its org unit)."""

    key: str
    label: str
    cluster: str
    kind: Literal["team", "unit"] = "team"
    count: int = 1  # the teams it stands for
    weight: int = 0  # fan-in: a bigger dot


@dataclass(frozen=True, slots=True)
class GraphInputEdge:
    source: str
    target: str
    weight: int
    tight: bool = False


@dataclass(frozen=True, slots=True)
class GraphCluster:
    """An org unit's box: its teams sit inside, so Conway's law shows as edges leaving (or staying in) boxes."""

    key: str
    label: str
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class GraphNode:
    key: str
    label: str
    cluster: str
    kind: Literal["team", "unit"]
    count: int
    x: float
    y: float
    r: float
    show_label: bool  # drawn beside the dot (small clusters); otherwise in its tooltip only
    label_x: float
    label_y: float


@dataclass(frozen=True, slots=True)
class GraphEdge:
    source: str
    target: str
    x1: float
    y1: float
    x2: float
    y2: float
    weight: int
    cross: bool  # between two org units: the coupling Conway's law is about, highlighted
    tight: bool  # shares code or data
    cx: float = 0.0  # the control point of the curve drawn (a quadratic Bézier), so edges bow around labels
    cy: float = 0.0


@dataclass(frozen=True, slots=True)
class ConwayGraph:
    """The Conway graph laid out for an SVG of `width` x `height`: clusters per org unit, dots, edges."""

    mode: Literal["teams", "units"]
    width: float
    height: float
    clusters: tuple[GraphCluster, ...]
    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]
    unit: str | None = None  # the org unit drilled into
    hidden_nodes: int = 0  # teams (or units) left out of the drawing; the tables list them all
    hidden_edges: int = 0


@dataclass(frozen=True, slots=True)
class ConwayOverview:
    """What the Conway page shows: the graph, the busiest teams and the most coupled pairs (the API and the CLI
    have every one), with their totals, as of the evaluation `evaluation_id` (None: computed live)."""

    graph: ConwayGraph
    teams: tuple[ConwayTeam, ...]
    team_count: int
    edge_count: int
    coupled_pairs: tuple[ConwayPair, ...]
    pair_count: int
    evaluation_id: int | None = None
    evaluated_at: datetime | None = None
