"""The web app on WEB_PORT: the staff console, the chat bubble's script with the demo page, the privacy notice.

Run by ``bot serve`` as ``uvicorn bot.web_app:create_app --factory``; tests start it with
:func:`bot.serve.running_web`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse

from bot.config import Settings, get_settings
from bot.health import RETRY_AFTER, HealthCheck
from bot.logs import install_record_guard


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the web app with every group of routes."""
    from bot.attestation_routes import router as attestation_router
    from bot.calendar_routes import router as calendar_router
    from bot.chat_bubble import router as widget_router
    from bot.console import install as install_console
    from bot.console import router as console_router
    from bot.console.headers import SecurityHeaders

    install_record_guard()  # this process's log lines carry no personal data either (bot.logs)
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        """The background jobs (bot.background) run while the app does."""
        from bot import background

        await app.router.startup()  # the handlers added with on_startup (the console's warm-up)
        async with background.running(settings) as jobs:
            app.state.background = jobs
            yield
        await app.router.shutdown()

    app = FastAPI(
        title="Entraide — console et API",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.background = None

    health_check = HealthCheck(settings)

    @app.get("/health", include_in_schema=False)
    async def health() -> JSONResponse:
        """What is up, part by part (bot.health): 200 when every part is, 503 otherwise."""
        report = await health_check.report()
        headers = {"Retry-After": RETRY_AFTER} if report.status_code == 503 else {}
        return JSONResponse(report.as_json(), status_code=report.status_code, headers=headers)

    @app.get("/confidentialite", include_in_schema=False, response_class=HTMLResponse)
    def privacy_notice() -> str:
        """The privacy notice the assistant and the chat bubble link to (an editable data file)."""
        return (settings.association_path / "privacy_notice.html").read_text(encoding="utf-8")

    app.include_router(widget_router)
    app.include_router(attestation_router)  # GET /attestations/{token}
    app.include_router(calendar_router)  # GET /calendar/{token}.ics
    app.include_router(console_router, prefix="/console")
    install_console(app)  # the JSON API at /api/ and the console's French error pages
    app.add_middleware(SecurityHeaders, rasa_port=settings.rasa_port)  # on every route, not only the console's
    return app
