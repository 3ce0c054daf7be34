"""Embedding backends behind the ``Embedder`` port (``app.core.ports``).

- ``hashing``: deterministic fake, no dependencies (tests, demos, offline development);
- ``onnx``: all-MiniLM-L6-v2 exported to ONNX and quantised to int8 per channel (the fast CPU path);
- ``sentence_transformers``: the same model on torch (reference and fallback);
- ``multilingual``: a multilingual model shipped in a PyPI package, and a router that sends only
  non-English text to it;
- ``registry``: picks a backend from settings.

Importing this package imports no model library; each backend imports its own lazily.
"""

from app.adapters.embeddings.hashing import HashingEmbedder

__all__ = ["HashingEmbedder"]
