"""System tasks: `ping`, used by `GET /health/ready` to prove a consumer is answering."""

from app.jobs import huey


@huey.task(expires=30)
def ping() -> str:
    """Return "pong". Expires after 30 s if no consumer picks it up, so unanswered pings never pile up."""
    return "pong"
