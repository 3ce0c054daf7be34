"""Reference data: load, validate, cross-check and hash ``frameworks/`` and ``mappings/``."""
