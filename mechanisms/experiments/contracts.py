"""Public contracts of the experiments app (MECHANISMS.md §9): frozen dataclasses and enums, no Django.

Two families:
- the statistics' inputs and outputs (`AnalysisSettings`, `MetricStats`, `VariationStats` -> `MetricResult`,
  `VariationResult`), shared by the pure engine (`rules.py`), the offline `mech experiments analyze` (interop) and
  the server's analysis (SQL sufficient statistics -> rules -> snapshot);
- the registry's records (`Plan`, `ExperimentView`, `PlanVersionView`, `Assignment`, `SnapshotView`, ...).
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any, NewType

ExperimentId = NewType("ExperimentId", int)

# The engine version kept in every snapshot: bump it whenever a number the engine returns can change.
ENGINE_VERSION = "mechanisms-stats 1"


# --------------------------------------------------------------------------------------------- statistics


class Engine(enum.StrEnum):
    FREQUENTIST = "frequentist"  # fixed-horizon Welch t-test
    SEQUENTIAL = "sequential"  # always-valid confidence sequence (frequentist, any-time)
    BAYESIAN = "bayesian"  # normal approximation, flat or proper prior on the relative scale


class Difference(enum.StrEnum):
    RELATIVE = "relative"  # lift = (treatment - control) / control
    ABSOLUTE = "absolute"  # lift = treatment - control


class Statistic(enum.StrEnum):
    PROPORTION = "proportion"  # a unit converted or not: variance p(1-p)
    MEAN = "mean"  # a per-unit value: variance (sum_squares - sum^2/n)/(n-1)
    RATIO = "ratio"  # numerator / denominator per unit, by the delta method


class Correction(enum.StrEnum):
    NONE = "none"
    HOLM = "holm"  # Holm-Bonferroni: family-wise error
    BH = "bh"  # Benjamini-Hochberg: false discovery rate


class ResultError(enum.StrEnum):
    """Why a comparison has no estimate: GrowthBook's names, so a result reads the same in both."""

    ZERO_NEGATIVE_BASELINE = "ZERO_NEGATIVE_BASELINE_VARIATION"  # control mean 0 (or <= 0 on the relative scale)
    ZERO_NEGATIVE_VARIANCE = "ZERO_NEGATIVE_VARIANCE"  # a variance <= 0 (a constant metric, n <= 1)
    NO_UNITS = "NO_UNITS_IN_VARIATION"  # an empty arm


DEFAULT_ALPHA = 0.05
DEFAULT_SEQUENTIAL_TUNING = 5000.0
SRM_THRESHOLD = 0.001  # a sample-ratio-mismatch p-value below this is flagged


@dataclass(frozen=True, slots=True)
class Prior:
    """A proper normal prior on the relative lift (mean, stddev); the absolute scale is derived from the control."""

    mean: float = 0.0
    stddev: float = 0.3


@dataclass(frozen=True, slots=True)
class AnalysisSettings:
    alpha: float = DEFAULT_ALPHA
    engine: Engine = Engine.FREQUENTIST
    difference: Difference = Difference.RELATIVE
    sequential_tuning: float = DEFAULT_SEQUENTIAL_TUNING
    prior: Prior | None = None  # None: a flat (improper) prior
    correction: Correction = Correction.NONE  # across metrics and variations (frequentist and sequential p-values)


@dataclass(frozen=True, slots=True)
class VariationStats:
    """One arm's sufficient statistics for one metric: what the SQL query returns (sums only, never rows).

    `n` units; for proportion and mean `sum` and `sum_squares` of the per-unit value (a proportion's
    sum_squares equals its sum); for ratio the numerator's (`m_*`) and denominator's (`d_*`) sums and their sum of
    products; for CUPED the pre-exposure covariate's sums and its sum of products with the main value."""

    name: str
    weight: float
    n: int
    sum: float = 0.0
    sum_squares: float = 0.0
    m_sum: float = 0.0
    m_sum_squares: float = 0.0
    d_sum: float = 0.0
    d_sum_squares: float = 0.0
    m_d_sum_of_products: float = 0.0
    covariate_sum: float = 0.0
    covariate_sum_squares: float = 0.0
    main_covariate_sum_product: float = 0.0


@dataclass(frozen=True, slots=True)
class MetricStats:
    """One metric's statistics per variation, the first being the control. `inverse`: lower is better (a latency,
    a cost): chance to win and risk are read the other way."""

    name: str
    statistic: Statistic
    variations: tuple[VariationStats, ...]
    cuped: bool = False
    inverse: bool = False


@dataclass(frozen=True, slots=True)
class VariationResult:
    """One non-control variation against the control, for one metric. `error` set: no estimate (lift, ci and the
    engine's figures are None). `p_value` for frequentist and sequential, `chance_to_win` and `risk` ([risk of
    choosing the control, risk of choosing this variation], GrowthBook's order) for Bayesian; `p_value_adjusted`
    when a correction was asked for."""

    name: str
    lift: float | None
    ci: tuple[float, float] | None
    p_value: float | None = None
    p_value_adjusted: float | None = None
    chance_to_win: float | None = None
    risk: tuple[float, float] | None = None
    error: ResultError | None = None
    # What the page shows beside the lift: each arm's mean (the control's unadjusted), the lift's standard error.
    control_mean: float | None = None
    mean: float | None = None
    stderr: float | None = None
    significant: bool = False  # frequentist/sequential: p < alpha; Bayesian: chance to win > 1 - alpha/2 or < alpha/2


@dataclass(frozen=True, slots=True)
class MetricResult:
    name: str
    srm_p: float
    variations: tuple[VariationResult, ...]  # non-control variations, in the input's order
    units: tuple[int, ...] = ()  # n per variation, control first

    @property
    def srm(self) -> bool:
        return self.srm_p < SRM_THRESHOLD


@dataclass(frozen=True, slots=True)
class AnalysisResult:
    settings: AnalysisSettings
    metrics: tuple[MetricResult, ...]
    engine_version: str = ENGINE_VERSION


# --------------------------------------------------------------------------------------------- the registry


class ExperimentState(enum.StrEnum):
    DRAFT = "draft"  # the plan is written and may change
    RUNNING = "running"  # the plan is frozen; units are assigned and exposed
    STOPPED = "stopped"  # no more assignment; the final analysis waits for the owner's decision
    IN_REVIEW = "in_review"  # the owner's decision waits on an independent bar-raiser review
    DECIDED = "decided"  # launched, kept the control, or iterate
    CANCELLED = "cancelled"  # stopped before it ever ran


class Decision(enum.StrEnum):
    SHIP = "ship"  # launch a variation (named by `decision_variation`)
    KEEP_CONTROL = "keep_control"  # roll back: the control stays
    ITERATE = "iterate"  # no launch; a new version of the idea


class StopRule(enum.StrEnum):
    SAMPLE_SIZE = "sample_size"  # stop when the planned sample size is reached (fixed horizon)
    END_DATE = "end_date"  # stop on the planned end date
    SEQUENTIAL = "sequential"  # stop as soon as the always-valid interval excludes zero (or at the sample size)


HASH_VERSIONS = (1, 2)  # GrowthBook's hash versions; 2 is the default (its SDKs' current one)
DEFAULT_HASH_VERSION = 2


@dataclass(frozen=True, slots=True)
class Variation:
    key: str  # a slug, unique in the experiment; the first variation is the control
    name: str
    weight: float  # the weights sum to 1


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """A metric of the experiment: a registry metric by name, how its per-unit value is summarised, CUPED or not,
    and, for a guardrail, the relative harm it tolerates before it fails (0.0: any significant harm fails)."""

    metric: str
    statistic: Statistic = Statistic.MEAN
    cuped: bool = False
    denominator: str | None = None  # a ratio's denominator metric (registry name)
    tolerance: float = 0.0


@dataclass(frozen=True, slots=True)
class Plan:
    """The pre-registered plan. Frozen once the experiment starts: a change after start is a new, reasoned plan
    version (`PlanVersionView`), shown beside the results; the variations, their weights, the primary metric and
    the engine never change after start (a new experiment does)."""

    variations: tuple[Variation, ...]
    primary: MetricSpec
    guardrails: tuple[MetricSpec, ...] = ()
    secondary: tuple[MetricSpec, ...] = ()
    engine: Engine = Engine.FREQUENTIST
    difference: Difference = Difference.RELATIVE
    alpha: float = DEFAULT_ALPHA
    power: float = 0.8
    sequential_tuning: float = DEFAULT_SEQUENTIAL_TUNING
    prior: Prior | None = None
    correction: Correction = Correction.HOLM
    mde: float = 0.02  # the minimum detectable effect, relative to the control mean
    baseline_mean: float | None = None  # the primary metric's mean before the experiment (for the power calculation)
    baseline_stddev: float | None = None  # its standard deviation (a proportion's is derived from its mean)
    planned_sample_size: int = 0  # units over all variations, from the power calculation unless given
    stop_rule: StopRule = StopRule.SAMPLE_SIZE
    planned_end: dt.date | None = None
    covariate_days: int = 14  # CUPED's pre-exposure window


@dataclass(frozen=True, slots=True)
class PlanVersionView:
    number: int
    plan: Plan
    reason: str  # why it changed ("" for the first)
    after_start: bool  # written after the experiment started: shown beside the results
    created_by_id: int | None
    created_by_name: str
    created_at: dt.datetime
    changed: tuple[str, ...] = ()  # the plan fields this version changed against the one before


@dataclass(frozen=True, slots=True)
class ExperimentView:
    id: ExperimentId
    key: str  # the assignment seed: hash(key, unit id)
    name: str
    hypothesis: str
    team_id: int
    team_name: str
    owner_id: int
    owner_name: str
    service_id: int | None
    service_name: str | None
    state: ExperimentState
    high_impact: bool
    hash_version: int
    connection: str  # the data connection its statistics are computed in (kernel/warehouse.py)
    plan: Plan
    plan_number: int
    started_at: dt.datetime | None
    stopped_at: dt.datetime | None
    stop_reason: str
    stopped_early: bool
    decision: Decision | None
    decision_variation: str | None
    decision_rationale: str
    decided_by_id: int | None
    decided_at: dt.datetime | None
    review_reasons: tuple[str, ...]  # why the decision needs (or needed) a bar-raiser review
    created_at: dt.datetime
    version: int


@dataclass(frozen=True, slots=True)
class ExperimentChanges:
    """A draft's editable fields (each None: unchanged)."""

    name: str | None = None
    hypothesis: str | None = None
    service_id: int | None = None
    high_impact: bool | None = None
    plan: Plan | None = None


@dataclass(frozen=True, slots=True)
class Assignment:
    """Which variation a unit sees: the pure function's answer, with the hash version and bucket kept so a
    re-analysis and the SRM's expected split are exact. `variation` None: the experiment is not running."""

    experiment: str
    unit_id: str
    variation: str | None
    index: int | None
    hash_version: int
    bucket: float | None


@dataclass(frozen=True, slots=True)
class Exposure:
    unit_id: str
    at: dt.datetime | None = None  # None: now
    variation: str | None = None  # what the caller showed; refused when it disagrees with the assignment


@dataclass(frozen=True, slots=True)
class ExposureReport:
    recorded: int  # new exposures
    repeated: int  # units already exposed (their first exposure is kept)


@dataclass(frozen=True, slots=True)
class ExposureSummary:
    """The exposures of an experiment: units per variation (keys and counts, the control first) and the units first
    exposed each day (day, counts per variation), oldest first, days without one as zeros."""

    variations: tuple[str, ...]
    counts: tuple[int, ...]
    series: tuple[tuple[dt.date, tuple[int, ...]], ...]


@dataclass(frozen=True, slots=True)
class Recommendation:
    """The engine's recommendation from the primary metric and the guardrails, in words a person reads."""

    decision: Decision
    variation: str | None
    sentence: str
    guardrail_failures: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SnapshotView:
    """An immutable analysis: the queries run, the sufficient statistics they returned, the settings, the engine
    version, the results and their hash (sha256 of the canonical JSON of everything above)."""

    id: int
    number: int
    taken_at: dt.datetime
    through: dt.datetime  # the data's end
    plan_number: int
    final: bool
    engine_version: str
    queries: dict[str, str]
    statistics: tuple[MetricStats, ...]
    result: AnalysisResult
    recommendation: Recommendation
    exposures: tuple[int, ...]  # units per variation, control first
    srm_p: float
    peeking: bool  # a fixed-horizon result read before the planned sample size
    result_hash: str
    extra: dict[str, Any] = field(default_factory=dict)
