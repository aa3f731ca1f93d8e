"""Stub: Terra webhook route (owner: lead)."""

from fastapi import APIRouter

router = APIRouter()
