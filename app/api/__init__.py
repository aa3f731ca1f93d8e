"""The versioned JSON API (`/api/v1`) and health endpoints, assembled from one router per area."""

from fastapi import APIRouter

from app.api import account, activities, admin, auth, health, leaderboards, points, profiles, registration, users

api_router = APIRouter()
api_router.include_router(health.router)
for module in (account, auth, users, points, activities, leaderboards, admin, profiles, registration):
    api_router.include_router(module.router, prefix="/api/v1")
