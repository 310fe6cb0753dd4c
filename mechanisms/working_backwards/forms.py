"""Forms of the working_backwards pages (entry point only): they parse, the services decide."""

from __future__ import annotations

from django import forms

from .contracts import PRFAQ_PARTS

# --- PR/FAQs (prfaq)


class PrFaqNewForm(forms.Form):
    """Start a PR/FAQ: its title, the owning team, whether it is high impact."""

    title = forms.CharField(max_length=300)
    team = forms.TypedChoiceField(coerce=int, choices=())
    high_impact = forms.BooleanField(required=False, help_text="A high-impact PR/FAQ gets a bar-raiser review.")

    def __init__(self, *args, teams=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [(t.id, t.name) for t in teams]


class PrFaqEditForm(forms.Form):
    """The editor: one textarea per part, the note, and the document version read (a stale one is refused)."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    note = forms.CharField(max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for part in PRFAQ_PARTS:
            # One textarea per part (the one-line parts get a short one), so the editor reads as one document.
            widget = forms.Textarea(attrs={"rows": 6 if part.multiline else 2})
            self.fields[part.key] = forms.CharField(
                label=part.label, help_text=part.help, required=False, max_length=200_000, widget=widget, strip=False
            )

    def parts(self) -> dict[str, str]:
        return {p.key: self.cleaned_data.get(p.key, "") for p in PRFAQ_PARTS}


class CircleForm(forms.Form):
    """Name one circle's people by handle (comma or space separated)."""

    circle = forms.TypedChoiceField(coerce=int, choices=[(2, "2"), (3, "3"), (4, "4")])
    reviewers = forms.CharField(max_length=2000, required=False)
    readers = forms.CharField(max_length=2000, required=False)
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
