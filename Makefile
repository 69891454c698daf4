# One virtual environment at .venv for the whole repository; versions pinned in constraints.txt.
# `make run` and `make stack` install the packages alone (their pyproject.toml files say what running needs);
# `make install` adds the test tools of requirements-test.txt, which test, lint, typecheck, bench and chaos use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PACKAGES := $(sort $(dir $(wildcard libs/*/pyproject.toml services/*/pyproject.toml apps/*/pyproject.toml)))
RUNTIME := $(VENV)/.installed-runtime
TOOLS   := $(VENV)/.installed-test

# Tests use the servers named by TEST_DATABASE_URL / TEST_REDIS_URL; default to local ones that answer.
ifndef TEST_DATABASE_URL
ifeq ($(shell pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && echo up),up)
export TEST_DATABASE_URL := postgresql://postgres@127.0.0.1:5432/postgres
endif
endif
ifndef TEST_REDIS_URL
ifeq ($(shell redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null),PONG)
export TEST_REDIS_URL := redis://127.0.0.1:6379/0
endif
endif

.PHONY: run stack install install-runtime system-deps ui-tools test-frontend lint typecheck test test-unit test-contract test-integration test-e2e bench bench-quick bench-designs bench-list profile chaos clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(RUNTIME): $(BIN)/python constraints.txt $(addsuffix pyproject.toml,$(PACKAGES))
	$(BIN)/pip install --quiet -c constraints.txt $(foreach p,$(PACKAGES),-e $(p))
	touch $@

$(TOOLS): $(RUNTIME) requirements-test.txt
	$(BIN)/pip install --quiet -c constraints.txt -r requirements-test.txt
	touch $@

install-runtime: $(RUNTIME)

install: $(TOOLS)

# The whole system in one process on PORT (default 8080), data in DB_PATH (default ./support-ticket.db).
run: install-runtime
	$(BIN)/ticket-embedded

# The distributed system as local processes (command-api, projector, query-api, nginx gateway on PORT).
stack: install-runtime
	$(BIN)/python deploy/stack.py

# Benchmarks print figures; they never assert a speed (bench/README.md, docs/performance.md).
# Every figure against its reference in one table, in about 2.5 minutes; `make bench-quick` in about 1.5.
bench: install
	@bench/bench-deps.sh
	$(BIN)/python bench/performance.py $(BENCH_ARGS)

bench-quick: install
	@bench/bench-deps.sh
	$(BIN)/python bench/performance.py --quick $(BENCH_ARGS)

# What commit-ordered global positions cost, design against design (bench/README.md).
bench-designs: install
	$(BIN)/python bench/append.py

# Where the time goes: the services under a create burst sampled by py-spy (PROFILE_ARGS="--load assign", ...).
profile: install
	@bench/bench-deps.sh
	cd bench && ../$(BIN)/python profile.py $(PROFILE_ARGS)

# Ticket-list latency on ~1,000,000 read-model rows (loading takes a few minutes).
bench-list: install
	$(BIN)/python bench/list_tickets.py --url $${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres}

# Style, and the import rules of docs/architecture.md (which part may import which).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python tools/layers.py

typecheck: install
	$(BIN)/mypy $(addsuffix src,$(PACKAGES))

# Faults injected into the stack as real processes, on private PostgreSQL and Redis servers (docs/reliability.md).
chaos: install
	$(BIN)/python -m tests.e2e.chaos.scenarios --write docs/reliability.md $(CHAOS_ARGS)

# Debian packages the browser and gateway tests drive (installed when running as root).
system-deps:
	@tools/system-deps.sh

# axe-core for the accessibility checks of the browser tests, pinned in tools/axe/package-lock.json (npm registry).
ui-tools: tools/axe/node_modules/axe-core/axe.min.js

tools/axe/node_modules/axe-core/axe.min.js: tools/axe/package-lock.json
	npm ci --prefix tools/axe --no-audit --no-fund --loglevel=error
	touch $@

# The web UI's pure logic (drafts, wording, shortcuts, ...), with Node's own test runner: nothing to install.
test-frontend:
	node --test frontend/test/

# All layers in one run: the web UI's unit tests, then unit, contract, integration, e2e.
test: install system-deps ui-tools lint typecheck test-frontend
	$(BIN)/pytest

test-unit test-contract test-integration test-e2e: install
	$(BIN)/pytest -m $(subst test-,,$@)

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
