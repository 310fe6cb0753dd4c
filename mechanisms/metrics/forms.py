"""Page forms of the metrics app: they only parse; the rules are the services' (entry point only). Each part adds
its forms under its own heading."""

from __future__ import annotations

from django import forms

from .contracts import Aggregation, Grain, Kind

# --- first part: the registry ----------------------------------------------------------------------------------


def _choices(enum_type) -> list[tuple[str, str]]:
    return [(m.value, m.value) for m in enum_type]


class MetricForm(forms.Form):
    """A metric's definition. Owner by handle, team by slug, a ratio's operands and the metric it evolved from by
    name. The revise form adds the reason and the version read."""

    name = forms.CharField(max_length=120, help_text="The key CSV columns, pushes and SQL pulls use: letters, "
                           "digits, spaces and . _ - /")  # fmt: skip
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(
        choices=[(Kind.INPUT.value, "input (controllable by the team)"), (Kind.OUTPUT.value, "output")]
    )
    definition = forms.CharField(
        max_length=20000, widget=forms.Textarea(attrs={"rows": 4}), help_text="What exactly is counted. Markdown."
    )
    unit = forms.CharField(max_length=40, required=False)
    direction = forms.ChoiceField(choices=[("up", "higher is better"), ("down", "lower is better")])
    owner = forms.CharField(max_length=150, help_text="The handle of the person who watches it daily.")
    team = forms.CharField(max_length=150, help_text="The slug of the team that owns it.")
    lever = forms.CharField(
        max_length=20000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="An input metric: how its team moves it (required for input metrics).",
    )
    aggregation = forms.ChoiceField(choices=_choices(Aggregation))
    comparison = forms.ChoiceField(choices=[("percent", "percent"), ("bps", "basis points")])
    grain = forms.ChoiceField(choices=_choices(Grain))
    number_format = forms.CharField(max_length=24, required=False)
    numerator = forms.CharField(
        max_length=120, required=False, help_text="A ratio metric: the metric whose period sums are divided."
    )
    denominator = forms.CharField(max_length=120, required=False, help_text="A ratio metric: the divisor.")
    evolved_from = forms.CharField(max_length=120, required=False, help_text="The metric this one evolved from.")
    evolution_reason = forms.CharField(
        max_length=20000, required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="Why it evolved."
    )

    def formula(self) -> dict | None:
        num, den = self.cleaned_data.get("numerator", ""), self.cleaned_data.get("denominator", "")
        if not num and not den:
            return None
        return {"ratio": {"numerator": num, "denominator": den}}


class ReviseForm(MetricForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        max_length=20000, widget=forms.Textarea(attrs={"rows": 2}), help_text="Why the definition changes."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].disabled = True
        self.fields["name"].required = False


class RetireForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(max_length=20000, required=False)
