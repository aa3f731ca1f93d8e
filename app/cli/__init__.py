"""Command-line tools: the demo seed, the real-data replay, the Fitbit dataset reader, draw verification and
the dev server helper (`python -m app.cli.<tool>`)."""
