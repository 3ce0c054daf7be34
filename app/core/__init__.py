"""The pure domain core: typed values and algorithms over the framework graph.

Imports nothing from FastAPI, SQLAlchemy or model libraries (an import-linter contract checks).
"""
