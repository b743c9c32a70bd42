# 3DPoseNet — `make run` starts the app, `make test` runs the tests. Both set themselves up.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test
VIEWER := frontend/dist/viewer.js

.PHONY: run test test-slow venv frontend chromium blender docker-compose clean

run: $(STAMP_RUN) $(VIEWER)
	@mkdir -p var/static
	@$(PY) manage.py migrate --noinput -v 0 && echo "The database is ready (var/)."
	@$(PY) manage.py ensure_admin
	@$(PY) -m webapp.run

test: $(STAMP_TEST) $(VIEWER) chromium blender docker-compose
	cd frontend && npm test
	$(PY) -m pytest $(PYTEST_ARGS)

# Real-data checks (needs ../shared/data): accuracy, projections, full clips.
test-slow: $(STAMP_TEST)
	$(PY) -m pytest -m slow $(PYTEST_ARGS)

$(VENV)/bin/python:
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required (set PYTHON=/path/to/python3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(STAMP_RUN): requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install -r requirements.txt
	@touch $@

$(STAMP_TEST): requirements.txt requirements-test.txt | $(VENV)/bin/python
	$(PY) -m pip install -r requirements-test.txt
	@touch $@ $(STAMP_RUN)

# The Live page's detector models (.task bundles) are written by Python (the mediapipe wheel's metadata writer).
$(VIEWER): frontend/package.json frontend/package-lock.json $(shell find frontend/src -type f 2>/dev/null) frontend/vite.config.js frontend/vite.upload.config.js frontend/vite.live.config.js tools/pose_task.py | $(STAMP_RUN)
	cd frontend && npm ci --no-audit --no-fund && npm run build
	$(PY) tools/pose_task.py

frontend: $(VIEWER)

# The browser tests drive Debian's chromium (Playwright's own browser download does not work offline).
chromium:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	  else echo "Please install chromium (sudo apt-get install chromium)"; exit 1; fi; }

# The export tests import our BVH and GLB into Debian's Blender (headless); its glTF importer needs
# NumPy from Debian. Outside CI a non-root user without it gets a note, and those tests skip.
blender:
	@command -v blender >/dev/null && python3 -c "import numpy" 2>/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq blender python3-numpy; \
	  elif [ -n "$$CI" ]; then echo "CI needs Blender (apt-get install blender python3-numpy)"; exit 1; \
	  else echo "Note: blender is not installed; the Blender import tests will be skipped."; fi; }

# The compose-file test validates docker-compose.yml offline with Debian's docker-compose (no engine needed).
# Outside CI a non-root user without it gets a note, and those tests skip.
docker-compose:
	@command -v docker-compose >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq docker-compose; \
	  elif [ -n "$$CI" ]; then echo "CI needs docker-compose (apt-get install docker-compose)"; exit 1; \
	  else echo "Note: docker-compose is not installed; the compose-file tests will be skipped."; fi; }

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist var
