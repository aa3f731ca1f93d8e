"""The versioned JSON API (`/api/v1`) and health endpoints, assembled from one router per area."""

from fastapi import APIRouter

from app.adapters.images import media_router
from app.api import (
    account,
    activities,
    admin,
    admin_drawings,
    admin_export,
    admin_fulfillment,
    admin_review,
    admin_sponsors,
    admin_system,
    admin_users,
    auth,
    connections,
    drawings,
    fulfillment,
    health,
    leaderboards,
    points,
    profiles,
    registration,
    users,
)

api_router = APIRouter()
api_router.include_router(health.router)
api_router.include_router(media_router)  # uploaded prize and sponsor pictures at /static/media/ (public)
for module in (
    account, auth, users, points, activities, connections, leaderboards, profiles, registration,  # members
    drawings, fulfillment,  # sweepstakes (issue 6)
    admin, admin_users, admin_export, admin_fulfillment, admin_drawings, admin_sponsors, admin_review,  # admin
    admin_system,  # (issue 7)
):
    api_router.include_router(module.router, prefix="/api/v1")
