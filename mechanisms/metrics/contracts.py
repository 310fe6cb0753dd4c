"""Public contracts of the metrics app: plain frozen dataclasses and enums, no Django (DESIGN.md §2).

Two groups: the **deck engine's** inputs and results (pure: `rules.py` computes a `DeckResult` from a `DeckSpec`,
online from the database and offline from wbr-app files through interop/wbr.py, with the same code), and the
**registry's** records as the services hand them out (metrics, revisions, plans, loads, decks, goals)."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mechanisms.kernel.changes import UNSET, Unset

MetricId = int
DeckId = int
GoalId = int


class Kind(enum.StrEnum):
    INPUT = "input"  # controllable by its team: what the team does moves it
    OUTPUT = "output"  # the result the inputs are meant to move (revenue, profit, ...)


class Direction(enum.StrEnum):
    UP = "up"  # higher is better
    DOWN = "down"  # lower is better (defects, latency, cost)


class Aggregation(enum.StrEnum):
    """How a period's values combine into the period's figure (wbr-app's `aggregation`)."""

    SUM = "sum"
    MEAN = "mean"
    MIN = "min"
    MAX = "max"
    LAST = "last"


class Comparison(enum.StrEnum):
    """How two figures compare: (cy / py - 1) x 100 in percent, or (cy - py) x 10,000 in basis points."""

    PERCENT = "percent"
    BPS = "bps"


class Grain(enum.StrEnum):
    DAY = "day"
    WEEK = "week"  # one value per week, dated on the week's last day


class Period(enum.StrEnum):
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"  # fiscal quarter
    YEAR = "year"  # fiscal year


class Operation(enum.StrEnum):
    """A function row computed from other rows' period figures (wbr-app's `function`). The registry allows only
    DIVIDE (a ratio of two metrics' period sums); the others exist to read wbr-app decks faithfully."""

    DIVIDE = "divide"
    SUM = "sum"
    DIFFERENCE = "difference"
    PRODUCT = "product"


class Source(enum.StrEnum):
    CSV = "csv"
    API = "api"
    SQL = "sql"
    DEMO = "demo"


class Engine(enum.StrEnum):
    DUCKDB = "duckdb"
    POSTGRESQL = "postgresql"


class GoalMeasure(enum.StrEnum):
    """Which figure of the metric a goal is judged on."""

    LAST_WEEK = "last_week"
    MTD = "mtd"
    QTD = "qtd"
    YTD = "ytd"


# ---------------------------------------------------------------------------------------------------------------
# The deck engine: inputs
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Series:
    """Observations of one base metric. `values` maps a day (for a weekly series: the week's last day) to its
    value; a day mapped to None was loaded blank, a day not in the mapping is missing. The engine never reads
    either as 0: a period with a missing or blank day is incomplete."""

    values: Mapping[dt.date, float | None]
    grain: Grain = Grain.DAY


@dataclass(frozen=True, slots=True)
class PlanValue:
    """The plan for one period, given by its first and last day."""

    period: Period
    start: dt.date
    end: dt.date
    value: float


@dataclass(frozen=True, slots=True)
class RowSpec:
    """One row (chart and box) of a deck. A base row reads `series[source or name]` and combines each period's
    values with `aggregation`; a function row (`operation` set) combines the period figures of `operands` (other
    rows' names), e.g. DIVIDE (clicks, impressions) is the ratio of their period sums."""

    name: str
    label: str = ""
    aggregation: Aggregation = Aggregation.SUM
    comparison: Comparison = Comparison.PERCENT
    source: str | None = None  # the series' name when it differs from the row's
    operation: Operation | None = None
    operands: tuple[str, ...] = ()
    direction: Direction = Direction.UP
    number_format: str = ""
    plan: tuple[PlanValue, ...] = ()
    # A base row that only feeds function rows is computed but not shown (wbr-app's metrics used only by others).
    shown: bool = True


@dataclass(frozen=True, slots=True)
class DeckSpec:
    """What the engine needs for one deck and one week: the week's last day, the fiscal year's last month, the rows
    in order and the series they read."""

    week_ending: dt.date
    rows: tuple[RowSpec, ...]
    series: Mapping[str, Series]
    fiscal_year_end_month: int = 12
    title: str = ""
    # The deck engine part: the week number to show when the caller has one (wbr-app's `week_number`); None infers
    # it from the week ending and the fiscal year end (rules.week_number).
    week_number: int | None = None
    # The deck engine part: a period that starts before a series' first observation (the metric was not tracked
    # yet) is computed over the days from that first day, as wbr-app does, and flagged by a Gap with
    # `before_first_day`; False makes such a period incomplete (None) instead.
    count_from_first_day: bool = True


# ---------------------------------------------------------------------------------------------------------------
# The deck engine: results. None is "not available" (an incomplete or absent period), never 0.
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Box:
    """The figures beside a chart, by wbr-app's definitions: last week, week over week, year over year, month,
    quarter and year to date with their year over year; comparisons in the row's `Comparison`. Beyond wbr-app: the
    same periods against plan (`*_vs_plan`, in the row's comparison; None without a plan)."""

    last_week: float | None
    wow: float | None
    yoy: float | None
    mtd: float | None
    mtd_yoy: float | None
    qtd: float | None
    qtd_yoy: float | None
    ytd: float | None
    ytd_yoy: float | None
    week_plan: float | None = None
    week_vs_plan: float | None = None
    mtd_plan: float | None = None
    mtd_vs_plan: float | None = None
    qtd_plan: float | None = None
    qtd_vs_plan: float | None = None
    ytd_plan: float | None = None
    ytd_vs_plan: float | None = None


@dataclass(frozen=True, slots=True)
class Gap:
    """Why a figure is not available: the period, and its missing and blank days."""

    period: str  # e.g. "week 2021-09-25", "month 2021-09", "mtd", "ytd py"
    missing: tuple[dt.date, ...] = ()
    blank: tuple[dt.date, ...] = ()
    # The deck engine part: the row whose data has the gap (a function row lists its operands' gaps).
    metric: str = ""
    # True: the figure IS available but covers only the days from the series' first observation; `missing` lists
    # the period's days before it (see DeckSpec.count_from_first_day).
    before_first_day: bool = False


@dataclass(frozen=True, slots=True)
class RowResult:
    name: str
    label: str
    comparison: Comparison
    number_format: str
    # The trailing 6 weeks, oldest first, ending on their last day; prior year = the weeks ending 364 days earlier.
    week_endings: tuple[dt.date, ...]
    weeks_cy: tuple[float | None, ...]
    weeks_py: tuple[float | None, ...]
    # The trailing 12 months, oldest first, by their first day; prior year = the same months a year earlier. The
    # last month is the week's month, partial when the week does not end on the month's last day.
    months: tuple[dt.date, ...]
    months_cy: tuple[float | None, ...]
    months_py: tuple[float | None, ...]
    partial_month: bool
    box: Box
    weeks_plan: tuple[float | None, ...] = ()
    months_plan: tuple[float | None, ...] = ()
    gaps: tuple[Gap, ...] = ()
    # Set when the row is an exception (off plan, or outside its usual range by the documented rule), with why.
    exception: str | None = None
    # The row's good direction (from its RowSpec), for the drawing's good/bad colouring (added by part `charts`).
    direction: Direction = Direction.UP


@dataclass(frozen=True, slots=True)
class DeckResult:
    title: str
    week_ending: dt.date
    week_number: int  # the week of the fiscal year (inferred from the week ending and the fiscal year end)
    fiscal_year_end_month: int
    rows: tuple[RowResult, ...]
    notes: tuple[str, ...] = field(default=())


# ---------------------------------------------------------------------------------------------------------------
# first part: the registry's records (metrics, revisions, lineage, plans)
# ---------------------------------------------------------------------------------------------------------------

# The definitional fields: every revision keeps all of them (MetricRevision.fields), in this order.
DEFINITION_FIELDS = (
    "title",
    "kind",
    "definition",
    "unit",
    "direction",
    "owner_id",
    "team_id",
    "lever",
    "aggregation",
    "comparison",
    "grain",
    "number_format",
    "formula",
    "evolved_from",
    "evolution_reason",
)


@dataclass(frozen=True, slots=True)
class MetricView:
    """A metric of the registry as the services hand it out: every field, the owner's and team's names, a ratio's
    numerator and denominator names (`formula` is `{"ratio": {"numerator": ..., "denominator": ...}}` or None),
    lineage (the metric it evolved from and why) and the current revision number."""

    id: MetricId
    name: str
    title: str
    kind: Kind
    definition: str
    unit: str
    direction: Direction
    owner_id: int
    owner_name: str
    team_id: int
    team_name: str
    lever: str
    aggregation: Aggregation
    comparison: Comparison
    grain: Grain
    number_format: str
    numerator_id: MetricId | None
    numerator: str | None
    denominator_id: MetricId | None
    denominator: str | None
    evolved_from_id: MetricId | None
    evolved_from: str | None
    evolution_reason: str
    revision: int
    retired_on: dt.date | None
    version: int

    @property
    def is_ratio(self) -> bool:
        return self.numerator_id is not None

    @property
    def formula(self) -> dict | None:
        if self.numerator is None or self.denominator is None:
            return None
        return {"ratio": {"numerator": self.numerator, "denominator": self.denominator}}


@dataclass(frozen=True, slots=True)
class MetricRevisionView:
    """One revision of a metric's definition, kept forever: all definitional fields as they were (`fields`, by
    DEFINITION_FIELDS), the fields that differ from the revision before (`changed`: name -> (before, after)), the
    reason, its author and when."""

    metric_id: MetricId
    number: int
    fields: Mapping[str, object]
    changed: Mapping[str, tuple[object, object]]
    reason: str
    author_id: int | None
    author_name: str
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class LineageLink:
    """One metric in a lineage: it evolved from `evolved_from` (a name, None for the first) because of `reason`."""

    metric_id: MetricId
    name: str
    title: str
    evolved_from: str | None
    reason: str
    retired_on: dt.date | None


@dataclass(frozen=True, slots=True)
class LineageView:
    """Where a metric comes from and what came of it: `ancestors` oldest first (pages -> pages seen), the metric
    itself, and `descendants` (every metric that evolved from it, directly or through others, breadth first)."""

    metric: LineageLink
    ancestors: tuple[LineageLink, ...]
    descendants: tuple[LineageLink, ...]


@dataclass(frozen=True, slots=True)
class PlanRow:
    """A metric's plan for one period (a week ending on its last day, a month, a fiscal quarter or year)."""

    metric_id: MetricId
    period: Period
    start: dt.date
    end: dt.date
    value: float


@dataclass(frozen=True, slots=True)
class MetricChanges:
    """A revision's changes: only the given fields change (UNSET: not given). `formula` None makes a ratio metric
    a base metric again; `evolved_from_id` None clears its lineage. The name never changes (it keys CSV columns,
    pushes and SQL pulls): a renamed metric is a new metric that evolved from this one."""

    title: str | Unset = UNSET
    kind: Kind | str | Unset = UNSET
    definition: str | Unset = UNSET
    unit: str | Unset = UNSET
    direction: Direction | str | Unset = UNSET
    owner_id: int | Unset = UNSET
    team_id: int | Unset = UNSET
    lever: str | Unset = UNSET
    aggregation: Aggregation | str | Unset = UNSET
    comparison: Comparison | str | Unset = UNSET
    grain: Grain | str | Unset = UNSET
    number_format: str | Unset = UNSET
    formula: dict[str, Any] | None | Unset = UNSET
    evolved_from_id: int | None | Unset = UNSET
    evolution_reason: str | Unset = UNSET


# ---------------------------------------------------------------------------------------------------------------
# Second part: data (CSV loads, API pushes, SQL pulls, completeness)
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ValuePoint:
    """One value of a metric: the day (for a weekly metric, the week's last day) and the value; None is a blank
    (the source says it has no figure), never 0."""

    day: dt.date
    value: float | None


@dataclass(frozen=True, slots=True)
class LoadReport:
    """What one load did: how many values it added, changed and left as they were, for which metrics. Re-loading
    the same values adds and changes nothing."""

    id: int
    source: Source
    actor_id: int | None
    file_name: str
    metric_ids: tuple[MetricId, ...]
    metric_names: tuple[str, ...]
    added: int
    changed: int
    unchanged: int
    created_at: dt.datetime | None = None
    first_day: dt.date | None = None
    last_day: dt.date | None = None

    @property
    def changed_anything(self) -> bool:
        return bool(self.added or self.changed)


@dataclass(frozen=True, slots=True)
class SeriesView:
    """A metric's loaded values between start and end inclusive, oldest first; a day never loaded is in `missing`
    (for a weekly metric: a week end with no value), a blank is a point whose value is None."""

    metric_id: MetricId
    name: str
    grain: Grain
    start: dt.date
    end: dt.date
    points: tuple[ValuePoint, ...]
    missing: tuple[dt.date, ...] = ()


@dataclass(frozen=True, slots=True)
class WeekCompleteness:
    """One week (ending on `week_ending`): the days it expects (7 for a daily metric, 1 for a weekly one), the
    expected days that were never loaded and those loaded blank; complete when neither has any."""

    week_ending: dt.date
    expected: int
    missing: tuple[dt.date, ...]
    blank: tuple[dt.date, ...]

    @property
    def complete(self) -> bool:
        return not self.missing and not self.blank


@dataclass(frozen=True, slots=True)
class Completeness:
    """The completeness check of a metric over the weeks ending between start and end (weeks end on
    `week_ends_on`, 0 Monday .. 6 Sunday), newest week last. Shown, never hidden."""

    metric_id: MetricId
    name: str
    grain: Grain
    start: dt.date
    end: dt.date
    week_ends_on: int
    weeks: tuple[WeekCompleteness, ...]

    @property
    def complete(self) -> bool:
        return all(w.complete for w in self.weeks)

    @property
    def missing_days(self) -> int:
        return sum(len(w.missing) for w in self.weeks)

    @property
    def blank_days(self) -> int:
        return sum(len(w.blank) for w in self.weeks)


@dataclass(frozen=True, slots=True)
class SqlSourceView:
    """Where the worker pulls a metric's values from, and how its last run went (last_status ok | failed)."""

    metric_id: MetricId
    engine: Engine
    connection: str
    query: str
    every_hours: int
    enabled: bool
    version: int
    last_run_at: dt.datetime | None = None
    last_status: str = ""
    last_error: str = ""
    last_rows: int | None = None
    next_run_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class PullReport:
    """What one pass of the worker over the due SQL sources did: which metrics it pulled, which failed."""

    pulled: tuple[MetricId, ...] = ()
    failed: tuple[MetricId, ...] = ()
    skipped: int = 0  # enabled sources not yet due


# Third part: decks, commentary, snapshots (the records the deck services hand out)
# ---------------------------------------------------------------------------------------------------------------

SnapshotId = int
NoteId = int


@dataclass(frozen=True, slots=True)
class DeckLine:
    """One chart of a deck, in order: the metric, its label and number format for this deck (blank: the metric's)."""

    position: int
    metric_id: MetricId
    metric_name: str
    label: str = ""
    number_format: str = ""


@dataclass(frozen=True, slots=True)
class Deck:
    """A Weekly Business Review deck: an org unit's (or a team's) metrics in order, reviewed every week ending on
    `week_ends_on` (0 Monday .. 6 Sunday), in a fiscal year ending with `fiscal_year_end_month`."""

    id: DeckId
    slug: str
    title: str
    unit_id: int | None
    team_id: int | None
    owner_id: int
    week_ends_on: int
    fiscal_year_end_month: int
    description: str
    version: int
    rows: tuple[DeckLine, ...] = ()


@dataclass(frozen=True, slots=True)
class Note:
    """The owner's commentary on one metric of one week's deck (Markdown `body`, rendered `html`)."""

    id: NoteId
    deck_id: DeckId
    metric_id: MetricId
    week_ending: dt.date
    author_id: int
    body: str
    html: str
    version: int
    updated_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class DeckViewRow:
    """A shown row of a built deck: the engine's figures, the metric's id and owner, this week's note, and whether
    the owner is asked for one (the row is an exception and has no note yet)."""

    result: RowResult
    metric_id: MetricId
    owner_id: int
    team_id: int
    note: Note | None = None
    needs_note: bool = False


@dataclass(frozen=True, slots=True)
class DeckView:
    """A deck built for one week: the engine's result, each shown row with its metric and note, the owners the
    deck owner is still waiting on (an exception row without a note), and the weeks before and after."""

    deck: Deck
    result: DeckResult
    rows: tuple[DeckViewRow, ...]
    waiting_on: tuple[int, ...]
    previous_week: dt.date
    next_week: dt.date | None  # None: the next week has not ended yet
    exceptions_first: bool = False


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A frozen deck for one week as it was presented: `payload` holds the engine's result (`result`), the export
    form (`deck`, the JSON of issue 12), the commentary and the completeness, as plain JSON."""

    id: SnapshotId
    deck_id: DeckId
    week_ending: dt.date
    taken_by_id: int | None  # None: the worker
    created_at: dt.datetime
    payload: Mapping[str, object]


@dataclass(frozen=True, slots=True)
class RowComparison:
    """One row of two snapshots side by side: the box of each (None where the row is absent), which box figures
    changed, and each week's note."""

    name: str
    label: str
    box_a: Mapping[str, float | None] | None
    box_b: Mapping[str, float | None] | None
    changed: tuple[str, ...]
    note_a: str = ""
    note_b: str = ""


@dataclass(frozen=True, slots=True)
class SnapshotComparison:
    deck_id: DeckId
    week_a: dt.date
    week_b: dt.date
    rows: tuple[RowComparison, ...]
    added: tuple[str, ...]  # rows in week b's deck only
    removed: tuple[str, ...]  # rows in week a's deck only


# ---------------------------------------------------------------------------------------------------------------
# Fourth part: goals (the goal machine is metrics/machines.py; services.py's goals section hands these out)
# ---------------------------------------------------------------------------------------------------------------


class GoalState(enum.StrEnum):
    """Where a goal is in its life (metrics/machines.py): the team drafts and proposes it, leadership approves the
    "what" or returns it; an approved goal is achieved or missed (judged from the data once due) or dropped."""

    DRAFT = "draft"
    PROPOSED = "proposed"
    APPROVED = "approved"
    ACHIEVED = "achieved"
    MISSED = "missed"
    DROPPED = "dropped"


class GoalStatus(enum.StrEnum):
    """A goal's progress status, computed from the metric's data and the date (never picked by a person)."""

    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    ACHIEVED = "achieved"
    MISSED = "missed"
    NO_DATA = "no_data"  # the measured period is incomplete (a missing or blank day) or has no data at all


@dataclass(frozen=True, slots=True)
class Goal:
    """A team's goal for the year, tied to a registry metric and the revision of its definition it was set on."""

    id: GoalId
    team_id: int
    year: int
    title: str
    description: str
    metric_id: MetricId
    metric_name: str
    metric_kind: Kind
    metric_revision: int
    measure: GoalMeasure
    baseline: float | None
    target: float
    start_date: dt.date
    due_date: dt.date
    state: GoalState
    owner_id: int
    decided_by_id: int | None
    decided_at: dt.datetime | None
    decision_note: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def url(self) -> str:
        return f"/goals/{self.id}"


@dataclass(frozen=True, slots=True)
class GoalChanges:
    """What `change_goal` may change on a draft (a field left UNSET is not touched)."""

    title: str | Unset = UNSET
    description: str | Unset = UNSET
    metric_id: MetricId | Unset = UNSET
    measure: GoalMeasure | str | Unset = UNSET
    baseline: float | None | Unset = UNSET
    target: float | Unset = UNSET
    start_date: dt.date | Unset = UNSET
    due_date: dt.date | Unset = UNSET


@dataclass(frozen=True, slots=True)
class GoalProgress:
    """How far a goal is, from the data and the date. `as_of` is the week ending the figure was measured for (the
    last ended week, or the last week ending by the due date once it is past); `measured` is None when that period
    is incomplete (`gaps` say which days) and the status is then no_data. `progress` is the share of the way from
    the baseline to the target, `elapsed` the share of the time from start to due. `revision_note` is set when the
    metric's definition was revised after the goal was set on it."""

    goal_id: GoalId
    measure: GoalMeasure
    as_of: dt.date
    measured: float | None
    baseline: float | None
    target: float
    progress: float | None
    elapsed: float
    status: GoalStatus
    reason: str
    gaps: tuple[Gap, ...] = ()
    goal_revision: int = 1
    metric_revision: int = 1
    revision_note: str | None = None


@dataclass(frozen=True, slots=True)
class GoalMixLine:
    """One team's goals for a year, by the kind of metric they are tied to (dropped goals do not count)."""

    team_id: int
    input: int
    output: int
    total: int
    input_share: float | None
    output_only: bool


@dataclass(frozen=True, slots=True)
class GoalMix:
    """The share of goals tied to input versus output metrics, per team and for the whole team or unit subtree,
    with a warning for each team whose goal set is output-only (MECHANISMS.md §8)."""

    year: int
    teams: tuple[GoalMixLine, ...]
    input: int
    output: int
    total: int
    input_share: float | None
    warnings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class GoalView:
    """A goal as one viewer sees it: the machine's moves they may take now and whether they may change it."""

    goal: Goal
    actions: tuple[str, ...]
    can_change: bool
    held: str = ""  # why a due goal is not closed yet (e.g. its data is incomplete)
