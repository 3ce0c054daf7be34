# Passerelle API image: one uvicorn worker (best on small machines, see docs), SQLite by default;
# set PASSERELLE_DATABASE_URL=postgresql+psycopg://... for production.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    OPENBLAS_NUM_THREADS=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1

WORKDIR /srv/passerelle

# CPU-only torch first, so the sentence-transformers dependency does not pull a CUDA build.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0

# Editable install: the app finds alembic.ini, migrations/, frameworks/ and mappings/ beside it.
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY frameworks ./frameworks
COPY mappings ./mappings
COPY scripts ./scripts
RUN pip install -e .
RUN if [ -f scripts/build_models.py ]; then python scripts/build_models.py; fi

RUN useradd --system --home /srv/passerelle passerelle \
    && mkdir -p /srv/passerelle/var && chown -R passerelle /srv/passerelle/var
USER passerelle

ENV PASSERELLE_DATABASE_URL=sqlite:////srv/passerelle/var/passerelle.db \
    PASSERELLE_FRAMEWORKS_DIR=/srv/passerelle/frameworks \
    PASSERELLE_MAPPINGS_DIR=/srv/passerelle/mappings
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
CMD ["passerelle", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "1"]
