"""The documents pages: a revision, the diff between two, comments, attachments, the reading room. Thin: parse,
call one service, render (kernel.pages)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from mechanisms.documents import services as documents_services
from mechanisms.kernel import pdf
from mechanisms.kernel.pages import page, query_int

# --- PDF export (helper `pdfseal`) ------------------------------------------------------------------------------


@page
def export_pdf(request: HttpRequest, document_id: int) -> HttpResponse:
    """`/documents/<id>/pdf[?revision=N]`: one revision as a PDF download, for readers of the document (the owning
    app decides); anyone else gets the 404 page, as on every other page of the document."""
    name, content = documents_services.export_pdf(
        actor=request.actor, document_id=document_id, revision=query_int(request, "revision")
    )
    return pdf.download(name, content)
