# vmapviz developer commands. `make help` lists them.
#
# Everything installs into ./.venv from pyproject.toml; the Graphviz `dot` binary (needed
# for SVG rendering) comes from the system package manager via `make system-deps`.

PYTHON ?= python3

VENV         := .venv
VPY          := $(VENV)/bin/python
VENV_STAMP   := $(VENV)/.vmapviz-install.stamp

BINDER_VENV  := .binder-venv
BPY          := $(BINDER_VENV)/bin/python
BINDER_STAMP := $(BINDER_VENV)/.binder-install.stamp

NOTEBOOKS    := $(wildcard tutorials/*.ipynb)
BENCHMARKS   := $(filter-out benchmarks/_%,$(wildcard benchmarks/*.py))
NBVAL_ARGS   := --nbval tutorials --nbval-sanitize-with tutorials/nbval_sanitize.cfg \
                -p no:cacheprovider

# Progress lines stand out from tool output.
say = @printf '\n==> %s\n' "$(1)"

.DEFAULT_GOAL := help
.PHONY: help venv system-deps browser-deps demo test test-compat dist wheel-smoke bench \
        binder-check clean distclean

help:
	@echo "vmapviz make targets:"
	@echo "  make venv          create .venv and pip install -e '.[test]' (re-runs only when pyproject.toml changes)"
	@echo "  make system-deps   make sure Graphviz 'dot' is installed (apt-get as root)"
	@echo "  make browser-deps  make sure Chromium is installed for the JupyterLab browser test"
	@echo "  make demo          run python -m vmapviz.demo"
	@echo "  make test          pytest, ruff, then nbval on tutorials/*.ipynb (what CI runs)"
	@echo "  make test-compat   the test suite on the oldest supported JAX (Python 3.11) and the"
	@echo "                     newest JAX with brainstate beside it (Python 3.12 or 3.13)"
	@echo "  make dist          build the sdist and wheel into dist/ and list the wheel"
	@echo "  make wheel-smoke   install the wheel (not the checkout) into a clean venv and smoke-test it"
	@echo "  make bench         run every benchmarks/*.py"
	@echo "  make binder-check  run the tutorials in a venv built from binder/requirements.txt only"
	@echo "  make clean         remove caches and build outputs (keeps the venvs)"
	@echo "  make distclean     clean, and remove .venv and .binder-venv too"
	@echo "Variables: PYTHON=$(PYTHON)"

# ---------------------------------------------------------------- environment

venv: $(VENV_STAMP)

$(VENV_STAMP): pyproject.toml constraints.txt
	$(call say,[venv] $(VENV) with $(shell $(PYTHON) --version 2>&1) ($(PYTHON)))
	@if [ ! -x $(VPY) ]; then \
		echo "creating $(VENV)"; \
		$(PYTHON) -m venv $(VENV); \
	else \
		echo "$(VENV) exists; (re)installing because pyproject.toml changed or first install"; \
	fi
	$(call say,[venv] upgrading pip)
	$(VPY) -m pip install --upgrade pip
	$(call say,[venv] pip install -e '.[test]' -c constraints.txt (cold: about 1 min, 900 MB))
	$(VPY) -m pip install -e '.[test]' -c constraints.txt
	@touch $@
	$(call say,[venv] ready)

system-deps:
	@if command -v dot >/dev/null 2>&1; then \
		printf '\n==> [system-deps] Graphviz present: %s\n' "$$(dot -V 2>&1)"; \
	elif [ "$$(id -u)" = "0" ]; then \
		printf '\n==> [system-deps] Graphviz dot not found; installing with apt-get (as root)\n'; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y graphviz; \
		command -v dot >/dev/null 2>&1 || { echo "ERROR: graphviz installed but 'dot' still not on PATH"; exit 1; }; \
		echo "installed: $$(dot -V 2>&1)"; \
	else \
		echo "ERROR: the Graphviz 'dot' binary is required (SVG rendering) and is not installed."; \
		echo "Install it with:"; \
		echo ""; \
		echo "    sudo apt-get install graphviz"; \
		echo ""; \
		exit 1; \
	fi

# The JupyterLab browser test (tests/browser/) drives Debian's Chromium through the
# playwright package (in the test extra); Playwright's own browser download does not work
# offline, so it never runs. Without Chromium the test skips and says why; this target
# never fails the build.
CHROMIUM := /usr/bin/chromium

browser-deps:
	@if [ -x $(CHROMIUM) ]; then \
		printf '\n==> [browser-deps] Chromium present: %s\n' "$$($(CHROMIUM) --version 2>/dev/null)"; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
		printf '\n==> [browser-deps] Chromium not found; installing Debian chromium with apt-get (as root)\n'; \
		{ apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; } \
			|| echo "WARNING: could not install chromium; the browser test will skip"; \
	else \
		echo "WARNING: $(CHROMIUM) not found and not root: the browser test will skip."; \
		echo "Install it with: sudo apt-get install chromium"; \
	fi

# ---------------------------------------------------------------- running

demo: venv system-deps
	$(call say,[demo] python -m vmapviz.demo)
	$(VPY) -m vmapviz.demo

test: venv system-deps browser-deps
	$(call say,[test 1/3] pytest)
	$(VPY) -m pytest
	$(call say,[test 2/3] ruff check .)
	$(VENV)/bin/ruff check .
ifneq ($(NOTEBOOKS),)
	$(call say,[test 3/3] nbval on $(words $(NOTEBOOKS)) tutorial notebook(s))
	$(VPY) -m pytest $(NBVAL_ARGS)
else
	$(call say,[test 3/3] nbval skipped: no tutorials/*.ipynb yet)
endif
	$(call say,[test] all passed)

bench: venv system-deps
ifeq ($(BENCHMARKS),)
	$(call say,[bench] no benchmarks/*.py yet: nothing to run)
else
	@set -e; for f in $(BENCHMARKS); do \
		printf '\n==> [bench] %s\n' "$$f"; \
		$(VPY) "$$f"; \
	done
	$(call say,[bench] done)
endif

# ---------------------------------------------------------------- compatibility

# Both ends of the supported range, each in its own venv (browser test and nbval aside: they
# compare stored outputs written on the pinned JAX). The oldest end is JAX_OLDEST on Python
# 3.11; the newest is the newest JAX pip offers Python 3.12 (or 3.13), with brainstate beside
# it. A missing interpreter is a clear skip with the install hint.
JAX_OLDEST   := 0.6.1
BRAINSTATE   := 0.6.0
COMPAT_TESTS := pytest hypothesis nbformat nbclient ipykernel
# The first interpreter of the given versions that really runs (a pyenv shim for a version
# that is installed but not enabled does not).
find-python = $(firstword $(foreach v,$(1),$(shell for p in \
              $(HOME)/.pyenv/versions/$(v).*/bin/python "$$(command -v python$(v))"; do \
              [ -n "$$p" ] && "$$p" -c "" 2>/dev/null && { echo "$$p"; break; }; done)))
PY_OLDEST    := $(call find-python,3.11)
PY_NEWEST    := $(call find-python,3.12 3.13)

test-compat:
	@$(MAKE) --no-print-directory compat-run NAME=oldest PY="$(PY_OLDEST)" WANT=3.11 \
		PKGS="jax==$(JAX_OLDEST) jaxlib==$(JAX_OLDEST)"
	@$(MAKE) --no-print-directory compat-run NAME=newest PY="$(PY_NEWEST)" WANT="3.12 or 3.13" \
		PKGS="jax jaxlib brainstate==$(BRAINSTATE)"
	$(call say,[test-compat] done)

compat-run:
	@if [ -z "$(PY)" ]; then \
		printf '\n==> [test-compat %s] SKIPPED: no Python %s found (looked for python%s on PATH\n' "$(NAME)" "$(WANT)" "$(WANT)"; \
		echo "    and in ~/.pyenv/versions). Install it with: pyenv install $(firstword $(WANT))"; \
		exit 0; \
	fi; \
	set -e; venv=.venv-compat-$(NAME); \
	printf '\n==> [test-compat %s] %s with %s\n' "$(NAME)" "$$venv" "$$($(PY) --version)"; \
	[ -x $$venv/bin/python ] || $(PY) -m venv $$venv; \
	$$venv/bin/python -m pip install -q --upgrade pip; \
	$$venv/bin/python -m pip install -q $(PKGS) $(COMPAT_TESTS); \
	$$venv/bin/python -m pip install -q -e . ; \
	$$venv/bin/python -c 'import sys, jax; print("==> [test-compat $(NAME)] Python", sys.version.split()[0], "jax", jax.__version__, "jaxlib", __import__("jaxlib").__version__)'; \
	$$venv/bin/python -c 'import importlib.util as u; print("==> [test-compat $(NAME)] brainstate", __import__("brainstate").__version__ if u.find_spec("brainstate") else "not installed")'; \
	$$venv/bin/python -m pytest -p no:cacheprovider --deselect tests/browser \
		-o addopts="--doctest-modules -q"

# ---------------------------------------------------------------- packaging

dist: venv
	$(call say,[dist] sdist and wheel into dist/)
	rm -rf dist build
	$(VPY) -m build --outdir dist .
	$(call say,[dist] the wheel holds)
	$(VPY) -m zipfile -l dist/*.whl
	@$(VPY) -m zipfile -l dist/*.whl | grep -q 'vmapviz/widgets/static/vmapviz.js' \
		&& $(VPY) -m zipfile -l dist/*.whl | grep -q 'vmapviz/widgets/static/vmapviz.css' \
		|| { echo "ERROR: the wheel lacks the widget's static files"; exit 1; }
	$(call say,[dist] widget static files are in the wheel)

wheel-smoke: dist
	$(call say,[wheel-smoke] a clean venv with the wheel only)
	rm -rf .venv-wheel
	$(PYTHON) -m venv .venv-wheel
	.venv-wheel/bin/python -m pip install -q --upgrade pip
	.venv-wheel/bin/python -m pip install -q dist/*.whl
	cd /tmp && $(CURDIR)/.venv-wheel/bin/python $(CURDIR)/tests/wheel_smoke.py
	$(call say,[wheel-smoke] passed)

# ---------------------------------------------------------------- binder

# A venv built the way Binder builds its image: binder/requirements.txt only, then
# vmapviz itself without dependencies (binder/postBuild). If a notebook needs a package
# that only pyproject.toml lists, this fails where `make test` would not.
$(BINDER_STAMP): binder/requirements.txt pyproject.toml
	$(call say,[binder] $(BINDER_VENV) from binder/requirements.txt only)
	@[ -x $(BPY) ] || $(PYTHON) -m venv $(BINDER_VENV)
	@want="$$(sed -n 's/^python-\([0-9]*\.[0-9]*\).*/\1/p' binder/runtime.txt)"; \
	 have="$$($(BPY) -c 'import sys; print("%d.%d" % sys.version_info[:2])')"; \
	 [ "$$want" = "$$have" ] || echo "WARNING: binder/runtime.txt asks for Python $$want, $(BINDER_VENV) has $$have"
	$(BPY) -m pip install --upgrade pip
	$(BPY) -m pip install -r binder/requirements.txt
	$(BPY) -m pip install -e . --no-deps
	@touch $@

binder-check: system-deps
ifeq ($(NOTEBOOKS),)
	$(call say,[binder-check] skipped: no tutorials/*.ipynb yet)
else
	@$(MAKE) --no-print-directory $(BINDER_STAMP)
	$(call say,[binder-check] nbval on $(words $(NOTEBOOKS)) notebook(s) in $(BINDER_VENV))
	$(BPY) -m pytest $(NBVAL_ARGS)
	$(call say,[binder-check] passed)
endif

# ---------------------------------------------------------------- cleaning

clean:
	$(call say,[clean] caches and build outputs)
	rm -rf build dist .eggs *.egg-info .pytest_cache .ruff_cache .hypothesis tests/artifacts \
		.venv-wheel
	find . -path ./$(VENV) -prune -o -path ./$(BINDER_VENV) -prune -o \
		\( -name __pycache__ -o -name .ipynb_checkpoints \) -type d -prune -exec rm -rf {} +

distclean: clean
	$(call say,[distclean] removing $(VENV) and $(BINDER_VENV))
	rm -rf $(VENV) $(BINDER_VENV) .venv-compat-oldest .venv-compat-newest
