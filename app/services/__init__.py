"""Application services: one module per use case; orchestrate core + adapters; never commit."""
