"""Persistence: SQLAlchemy 2 typed models, sessions and repositories (every query lives here)."""
