"""The documents pages (mounted by config into the one page namespace `web`; see kernel.mounts)."""

from django.urls import path

from . import views

urlpatterns: list = [
    # --- the reading room (reading)
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
