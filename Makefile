# Two entry points, both self-contained on a fresh machine with Python 3.11:
#   make example   set up .venv and summarize the bundled example cluster
#   make test      set up .venv and run the lint and the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# torch first, pinned: on these machines pip takes torch==2.13.0 as a CPU wheel from local disk,
# and installing it before the project stops pip from pulling a multi-GB CUDA build. Elsewhere:
#   make TORCH_SPEC='torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu' setup
TORCH_SPEC ?= torch==2.13.0

.PHONY: setup example test lint screenshot bench-speed bench-quality clean

$(BIN)/newsfuse: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet $(TORCH_SPEC)
	$(BIN)/pip install --quiet -e ".[test,bench,fetch,http]"
	touch $@

setup: $(BIN)/newsfuse

example: setup
	HF_HUB_OFFLINE=1 $(BIN)/newsfuse summarize --max-words 150 examples/budapest/*.txt

lint: setup
	$(BIN)/ruff check .

test: setup lint
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest

# docs/img/reader.png: the reader on the example cluster, from the browser test that checks it
# (needs chromium and chromium-driver: apt-get install chromium chromium-driver).
screenshot: setup
	NEWSFUSE_SCREENSHOT=docs/img/reader.png HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q \
		tests/web/test_reader.py -k sample_cluster

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
