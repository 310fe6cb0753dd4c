"""Forms of the bar-raiser pages. They only parse what the browser sends; every rule (who may manage the pool, the
capacity's bounds, the trainer, the training day) is checked by the bar-raisers services, whose errors the views put
next to the field they name (`kernel.pages.show_error`)."""

from __future__ import annotations

from django import forms


class AddMemberForm(forms.Form):
    """Put a trained person in the bar-raiser pool (MECHANISMS.md §4)."""

    handle = forms.CharField(max_length=64, label="Person", help_text="Their handle.")
    trained_on = forms.DateField(label="Trained on", widget=forms.DateInput(attrs={"type": "date"}))
    trainer = forms.CharField(max_length=64, required=False, help_text="Handle of the bar raiser who trained them.")
    capacity = forms.IntegerField(initial=2, help_text="Open assignments at once (0-20).")
    note = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class EditMemberForm(forms.Form):
    """Change a pool member: training day, trainer, capacity, whether they take new assignments."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    trained_on = forms.DateField(label="Trained on", widget=forms.DateInput(attrs={"type": "date"}))
    trainer = forms.CharField(max_length=64, required=False, help_text="Handle; empty for none.")
    capacity = forms.IntegerField(help_text="Open assignments at once (0-20).")
    active = forms.BooleanField(required=False, label="Taking new assignments")
    note = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))
