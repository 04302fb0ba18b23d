# vramlab: `make lab` to learn, `make test` to check everything.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

# Extra flags for JupyterLab / Voila, e.g. make lab LAB_ARGS="--port=9999 --no-browser".
# As root (a container), Jupyter refuses to start without --allow-root: it is added then.
LAB_ARGS ?=
ROOT_ARGS := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root,)

.PHONY: lab test install oracle clean app

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

## Open the notebooks in JupyterLab (flags: make lab LAB_ARGS="--port=9999 --no-browser")
lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/ $(ROOT_ARGS) $(LAB_ARGS)

## Serve the calculator app (notebooks/app.ipynb) with Voila, on loopback only:
## http://127.0.0.1:8866 (another port: make app APP_PORT=9000)
APP_PORT ?= 8866
app: $(STAMP)
	$(VENV)/bin/voila notebooks/app.ipynb --no-browser --Voila.ip=127.0.0.1 --port=$(APP_PORT)

## Run the whole suite: unit tests, doctests, notebooks (nbval), oracle tests when torch is present
test: $(STAMP)
	$(PY) -m pytest

## Install the transformers/torch oracle (CPU build of torch pinned)
oracle: $(STAMP)
	$(PY) -m pip install --quiet "torch==2.13.0" "transformers>=4.51"

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
