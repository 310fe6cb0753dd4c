"""Forms of the experiments pages: they only parse (the rules are the services'; entry point only).

The plan form writes variations and metric lists one a line, so a plan reads as it is typed:
variations `key | name | weight`; guardrails `metric | statistic | tolerance`; secondary metrics
`metric | statistic`. A line that cannot be parsed is an error on its field naming the line."""

from __future__ import annotations

from typing import Any

from django import forms

from .contracts import (
    DEFAULT_ALPHA,
    DEFAULT_SEQUENTIAL_TUNING,
    Correction,
    Difference,
    Engine,
    MetricSpec,
    Plan,
    Statistic,
    StopRule,
    Variation,
)

ENGINE_CHOICES = [
    (Engine.FREQUENTIST.value, "frequentist (fixed horizon: read once, at the planned sample size)"),
    (Engine.SEQUENTIAL.value, "sequential (always valid: may be read any time)"),
    (Engine.BAYESIAN.value, "Bayesian (chance to win and risk)"),
]
STATISTIC_CHOICES = [
    (Statistic.PROPORTION.value, "proportion (a unit converted or not)"),
    (Statistic.MEAN.value, "mean (a value per unit)"),
    (Statistic.RATIO.value, "ratio (a numerator over a denominator per unit)"),
]
STOP_CHOICES = [
    (StopRule.SAMPLE_SIZE.value, "at the planned sample size"),
    (StopRule.END_DATE.value, "on the planned end date"),
    (StopRule.SEQUENTIAL.value, "as soon as the always-valid interval excludes zero (sequential engine)"),
]
DIFFERENCE_CHOICES = [(Difference.RELATIVE.value, "relative (%)"), (Difference.ABSOLUTE.value, "absolute")]
CORRECTION_CHOICES = [
    (Correction.HOLM.value, "Holm (family-wise error)"),
    (Correction.BH.value, "Benjamini-Hochberg (false discovery rate)"),
    (Correction.NONE.value, "none"),
]
TEXTAREA = {"rows": 3}


def _lines(text: str) -> list[tuple[int, list[str]]]:
    return [
        (number, [part.strip() for part in line.split("|")])
        for number, line in enumerate((text or "").splitlines(), start=1)
        if line.strip()
    ]


def _statistic(value: str, *, line: int) -> Statistic:
    try:
        return Statistic((value or "mean").lower())
    except ValueError:
        raise forms.ValidationError(f"line {line}: the statistic is proportion, mean or ratio, not {value!r}") from None


class PlanForm(forms.Form):
    """A draft experiment and its pre-registered plan. `metrics` are the choices of the primary metric: the
    registry's INPUT metrics (name, title)."""

    key = forms.SlugField(
        max_length=80, help_text="The assignment seed: units are hashed with it. Letters, digits, - and _."
    )
    name = forms.CharField(max_length=200)
    hypothesis = forms.CharField(
        max_length=20000,
        widget=forms.Textarea(attrs=TEXTAREA),
        help_text="What you change, what you expect to move and why: written before the data comes in.",
    )
    team = forms.CharField(max_length=150, help_text="The slug of the team that owns the experiment.")
    owner = forms.CharField(max_length=150, help_text="The handle of the single owner who takes the decision.")
    service = forms.CharField(max_length=200, required=False, help_text="The catalog service it runs on (its name).")
    high_impact = forms.BooleanField(
        required=False, help_text="High impact: the launch decision always needs a bar-raiser review."
    )
    variations = forms.CharField(
        widget=forms.Textarea(attrs=TEXTAREA),
        initial="control | Control | 0.5\ntreatment | Treatment | 0.5",
        help_text="One a line, the control first: key | name | weight. The weights sum to 1.",
    )
    primary = forms.ChoiceField(help_text="The input metric the change is meant to move (from the registry).")
    primary_statistic = forms.ChoiceField(choices=STATISTIC_CHOICES, initial=Statistic.PROPORTION.value)
    primary_denominator = forms.CharField(
        max_length=120, required=False, help_text="A ratio's denominator metric (its registry name)."
    )
    primary_cuped = forms.BooleanField(
        required=False, help_text="CUPED: adjust by the same metric before exposure (a mean only)."
    )
    guardrails = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs=TEXTAREA),
        help_text="Metrics that must not get worse, one a line: metric | statistic | tolerated relative harm "
        "(0.01 = 1%).",
    )
    secondary = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs=TEXTAREA),
        help_text="Other metrics to read, one a line: metric | statistic.",
    )
    engine = forms.ChoiceField(choices=ENGINE_CHOICES, initial=Engine.FREQUENTIST.value)
    difference = forms.ChoiceField(choices=DIFFERENCE_CHOICES, initial=Difference.RELATIVE.value)
    correction = forms.ChoiceField(choices=CORRECTION_CHOICES, initial=Correction.HOLM.value)
    alpha = forms.FloatField(initial=DEFAULT_ALPHA, help_text="The false-positive rate accepted (0.05 = 5%).")
    power = forms.FloatField(initial=0.8, help_text="The chance of detecting a true effect of the MDE's size.")
    mde = forms.FloatField(
        initial=0.02, help_text="Minimum detectable effect, relative to the baseline (0.02 = a 2% lift)."
    )
    baseline_mean = forms.FloatField(
        required=False, help_text="The primary metric's mean before the experiment (a proportion: its rate)."
    )
    baseline_stddev = forms.FloatField(
        required=False, help_text="Its standard deviation (a mean only; a proportion's follows from its rate)."
    )
    planned_sample_size = forms.IntegerField(
        required=False,
        min_value=0,
        help_text="Units over all variations. Leave empty: the power calculation's answer is used.",
    )
    stop_rule = forms.ChoiceField(choices=STOP_CHOICES, initial=StopRule.SAMPLE_SIZE.value)
    planned_end = forms.DateField(required=False, help_text="The planned end date (YYYY-MM-DD).")
    sequential_tuning = forms.FloatField(
        initial=DEFAULT_SEQUENTIAL_TUNING, help_text="The sequential engine's tuning parameter."
    )

    def __init__(self, *args: Any, metrics: list[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["primary"].choices = [("", "— choose an input metric —"), *metrics]

    def clean_variations(self) -> tuple[Variation, ...]:
        found = []
        for line, parts in _lines(self.cleaned_data["variations"]):
            if len(parts) != 3:
                raise forms.ValidationError(f"line {line}: write key | name | weight")
            try:
                weight = float(parts[2])
            except ValueError:
                raise forms.ValidationError(f"line {line}: the weight {parts[2]!r} is not a number") from None
            found.append(Variation(key=parts[0], name=parts[1] or parts[0], weight=weight))
        if not found:
            raise forms.ValidationError("write the variations, the control first")
        return tuple(found)

    def clean_guardrails(self) -> tuple[MetricSpec, ...]:
        found = []
        for line, parts in _lines(self.cleaned_data["guardrails"]):
            parts += ["", ""]
            try:
                tolerance = float(parts[2] or 0)
            except ValueError:
                raise forms.ValidationError(f"line {line}: the tolerance {parts[2]!r} is not a number") from None
            found.append(MetricSpec(metric=parts[0], statistic=_statistic(parts[1], line=line), tolerance=tolerance))
        return tuple(found)

    def clean_secondary(self) -> tuple[MetricSpec, ...]:
        return tuple(
            MetricSpec(metric=parts[0], statistic=_statistic((parts + [""])[1], line=line))
            for line, parts in _lines(self.cleaned_data["secondary"])
        )

    def plan(self) -> Plan:
        """The plan the form describes (after is_valid)."""
        d = self.cleaned_data
        statistic = Statistic(d["primary_statistic"])
        primary = MetricSpec(
            metric=d["primary"],
            statistic=statistic,
            cuped=bool(d["primary_cuped"]),
            denominator=d["primary_denominator"] or None,
        )
        return Plan(
            variations=d["variations"],
            primary=primary,
            guardrails=d["guardrails"],
            secondary=d["secondary"],
            engine=Engine(d["engine"]),
            difference=Difference(d["difference"]),
            correction=Correction(d["correction"]),
            alpha=d["alpha"],
            power=d["power"],
            mde=d["mde"],
            baseline_mean=d["baseline_mean"],
            baseline_stddev=d["baseline_stddev"],
            planned_sample_size=d["planned_sample_size"] or 0,
            stop_rule=StopRule(d["stop_rule"]),
            planned_end=d["planned_end"],
            sequential_tuning=d["sequential_tuning"],
        )


class EditForm(PlanForm):
    """A draft's edit: the key never changes; the version read guards against a concurrent edit."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["key"].disabled = True
        self.fields["key"].required = False
        self.fields["team"].disabled = True
        self.fields["team"].required = False
        self.fields["owner"].disabled = True
        self.fields["owner"].required = False


class RevisionForm(PlanForm):
    """A plan revision after start (services.revise_plan): what never changes after start (the variations and
    weights, the primary metric, the engine and the difference) is shown but cannot be changed; every other plan
    field may change, with a reason (required), kept beside the results. The version read guards against a
    concurrent change."""

    FROZEN = (
        "variations",
        "primary",
        "primary_statistic",
        "primary_denominator",
        "primary_cuped",
        "engine",
        "difference",
    )
    NOT_THE_PLAN = ("key", "name", "hypothesis", "team", "owner", "service", "high_impact")

    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        max_length=20000,
        widget=forms.Textarea(attrs=TEXTAREA),
        help_text="Why the plan changes after the data started coming in: shown beside the results.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.NOT_THE_PLAN:
            del self.fields[name]
        for name in self.FROZEN:
            self.fields[name].disabled = True
        self.order_fields(["reason"])


def plan_initial(plan: Plan) -> dict[str, Any]:
    """A plan as the plan form's initial values (the edit page)."""

    def spec_line(spec: MetricSpec, *, tolerance: bool) -> str:
        parts = [spec.metric, spec.statistic.value] + ([f"{spec.tolerance:g}"] if tolerance else [])
        return " | ".join(parts)

    return {
        "variations": "\n".join(f"{v.key} | {v.name} | {v.weight:g}" for v in plan.variations),
        "primary": plan.primary.metric,
        "primary_statistic": plan.primary.statistic.value,
        "primary_denominator": plan.primary.denominator or "",
        "primary_cuped": plan.primary.cuped,
        "guardrails": "\n".join(spec_line(g, tolerance=True) for g in plan.guardrails),
        "secondary": "\n".join(spec_line(s, tolerance=False) for s in plan.secondary),
        "engine": plan.engine.value,
        "difference": plan.difference.value,
        "correction": plan.correction.value,
        "alpha": plan.alpha,
        "power": plan.power,
        "mde": plan.mde,
        "baseline_mean": plan.baseline_mean,
        "baseline_stddev": plan.baseline_stddev,
        "planned_sample_size": plan.planned_sample_size or None,
        "stop_rule": plan.stop_rule.value,
        "planned_end": plan.planned_end,
        "sequential_tuning": plan.sequential_tuning,
    }
