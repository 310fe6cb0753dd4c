"""The inbox pages: a person's notifications (mark one or all read) and their notification preferences.

Thin: parse, call notifications' services, render. An inbox is its owner's alone; the services decide.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from mechanisms.kernel.pages import FORM_ERRORS, PAGE_SIZE, page, query_int, show_error
from mechanisms.notifications import services as notifications_services

PREFERENCES_CONFLICT = (
    "Your preferences were changed elsewhere while you were editing. Reload to see them, then change them again."
)


class PreferencesForm(forms.Form):
    """A person's notification preferences; the services check every rule."""

    email = forms.BooleanField(required=False, label="Email me my notifications")
    chat = forms.BooleanField(required=False, label="Post my notifications to chat")
    webhook_url = forms.CharField(
        required=False,
        max_length=500,
        label="My chat webhook URL",
        help_text="A Slack-compatible incoming webhook (https://…). Empty: the organization's chat channel, if any.",
    )
    muted_kinds = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Muted kinds",
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Named from the kinds the apps really send, so the help never offers one that does not exist.
        kinds = notifications_services.known_kinds()
        example = kinds[0] if kinds else "KIND"
        self.fields["muted_kinds"].help_text = (
            f"One per line: a kind ({', '.join(kinds)}), a prefix such as {example.split('.')[0]}.* (all of them), "
            f"or email:{example} (only by email). The inbox keeps a kind unless you mute it everywhere or with inbox:."
        )


@page
def inbox(request: HttpRequest) -> HttpResponse:
    """Your notifications, newest first, a page at a time (`?unread=1`: only unread ones)."""
    actor = request.actor
    unread_only = request.GET.get("unread") == "1"
    found = notifications_services.list_inbox(
        actor=actor, unread_only=unread_only, limit=PAGE_SIZE, offset=query_int(request, "offset")
    )
    context = {
        "page": found,
        "items": found.items,
        "unread_only": unread_only,
        "unread": notifications_services.unread_count(actor=actor),
        "has_person": actor.person_id is not None,
    }
    return render(request, "notifications/inbox.html", context)


@require_POST
@page
def inbox_read(request: HttpRequest) -> HttpResponse:
    """Mark read: the items named (`ids`), or all of them (`all`); then back to where the person was."""
    if request.POST.get("all"):
        item_ids = None
    else:
        item_ids = [int(v) for v in request.POST.getlist("ids") if v.strip().isdigit() and len(v.strip()) < 19]
    notifications_services.mark_read(actor=request.actor, item_ids=item_ids)
    target = request.POST.get("next") or "/inbox"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        target = "/inbox"
    return redirect(target)


@page
def inbox_preferences(request: HttpRequest) -> HttpResponse:
    """Your notification preferences: email, chat and its webhook, muted kinds."""
    actor = request.actor
    current = notifications_services.get_preferences(actor=actor)
    initial = {
        "email": current.email,
        "chat": current.chat,
        "webhook_url": current.webhook_url,
        "muted_kinds": "\n".join(current.muted_kinds),
        "version": current.version,
    }
    status = 200
    if request.method == "POST":
        form = PreferencesForm(request.POST, initial=initial)
        if form.is_valid():
            data = form.cleaned_data
            try:
                notifications_services.update_preferences(
                    actor=actor,
                    version=data["version"],
                    email=data["email"],
                    chat=data["chat"],
                    webhook_url=data["webhook_url"],
                    muted_kinds=[line for line in data["muted_kinds"].splitlines() if line.strip()],
                )
            except FORM_ERRORS as exc:
                status = show_error(form, exc, conflict=PREFERENCES_CONFLICT)
            else:
                messages.success(request, "Your notification preferences are saved.")
                return redirect("web:inbox-preferences")
        if form.errors and status == 200:
            status = 400
    else:
        form = PreferencesForm(initial=initial)
    context = {"form": form, "preferences": current, "reload_url": request.path}
    return render(request, "notifications/preferences.html", context, status=status)
