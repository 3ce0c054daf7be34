"""Adapters around the domain core: database, embeddings, vector index, credential importers."""
