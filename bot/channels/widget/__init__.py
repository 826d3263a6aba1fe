"""The website chat bubble: its script, styles and the demo association's page (web app routes)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
