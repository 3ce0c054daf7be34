"""Vector indexes behind the ``VectorIndex`` port (``app.core.ports``).

- ``numpy_index``: exact top-k in NumPy, the embedded default;
- ``cache``: precomputed vectors on disk, keyed by model and content;
- ``pgvector``: the same port on PostgreSQL with the pgvector extension, with a NumPy fallback.
"""

from app.adapters.index.cache import VectorCache, content_hash, encode_all
from app.adapters.index.numpy_index import NumpyIndex

__all__ = ["NumpyIndex", "VectorCache", "content_hash", "encode_all"]
