"""Pure statistics of experiments (MECHANISMS.md §9; docs/experiments-statistics.md defines every number): no ORM.

The conventions are GrowthBook's gbstats 0.8, so the numbers agree with it to 1e-8; the code is written here from
the formulas (nothing is copied). The entry points:

- `analyze(settings, metrics) -> AnalysisResult`: every non-control variation of every metric against the control,
  the SRM p-value per metric and, when asked, Holm or Benjamini-Hochberg adjusted p-values across all of them;
- `compare(settings, metric, control, treatment) -> VariationResult`: one comparison;
- `check_stats(metric)`: refuses statistics that cannot be right (`InvalidStats`, naming the field);
- `srm_p`, `holm`, `benjamini_hochberg`, `sample_size`, `peeking`, `recommend`, `sentence`;
- `result_to_dict` / `result_from_dict`, `stats_to_dict` / `stats_from_dict`: the JSON forms used by
  `mech experiments analyze` and by the snapshots.

Per arm, the per-unit variance is: proportion p(1 - p); mean (sum_squares - sum^2/n)/(n - 1) (0 when n <= 1);
ratio m/d by the delta method, var_m/d^2 - 2 cov m/d^3 + m^2 var_d/d^4 on the per-unit means; CUPED the mean
minus theta times the covariate's mean, theta = the joint covariance over the joint covariate variance of both
arms pooled (0, which means no adjustment, when either pooled variance is 0); a proportion's covariate is a
proportion, a mean's a mean.

Engines (relative lift uses the control's UNADJUSTED mean as the denominator):
- frequentist: Welch's t; variance of the lift var_b/n_b + var_a/n_a (absolute) or, by the delta method,
  var_b/(mean_a^2 n_b) + var_a mean_b^2/(mean_a^4 n_a) (relative); Welch-Satterthwaite degrees of freedom from the
  absolute per-arm variances; p = 2 (1 - T_dof(|t|)); CI lift -/+ T_dof^-1(1 - alpha/2) stderr;
- sequential: the always-valid confidence sequence of Waudby-Smith et al. (eqs. 9, 155 and 161 of arXiv
  2103.06476v7) with the tuning parameter (default 5,000): rho^2 = (-2 ln alpha + ln(1 - 2 ln alpha))/tuning,
  half-width sqrt(N var) sqrt(2 (N rho^2 + 1) ln(sqrt(N rho^2 + 1)/alpha) / (N rho)^2) with N the units of both
  arms and var the lift's variance; p = min(1, 1/e-value), e = exp(rho^2 t^2 N/(2 (N rho^2 + 1)))/sqrt(N rho^2 + 1);
- Bayesian: normal approximation of the lift; flat prior (posterior = the data) or a proper normal prior given on
  the relative scale (mean, stddev), rescaled by |unadjusted control mean| (its variance by the square) for the
  absolute difference; chance to win P(lift > 0) (P(lift < 0) for an inverse metric); credible interval from the
  normal quantiles; risk = [expected loss of keeping the control, expected loss of choosing the variation] =
  [(1 - Phi(-mu/s)) E(lift | lift > 0), -Phi(-mu/s) E(lift | lift < 0)], in closed form
  [mu Phi(mu/s) + s phi(mu/s), s phi(mu/s) - mu Phi(-mu/s)], swapped for an inverse metric.

Guards, in gbstats' order (the result then has no estimate and names the error): frequentist and sequential:
control mean 0 (adjusted or not) -> ZERO_NEGATIVE_BASELINE_VARIATION, a variance <= 0 -> ZERO_NEGATIVE_VARIANCE;
Bayesian: on the relative scale a control mean 0 -> baseline error, an empty arm -> NO_UNITS_IN_VARIATION, a
variance <= 0 -> variance error. On the relative scale a NEGATIVE unadjusted control mean also gives the baseline
error in every engine (GrowthBook reports 0 there: a relative change of a negative number has no meaning).
Where we go beyond gbstats, it would otherwise fail: an arm of one unit is a variance error (Welch's degrees of
freedom divide by n - 1); a proper prior on the absolute scale with a zero control mean is a baseline error.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

from scipy.special import chdtrc, ndtr, ndtri, stdtr, stdtrit

from .contracts import (
    ENGINE_VERSION,
    SRM_THRESHOLD,
    AnalysisResult,
    AnalysisSettings,
    Correction,
    Decision,
    Difference,
    Engine,
    MetricResult,
    MetricStats,
    Prior,
    Recommendation,
    ResultError,
    Statistic,
    VariationResult,
    VariationStats,
)

__all__ = [
    "InvalidStats",
    "analyze",
    "benjamini_hochberg",
    "check_settings",
    "check_stats",
    "compare",
    "holm",
    "peeking",
    "recommend",
    "result_from_dict",
    "result_to_dict",
    "sample_size",
    "sentence",
    "srm_p",
    "stats_from_dict",
    "stats_to_dict",
]

_WEIGHT_TOLERANCE = 1e-9  # weights must sum to 1 within this
_ROUNDING = 1e-9  # relative slack for sums of squares computed in floating point


class InvalidStats(ValueError):
    """Statistics (or settings) that cannot be right. `field` is a dotted path inside what was checked, e.g.
    `variations[1].sum_squares` for `check_stats`, `metrics[0].variations[1].sum_squares` for `analyze`."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def prefixed(self, prefix: str) -> InvalidStats:
        """The same error under a parent path (`metrics[2]` + `variations[1].n`)."""
        return InvalidStats(self.message, f"{prefix}.{self.field}" if self.field else prefix)


# --------------------------------------------------------------------------------------------- per-arm figures


@dataclasses.dataclass(slots=True)
class _Arm:
    n: int
    mean: float  # the (CUPED-adjusted) mean the lift is taken on
    raw: float  # the unadjusted mean: the relative lift's denominator
    var: float  # the per-unit variance (adjusted under CUPED)


def _mean_of(n: int, total: float) -> float:
    return total / n if n else 0.0


def _sample_var(n: int, total: float, squares: float) -> float:
    return (squares - total * total / n) / (n - 1) if n > 1 else 0.0


def _cov(n: int, sum_x: float, sum_y: float, products: float) -> float:
    return (products - sum_x * sum_y / n) / (n - 1) if n > 1 else 0.0


def _plain_arm(statistic: Statistic, v: VariationStats) -> _Arm:
    n = v.n
    if statistic is Statistic.PROPORTION:
        p = _mean_of(n, v.sum)
        return _Arm(n, p, p, p * (1.0 - p))
    if statistic is Statistic.MEAN:
        m = _mean_of(n, v.sum)
        return _Arm(n, m, m, _sample_var(n, v.sum, v.sum_squares))
    # ratio: the per-unit means of numerator and denominator, by the delta method
    m_mean = _mean_of(n, v.m_sum)
    d_mean = _mean_of(n, v.d_sum)
    ratio = v.m_sum / v.d_sum if v.d_sum != 0 else 0.0
    if d_mean == 0 or n <= 1:
        var = 0.0
    else:
        m_var = _sample_var(n, v.m_sum, v.m_sum_squares)
        d_var = _sample_var(n, v.d_sum, v.d_sum_squares)
        cov = _cov(n, v.m_sum, v.d_sum, v.m_d_sum_of_products)
        var = m_var / d_mean**2 - 2 * cov * m_mean / d_mean**3 + m_mean**2 * d_var / d_mean**4
    return _Arm(n, ratio, ratio, var)


def _base_var(statistic: Statistic, n: int, total: float, squares: float) -> float:
    """The per-unit variance of a proportion or a mean (the CUPED parts)."""
    if statistic is Statistic.PROPORTION:
        p = _mean_of(n, total)
        return p * (1.0 - p)
    return _sample_var(n, total, squares)


def _cuped_theta(statistic: Statistic, a: VariationStats, b: VariationStats) -> float:
    """theta from both arms pooled: joint covariance / joint covariate variance (0 when either joint variance is 0)."""
    n = a.n + b.n
    post_var = _base_var(statistic, n, a.sum + b.sum, a.sum_squares + b.sum_squares)
    pre_var = _base_var(
        statistic, n, a.covariate_sum + b.covariate_sum, a.covariate_sum_squares + b.covariate_sum_squares
    )
    if pre_var == 0 or post_var == 0:
        return 0.0
    cov = _cov(
        n, a.sum + b.sum, a.covariate_sum + b.covariate_sum, a.main_covariate_sum_product + b.main_covariate_sum_product
    )
    return cov / pre_var


def _cuped_arm(statistic: Statistic, v: VariationStats, theta: float) -> _Arm:
    n = v.n
    post_mean = _mean_of(n, v.sum)
    pre_mean = _mean_of(n, v.covariate_sum)
    if n <= 1:
        var = 0.0
    else:
        post_var = _base_var(statistic, n, v.sum, v.sum_squares)
        pre_var = _base_var(statistic, n, v.covariate_sum, v.covariate_sum_squares)
        cov = _cov(n, v.sum, v.covariate_sum, v.main_covariate_sum_product)
        var = post_var + theta * theta * pre_var - 2 * theta * cov
    return _Arm(n, post_mean - theta * pre_mean, post_mean, var)


def _arms(metric: MetricStats, a: VariationStats, b: VariationStats) -> tuple[_Arm, _Arm]:
    statistic = Statistic(metric.statistic)
    if metric.cuped and statistic is not Statistic.RATIO:
        theta = _cuped_theta(statistic, a, b)
        if theta != 0:
            return _cuped_arm(statistic, a, theta), _cuped_arm(statistic, b, theta)
        # theta 0: no adjustment (a period without covariate variance): the plain statistic
    return _plain_arm(statistic, a), _plain_arm(statistic, b)


# --------------------------------------------------------------------------------------------- one comparison


def _no_estimate(name: str, error: ResultError, a: _Arm, b: _Arm) -> VariationResult:
    return VariationResult(name=name, lift=None, ci=None, error=error, control_mean=a.raw, mean=b.raw)


def _lift(a: _Arm, b: _Arm, relative: bool) -> tuple[float, float]:
    """The lift and its variance (delta method on the relative scale, with the unadjusted means)."""
    if relative:
        lift = (b.mean - a.mean) / a.raw
        squared, ratio = a.raw * a.raw, b.raw / a.raw  # not raw**4: it underflows for a tiny control mean
        variance = b.var / (squared * b.n) + a.var * ratio * ratio / (squared * a.n)
    else:
        lift = b.mean - a.mean
        variance = b.var / b.n + a.var / a.n
    return lift, variance


def _checked_lift(a: _Arm, b: _Arm, relative: bool) -> tuple[float, float, ResultError | None]:
    """The lift and its variance, or the error when floating point cannot carry them: on the relative scale a
    control mean so close to 0 that its square underflows (or the lift overflows) is a zero baseline; a variance
    that underflows to 0 is a zero variance. Without this, such data would divide by zero."""
    if relative and a.raw * a.raw == 0:
        return 0.0, 0.0, ResultError.ZERO_NEGATIVE_BASELINE
    lift, variance = _lift(a, b, relative)
    if relative and not _finite(lift, variance):
        return lift, variance, ResultError.ZERO_NEGATIVE_BASELINE
    if _finite(variance) and variance <= 0:
        return lift, variance, ResultError.ZERO_NEGATIVE_VARIANCE
    return lift, variance, None


def _finite(*values: float) -> bool:
    return all(math.isfinite(x) for x in values)


def _too_large(name: str) -> InvalidStats:
    return InvalidStats(f"the statistics of {name!r} are beyond floating-point range", "variations")


def _frequentist(settings: AnalysisSettings, name: str, a: _Arm, b: _Arm) -> VariationResult:
    relative = settings.difference is Difference.RELATIVE
    if a.mean == 0 or a.raw == 0 or (relative and a.raw < 0):
        return _no_estimate(name, ResultError.ZERO_NEGATIVE_BASELINE, a, b)
    if a.var <= 0 or b.var <= 0 or a.n <= 1 or b.n <= 1:
        return _no_estimate(name, ResultError.ZERO_NEGATIVE_VARIANCE, a, b)
    lift, variance, refused = _checked_lift(a, b, relative)
    if refused is not None:
        return _no_estimate(name, refused, a, b)
    stderr = math.sqrt(variance)
    alpha = settings.alpha
    if settings.engine is Engine.SEQUENTIAL:
        big_n = a.n + b.n
        rho2 = (-2 * math.log(alpha) + math.log(1 - 2 * math.log(alpha))) / settings.sequential_tuning
        tr2p1 = big_n * rho2 + 1
        width = math.sqrt(variance * big_n) * math.sqrt(
            2 * tr2p1 * math.log(math.sqrt(tr2p1) / alpha) / (big_n * big_n * rho2)
        )
        st2 = lift * lift * big_n / variance
        log_e = rho2 * st2 / (2 * tr2p1) - 0.5 * math.log(tr2p1)
        p_value = math.exp(-log_e) if log_e > 0 else 1.0
    else:
        va, vb = a.var / a.n, b.var / b.n  # Welch-Satterthwaite on the absolute per-arm variances
        total = va + vb
        if total <= 0:  # both per-arm variances underflow: nothing to test against
            return _no_estimate(name, ResultError.ZERO_NEGATIVE_VARIANCE, a, b)
        # (va + vb)^2 / (vb^2/(nb-1) + va^2/(na-1)), written in shares of va + vb so tiny variances do not underflow
        fa, fb = va / total, vb / total
        dof = 1 / (fb * fb / (b.n - 1) + fa * fa / (a.n - 1))
        p_value = float(2 * (1 - stdtr(dof, abs(lift / stderr))))
        width = float(stdtrit(dof, 1 - alpha / 2)) * stderr
    if not _finite(lift, width, p_value):
        raise _too_large(name)
    return VariationResult(
        name=name,
        lift=lift,
        ci=(lift - width, lift + width),
        p_value=p_value,
        control_mean=a.raw,
        mean=b.raw,
        stderr=stderr,
        significant=p_value < alpha,
    )


def _bayesian(settings: AnalysisSettings, name: str, inverse: bool, a: _Arm, b: _Arm) -> VariationResult:
    relative = settings.difference is Difference.RELATIVE
    prior = settings.prior
    if relative and (a.mean == 0 or a.raw <= 0):
        return _no_estimate(name, ResultError.ZERO_NEGATIVE_BASELINE, a, b)
    if a.n == 0 or b.n == 0:
        return _no_estimate(name, ResultError.NO_UNITS, a, b)
    if a.var <= 0 or b.var <= 0:
        return _no_estimate(name, ResultError.ZERO_NEGATIVE_VARIANCE, a, b)
    if prior is not None and not relative and a.raw == 0:
        return _no_estimate(name, ResultError.ZERO_NEGATIVE_BASELINE, a, b)  # the prior cannot be put on this scale
    data_mean, data_var, refused = _checked_lift(a, b, relative)
    if refused is not None:
        return _no_estimate(name, refused, a, b)
    if prior is None:
        mu, sigma = data_mean, math.sqrt(data_var)
    else:
        scale = 1.0 if relative else abs(a.raw)
        prior_mean, prior_var = prior.mean * scale, prior.stddev**2 * scale * scale
        if prior_var == 0:  # the control mean too close to 0 to put the relative prior on the absolute scale
            return _no_estimate(name, ResultError.ZERO_NEGATIVE_BASELINE, a, b)
        precision = 1 / data_var + 1 / prior_var
        mu = (data_mean / data_var + prior_mean / prior_var) / precision
        sigma = math.sqrt(1 / precision)
    z = mu / sigma
    win = float(ndtr(z))
    chance = 1 - win if inverse else win
    alpha = settings.alpha
    ci = (mu + sigma * float(ndtri(alpha / 2)), mu + sigma * float(ndtri(1 - alpha / 2)))
    density = math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
    risk_control = mu * win + sigma * density  # expected gain forgone by keeping the control
    risk_variation = sigma * density - mu * (1 - win)  # expected loss of choosing the variation
    risk = (risk_variation, risk_control) if inverse else (risk_control, risk_variation)
    if not _finite(mu, sigma, *ci, *risk):
        raise _too_large(name)
    return VariationResult(
        name=name,
        lift=mu,
        ci=ci,
        chance_to_win=chance,
        risk=risk,
        control_mean=a.raw,
        mean=b.raw,
        stderr=sigma,
        significant=chance > 1 - alpha / 2 or chance < alpha / 2,
    )


def compare(
    settings: AnalysisSettings, metric: MetricStats, control: VariationStats, treatment: VariationStats
) -> VariationResult:
    """One variation against the control for one metric, in the settings' engine and difference.

    Rules: MECHANISMS.md §9 (GrowthBook's conventions, the module docstring). The statistics are assumed
    checked (`check_stats`); raises InvalidStats only when the numbers overflow floating point."""
    if type(settings.engine) is not Engine or type(settings.difference) is not Difference:
        settings = _normalised(settings)  # the enums given as their strings
    a, b = _arms(metric, control, treatment)
    if settings.engine is Engine.BAYESIAN:
        return _bayesian(settings, treatment.name, metric.inverse, a, b)
    return _frequentist(settings, treatment.name, a, b)


# --------------------------------------------------------------------------------------------- many comparisons


def srm_p(units: Sequence[int], weights: Sequence[float]) -> float:
    """Sample-ratio mismatch: Pearson's chi-square of the units against the weights, p = P(chi2_{k-1} >= x).

    Variations of weight <= 0 add nothing; no units at all gives 1. Raises InvalidStats (field `weights`) when
    the two lists differ in length or there are fewer than two variations."""
    if len(units) != len(weights) or len(units) < 2:
        raise InvalidStats("units and weights must have one entry per variation, at least two", "weights")
    total = sum(units)
    if not total:
        return 1.0
    total_weight = sum(weights)
    x = 0.0
    for observed, weight in zip(units, weights, strict=True):
        if weight <= 0:
            continue
        expected = weight / total_weight * total
        x += (observed - expected) ** 2 / expected
    return float(chdtrc(len(units) - 1, x))


def holm(ps: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values, in the input's order: the i-th smallest is max over j <= i of
    min(1, (m - j + 1) p_(j)) (monotone, capped at 1)."""
    m = len(ps)
    order = sorted(range(m), key=lambda i: ps[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * ps[i]))
        adjusted[i] = running
    return adjusted


def benjamini_hochberg(ps: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (false discovery rate), in the input's order: the i-th smallest is
    min over j >= i of min(1, m p_(j) / j) (monotone, capped at 1)."""
    m = len(ps)
    order = sorted(range(m), key=lambda i: ps[i])
    adjusted = [0.0] * m
    running = 1.0
    for rank in range(m - 1, -1, -1):
        i = order[rank]
        running = min(running, m * ps[i] / (rank + 1))
        adjusted[i] = running
    return adjusted


def check_settings(settings: AnalysisSettings) -> None:
    """Refuse settings the engine cannot use: alpha outside (0, 1), a non-positive sequential tuning, a prior with
    a non-positive or non-finite stddev, an unknown engine, difference or correction (InvalidStats naming the
    field: `alpha`, `sequential_tuning`, `prior.stddev`, ...)."""
    for name, kind in (("engine", Engine), ("difference", Difference), ("correction", Correction)):
        try:
            kind(getattr(settings, name))
        except ValueError:
            raise InvalidStats(f"unknown {name} {getattr(settings, name)!r}", name) from None
    if not _is_number(settings.alpha) or not 0 < settings.alpha < 1:
        raise InvalidStats("alpha must be between 0 and 1", "alpha")
    if not _is_number(settings.sequential_tuning) or settings.sequential_tuning <= 0:
        raise InvalidStats("the sequential tuning parameter must be positive", "sequential_tuning")
    if settings.prior is not None:
        if not _is_number(settings.prior.mean):
            raise InvalidStats("the prior mean must be a finite number", "prior.mean")
        if not _is_number(settings.prior.stddev) or settings.prior.stddev <= 0:
            raise InvalidStats("the prior stddev must be positive", "prior.stddev")


def analyze(settings: AnalysisSettings, metrics: Sequence[MetricStats]) -> AnalysisResult:
    """Every non-control variation of every metric against its control, the SRM p-value of each metric's units
    against its weights and, when `settings.correction` is Holm or BH (frequentist and sequential only), adjusted
    p-values across all metrics and variations; `significant` then uses the adjusted p-value.

    Rules: MECHANISMS.md §9. Raises InvalidStats naming the field (`alpha`, `metrics[2].variations[1].n`, ...)."""
    check_settings(settings)
    settings = _normalised(settings)
    seen: set[str] = set()
    for i, metric in enumerate(metrics):
        try:
            check_stats(metric)
        except InvalidStats as error:
            raise error.prefixed(f"metrics[{i}]") from None
        if metric.name in seen:
            raise InvalidStats(f"the metric {metric.name!r} appears twice", f"metrics[{i}].name")
        seen.add(metric.name)
    results: list[MetricResult] = []
    for i, metric in enumerate(metrics):
        control = metric.variations[0]
        try:
            compared = tuple(compare(settings, metric, control, v) for v in metric.variations[1:])
        except InvalidStats as error:
            raise error.prefixed(f"metrics[{i}]") from None
        units = tuple(v.n for v in metric.variations)
        results.append(
            MetricResult(
                name=metric.name,
                srm_p=srm_p(units, [v.weight for v in metric.variations]),
                variations=compared,
                units=units,
            )
        )
    if settings.correction is not Correction.NONE and settings.engine is not Engine.BAYESIAN:
        results = _corrected(settings, results)
    return AnalysisResult(settings=settings, metrics=tuple(results), engine_version=ENGINE_VERSION)


def _normalised(settings: AnalysisSettings) -> AnalysisSettings:
    """The settings with their enums as enums (a caller may pass the strings)."""
    return dataclasses.replace(
        settings,
        engine=Engine(settings.engine),
        difference=Difference(settings.difference),
        correction=Correction(settings.correction),
        alpha=float(settings.alpha),
        sequential_tuning=float(settings.sequential_tuning),
    )


def _corrected(settings: AnalysisSettings, results: list[MetricResult]) -> list[MetricResult]:
    places = [
        (i, j, v.p_value) for i, m in enumerate(results) for j, v in enumerate(m.variations) if v.p_value is not None
    ]
    ps = [p for _, _, p in places]
    adjusted = holm(ps) if settings.correction is Correction.HOLM else benjamini_hochberg(ps)
    variations = [list(m.variations) for m in results]
    for (i, j, _), q in zip(places, adjusted, strict=True):
        variations[i][j] = dataclasses.replace(variations[i][j], p_value_adjusted=q, significant=q < settings.alpha)
    return [dataclasses.replace(m, variations=tuple(vs)) for m, vs in zip(results, variations, strict=True)]


# --------------------------------------------------------------------------------------------- bad input


def _is_number(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


_PLAIN_FIELDS = ("sum", "sum_squares")
_RATIO_FIELDS = ("m_sum", "m_sum_squares", "d_sum", "d_sum_squares", "m_d_sum_of_products")
_CUPED_FIELDS = ("covariate_sum", "covariate_sum_squares", "main_covariate_sum_product")
_ALL_FIELDS = _PLAIN_FIELDS + _RATIO_FIELDS + _CUPED_FIELDS


def _below(squares: float, total: float, n: int) -> bool:
    """sum_squares below sum^2/n beyond floating-point rounding."""
    floor = total * total / n
    return squares < floor - _ROUNDING * max(abs(floor), abs(squares))


def _cauchy_schwarz(n: int, sx: float, sxx: float, sy: float, syy: float, sxy: float) -> bool:
    """True when the sum of products is consistent with both sums of squares (|cov| <= sd_x sd_y), allowing for
    rounding relative to the raw sums (centring them cancels digits)."""
    cov = sxy - sx * sy / n
    var_x = max(sxx - sx * sx / n, 0.0) + _ROUNDING * abs(sxx)
    var_y = max(syy - sy * sy / n, 0.0) + _ROUNDING * abs(syy)
    return abs(cov) <= math.sqrt(var_x * var_y) + _ROUNDING * (abs(sxy) + abs(sx * sy) / n)


def _check_variation(statistic: Statistic, cuped: bool, v: VariationStats, where: str) -> None:
    if not isinstance(v.name, str) or not v.name.strip():
        raise InvalidStats("a variation needs a name", f"{where}.name")
    if not _is_number(v.weight) or v.weight < 0:
        raise InvalidStats("a weight must be a number from 0 to 1", f"{where}.weight")
    if not isinstance(v.n, int) or isinstance(v.n, bool):
        raise InvalidStats("n must be a whole number of units", f"{where}.n")
    if v.n < 0:
        raise InvalidStats("n cannot be negative", f"{where}.n")
    for name in _ALL_FIELDS:
        if not _is_number(getattr(v, name)):
            raise InvalidStats(f"{name} must be a finite number", f"{where}.{name}")
    n = v.n
    if statistic is Statistic.RATIO:
        parts = (("m_sum", "m_sum_squares"), ("d_sum", "d_sum_squares"))
    elif statistic is Statistic.MEAN:
        parts = (("sum", "sum_squares"),)
    else:
        parts = ()
        if not 0 <= v.sum <= n:
            raise InvalidStats(f"a proportion's sum must be from 0 to n ({n})", f"{where}.sum")
    if cuped:
        if statistic is Statistic.PROPORTION:
            if not 0 <= v.covariate_sum <= n:
                raise InvalidStats(f"a proportion's covariate sum must be from 0 to n ({n})", f"{where}.covariate_sum")
            both = v.main_covariate_sum_product  # units with both the value and the covariate
            if both < max(0.0, v.sum + v.covariate_sum - n) - _ROUNDING * n or both > min(
                v.sum, v.covariate_sum
            ) + _ROUNDING * max(n, 1):
                raise InvalidStats(
                    "a proportion's sum of products must lie between sum + covariate_sum - n and the smaller sum",
                    f"{where}.main_covariate_sum_product",
                )
        else:
            parts = (*parts, ("covariate_sum", "covariate_sum_squares"))
    for total_name, squares_name in parts:
        total, squares = getattr(v, total_name), getattr(v, squares_name)
        if n == 0:
            if total != 0:
                raise InvalidStats(f"{total_name} must be 0 when there are no units", f"{where}.{total_name}")
            if squares != 0:
                raise InvalidStats(f"{squares_name} must be 0 when there are no units", f"{where}.{squares_name}")
        elif _below(squares, total, n):
            raise InvalidStats(
                f"{squares_name} cannot be below {total_name}^2/n ({total * total / n:.6g})", f"{where}.{squares_name}"
            )
    if (
        n > 0
        and statistic is Statistic.RATIO
        and not _cauchy_schwarz(n, v.m_sum, v.m_sum_squares, v.d_sum, v.d_sum_squares, v.m_d_sum_of_products)
    ):
        raise InvalidStats(
            "m_d_sum_of_products is inconsistent with the sums of squares", f"{where}.m_d_sum_of_products"
        )
    if (
        n > 0
        and cuped
        and statistic is Statistic.MEAN
        and not _cauchy_schwarz(
            n, v.sum, v.sum_squares, v.covariate_sum, v.covariate_sum_squares, v.main_covariate_sum_product
        )
    ):
        raise InvalidStats(
            "main_covariate_sum_product is inconsistent with the sums of squares",
            f"{where}.main_covariate_sum_product",
        )
    if n == 0 and v.m_d_sum_of_products != 0:
        raise InvalidStats("m_d_sum_of_products must be 0 when there are no units", f"{where}.m_d_sum_of_products")


def check_stats(metric: MetricStats) -> None:
    """Refuse statistics that cannot be right, naming the field inside the metric (`variations[1].sum_squares`):
    a missing name, an unknown statistic, CUPED with a ratio, fewer than two variations, a duplicate variation
    name, n < 0 or not whole, a non-finite number, a weight below 0 or weights not summing to 1 (within 1e-9),
    a proportion's sum outside [0, n], a sum of squares below sum^2/n (beyond relative rounding of 1e-9; for a
    mean, a ratio's numerator and denominator and a CUPED covariate), sums of products inconsistent with the sums
    of squares, non-zero sums with no units. Raises InvalidStats."""
    if not isinstance(metric.name, str) or not metric.name.strip():
        raise InvalidStats("a metric needs a name", "name")
    try:
        statistic = Statistic(metric.statistic)
    except ValueError:
        raise InvalidStats(f"unknown statistic {metric.statistic!r}", "statistic") from None
    if not isinstance(metric.cuped, bool):
        raise InvalidStats("cuped must be true or false", "cuped")
    if not isinstance(metric.inverse, bool):
        raise InvalidStats("inverse must be true or false", "inverse")
    if metric.cuped and statistic is Statistic.RATIO:
        raise InvalidStats("CUPED is not available for a ratio metric", "cuped")
    variations = metric.variations
    if len(variations) < 2:
        raise InvalidStats("a metric needs at least two variations (the control first)", "variations")
    names: set[str] = set()
    for i, v in enumerate(variations):
        _check_variation(statistic, metric.cuped, v, f"variations[{i}]")
        if v.name in names:
            raise InvalidStats(f"the variation {v.name!r} appears twice", f"variations[{i}].name")
        names.add(v.name)
    total = math.fsum(v.weight for v in variations)
    if abs(total - 1) > _WEIGHT_TOLERANCE:
        raise InvalidStats(f"the weights sum to {total:.12g}, not 1", "variations")


# --------------------------------------------------------------------------------------------- planning


def sample_size(
    *,
    statistic: Statistic,
    baseline_mean: float,
    baseline_stddev: float | None,
    mde: float,
    alpha: float,
    power: float,
    weights: Sequence[float],
) -> int:
    """Total units over all variations for a two-sided test at `alpha` with `power` to detect a relative change
    `mde` of `baseline_mean` in every variation against the control (normal approximation, the baseline variance in
    every arm: a proportion's p(1 - p) from its mean, a mean's (or ratio's) `baseline_stddev` squared).

    With shares w_0 (control) and w_i, the lift's variance is var (1/w_0 + 1/w_i)/N, so
    N = (z_{1-alpha/2} + z_power)^2 var (1/w_0 + 1/w_min) / (mde baseline_mean)^2, the smallest treatment share
    deciding; with two equal arms that is twice the textbook n per arm (z + z)^2 2 var / (mde mean)^2.
    Raises InvalidStats naming the field: `mde` <= 0, `baseline_mean` outside (0, 1) for a proportion or 0,
    `baseline_stddev` missing or <= 0 for a mean, `alpha` or `power` outside (0, 1), `weights` not summing to 1,
    fewer than two or one not positive."""
    try:
        statistic = Statistic(statistic)
    except ValueError:
        raise InvalidStats(f"unknown statistic {statistic!r}", "statistic") from None
    if not _is_number(mde) or mde <= 0:
        raise InvalidStats("the minimum detectable effect must be positive", "mde")
    if not _is_number(alpha) or not 0 < alpha < 1:
        raise InvalidStats("alpha must be between 0 and 1", "alpha")
    if not _is_number(power) or not 0 < power < 1:
        raise InvalidStats("power must be between 0 and 1", "power")
    if not _is_number(baseline_mean):
        raise InvalidStats("the baseline mean must be a number", "baseline_mean")
    if statistic is Statistic.PROPORTION:
        if not 0 < baseline_mean < 1:
            raise InvalidStats("a proportion's baseline must be between 0 and 1", "baseline_mean")
        variance = baseline_mean * (1 - baseline_mean)
    else:
        if baseline_mean == 0:
            raise InvalidStats("a relative effect needs a non-zero baseline mean", "baseline_mean")
        if baseline_stddev is None or not _is_number(baseline_stddev) or baseline_stddev <= 0:
            raise InvalidStats("a mean needs its baseline standard deviation (positive)", "baseline_stddev")
        variance = baseline_stddev * baseline_stddev
    if len(weights) < 2 or not all(_is_number(w) and w > 0 for w in weights):
        raise InvalidStats("at least two variations, each with a positive weight", "weights")
    if abs(math.fsum(weights) - 1) > _WEIGHT_TOLERANCE:
        raise InvalidStats("the weights must sum to 1", "weights")
    z = float(ndtri(1 - alpha / 2)) + float(ndtri(power))
    shares = 1 / weights[0] + 1 / min(weights[1:])
    delta = mde * baseline_mean
    return math.ceil(z * z * variance * shares / (delta * delta))


def peeking(*, engine: Engine, units: int, planned: int) -> bool:
    """A fixed-horizon (frequentist) result read before the planned sample size: its p-value and interval are only
    valid at the planned size. The sequential engine is valid at any time; the Bayesian one has no fixed horizon."""
    return Engine(engine) is Engine.FREQUENTIST and planned > 0 and units < planned


# --------------------------------------------------------------------------------------------- words


def _pct(x: float) -> str:
    v = x * 100
    if v == 0:
        return "0%"
    if abs(v) >= 1:
        return f"{v:.1f}%"
    return f"{v:.2g}%"


def _amount(x: float, difference: Difference) -> str:
    return _pct(x) if difference is Difference.RELATIVE else f"{x:.3g}"


def _chance(x: float) -> str:
    if x > 0.999:
        return "more than 99.9%"
    if x < 0.001:
        return "less than 0.1%"
    return f"{x * 100:.1f}%"


def _level(alpha: float) -> str:
    return f"{(1 - alpha) * 100:.4g}%"


_ERROR_WORDS = {
    ResultError.ZERO_NEGATIVE_BASELINE: "the control's mean is zero (or negative, for a relative change)",
    ResultError.ZERO_NEGATIVE_VARIANCE: "an arm has no variation in its values (too few units, or all the same)",
    ResultError.NO_UNITS: "an arm has no units yet",
}


def sentence(
    result: VariationResult, *, metric: str, engine: Engine, difference: Difference, alpha: float, inverse: bool
) -> str:
    """The result in plain language: the change with its interval, then, for frequentist and sequential, how often
    chance alone would give a difference this large, for Bayesian the chance the variation is better (which is
    not 1 - p). Inverse metrics say that lower is better."""
    engine, difference = Engine(engine), Difference(difference)
    name = result.name
    if result.error is not None or result.lift is None or result.ci is None:
        reason = _ERROR_WORDS.get(result.error, "there is no estimate") if result.error else "there is no estimate"
        return f"There is no estimate for {name} on {metric} yet: {reason}."
    lift, (low, high) = result.lift, result.ci
    if lift > 0:
        change = f"{name} raised {metric} by {_amount(lift, difference)}"
    elif lift < 0:
        change = f"{name} lowered {metric} by {_amount(-lift, difference)}"
    else:
        change = f"{name} did not change {metric}"
    interval = {
        Engine.FREQUENTIST: f"{_level(alpha)} CI",
        Engine.SEQUENTIAL: f"{_level(alpha)} always-valid CI",
        Engine.BAYESIAN: f"{_level(alpha)} credible interval",
    }[engine]
    text = f"{change} ({interval} {_amount(low, difference)} to {_amount(high, difference)}); "
    if engine is Engine.BAYESIAN:
        better = "lower" if inverse else "higher"
        text += f"there is a {_chance(result.chance_to_win or 0.0)} chance that {name} is better ({better}) than "
        text += "the control."
    else:
        p = result.p_value_adjusted if result.p_value_adjusted is not None else result.p_value
        adjusted = " (adjusted for the number of comparisons)" if result.p_value_adjusted is not None else ""
        text += (
            f"a difference this large would happen by chance {_chance(p or 0.0)} "
            f"of the time{adjusted} if {name} changed nothing."
        )
        if inverse:
            text += f" Lower is better for {metric}."
    return text


def _good(lift: float, inverse: bool) -> bool:
    return lift < 0 if inverse else lift > 0


def _guardrail_fails(v: VariationResult, tolerance: float, inverse: bool, difference: Difference) -> bool:
    """Harmful beyond the tolerance, significantly: the whole interval lies past the tolerated harm."""
    if v.error is not None or v.ci is None:
        return False
    margin = tolerance if difference is Difference.RELATIVE else tolerance * abs(v.control_mean or 0.0)
    low, high = v.ci
    return low > margin if inverse else high < -margin


def recommend(
    result: AnalysisResult,
    *,
    primary: str,
    guardrails: Mapping[str, float],
    inverse: Mapping[str, bool],
    alpha: float,
) -> Recommendation:
    """The engine's recommendation. Ship the variation with the largest significant change of the primary metric in
    its good direction, unless SRM fired on any metric or a guardrail (name -> relative tolerance) is harmed beyond
    its tolerance with the whole interval past it (then the next winner is tried); keep the control otherwise, with
    a sentence saying why (SRM, a guardrail, a significant loss, no estimate, or flat). Significance is the
    analysis's (`VariationResult.significant`, adjusted p-values when a correction was asked for); `alpha` words
    the levels. Raises InvalidStats (field `primary`) when the result has no such metric."""
    by_name = {m.name: m for m in result.metrics}
    if primary not in by_name:
        raise InvalidStats(f"the analysis has no metric {primary!r}", "primary")
    difference = Difference(result.settings.difference)
    srm = [m for m in result.metrics if m.srm]
    if srm:
        worst = min(srm, key=lambda m: m.srm_p)
        return Recommendation(
            decision=Decision.KEEP_CONTROL,
            variation=None,
            sentence=(
                f"Keep the control: the units do not split as planned (sample ratio mismatch on {worst.name}, "
                f"p = {worst.srm_p:.2g}, below {SRM_THRESHOLD:g}), so the results cannot be trusted until the "
                "cause is found."
            ),
        )
    is_inverse = bool(inverse.get(primary, False))
    variations = by_name[primary].variations
    winners = sorted(
        (
            v
            for v in variations
            if v.error is None and v.lift is not None and v.significant and _good(v.lift, is_inverse)
        ),
        key=lambda v: -v.lift if not is_inverse else v.lift,  # type: ignore[operator]
    )
    first_failures: tuple[str, ...] = ()
    for v in winners:
        failures = tuple(
            g
            for g, tolerance in guardrails.items()
            if g in by_name
            for gv in by_name[g].variations
            if gv.name == v.name and _guardrail_fails(gv, tolerance, bool(inverse.get(g, False)), difference)
        )
        if not failures:
            change = "raised" if v.lift > 0 else "lowered"  # type: ignore[operator]
            low, high = v.ci  # type: ignore[misc]
            return Recommendation(
                decision=Decision.SHIP,
                variation=v.name,
                sentence=(
                    f"Ship {v.name}: it {change} {primary} by {_amount(abs(v.lift), difference)} "  # type: ignore[arg-type]
                    f"({_level(alpha)} interval {_amount(low, difference)} to {_amount(high, difference)}), "
                    "and no guardrail was harmed beyond its tolerance."
                ),
            )
        if not first_failures:
            first_failures = failures
    if winners:
        best = winners[0]
        named = ", ".join(f"{g} (tolerance {_pct(guardrails[g])})" for g in first_failures)
        return Recommendation(
            decision=Decision.KEEP_CONTROL,
            variation=None,
            sentence=(
                f"Keep the control: {best.name} improved {primary}, but it harmed the guardrail "
                f"{named} beyond what is tolerated."
            ),
            guardrail_failures=first_failures,
        )
    losers = [v for v in variations if v.error is None and v.lift is not None and v.significant]
    if losers:
        worst_v = losers[0]
        return Recommendation(
            decision=Decision.KEEP_CONTROL,
            variation=None,
            sentence=(
                f"Keep the control: {worst_v.name} made {primary} significantly worse "
                f"(by {_amount(abs(worst_v.lift), difference)})."  # type: ignore[arg-type]
            ),
        )
    if variations and all(v.error is not None for v in variations):
        reason = _ERROR_WORDS.get(variations[0].error, "there is no estimate")  # type: ignore[arg-type]
        return Recommendation(
            decision=Decision.KEEP_CONTROL,
            variation=None,
            sentence=f"Keep the control: there is no estimate for {primary} yet ({reason}).",
        )
    return Recommendation(
        decision=Decision.KEEP_CONTROL,
        variation=None,
        sentence=(
            f"Keep the control: no variation changed {primary} significantly "
            f"(at the {_level(alpha)} level); the result is flat."
        ),
    )


# --------------------------------------------------------------------------------------------- JSON forms


def _settings_to_dict(settings: AnalysisSettings) -> dict[str, Any]:
    return {
        "alpha": settings.alpha,
        "engine": str(settings.engine),
        "difference": str(settings.difference),
        "sequential_tuning": settings.sequential_tuning,
        "prior": None if settings.prior is None else {"mean": settings.prior.mean, "stddev": settings.prior.stddev},
        "correction": str(settings.correction),
    }


def _variation_result_to_dict(v: VariationResult) -> dict[str, Any]:
    return {
        "lift": v.lift,
        "ci": None if v.ci is None else [v.ci[0], v.ci[1]],
        "p_value": v.p_value,
        "p_value_adjusted": v.p_value_adjusted,
        "chance_to_win": v.chance_to_win,
        "risk": None if v.risk is None else [v.risk[0], v.risk[1]],
        "error": None if v.error is None else str(v.error),
        "significant": v.significant,
        "control_mean": v.control_mean,
        "mean": v.mean,
        "stderr": v.stderr,
    }


def result_to_dict(result: AnalysisResult) -> dict[str, Any]:
    """The result as JSON-ready data: `metrics` -> name -> {srm_p, srm, units, variations -> name -> {lift, ci,
    p_value, p_value_adjusted, chance_to_win, risk, error, significant, control_mean, mean, stderr}}, with the
    settings and the engine version. Lossless: `result_from_dict` reads it back."""
    return {
        "engine_version": result.engine_version,
        "settings": _settings_to_dict(result.settings),
        "metrics": {
            m.name: {
                "srm_p": m.srm_p,
                "srm": m.srm,
                "units": list(m.units),
                "variations": {v.name: _variation_result_to_dict(v) for v in m.variations},
            }
            for m in result.metrics
        },
    }


def _pair(value: Any) -> tuple[float, float] | None:
    return None if value is None else (float(value[0]), float(value[1]))


def result_from_dict(data: Mapping[str, Any]) -> AnalysisResult:
    """An AnalysisResult from `result_to_dict`'s form (a stored snapshot). Raises InvalidStats on a malformed one."""
    try:
        settings, _ = stats_from_dict({**data["settings"], "metrics": []}, allow_empty=True)
        metrics = tuple(
            MetricResult(
                name=name,
                srm_p=float(m["srm_p"]),
                units=tuple(int(u) for u in m.get("units", ())),
                variations=tuple(
                    VariationResult(
                        name=vname,
                        lift=v["lift"],
                        ci=_pair(v["ci"]),
                        p_value=v["p_value"],
                        p_value_adjusted=v.get("p_value_adjusted"),
                        chance_to_win=v["chance_to_win"],
                        risk=_pair(v["risk"]),
                        error=None if v["error"] is None else ResultError(v["error"]),
                        control_mean=v.get("control_mean"),
                        mean=v.get("mean"),
                        stderr=v.get("stderr"),
                        significant=bool(v.get("significant", False)),
                    )
                    for vname, v in m["variations"].items()
                ),
            )
            for name, m in data["metrics"].items()
        )
        return AnalysisResult(settings=settings, metrics=metrics, engine_version=str(data["engine_version"]))
    except InvalidStats:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
        raise InvalidStats(f"not a stored analysis result: {error}", "result") from None


def stats_to_dict(metrics: Sequence[MetricStats], *, settings: AnalysisSettings | None = None) -> dict[str, Any]:
    """Statistics in the `mech experiments analyze` input form (STATS.json): the settings' keys when given, then
    `metrics`, each with name, statistic, cuped, inverse and its variations' sufficient statistics (only the
    fields its statistic uses)."""
    out: dict[str, Any] = {}
    if settings is not None:
        out.update(_settings_to_dict(settings))
    out["metrics"] = [
        {
            "name": m.name,
            "statistic": str(m.statistic),
            "cuped": m.cuped,
            "inverse": m.inverse,
            "variations": [
                {
                    "name": v.name,
                    "weight": v.weight,
                    "n": v.n,
                    **{f: getattr(v, f) for f in _required(Statistic(m.statistic), m.cuped)},
                }
                for v in m.variations
            ],
        }
        for m in metrics
    ]
    return out


_SETTINGS_KEYS = {"alpha", "engine", "difference", "sequential_tuning", "prior", "correction", "metrics"}
_METRIC_KEYS = {"name", "statistic", "cuped", "inverse", "variations"}


def _required(metric_statistic: Statistic, cuped: bool) -> tuple[str, ...]:
    if metric_statistic is Statistic.RATIO:
        return _RATIO_FIELDS
    if metric_statistic is Statistic.PROPORTION:
        return ("sum", "covariate_sum", "main_covariate_sum_product") if cuped else ("sum",)
    return _PLAIN_FIELDS + _CUPED_FIELDS if cuped else _PLAIN_FIELDS


def _number(data: Mapping[str, Any], key: str, where: str, default: float | None = None) -> float:
    if key not in data or data[key] is None:
        if default is None:
            raise InvalidStats(f"{key} is required", f"{where}{key}")
        return default
    value = data[key]
    if not _is_number(value):
        raise InvalidStats(f"{key} must be a finite number", f"{where}{key}")
    return float(value)


def _choice(data: Mapping[str, Any], key: str, kind: type[Any], default: Any, where: str = "") -> Any:
    value = data.get(key, default)
    if value is None:
        value = default
    try:
        return kind(value)
    except (ValueError, TypeError):
        allowed = ", ".join(str(k) for k in kind)
        raise InvalidStats(f"{key} must be one of {allowed}", f"{where}{key}") from None


def _unknown(data: Mapping[str, Any], allowed: set[str], where: str) -> None:
    for key in data:
        if key not in allowed:
            raise InvalidStats(f"unknown key {key!r}", f"{where}{key}")


def _variation_from_dict(data: Any, statistic: Statistic, cuped: bool, where: str) -> VariationStats:
    if not isinstance(data, Mapping):
        raise InvalidStats("a variation must be an object", where.rstrip("."))
    _unknown(data, {"name", "weight", "n", *_ALL_FIELDS}, where)
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidStats("a variation needs a name", f"{where}name")
    weight = _number(data, "weight", where)
    raw_n = data.get("n")
    if raw_n is None:
        raise InvalidStats("n is required", f"{where}n")
    if not _is_number(raw_n) or float(raw_n) != int(raw_n):
        raise InvalidStats("n must be a whole number of units", f"{where}n")
    required = set(_required(statistic, cuped))
    values = {f: _number(data, f, where, None if f in required else 0.0) for f in _ALL_FIELDS}
    if statistic is Statistic.PROPORTION and "sum_squares" not in data:
        values["sum_squares"] = values["sum"]  # a proportion's sum of squares is its sum
    elif statistic is Statistic.PROPORTION and int(raw_n) > 0:
        # Given, it must be a proportion's: each unit is 0 or 1, so sum_squares equals sum (never below sum^2/n).
        total, squares = values["sum"], values["sum_squares"]
        in_range = 0 <= total <= int(raw_n)  # else check_stats names `sum`
        if in_range and (_below(squares, total, int(raw_n)) or squares > total * (1 + 1e-9) + 1e-9):
            raise InvalidStats(
                "a proportion's sum_squares equals its sum (each unit is 0 or 1): not below sum^2/n, not above sum",
                f"{where}sum_squares",
            )
    if statistic is Statistic.PROPORTION and cuped and "covariate_sum_squares" not in data:
        values["covariate_sum_squares"] = values["covariate_sum"]
    return VariationStats(name=name, weight=weight, n=int(raw_n), **values)


def stats_from_dict(
    data: Mapping[str, Any], *, allow_empty: bool = False
) -> tuple[AnalysisSettings, tuple[MetricStats, ...]]:
    """The settings and statistics of the STATS.json form (`stats_to_dict`'s): alpha, engine, difference,
    sequential_tuning, prior {mean, stddev} (absent or null: flat), correction (default none), metrics. Every value
    is checked (`check_settings`, `check_stats`); raises InvalidStats naming the field (`metrics[0].variations[1].n`,
    `engine`, an unknown key)."""
    if not isinstance(data, Mapping):
        raise InvalidStats("the statistics must be a JSON object", "")
    _unknown(data, _SETTINGS_KEYS, "")
    prior_data = data.get("prior")
    prior: Prior | None = None
    if prior_data is not None:
        if not isinstance(prior_data, Mapping):
            raise InvalidStats("prior must be an object with mean and stddev", "prior")
        _unknown(prior_data, {"mean", "stddev"}, "prior.")
        prior = Prior(mean=_number(prior_data, "mean", "prior.", 0.0), stddev=_number(prior_data, "stddev", "prior."))
    settings = AnalysisSettings(
        alpha=_number(data, "alpha", "", 0.05),
        engine=_choice(data, "engine", Engine, Engine.FREQUENTIST),
        difference=_choice(data, "difference", Difference, Difference.RELATIVE),
        sequential_tuning=_number(data, "sequential_tuning", "", 5000.0),
        prior=prior,
        correction=_choice(data, "correction", Correction, Correction.NONE),
    )
    check_settings(settings)
    raw_metrics = data.get("metrics")
    if not isinstance(raw_metrics, list) or (not raw_metrics and not allow_empty):
        raise InvalidStats("metrics must be a non-empty list", "metrics")
    metrics: list[MetricStats] = []
    for i, m in enumerate(raw_metrics):
        where = f"metrics[{i}]."
        if not isinstance(m, Mapping):
            raise InvalidStats("a metric must be an object", f"metrics[{i}]")
        _unknown(m, _METRIC_KEYS, where)
        statistic = _choice(m, "statistic", Statistic, None, where)
        cuped, inverse = m.get("cuped", False), m.get("inverse", False)
        for key, flag in (("cuped", cuped), ("inverse", inverse)):
            if not isinstance(flag, bool):
                raise InvalidStats(f"{key} must be true or false", f"{where}{key}")
        raw_variations = m.get("variations")
        if not isinstance(raw_variations, list):
            raise InvalidStats("variations must be a list, the control first", f"{where}variations")
        metric = MetricStats(
            name=m.get("name"),  # type: ignore[arg-type]
            statistic=statistic,
            cuped=cuped,
            inverse=inverse,
            variations=tuple(
                _variation_from_dict(
                    v, statistic, cuped and statistic is not Statistic.RATIO, f"{where}variations[{j}]."
                )
                for j, v in enumerate(raw_variations)
            ),
        )
        try:
            check_stats(metric)
        except InvalidStats as error:
            raise error.prefixed(f"metrics[{i}]") from None
        metrics.append(metric)
    return settings, tuple(metrics)
