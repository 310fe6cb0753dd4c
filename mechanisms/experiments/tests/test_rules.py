"""The pure statistics engine (experiments/rules.py, issue 13 items 3 and 7) against expected values computed here,
independently of the engine: from the per-unit data with the `statistics` module and `scipy.stats` (Welch's test,
the normal and t distributions, truncated normals, the chi-square test), and from the textbook formulas written
out again below. GrowthBook's published conventions (gbstats 0.8) are what the formulas follow.
"""

from __future__ import annotations

import math
import statistics

import pytest
from scipy import stats as sps

from mechanisms.experiments import rules
from mechanisms.experiments.contracts import (
    AnalysisSettings,
    Correction,
    Decision,
    Difference,
    Engine,
    MetricStats,
    Prior,
    ResultError,
    Statistic,
    VariationStats,
)

CONTROL = [3.1, 4.0, 2.2, 5.6, 4.4, 3.9, 2.8, 5.1, 4.7, 3.3, 4.1, 3.6]
TREATMENT = [4.2, 5.1, 3.9, 6.3, 4.8, 5.5, 3.7, 6.0, 5.2, 4.4, 5.0, 4.9, 5.8, 4.1]
CONTROL_PRE = [2.9, 3.5, 2.5, 5.0, 4.1, 3.6, 2.4, 4.8, 4.9, 3.0, 3.8, 3.1]
TREATMENT_PRE = [3.6, 4.4, 3.8, 5.5, 4.0, 5.1, 3.1, 5.2, 4.4, 4.2, 4.1, 4.3, 5.0, 3.5]
TOL = dict(rel=1e-9, abs=1e-12)


def arm(name: str, values: list[float], weight: float = 0.5, pre: list[float] | None = None) -> VariationStats:
    pre = pre or [0.0] * len(values)
    return VariationStats(
        name=name,
        weight=weight,
        n=len(values),
        sum=math.fsum(values),
        sum_squares=math.fsum(x * x for x in values),
        covariate_sum=math.fsum(pre),
        covariate_sum_squares=math.fsum(x * x for x in pre),
        main_covariate_sum_product=math.fsum(x * y for x, y in zip(values, pre, strict=True)),
    )


def ratio_arm(name: str, m: list[float], d: list[float], weight: float = 0.5) -> VariationStats:
    return VariationStats(
        name=name,
        weight=weight,
        n=len(m),
        m_sum=math.fsum(m),
        m_sum_squares=math.fsum(x * x for x in m),
        d_sum=math.fsum(d),
        d_sum_squares=math.fsum(x * x for x in d),
        m_d_sum_of_products=math.fsum(x * y for x, y in zip(m, d, strict=True)),
    )


def metric(*variations: VariationStats, statistic=Statistic.MEAN, cuped=False, inverse=False, name="revenue"):
    return MetricStats(name=name, statistic=statistic, variations=variations, cuped=cuped, inverse=inverse)


def one(settings: AnalysisSettings, m: MetricStats):
    return rules.analyze(settings, [m]).metrics[0].variations[0]


def welch_dof(var_a: float, n_a: int, var_b: float, n_b: int) -> float:
    return (var_a / n_a + var_b / n_b) ** 2 / ((var_a / n_a) ** 2 / (n_a - 1) + (var_b / n_b) ** 2 / (n_b - 1))


def relative_variance(mean_a: float, var_a: float, n_a: int, mean_b: float, var_b: float, n_b: int) -> float:
    """Var of (b - a)/a by the delta method (first-order Taylor expansion of b/a - 1)."""
    return var_b / (mean_a**2 * n_b) + var_a * mean_b**2 / (mean_a**4 * n_a)


# --------------------------------------------------------------------------------------------- frequentist


def test_an_absolute_mean_difference_is_welchs_test():
    result = one(AnalysisSettings(difference=Difference.ABSOLUTE), metric(arm("A", CONTROL), arm("B", TREATMENT)))
    welch = sps.ttest_ind(TREATMENT, CONTROL, equal_var=False)
    low, high = welch.confidence_interval(0.95)
    assert result.lift == pytest.approx(statistics.mean(TREATMENT) - statistics.mean(CONTROL), **TOL)
    assert result.p_value == pytest.approx(welch.pvalue, **TOL)
    assert result.ci == pytest.approx((low, high), **TOL)
    assert result.significant is bool(welch.pvalue < 0.05)
    assert result.error is None and result.chance_to_win is None


def test_a_relative_mean_difference_uses_the_delta_method_and_welchs_degrees_of_freedom():
    ma, mb = statistics.mean(CONTROL), statistics.mean(TREATMENT)
    va, vb = statistics.variance(CONTROL), statistics.variance(TREATMENT)
    na, nb = len(CONTROL), len(TREATMENT)
    lift = (mb - ma) / ma
    se = math.sqrt(relative_variance(ma, va, na, mb, vb, nb))
    dof = welch_dof(va, na, vb, nb)
    assert dof == pytest.approx(sps.ttest_ind(TREATMENT, CONTROL, equal_var=False).df, **TOL)
    result = one(AnalysisSettings(alpha=0.1), metric(arm("A", CONTROL), arm("B", TREATMENT)))
    half = sps.t.ppf(0.95, dof) * se
    assert result.lift == pytest.approx(lift, **TOL)
    assert result.stderr == pytest.approx(se, **TOL)
    assert result.p_value == pytest.approx(2 * sps.t.sf(abs(lift / se), dof), **TOL)
    assert result.ci == pytest.approx((lift - half, lift + half), **TOL)
    assert (result.control_mean, result.mean) == pytest.approx((ma, mb), **TOL)


def test_a_proportion_has_the_variance_p_times_one_minus_p():
    conversions = (120, 1000, 151, 1020)
    a = VariationStats("A", 0.5, 1000, sum=120, sum_squares=120)
    b = VariationStats("B", 0.5, 1020, sum=151, sum_squares=151)
    pa, pb = conversions[0] / conversions[1], conversions[2] / conversions[3]
    # the population variance of 0/1 values is p(1 - p)
    assert statistics.pvariance([1] * 120 + [0] * 880) == pytest.approx(pa * (1 - pa))
    va, vb = pa * (1 - pa), pb * (1 - pb)
    dof = welch_dof(va, 1000, vb, 1020)
    for difference, lift, var in (
        (Difference.ABSOLUTE, pb - pa, va / 1000 + vb / 1020),
        (Difference.RELATIVE, (pb - pa) / pa, relative_variance(pa, va, 1000, pb, vb, 1020)),
    ):
        result = one(AnalysisSettings(difference=difference), metric(a, b, statistic=Statistic.PROPORTION))
        se = math.sqrt(var)
        assert result.lift == pytest.approx(lift, **TOL)
        assert result.p_value == pytest.approx(2 * sps.t.sf(abs(lift) / se, dof), **TOL)
        assert result.ci[1] - result.lift == pytest.approx(sps.t.ppf(0.975, dof) * se, **TOL)


def test_a_ratio_is_analysed_by_the_delta_method_on_the_per_unit_means():
    orders_a = [2.0, 0.0, 1.0, 3.0, 1.0, 2.0, 0.0, 4.0, 1.0, 2.0]
    visits_a = [3.0, 1.0, 2.0, 4.0, 2.0, 2.0, 1.0, 5.0, 3.0, 3.0]
    orders_b = [3.0, 1.0, 2.0, 3.0, 2.0, 4.0, 1.0, 2.0, 3.0, 2.0, 1.0]
    visits_b = [3.0, 2.0, 2.0, 4.0, 3.0, 4.0, 1.0, 3.0, 3.0, 2.0, 2.0]

    def ratio_and_variance(m: list[float], d: list[float]) -> tuple[float, float]:
        mm, md = statistics.mean(m), statistics.mean(d)
        g = [1 / md, -mm / md**2]  # gradient of m/d
        cov = [
            [statistics.variance(m), statistics.covariance(m, d)],
            [statistics.covariance(m, d), statistics.variance(d)],
        ]
        var = sum(g[i] * cov[i][j] * g[j] for i in range(2) for j in range(2))
        return sum(m) / sum(d), var

    ra, va = ratio_and_variance(orders_a, visits_a)
    rb, vb = ratio_and_variance(orders_b, visits_b)
    na, nb = len(orders_a), len(orders_b)
    m = metric(ratio_arm("A", orders_a, visits_a), ratio_arm("B", orders_b, visits_b), statistic=Statistic.RATIO)
    result = one(AnalysisSettings(), m)
    lift, se = (rb - ra) / ra, math.sqrt(relative_variance(ra, va, na, rb, vb, nb))
    assert result.lift == pytest.approx(lift, **TOL)
    assert result.p_value == pytest.approx(2 * sps.t.sf(abs(lift) / se, welch_dof(va, na, vb, nb)), **TOL)
    absolute = one(AnalysisSettings(difference=Difference.ABSOLUTE), m)
    assert absolute.lift == pytest.approx(rb - ra, **TOL)
    assert absolute.stderr == pytest.approx(math.sqrt(va / na + vb / nb), **TOL)


def test_cuped_takes_theta_from_both_arms_pooled_and_divides_by_the_unadjusted_control_mean():
    post, pre = CONTROL + TREATMENT, CONTROL_PRE + TREATMENT_PRE
    theta = statistics.covariance(post, pre) / statistics.variance(pre)
    adjusted_a = [y - theta * x for y, x in zip(CONTROL, CONTROL_PRE, strict=True)]
    adjusted_b = [y - theta * x for y, x in zip(TREATMENT, TREATMENT_PRE, strict=True)]
    ma, mb = statistics.mean(adjusted_a), statistics.mean(adjusted_b)
    va, vb = statistics.variance(adjusted_a), statistics.variance(adjusted_b)
    raw_a, raw_b = statistics.mean(CONTROL), statistics.mean(TREATMENT)
    na, nb = len(CONTROL), len(TREATMENT)
    m = metric(arm("A", CONTROL, pre=CONTROL_PRE), arm("B", TREATMENT, pre=TREATMENT_PRE), cuped=True)
    result = one(AnalysisSettings(), m)
    lift = (mb - ma) / raw_a
    se = math.sqrt(relative_variance(raw_a, va, na, raw_b, vb, nb))
    assert result.lift == pytest.approx(lift, **TOL)
    assert result.stderr == pytest.approx(se, **TOL)
    assert result.p_value == pytest.approx(2 * sps.t.sf(abs(lift) / se, welch_dof(va, na, vb, nb)), **TOL)
    assert result.control_mean == pytest.approx(raw_a, **TOL)
    plain = one(AnalysisSettings(), metric(arm("A", CONTROL), arm("B", TREATMENT)))
    assert result.stderr < plain.stderr  # the covariate explains variance


def test_cuped_on_a_proportion_uses_a_proportion_covariate():
    # 0/1 values before and after; the pooled covariate variance is p(1 - p) like the main value's
    a_post = [1, 0, 0, 1, 1, 0, 0, 0, 1, 0, 1, 0]
    a_pre = [1, 0, 0, 1, 0, 0, 0, 1, 1, 0, 1, 0]
    b_post = [1, 1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0]
    b_pre = [1, 0, 0, 1, 1, 0, 1, 0, 0, 1, 0, 1, 0]
    post, pre = a_post + b_post, a_pre + b_pre
    q = statistics.mean(pre)
    theta = statistics.covariance(post, pre) / (q * (1 - q))

    def arm_figures(y: list[int], x: list[int]) -> tuple[float, float]:
        p, r = statistics.mean(y), statistics.mean(x)
        var = p * (1 - p) + theta**2 * r * (1 - r) - 2 * theta * statistics.covariance(y, x)
        return p - theta * r, var

    (ma, va), (mb, vb) = arm_figures(a_post, a_pre), arm_figures(b_post, b_pre)
    m = metric(
        arm("A", [float(v) for v in a_post], pre=[float(v) for v in a_pre]),
        arm("B", [float(v) for v in b_post], pre=[float(v) for v in b_pre]),
        statistic=Statistic.PROPORTION,
        cuped=True,
    )
    result = one(AnalysisSettings(difference=Difference.ABSOLUTE), m)
    assert result.lift == pytest.approx(mb - ma, **TOL)
    assert result.stderr == pytest.approx(math.sqrt(va / len(a_post) + vb / len(b_post)), **TOL)


def test_cuped_without_covariate_variance_is_the_plain_analysis():
    flat_pre_a, flat_pre_b = [1.0] * len(CONTROL), [1.0] * len(TREATMENT)
    cuped = one(
        AnalysisSettings(), metric(arm("A", CONTROL, pre=flat_pre_a), arm("B", TREATMENT, pre=flat_pre_b), cuped=True)
    )
    plain = one(AnalysisSettings(), metric(arm("A", CONTROL), arm("B", TREATMENT)))
    assert cuped == plain


# --------------------------------------------------------------------------------------------- sequential


def test_the_sequential_interval_is_the_always_valid_confidence_sequence():
    ma, mb = statistics.mean(CONTROL), statistics.mean(TREATMENT)
    va, vb = statistics.variance(CONTROL), statistics.variance(TREATMENT)
    na, nb = len(CONTROL), len(TREATMENT)
    for tuning, alpha in ((5000.0, 0.05), (50.0, 0.1)):
        lift = mb - ma
        var = va / na + vb / nb
        total = na + nb
        # Waudby-Smith et al. (arXiv 2103.06476v7): eq 161 chooses rho for the tuning size; eq 9 is the boundary
        rho_squared = (-2 * math.log(alpha) + math.log(-2 * math.log(alpha) + 1)) / tuning
        boundary = math.sqrt(
            (total * var)
            * 2
            * (total * rho_squared + 1)
            / (total**2 * rho_squared)
            * math.log(math.sqrt(total * rho_squared + 1) / alpha)
        )
        # eq 155: the e-value of the mixture martingale; the p-value is its reciprocal, at most 1
        t_squared = lift**2 * total / var
        e_value = math.exp(rho_squared * t_squared / (2 * (total * rho_squared + 1))) / math.sqrt(
            total * rho_squared + 1
        )
        settings = AnalysisSettings(
            engine=Engine.SEQUENTIAL, difference=Difference.ABSOLUTE, sequential_tuning=tuning, alpha=alpha
        )
        result = one(settings, metric(arm("A", CONTROL), arm("B", TREATMENT)))
        assert result.lift == pytest.approx(lift, **TOL)
        assert result.ci == pytest.approx((lift - boundary, lift + boundary), **TOL)
        assert result.p_value == pytest.approx(min(1.0, 1 / e_value), **TOL)
        fixed = one(
            AnalysisSettings(difference=Difference.ABSOLUTE, alpha=alpha),
            metric(arm("A", CONTROL), arm("B", TREATMENT)),
        )
        assert result.ci[1] - result.ci[0] > fixed.ci[1] - fixed.ci[0]  # the price of looking any time


def test_a_sequential_p_value_far_beyond_chance_is_zero_not_an_overflow():
    a = VariationStats("A", 0.5, 10**6, sum=10**5, sum_squares=10**5)
    b = VariationStats("B", 0.5, 10**6, sum=2 * 10**5, sum_squares=2 * 10**5)
    result = one(AnalysisSettings(engine=Engine.SEQUENTIAL), metric(a, b, statistic=Statistic.PROPORTION))
    assert result.p_value == 0.0 and result.significant


# --------------------------------------------------------------------------------------------- Bayesian


def expected_risk(mu: float, sigma: float) -> tuple[float, float]:
    """[expected loss of keeping the control, of choosing the variation] from the truncated normals."""
    p_negative = sps.norm.cdf(0, mu, sigma)
    above = sps.truncnorm.mean((0 - mu) / sigma, math.inf, loc=mu, scale=sigma)
    below = sps.truncnorm.mean(-math.inf, (0 - mu) / sigma, loc=mu, scale=sigma)
    return (1 - p_negative) * above, -p_negative * below


def test_bayesian_with_a_flat_prior_is_the_normal_posterior_of_the_data():
    ma, mb = statistics.mean(CONTROL), statistics.mean(TREATMENT)
    va, vb = statistics.variance(CONTROL), statistics.variance(TREATMENT)
    na, nb = len(CONTROL), len(TREATMENT)
    mu, sigma = (mb - ma) / ma, math.sqrt(relative_variance(ma, va, na, mb, vb, nb))
    result = one(AnalysisSettings(engine=Engine.BAYESIAN), metric(arm("A", CONTROL), arm("B", TREATMENT)))
    assert result.lift == pytest.approx(mu, **TOL)
    assert result.chance_to_win == pytest.approx(sps.norm.sf(0, mu, sigma), **TOL)
    assert result.ci == pytest.approx(tuple(sps.norm.ppf([0.025, 0.975], mu, sigma)), **TOL)
    assert result.risk == pytest.approx(expected_risk(mu, sigma), rel=1e-8, abs=1e-12)
    assert result.p_value is None


def test_bayesian_with_a_proper_prior_updates_it_on_the_relative_scale_or_rescales_it():
    prior = Prior(mean=0.02, stddev=0.1)
    ma, mb = statistics.mean(CONTROL), statistics.mean(TREATMENT)
    va, vb = statistics.variance(CONTROL), statistics.variance(TREATMENT)
    na, nb = len(CONTROL), len(TREATMENT)
    for difference, data_mean, data_var, scale in (
        (Difference.RELATIVE, (mb - ma) / ma, relative_variance(ma, va, na, mb, vb, nb), 1.0),
        (Difference.ABSOLUTE, mb - ma, va / na + vb / nb, ma),
    ):
        prior_mean, prior_var = prior.mean * scale, (prior.stddev * scale) ** 2
        post_var = 1 / (1 / data_var + 1 / prior_var)  # the normal-normal conjugate update
        post_mean = post_var * (data_mean / data_var + prior_mean / prior_var)
        settings = AnalysisSettings(engine=Engine.BAYESIAN, difference=difference, prior=prior)
        result = one(settings, metric(arm("A", CONTROL), arm("B", TREATMENT)))
        assert result.lift == pytest.approx(post_mean, **TOL)
        assert result.stderr == pytest.approx(math.sqrt(post_var), **TOL)
        assert result.chance_to_win == pytest.approx(sps.norm.sf(0, post_mean, math.sqrt(post_var)), **TOL)
        assert abs(result.lift) < abs(data_mean)  # shrunk toward the prior


def test_bayesian_on_an_inverse_metric_reads_chance_to_win_and_risk_the_other_way():
    m = metric(arm("A", CONTROL), arm("B", TREATMENT), inverse=True)
    plain = one(AnalysisSettings(engine=Engine.BAYESIAN), metric(arm("A", CONTROL), arm("B", TREATMENT)))
    inverse = one(AnalysisSettings(engine=Engine.BAYESIAN), m)
    assert inverse.lift == plain.lift
    assert inverse.chance_to_win == pytest.approx(1 - plain.chance_to_win, **TOL)
    assert inverse.risk == (plain.risk[1], plain.risk[0])


# --------------------------------------------------------------------------------------------- guards


def test_guards_return_no_estimate_and_name_the_error():
    def frequentist(a, b, difference=Difference.RELATIVE, statistic=Statistic.MEAN):
        return one(AnalysisSettings(difference=difference), metric(a, b, statistic=statistic))

    def bayesian(a, b, difference=Difference.RELATIVE, statistic=Statistic.MEAN):
        return one(AnalysisSettings(engine=Engine.BAYESIAN, difference=difference), metric(a, b, statistic=statistic))

    zero = arm("A", [0.0, 0.0, 0.0, 0.0])
    negative = arm("A", [-1.0, -2.0, -1.5, -3.0])
    constant = arm("B", [2.0, 2.0, 2.0])
    empty = VariationStats("B", 0.5, 0)
    cases = [
        (frequentist(zero, arm("B", CONTROL)), ResultError.ZERO_NEGATIVE_BASELINE),
        (frequentist(zero, arm("B", CONTROL), Difference.ABSOLUTE), ResultError.ZERO_NEGATIVE_BASELINE),
        (frequentist(negative, arm("B", CONTROL)), ResultError.ZERO_NEGATIVE_BASELINE),
        (frequentist(arm("A", CONTROL), constant), ResultError.ZERO_NEGATIVE_VARIANCE),
        (frequentist(arm("A", CONTROL), empty), ResultError.ZERO_NEGATIVE_VARIANCE),
        (frequentist(arm("A", CONTROL), arm("B", [4.0])), ResultError.ZERO_NEGATIVE_VARIANCE),
        (bayesian(zero, arm("B", CONTROL)), ResultError.ZERO_NEGATIVE_BASELINE),
        (bayesian(negative, arm("B", CONTROL)), ResultError.ZERO_NEGATIVE_BASELINE),
        (bayesian(arm("A", CONTROL), empty), ResultError.NO_UNITS),
        (bayesian(arm("A", CONTROL), constant), ResultError.ZERO_NEGATIVE_VARIANCE),
        (bayesian(zero, arm("B", CONTROL), Difference.ABSOLUTE), ResultError.ZERO_NEGATIVE_VARIANCE),
    ]
    for result, error in cases:
        assert result.error is error
        assert (result.lift, result.ci, result.p_value, result.chance_to_win, result.risk) == (None,) * 5
        assert not result.significant
    # a negative baseline is fine on the absolute scale
    assert frequentist(negative, arm("B", CONTROL), Difference.ABSOLUTE).error is None
    # the Bayesian order: the baseline before the empty arm, the empty arm before the variance
    assert bayesian(zero, empty).error is ResultError.ZERO_NEGATIVE_BASELINE
    assert bayesian(arm("A", CONTROL), empty, Difference.ABSOLUTE).error is ResultError.NO_UNITS


# --------------------------------------------------------------------------------------------- SRM, corrections


def test_srm_is_pearsons_chi_square_of_units_against_weights():
    units, weights = [5120, 4880, 10150], [0.25, 0.25, 0.5]
    total = sum(units)
    expected = sps.chisquare(units, [w * total for w in weights]).pvalue
    assert rules.srm_p(units, weights) == pytest.approx(expected, **TOL)
    assert rules.srm_p([0, 0], [0.5, 0.5]) == 1.0
    # a variation of weight 0 adds nothing to the statistic (but keeps its degree of freedom)
    x = (600 - 550) ** 2 / 550 + (500 - 550) ** 2 / 550
    assert rules.srm_p([600, 500, 0], [0.5, 0.5, 0.0]) == pytest.approx(sps.chi2.sf(x, 2), **TOL)


def test_analyze_flags_a_sample_ratio_mismatch_below_one_in_a_thousand():
    a = VariationStats("A", 0.5, 10000, sum=1000, sum_squares=1000)
    skewed = rules.analyze(
        AnalysisSettings(),
        [metric(a, VariationStats("B", 0.5, 9400, sum=990, sum_squares=990), statistic=Statistic.PROPORTION)],
    ).metrics[0]
    fair = rules.analyze(
        AnalysisSettings(),
        [metric(a, VariationStats("B", 0.5, 9950, sum=990, sum_squares=990), statistic=Statistic.PROPORTION)],
    ).metrics[0]
    assert skewed.srm and skewed.srm_p < 0.001 and skewed.units == (10000, 9400)
    assert not fair.srm


def test_holm_and_benjamini_hochberg_against_worked_examples():
    ps = [0.01, 0.04, 0.03, 0.005]
    # Holm: sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 = 0.02, 0.03, 0.06, 0.04 -> running max 0.06 for 0.04
    assert rules.holm(ps) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    # BH: sorted times 4/1, 4/2, 4/3, 4/4 = 0.02, 0.02, 0.04, 0.04 -> running min from the largest
    assert rules.benjamini_hochberg(ps) == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert rules.holm([0.3, 0.6]) == pytest.approx([0.6, 0.6])
    assert rules.holm([0.4, 0.7, 0.9]) == [1.0, 1.0, 1.0]  # capped
    assert rules.benjamini_hochberg([0.9, 0.8]) == pytest.approx([0.9, 0.9])
    assert rules.holm([]) == [] and rules.benjamini_hochberg([]) == []


def test_a_correction_adjusts_across_metrics_and_variations_and_decides_significance():
    m1 = metric(arm("A", CONTROL, 1 / 3), arm("B", TREATMENT, 1 / 3), arm("C", CONTROL[::-1] + [4.0], 1 / 3))
    m2 = metric(
        arm("A", CONTROL, 1 / 3), arm("B", [x + 0.1 for x in CONTROL], 1 / 3), arm("C", CONTROL, 1 / 3), name="x"
    )
    plain = rules.analyze(AnalysisSettings(), [m1, m2])
    raw = [v.p_value for m in plain.metrics for v in m.variations]
    for correction, method in ((Correction.HOLM, "holm"), (Correction.BH, "fdr_bh")):
        corrected = rules.analyze(AnalysisSettings(correction=correction), [m1, m2])
        adjusted = [v.p_value_adjusted for m in corrected.metrics for v in m.variations]
        expected = sps.false_discovery_control(raw) if method == "fdr_bh" else rules_free_holm(raw)
        assert adjusted == pytest.approx(list(expected), **TOL)
        assert [v.significant for m in corrected.metrics for v in m.variations] == [q < 0.05 for q in adjusted]
    bayes = rules.analyze(AnalysisSettings(engine=Engine.BAYESIAN, correction=Correction.HOLM), [m1, m2])
    assert all(v.p_value_adjusted is None for m in bayes.metrics for v in m.variations)


def rules_free_holm(ps: list[float]) -> list[float]:
    """Holm's step-down written as its definition: the adjusted p of the k-th smallest is the largest
    min(1, (m - j) p_(j)) over j <= k."""
    m = len(ps)
    ranked = sorted(ps)
    out = []
    for p in ps:
        k = ranked.index(p)
        out.append(max(min(1.0, (m - j) * ranked[j]) for j in range(k + 1)))
    return out


# --------------------------------------------------------------------------------------------- planning


def test_sample_size_against_a_worked_example():
    # 10% conversion, +10% relative (0.01 absolute), alpha 0.05 two-sided, power 0.8: z = 1.95996 + 0.84162,
    # n per arm = z^2 2 (0.1)(0.9) / 0.01^2 = 14,128 (rounded up); two arms: 28,256 in all
    kwargs = dict(statistic=Statistic.PROPORTION, baseline_stddev=None, alpha=0.05, power=0.8)
    z = sps.norm.ppf(0.975) + sps.norm.ppf(0.8)
    per_arm = z**2 * 2 * 0.09 / 0.01**2
    assert math.ceil(per_arm) == 14128
    assert (
        rules.sample_size(baseline_mean=0.1, mde=0.1, weights=[0.5, 0.5], **kwargs) == math.ceil(2 * per_arm) == 28256
    )
    # a mean: baseline 10, stddev 5, +5% -> 0.5; per arm z^2 2 25 / 0.25
    mean_total = rules.sample_size(
        statistic=Statistic.MEAN,
        baseline_mean=10.0,
        baseline_stddev=5.0,
        mde=0.05,
        alpha=0.05,
        power=0.8,
        weights=[0.5, 0.5],
    )
    assert mean_total == math.ceil(2 * z**2 * 2 * 25 / 0.25)


def test_sample_size_with_unequal_weights_is_the_smallest_total_with_the_power():
    weights = [0.2, 0.4, 0.4]
    total = rules.sample_size(
        statistic=Statistic.PROPORTION,
        baseline_mean=0.1,
        baseline_stddev=None,
        mde=0.1,
        alpha=0.05,
        power=0.8,
        weights=weights,
    )

    def power_at(n: float) -> float:  # the normal power of the control (0.2 n) against one 0.4 n arm
        se = math.sqrt(0.09 / (0.2 * n) + 0.09 / (0.4 * n))
        return sps.norm.cdf(0.01 / se - sps.norm.ppf(0.975))

    assert power_at(total) >= 0.8 > power_at(total - 1)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"mde": 0.0}, "mde"),
        ({"mde": -0.1}, "mde"),
        ({"baseline_mean": 1.0}, "baseline_mean"),
        ({"baseline_mean": 0.0}, "baseline_mean"),
        ({"statistic": Statistic.MEAN, "baseline_mean": 10.0}, "baseline_stddev"),
        ({"statistic": Statistic.MEAN, "baseline_mean": 10.0, "baseline_stddev": 0.0}, "baseline_stddev"),
        ({"alpha": 1.0}, "alpha"),
        ({"power": 0.0}, "power"),
        ({"weights": [0.5, 0.4]}, "weights"),
        ({"weights": [1.0]}, "weights"),
        ({"weights": [1.0, 0.0]}, "weights"),
    ],
)
def test_sample_size_refuses_what_it_cannot_plan(changes, field):
    kwargs = dict(
        statistic=Statistic.PROPORTION,
        baseline_mean=0.1,
        baseline_stddev=None,
        mde=0.1,
        alpha=0.05,
        power=0.8,
        weights=[0.5, 0.5],
    )
    with pytest.raises(rules.InvalidStats) as caught:
        rules.sample_size(**{**kwargs, **changes})
    assert caught.value.field == field


def test_peeking_is_a_fixed_horizon_read_before_the_planned_size():
    assert rules.peeking(engine=Engine.FREQUENTIST, units=999, planned=1000)
    assert not rules.peeking(engine=Engine.FREQUENTIST, units=1000, planned=1000)
    assert not rules.peeking(engine=Engine.SEQUENTIAL, units=10, planned=1000)
    assert not rules.peeking(engine=Engine.BAYESIAN, units=10, planned=1000)
    assert not rules.peeking(engine=Engine.FREQUENTIST, units=10, planned=0)


# --------------------------------------------------------------------------------------------- bad input


def _with(v: VariationStats, **changes) -> VariationStats:
    return VariationStats(**{**{f: getattr(v, f) for f in v.__slots__}, **changes})


GOOD = arm("A", CONTROL)


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: metric(_with(GOOD, n=-1), arm("B", TREATMENT)), "variations[0].n"),
        (lambda: metric(arm("A", CONTROL), _with(arm("B", TREATMENT), sum_squares=1.0)), "variations[1].sum_squares"),
        (lambda: metric(arm("A", CONTROL, 0.6), arm("B", TREATMENT, 0.5)), "variations"),
        (lambda: metric(arm("A", CONTROL, 1.0)), "variations"),
        (lambda: metric(arm("A", CONTROL), arm("A", TREATMENT)), "variations[1].name"),
        (
            lambda: metric(_with(GOOD, sum=13.0), arm("B", [1.0] * 12), statistic=Statistic.PROPORTION),
            "variations[0].sum",
        ),
        (
            lambda: metric(_with(GOOD, sum=-1.0), arm("B", [1.0] * 12), statistic=Statistic.PROPORTION),
            "variations[0].sum",
        ),
        (lambda: metric(_with(GOOD, sum=math.nan), arm("B", TREATMENT)), "variations[0].sum"),
        (
            lambda: metric(arm("A", CONTROL), _with(arm("B", TREATMENT), covariate_sum=math.inf)),
            "variations[1].covariate_sum",
        ),
        (
            lambda: metric(
                ratio_arm("A", [1.0], [1.0]), ratio_arm("B", [1.0], [1.0]), statistic=Statistic.RATIO, cuped=True
            ),
            "cuped",
        ),
        (
            lambda: metric(
                ratio_arm("A", [1.0, 2.0], [1.0, 1.0]),
                _with(ratio_arm("B", [1.0, 2.0], [1.0, 2.0]), d_sum_squares=0.5),
                statistic=Statistic.RATIO,
            ),
            "variations[1].d_sum_squares",
        ),
        (
            lambda: metric(
                ratio_arm("A", [1.0, 2.0], [1.0, 1.5]),
                _with(ratio_arm("B", [1.0, 2.0], [1.0, 2.0]), m_d_sum_of_products=50.0),
                statistic=Statistic.RATIO,
            ),
            "variations[1].m_d_sum_of_products",
        ),
        (lambda: metric(arm("A", CONTROL), _with(arm("B", TREATMENT), n=2.5)), "variations[1].n"),
        (lambda: metric(_with(GOOD, weight=-0.5), arm("B", TREATMENT, 1.5)), "variations[0].weight"),
        (lambda: metric(VariationStats("A", 0.5, 0, sum=3.0), arm("B", TREATMENT)), "variations[0].sum"),
        (lambda: metric(arm("A", CONTROL), arm("B", TREATMENT), name=""), "name"),
    ],
)
def test_check_stats_refuses_statistics_that_cannot_be_right(build, field):
    with pytest.raises(rules.InvalidStats) as caught:
        rules.check_stats(build())
    assert caught.value.field == field
    assert isinstance(caught.value, ValueError)


def test_analyze_names_the_metric_and_the_setting_that_is_wrong():
    bad = metric(arm("A", CONTROL), _with(arm("B", TREATMENT), sum_squares=1.0), name="orders")
    with pytest.raises(rules.InvalidStats) as caught:
        rules.analyze(AnalysisSettings(), [metric(arm("A", CONTROL), arm("B", TREATMENT)), bad])
    assert caught.value.field == "metrics[1].variations[1].sum_squares"
    with pytest.raises(rules.InvalidStats) as caught:
        rules.analyze(AnalysisSettings(), [metric(arm("A", CONTROL), arm("B", TREATMENT))] * 2)
    assert caught.value.field == "metrics[1].name"
    for settings, field in (
        (AnalysisSettings(alpha=0.0), "alpha"),
        (AnalysisSettings(sequential_tuning=-1.0), "sequential_tuning"),
        (AnalysisSettings(prior=Prior(0.0, 0.0)), "prior.stddev"),
    ):
        with pytest.raises(rules.InvalidStats) as caught:
            rules.analyze(settings, [metric(arm("A", CONTROL), arm("B", TREATMENT))])
        assert caught.value.field == field


def test_a_sum_of_squares_rounded_just_below_its_floor_is_accepted():
    n, total = 3, 0.1 + 0.2 + 0.3
    floor = total * total / n
    rules.check_stats(metric(VariationStats("A", 0.5, n, total, floor * (1 - 1e-12)), arm("B", TREATMENT)))


# --------------------------------------------------------------------------------------------- recommendation, words


def proportion(name: str, n: int, conversions: int, weight: float = 0.5) -> VariationStats:
    return VariationStats(name, weight, n, sum=conversions, sum_squares=conversions)


def analysed(*metrics: MetricStats, settings: AnalysisSettings | None = None):
    return rules.analyze(settings or AnalysisSettings(), list(metrics))


def test_recommend_ships_the_best_significant_winner_when_no_guardrail_fails():
    conversion = metric(
        proportion("A", 10000, 1000, 1 / 3),
        proportion("B", 10000, 1100, 1 / 3),
        proportion("C", 10000, 1200, 1 / 3),
        statistic=Statistic.PROPORTION,
        name="conversion",
    )
    latency = metric(arm("A", CONTROL, 1 / 3), arm("B", CONTROL, 1 / 3), arm("C", CONTROL, 1 / 3), name="latency")
    rec = rules.recommend(
        analysed(conversion, latency),
        primary="conversion",
        guardrails={"latency": 0.0},
        inverse={"latency": True},
        alpha=0.05,
    )
    assert (rec.decision, rec.variation, rec.guardrail_failures) == (Decision.SHIP, "C", ())
    assert rec.sentence.startswith("Ship C: it raised conversion by 20.0%")


def test_recommend_keeps_the_control_when_a_guardrail_is_harmed_beyond_its_tolerance():
    conversion = metric(
        proportion("A", 10000, 1000), proportion("B", 10000, 1200), statistic=Statistic.PROPORTION, name="conversion"
    )
    slower = [x * 1.5 for x in CONTROL]
    latency = metric(arm("A", CONTROL), arm("B", slower), name="latency")
    result = analysed(conversion, latency)
    failed = rules.recommend(
        result, primary="conversion", guardrails={"latency": 0.05}, inverse={"latency": True}, alpha=0.05
    )
    assert (failed.decision, failed.guardrail_failures) == (Decision.KEEP_CONTROL, ("latency",))
    assert "latency" in failed.sentence and "guardrail" in failed.sentence
    # a tolerance wider than the harm's whole interval lets it ship
    tolerated = rules.recommend(
        result, primary="conversion", guardrails={"latency": 5.0}, inverse={"latency": True}, alpha=0.05
    )
    assert tolerated.decision is Decision.SHIP


def test_recommend_keeps_the_control_on_a_loss_a_flat_result_and_an_srm():
    loss = metric(proportion("A", 10000, 1200), proportion("B", 10000, 1000), statistic=Statistic.PROPORTION, name="c")
    flat = metric(proportion("A", 10000, 1000), proportion("B", 10000, 1005), statistic=Statistic.PROPORTION, name="c")
    srm = metric(proportion("A", 10000, 1000), proportion("B", 9000, 1200), statistic=Statistic.PROPORTION, name="c")
    inverse_loss = rules.recommend(analysed(loss), primary="c", guardrails={}, inverse={"c": True}, alpha=0.05)
    assert inverse_loss.decision is Decision.SHIP  # lower is better: B's drop is a win
    for stats, words in ((loss, "significantly worse"), (flat, "flat"), (srm, "sample ratio mismatch")):
        rec = rules.recommend(analysed(stats), primary="c", guardrails={}, inverse={}, alpha=0.05)
        assert (rec.decision, rec.variation) == (Decision.KEEP_CONTROL, None)
        assert words in rec.sentence
    with pytest.raises(rules.InvalidStats) as caught:
        rules.recommend(analysed(flat), primary="nope", guardrails={}, inverse={}, alpha=0.05)
    assert caught.value.field == "primary"


def test_sentences_say_the_change_its_interval_and_what_the_chance_means():
    a, b = proportion("A", 20000, 2000), proportion("B", 20000, 2200)
    m = metric(a, b, statistic=Statistic.PROPORTION, name="conversion")
    freq = analysed(m).metrics[0].variations[0]
    text = rules.sentence(
        freq, metric="conversion", engine=Engine.FREQUENTIST, difference=Difference.RELATIVE, alpha=0.05, inverse=False
    )
    low, high = freq.ci
    assert text == (
        f"B raised conversion by 10.0% (95% CI {low * 100:.1f}% to {high * 100:.1f}%); a difference this large "
        f"would happen by chance {freq.p_value * 100:.1f}% of the time if B changed nothing."
    )
    bayes = analysed(m, settings=AnalysisSettings(engine=Engine.BAYESIAN)).metrics[0].variations[0]
    text = rules.sentence(
        bayes, metric="conversion", engine=Engine.BAYESIAN, difference=Difference.RELATIVE, alpha=0.05, inverse=False
    )
    assert "95% credible interval" in text and "chance that B is better" in text
    none = one(AnalysisSettings(), metric(arm("A", [0.0, 0.0]), arm("B", CONTROL)))
    assert "no estimate" in rules.sentence(
        none, metric="x", engine=Engine.FREQUENTIST, difference=Difference.RELATIVE, alpha=0.05, inverse=False
    )


# --------------------------------------------------------------------------------------------- JSON forms


def test_statistics_and_results_round_trip_through_json_forms():
    settings = AnalysisSettings(
        engine=Engine.SEQUENTIAL, difference=Difference.ABSOLUTE, sequential_tuning=100.0, correction=Correction.BH
    )
    metrics = (
        metric(arm("A", CONTROL, pre=CONTROL_PRE), arm("B", TREATMENT, pre=TREATMENT_PRE), cuped=True),
        metric(
            ratio_arm("A", [1.0, 2.0, 3.0], [1.0, 1.0, 2.0]),
            ratio_arm("B", [2.0, 2.0, 4.0], [1.0, 2.0, 2.0]),
            statistic=Statistic.RATIO,
            name="aov",
        ),
        metric(
            proportion("A", 100, 10), proportion("B", 100, 12), statistic=Statistic.PROPORTION, name="c", inverse=True
        ),
    )
    data = rules.stats_to_dict(metrics, settings=settings)
    assert set(data["metrics"][1]["variations"][0]) == {
        "name",
        "weight",
        "n",
        "m_sum",
        "m_sum_squares",
        "d_sum",
        "d_sum_squares",
        "m_d_sum_of_products",
    }
    back_settings, back_metrics = rules.stats_from_dict(data)
    assert back_settings == settings
    assert rules.analyze(back_settings, back_metrics) == rules.analyze(settings, metrics)
    result = rules.analyze(settings, metrics)
    as_dict = rules.result_to_dict(result)
    assert as_dict["metrics"]["revenue"]["variations"]["B"]["error"] is None
    assert rules.result_from_dict(as_dict) == result


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.update(engine="magic"), "engine"),
        (lambda d: d.update(alpha=2), "alpha"),
        (lambda d: d.update(prior={"mean": 0, "stddev": -1}), "prior.stddev"),
        (lambda d: d.update(extra=1), "extra"),
        (lambda d: d["metrics"][0].update(statistic="median"), "metrics[0].statistic"),
        (lambda d: d["metrics"][0]["variations"][1].pop("sum_squares"), "metrics[0].variations[1].sum_squares"),
        (lambda d: d["metrics"][0]["variations"][1].update(n=-3), "metrics[0].variations[1].n"),
        (lambda d: d["metrics"][0]["variations"][1].update(n="12"), "metrics[0].variations[1].n"),
        (lambda d: d["metrics"][0]["variations"][0].update(sum_squares=1), "metrics[0].variations[0].sum_squares"),
        (lambda d: d["metrics"][0]["variations"][0].update(weight=0.7), "metrics[0].variations"),
        (lambda d: d["metrics"][0]["variations"][0].update(sums=1), "metrics[0].variations[0].sums"),
        (lambda d: d.update(metrics=[]), "metrics"),
    ],
)
def test_stats_from_dict_names_the_field_of_bad_input(change, field):
    data = rules.stats_to_dict([metric(arm("A", CONTROL), arm("B", TREATMENT))], settings=AnalysisSettings())
    change(data)
    with pytest.raises(rules.InvalidStats) as caught:
        rules.stats_from_dict(data)
    assert caught.value.field == field


def test_compare_is_one_comparison_of_analyze_and_takes_the_settings_as_strings():
    m = metric(arm("A", CONTROL), arm("B", TREATMENT))
    from_analyze = one(AnalysisSettings(engine=Engine.SEQUENTIAL, difference=Difference.ABSOLUTE), m)
    as_strings = AnalysisSettings(engine="sequential", difference="absolute")  # type: ignore[arg-type]
    assert rules.compare(as_strings, m, m.variations[0], m.variations[1]) == from_analyze


@pytest.mark.parametrize("squares", [-5.0, 3.0, 60.0])
def test_a_proportions_sum_squares_when_given_must_be_its_sum(squares):
    """Each unit of a proportion is 0 or 1: sum_squares equals sum; -5 (below sum^2/n) or 60 (above the sum of 40)
    cannot be right and is refused naming it, where 40 is accepted."""
    data = {
        "metrics": [
            {
                "name": "conversion",
                "statistic": "proportion",
                "variations": [
                    {"name": "A", "weight": 0.5, "n": 100, "sum": 40, "sum_squares": 40},
                    {"name": "B", "weight": 0.5, "n": 100, "sum": 40, "sum_squares": squares},
                ],
            }
        ]
    }
    with pytest.raises(rules.InvalidStats) as caught:
        rules.stats_from_dict(data)
    assert caught.value.field == "metrics[0].variations[1].sum_squares"
    data["metrics"][0]["variations"][1]["sum_squares"] = 40
    assert rules.stats_from_dict(data)[1][0].variations[1].sum_squares == 40


@pytest.mark.parametrize("engine", list(Engine))
def test_a_control_mean_too_small_for_floating_point_is_a_zero_baseline_not_a_crash(engine):
    """Found by the property test: a control mean of 2.76e-113 (its fourth power underflows to 0) divided by zero
    on the relative scale. A control whose square underflows has no estimate (a named error, never a crash); one
    that is tiny but carries still gives a (huge, finite) relative lift."""
    settings = AnalysisSettings(engine=engine)
    tiny = VariationStats("A", 0.5, 2, sum=5.5107995896344e-113, sum_squares=3.0368912117114707e-225)
    treatment = VariationStats("B", 0.5, 2, sum=1.0, sum_squares=1.0)
    result = rules.compare(settings, MetricStats("m", Statistic.MEAN, (tiny, treatment)), tiny, treatment)
    assert result.error is None and result.lift is not None and math.isfinite(result.lift)
    vanishing = VariationStats("A", 0.5, 2, sum=2e-170, sum_squares=1e-340)
    result = rules.compare(settings, MetricStats("m", Statistic.MEAN, (vanishing, treatment)), vanishing, treatment)
    # its variance underflows too: either guard names it, and there is no estimate
    assert result.error in (ResultError.ZERO_NEGATIVE_BASELINE, ResultError.ZERO_NEGATIVE_VARIANCE)
    assert result.lift is None
