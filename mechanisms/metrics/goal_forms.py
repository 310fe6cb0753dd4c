"""Forms of the goal pages (entry point only): a new goal. The machine's action forms are generated
(kernel/machine_forms.py)."""

from __future__ import annotations

from django import forms

from .contracts import GoalMeasure

MEASURES = [
    (GoalMeasure.LAST_WEEK.value, "last week's figure"),
    (GoalMeasure.MTD.value, "month to date"),
    (GoalMeasure.QTD.value, "quarter to date"),
    (GoalMeasure.YTD.value, "year to date"),
]


class GoalForm(forms.Form):
    team = forms.CharField(max_length=120, label="Team (slug)")
    year = forms.IntegerField(min_value=2000, max_value=2100)
    title = forms.CharField(max_length=300)
    description = forms.CharField(required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 4}))
    metric = forms.CharField(max_length=120, label="Metric (its registry name)")
    measure = forms.ChoiceField(choices=MEASURES, initial=GoalMeasure.LAST_WEEK.value)
    baseline = forms.FloatField(required=False, help_text="Where the metric starts; from 0 when empty.")
    target = forms.FloatField()
    start_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    due_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), help_text="Within the year.")
    propose = forms.BooleanField(required=False, label="Propose it to leadership now")
