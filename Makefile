# The two commands of the README: `make book` and `make test`. Everything else here is a step of theirs.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.oquab-installed
PROFILE ?= quick
SMOKE := .smoke
# nbval starts each kernel in the notebook's folder: the smoke chapters get absolute paths.
SMOKE_RUNS := $(CURDIR)/$(SMOKE)/runs
SMOKE_WORLD := $(CURDIR)/data/miniworld-smoke
# Torch threads: the quick profile is sized for 2 cores.
export OMP_NUM_THREADS ?= 2
export PYTHONHASHSEED := 0

.PHONY: book test venv world notebooks html unit nbval rehearse rehearse-quick chapter gpu-check clean

## venv: create .venv (if missing) and install the package, editable, with the book and test extras.
venv: $(STAMP)
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[book,test]"
	@touch $@

## world: generate the mini world of $(PROFILE) (cached: regenerated only when its config changes).
world: venv
	$(PY) -m oquab_lib.data.synth --profile $(PROFILE) --root data/miniworld-$(PROFILE)

## notebooks: execute every notebook of _toc.yml with papermill at profile=$(PROFILE) into book/executed/, except the
## chapters that are up to date (same library, notebook, parameters and world, every cache entry they read still
## there: oquab_lib/tools/uptodate.py); FORCE=1 executes them all.
notebooks: world
	$(PY) -m oquab_lib.tools.runner --toc _toc.yml --out book/executed -p profile $(PROFILE) $(if $(FORCE),--force)

## html: build the book from the executed notebooks; fails on any Sphinx warning and on any CDN reference.
html: venv
	@mkdir -p _build
	$(VENV)/bin/jupyter-book build . --builder html -W -n --keep-going 2>&1 | tee _build/build.log
	@! grep -E "WARNING|ERROR|CRITICAL|build finished with problems" _build/build.log || \
		{ echo "make html: the build printed warnings or errors (see _build/build.log)"; exit 1; }
	@test -f _build/html/index.html
	@! grep -rlE '(src|href)="(https?:)?//[^"]+\.(js|css|woff2?)' _build/html --include='*.html' || \
		{ echo "make html: the pages above load files from a CDN"; exit 1; }
	@echo "book: $(CURDIR)/_build/html/index.html"

## book: the whole book at profile=quick (README command 1).
book: notebooks html

# The test steps run two one-thread processes at once (pytest-xdist workers, or a rehearsal beside the smoke
# chapters): on two cores that is faster than one two-thread process, whose work is mostly Python. The smoke
# chapters and their nbval re-run use the same thread count, so their numbers agree to the last digit.
unit nbval rehearse-quick: export OMP_NUM_THREADS := 1

## unit: the unit tests, in two worker processes.
unit: venv
	$(PY) -m pytest -q -n 2 tests

## nbval: execute every notebook at profile=smoke, then re-run them under nbval from an empty results cache, two
## notebooks at a time (each notebook's cells in order in one worker; their shared cache entries are computed once).
nbval: venv
	rm -rf $(SMOKE)
	$(PY) -m oquab_lib.tools.runner --toc _toc.yml --out $(SMOKE) -p profile smoke -p runs_dir $(SMOKE_RUNS) -p data_root $(SMOKE_WORLD)
	rm -rf $(SMOKE_RUNS)
	$(PY) -m pytest -q -n 2 --dist loadfile -p no:cacheprovider --nbval-lax --nbval-sanitize-with tests/nbval_sanitize.cfg \
		$(SMOKE)/*.ipynb

## rehearse: every chapter at profile full on a tiny real-format tree (VOCdevkit, COCO 2014 names) with a random-weight
## torchvision AlexNet as the "ImageNet weights", then nbval-lax on the results (oquab_lib/tools/rehearse.py).
rehearse: venv
	rm -rf .rehearse
	$(PY) -m oquab_lib.tools.rehearse $(CURDIR)/.rehearse

## rehearse-quick: the two chapters whose full-profile paths differ most, without the nbval re-run (a step of test).
rehearse-quick: venv
	rm -rf .rehearse-quick
	$(PY) -m oquab_lib.tools.rehearse $(CURDIR)/.rehearse-quick --quick

## test: unit tests, then the notebooks under nbval at smoke size beside the quick full-profile rehearsal (README
## command 2; what .ci/run calls). Each step's output is printed whole when it ends.
test: unit
	$(MAKE) --no-print-directory -j2 --output-sync=target nbval rehearse-quick

## chapter: run one chapter, e.g. make chapter NB=cvpr14_table2 ARGS="-p profile full -p data_root /data"
chapter: venv
	$(PY) -m oquab_lib.tools.runner notebooks/$(NB).py out/$(NB).ipynb $(ARGS)

## gpu-check: what a user with one NVIDIA GPU runs first: the CUDA variants of the device tests, a few AMP training
## steps and the full-size throughputs, written to book/gpu_check.json (the Performance page shows it). Without a GPU
## the CPU side of the device tests runs, then it says so and exits 0. Not a step of `make test`.
gpu-check: venv
	$(PY) -m pytest -q tests/test_devices.py
	$(PY) -m oquab_lib.tools.gpu_check --out book/gpu_check.json

clean:
	rm -rf _build book/executed $(SMOKE) .rehearse .rehearse-quick
