"""``GET /attestations/{token}``: a volunteer's PDF attestation behind an expiring link (bot.attestations).

A live link answers the PDF, made on the spot and never cached nor indexed; an expired link a
short French page (410) saying how to ask for a new one; an unknown one the same kind of page (404).
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from bot import attestations

router = APIRouter(include_in_schema=False)

NO_STORE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
ASK_AGAIN = (
    "Pour en obtenir une nouvelle, écrivez « Je voudrais une attestation » à l'assistant, "
    "ou demandez-la à un responsable de l'association."
)


def _page(title: str, text: str, status_code: int) -> HTMLResponse:
    body = (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title, quote=False)}</title></head><body><main><h1>{escape(title, quote=False)}</h1>"
        f"<p>{escape(text, quote=False)}</p><p>{escape(ASK_AGAIN, quote=False)}</p></main></body></html>"
    )
    return HTMLResponse(body, status_code=status_code, headers=NO_STORE)


@router.get("/attestations/{token}")
async def attestation(request: Request, token: str) -> Response:
    """The attestation's PDF for a live link; a French page for an expired or unknown one."""
    settings = request.app.state.settings
    state, pdf = await run_in_threadpool(attestations.pdf_for_token, settings, token)
    if state == attestations.VALID and pdf is not None:
        headers = {**NO_STORE, "Content-Disposition": 'attachment; filename="attestation-benevolat.pdf"'}
        return Response(pdf, media_type="application/pdf", headers=headers)
    if state == attestations.EXPIRED:
        return _page("Lien expiré", "Ce lien vers votre attestation de bénévolat a expiré.", 410)
    return _page("Lien introuvable", "Ce lien vers une attestation de bénévolat n'est pas valide.", 404)
