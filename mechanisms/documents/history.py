"""The documents app's kind of record with a history, registered with the audit app (docs/audit.md).

`document` is CONFIDENTIAL: a document's history keeps which fields changed (the parts revised, a comment made,
a file attached), never their text, since the text may belong to a PR/FAQ in an early circle; who may read the
history is asked of the owning app, as every other read of a document is.

`document_session_comment` is a comment made during a reading session, its own subject (id: the comment's) so that
its line in the log is read under the hidden-comments rule: until a reader is done reading, neither the other
readers nor the presenter learn from any history that they have commented (MECHANISMS.md §6)."""

from __future__ import annotations

from mechanisms.audit import services as audit_services
from mechanisms.audit.contracts import Sensitivity, SubjectType
from mechanisms.kernel.actor import Actor

VERBS = frozenset(
    {
        "create",
        "revise",
        "comment",
        "resolve_comment",
        "attach",
        "remove_attachment",
        "start_session",
        "done_reading",
        "close_session",
    }
)


def _visible(actor: Actor, ids: frozenset[str]) -> frozenset[str]:
    from . import services

    numeric = frozenset(int(i) for i in ids if i.isdigit())
    return frozenset(str(i) for i in services.readable_document_ids(actor=actor, document_ids=numeric))


def _visible_comments(actor: Actor, ids: frozenset[str]) -> frozenset[str]:
    from . import services

    numeric = frozenset(int(i) for i in ids if i.isdigit() and 0 < int(i) < 2**63)
    return frozenset(str(i) for i in services.visible_comment_ids(actor=actor, comment_ids=numeric))


def register() -> None:
    audit_services.register_subject_type(
        subject_type=SubjectType(
            name="document_session_comment",
            owner="documents",
            label="comment in a reading session",
            verbs=frozenset({"comment"}),
            sensitivity=Sensitivity.CONFIDENTIAL,
            visible=_visible_comments,
            verb_words={"comment": "commented in silent reading on"},
        )
    )
    audit_services.register_subject_type(
        subject_type=SubjectType(
            name="document",
            owner="documents",
            label="document",
            verbs=VERBS,
            sensitivity=Sensitivity.CONFIDENTIAL,
            visible=_visible,
            verb_words={
                "revise": "revised",
                "comment": "commented on",
                "resolve_comment": "resolved a comment on",
                "attach": "attached a file to",
                "remove_attachment": "removed a file from",
                "start_session": "started a reading session on",
                "done_reading": "finished reading",
                "close_session": "closed a reading session on",
            },
        )
    )
