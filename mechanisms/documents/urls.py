"""The documents pages (mounted by config into the one page namespace `web`; see kernel.mounts)."""

from django.urls import path

from . import views

urlpatterns = [
    # --- documents, revisions, diffs, comments, attachments (helper `docs`) ---
    path("documents/<int:document_id>", views.document_page, name="document"),
    path("documents/<int:document_id>/revisions", views.revisions_page, name="document-revisions"),
    path("documents/<int:document_id>/revisions/<int:number>", views.revision_page, name="document-revision"),
    path("documents/<int:document_id>/diff", views.diff_page, name="document-diff"),
    path("documents/<int:document_id>/comments", views.comment_add, name="document-comment"),
    path(
        "documents/<int:document_id>/comments/<int:comment_id>/resolve",
        views.comment_resolve,
        name="document-comment-resolve",
    ),
    path("documents/<int:document_id>/attachments", views.attachment_upload, name="document-attach"),
    path(
        "documents/<int:document_id>/attachments/<int:attachment_id>",
        views.attachment_download,
        name="document-attachment",
    ),
    path(
        "documents/<int:document_id>/attachments/<int:attachment_id>/remove",
        views.attachment_remove,
        name="document-attachment-remove",
    ),
    # --- reading sessions (helper `reading`) ---
    path("documents/<int:document_id>/sessions/<int:session_id>", views.reading_room, name="reading-room"),
    path(
        "documents/<int:document_id>/sessions/<int:session_id>/status",
        views.reading_room_status,
        name="reading-room-status",
    ),
    path(
        "documents/<int:document_id>/sessions/<int:session_id>/comments",
        views.reading_room_comment,
        name="reading-room-comment",
    ),
    path("documents/<int:document_id>/sessions/<int:session_id>/done", views.reading_room_done, name="reading-done"),
    path("documents/<int:document_id>/sessions/<int:session_id>/close", views.reading_room_close, name="reading-close"),
]

# --- PDF export (helper `pdfseal`)
urlpatterns += [path("documents/<int:document_id>/pdf", views.export_pdf, name="document-pdf")]
