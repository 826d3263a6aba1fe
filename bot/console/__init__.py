"""The staff console: a server-rendered web app mounted at /console/ of the web app."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
