"""History asks the owner: a record's history is shown only to those its owning app lets see the record; a
correlation id shows a non-admin only the changes of records they may see; the whole log is for admins."""

from __future__ import annotations

import pytest

from mechanisms.audit import services as audit_services
from mechanisms.kernel import correlation
from mechanisms.kernel.errors import NotFound, PermissionDenied

pytestmark = pytest.mark.django_db

JSON = "application/json"


# The audit app sits below the apps whose records it keeps (import-linter layers): its tests write through the
# API, or record changes of those apps' registered types directly.


def _change_preferences(as_, handle: str, webhook: str):
    client = as_(handle)
    version = client.get("/api/v1/notification-preferences").json()["version"]
    response = client.put(
        "/api/v1/notification-preferences",
        {"version": version, "chat": True, "webhook_url": webhook},
        content_type=JSON,
    )
    assert response.status_code == 200, response.content


def test_a_person_reads_their_own_preference_history_with_its_values(small_org, as_):
    _change_preferences(as_, "bob", "https://hooks.slack.com/services/bob-secret")
    bob_id = small_org.people["bob"].id

    body = as_("bob").get(f"/api/v1/history?subject_type=notification_preferences&subject_id={bob_id}").json()

    assert [c["verb"] for c in body["items"]] == ["update"]
    change = body["items"][0]
    assert (change["before"]["chat"], change["after"]["chat"]) == (False, True)


def test_another_persons_preference_history_is_404_as_if_it_did_not_exist(small_org, as_):
    _change_preferences(as_, "bob", "https://hooks.slack.com/services/bob-secret")
    bob_id = small_org.people["bob"].id

    refused = as_("eve").get(f"/api/v1/history?subject_type=notification_preferences&subject_id={bob_id}")
    missing = as_("eve").get("/api/v1/history?subject_type=notification_preferences&subject_id=999999")

    assert refused.status_code == missing.status_code == 404
    assert "bob-secret" not in refused.content.decode()
    assert refused.json()["error"]["code"] == missing.json()["error"]["code"]
    assert refused.json()["error"]["details"] == {"field": "subject_id"}


def test_an_admin_reads_anyones_preference_history(small_org, as_):
    _change_preferences(as_, "bob", "https://hooks.slack.com/services/bob-secret")
    bob_id = small_org.people["bob"].id
    body = as_("admin").get(f"/api/v1/history?subject_type=notification_preferences&subject_id={bob_id}").json()
    assert body["total"] == 1


def test_an_accounts_token_history_is_for_its_person_and_admins(small_org, as_):
    bob_user = small_org.actor("bob").user_id
    query = f"/api/v1/history?subject_type=account&subject_id={bob_user}"
    assert as_("bob").get(query).status_code == 200  # as_ issued bob a token: recorded on his account
    assert as_("eve").get(query).status_code == 404
    assert as_("admin").get(query).json()["total"] >= 2


def test_the_outbox_history_is_for_admins_only(small_org):
    with pytest.raises(NotFound):
        audit_services.list_changes(
            actor=small_org.actor("eve"), subject_type="notification_outbox", subject_id="outbox"
        )


def test_a_non_admin_names_the_record_not_just_its_kind(small_org, as_):
    refused = as_("eve").get("/api/v1/history?subject_type=team")
    assert refused.status_code == 403
    assert refused.json()["error"]["details"] == {"field": "subject_id"}
    assert as_("admin").get("/api/v1/history?subject_type=team").json()["total"] >= 3


def test_a_correlation_id_shows_a_non_admin_only_the_records_they_may_see(small_org, as_):
    bob = small_org.actor("bob")
    token = correlation.begin()
    try:
        made = correlation.current()
        # One command's changes: bob's own preferences and a catalog record.
        audit_services.record_change(
            actor=bob,
            verb="update",
            subject_type="notification_preferences",
            subject_id=bob.person_id,
            before={"chat": False},
            after={"chat": True},
        )
        audit_services.record_change(
            actor=bob, verb="create", subject_type="service", subject_id=99, after={"name": "cart-api"}
        )
    finally:
        correlation.end(token)

    def kinds(handle):
        body = as_(handle).get(f"/api/v1/history?correlation_id={made}").json()
        assert body["total"] == len(body["items"])
        return sorted(c["subject_type"] for c in body["items"])

    assert kinds("eve") == ["service"]
    assert kinds("bob") == ["notification_preferences", "service"]
    assert kinds("admin") == ["notification_preferences", "service"]


def test_guessing_a_correlation_id_reads_nothing_of_others(small_org, as_):
    # Every change of the fixture was made by the system; a guessed id such as "1" or a client's header value
    # never names a server-made correlation id.
    _change_preferences(as_, "bob", "https://hooks.slack.com/services/bob-secret")
    for guess in ("1", "req-1", "0" * 32):
        assert as_("eve").get(f"/api/v1/history?correlation_id={guess}").json()["total"] == 0


def test_a_callers_request_id_is_kept_apart_and_selects_nothing(small_org, as_):
    response = as_("bob").put(
        "/api/v1/notification-preferences",
        {"version": as_("bob").get("/api/v1/notification-preferences").json()["version"], "email": False},
        content_type=JSON,
        HTTP_X_REQUEST_ID="mine-1",
    )
    assert response.status_code == 200
    assert response["X-Request-ID"] != "mine-1"
    bob_id = small_org.people["bob"].id
    [change] = (
        as_("bob").get(f"/api/v1/history?subject_type=notification_preferences&subject_id={bob_id}").json()["items"]
    )
    assert (change["client_request_id"], change["correlation_id"]) == ("mine-1", response["X-Request-ID"])
    for handle in ("bob", "eve", "admin"):
        assert as_(handle).get("/api/v1/history?correlation_id=mine-1").json()["total"] == 0


def test_the_whole_log_is_for_admins(small_org):
    with pytest.raises(PermissionDenied):
        audit_services.list_changes(actor=small_org.actor("eve"))
    assert audit_services.list_changes(actor=small_org.actor("admin"), limit=1).total > 0


def test_the_directory_and_catalog_histories_stay_open_to_every_signed_in_person(small_org):
    eve = small_org.actor("eve")
    team = small_org.teams["identity"]
    service = small_org.services["identity-api"]
    assert audit_services.list_changes(actor=eve, subject_type="team", subject_id=team.id).total == 3
    assert audit_services.list_changes(actor=eve, subject_type="service", subject_id=service.id).total == 1
    person_id = small_org.people["gus"].id
    assert audit_services.list_changes(actor=eve, subject_type="person", subject_id=person_id).total == 1


def test_a_correlation_query_asks_each_owner_once_for_all_its_records(small_org):
    from mechanisms.audit.contracts import SubjectType

    calls: list[frozenset[str]] = []

    def even_ones(actor, ids):
        calls.append(ids)
        return frozenset(i for i in ids if int(i) % 2 == 0)

    audit_services.register_subject_type(
        subject_type=SubjectType(
            name="test_counted", owner="audit.tests", verbs=frozenset({"create"}), visible=even_ones
        )
    )
    token = correlation.begin()
    try:
        made = correlation.current()
        audit_services.record_changes(
            actor=small_org.actor("admin"),
            changes=[{"verb": "create", "subject_type": "test_counted", "subject_id": i} for i in range(1, 7)]
            + [{"verb": "create", "subject_type": "test_counted", "subject_id": 2}],
        )
    finally:
        correlation.end(token)

    page = audit_services.list_changes(actor=small_org.actor("eve"), correlation_id=made, limit=2)

    assert calls == [frozenset({"1", "2", "3", "4", "5", "6"})]
    assert (page.total, [c.subject_id for c in page.items]) == (4, ["2", "6"])
