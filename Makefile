# Every target that runs code sets up .venv on its own; the stamp keeps repeated runs fast.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --quiet --disable-pip-version-check --no-input
STAMP  := $(VENV)/.stamp
# Torch first and pinned (an unpinned torch pulls several GB of CUDA packages); the
# constraints file keeps later installs from replacing it.
PINS   := -c constraints.txt

.PHONY: venv triton-venv test lint demo bench docs clean browser

venv: $(STAMP)

$(STAMP): pyproject.toml setup.cfg constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install $(PINS) torch==2.13.0
	$(PIP) install $(PINS) torchvision==0.28.0
	$(PIP) install $(PINS) -e '.[test,rtx]'
	touch $@

# The Triton server's own environment (`trtconv serve`, the Triton tests): the server bundled
# with nvidia-pytriton needs numpy<2, which the main .venv does not keep. Its Python-backend
# models import torch and trtconv, so both are installed here too. Where nvidia-pytriton
# cannot install, the reason goes to .venv-triton/.install-failed (the Triton tests skip with
# it, and fail under CI) and `make test` goes on.
TRITON_VENV  := .venv-triton
TRITON_PY    := $(TRITON_VENV)/bin/python
TRITON_PIP   := $(TRITON_PY) -m pip --quiet --disable-pip-version-check --no-input
TRITON_STAMP := $(TRITON_VENV)/.stamp

triton-venv: $(TRITON_STAMP)

$(TRITON_STAMP): pyproject.toml setup.cfg constraints.txt
	rm -f $(TRITON_VENV)/.install-failed
	test -x $(TRITON_PY) || $(PYTHON) -m venv $(TRITON_VENV)
	if $(TRITON_PIP) install $(PINS) torch==2.13.0 > $(TRITON_VENV)/install.log 2>&1 && \
	   $(TRITON_PIP) install $(PINS) 'numpy<2' -e '.[serve]' >> $(TRITON_VENV)/install.log 2>&1; \
	then touch $@; \
	else tail -n 20 $(TRITON_VENV)/install.log > $(TRITON_VENV)/.install-failed; \
	     echo "nvidia-pytriton did not install (see $(TRITON_VENV)/install.log)"; fi

# The graph page tests open HTML in headless Chromium (Debian's package; .ci/run installs it
# as root). Without it they are skipped, except under CI, where they fail.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO="sudo -n"; fi; \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
	      chromium >/dev/null; } || \
	  echo "warning: could not install chromium: the graph page tests will be skipped"

lint: venv
	$(VENV)/bin/ruff check .

test: venv triton-venv lint
	$(PY) -m pytest -n 2 tests
	$(PY) -m pytest -n 0 --doctest-modules trtconv

demo: venv
	$(PY) examples/demo.py

bench: venv
	$(PY) -m benchmarks

docs: venv
	$(PY) -m trtconv.docs
	$(PY) tools/model_table.py

clean:
	rm -rf $(VENV) $(TRITON_VENV) build *.egg-info .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
