# syntax=docker/dockerfile:1.7
# Passerelle image, two stages (docs/operations.md):
#   build    compilers, torch (CPU) and the full lock: builds the model artefacts (the English
#            model as ONNX int8, the ESCO vectors) and the runtime environment;
#   runtime  python slim + the runtime environment (requirements-runtime.lock: no torch, no
#            sentence-transformers, no compiler) + the artefacts; runs as a non-root user.
# The same image serves the API (default command), runs `passerelle worker` and the migration
# job `passerelle db upgrade` (compose.yaml). SQLite by default; set
# PASSERELLE_DATABASE_URL=postgresql+psycopg://... for a fleet.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    OPENBLAS_NUM_THREADS=1
# Build tools for any sdist without a wheel for this platform; they stay in this stage.
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /srv/passerelle

# The runtime environment: hash-checked, every dependency pinned by the lock (--no-deps).
COPY requirements-runtime.lock ./
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --require-hashes --no-deps -r requirements-runtime.lock

# The build environment: the full lock, torch CPU from the PyTorch index (same hashes).
COPY requirements.lock ./
RUN python -m venv /opt/build \
    && /opt/build/bin/pip install --require-hashes --no-deps \
       --extra-index-url https://download.pytorch.org/whl/cpu -r requirements.lock

# Editable installs: the app finds alembic.ini, migrations/, frameworks/ and mappings/ beside it
# (the runtime stage copies /srv/passerelle and /opt/venv to the same paths).
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY frameworks ./frameworks
COPY mappings ./mappings
COPY scripts ./scripts
RUN /opt/venv/bin/pip install --no-deps -e . \
    && /opt/build/bin/pip install --no-deps -e .

# Model artefacts, built with torch here so the runtime never needs it: the English model as
# ONNX int8 (var/models), the ESCO label vectors (var/vectors; 1-4 minutes).
RUN /opt/build/bin/python scripts/build_models.py --force \
    && /opt/build/bin/passerelle index build


FROM ${PYTHON_IMAGE} AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    OPENBLAS_NUM_THREADS=1 \
    OMP_NUM_THREADS=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    PASSERELLE_DATABASE_URL=sqlite:////srv/passerelle/var/db/passerelle.db \
    PASSERELLE_FRAMEWORKS_DIR=/srv/passerelle/frameworks \
    PASSERELLE_MAPPINGS_DIR=/srv/passerelle/mappings \
    PASSERELLE_EMBEDDINGS__BACKEND=onnx \
    PASSERELLE_LOG_FORMAT=json
WORKDIR /srv/passerelle
RUN useradd --system --uid 10001 --no-create-home --home-dir /srv/passerelle passerelle
COPY --from=build /opt/venv /opt/venv
COPY --from=build /srv/passerelle /srv/passerelle
# Only the database directory is writable by the service; code and artefacts are read-only.
RUN mkdir -p /srv/passerelle/var/db && chown passerelle /srv/passerelle/var/db \
    # the runtime layer holds no torch and no compiler, and serves the default model (ONNX)
    && ! python -c "import torch" 2>/dev/null \
    && ! command -v gcc && ! command -v cc \
    && python -c "from app.adapters.embeddings.registry import select_embedders; \
from app.settings import Settings; c = select_embedders(Settings().embeddings); \
assert c.backend == 'onnx' and c.embedder is not None, c; \
print('model:', c.embedder.model_id, c.embedder.encode(['write SQL queries']).shape)"
USER passerelle
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]
CMD ["passerelle", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "1"]
