# Two commands on a fresh machine: `make demo` and `make test`.
# Each (re)creates .venv only when pyproject.toml changed, and builds QuickFIX with TLS once.
PYTHON      ?= python3
VENV        := .venv
BIN         := $(VENV)/bin
QF_VERSION  := 1.16.0
# Why these flags: the stock quickfix wheel has stub SSL classes ("HAVE_SSL not enabled");
# CXXFLAGS replaces the default -O3, and --no-as-needed keeps libssl linked.
QF_CXXFLAGS := -O3 -DNDEBUG -fwrapv -DHAVE_SSL=1
QF_LDFLAGS  := -Wl,--no-as-needed -lssl -lcrypto
WHEELHOUSE  ?= .wheelhouse
QF_STAMP    := $(WHEELHOUSE)/quickfix-$(QF_VERSION)-ssl.built
VENV_STAMP  := $(VENV)/.installed

.PHONY: demo test test-fast bench venv clean

demo: $(VENV_STAMP)
	$(BIN)/fixengine demo

test: $(VENV_STAMP)
	$(BIN)/python -m pytest -m "slow or not slow" -n 2 --dist loadfile

test-fast: $(VENV_STAMP)
	$(BIN)/python -m pytest -m "not slow" -n 2 --dist loadfile

bench: $(VENV_STAMP)
	$(BIN)/python bench/run_all.py

venv: $(VENV_STAMP)

# The TLS-enabled quickfix wheel, built into a folder of the project's own so that pip can
# never silently substitute a cached stock (non-TLS) wheel.
$(QF_STAMP):
	mkdir -p $(WHEELHOUSE)
	$(PYTHON) -m venv $(WHEELHOUSE)/buildenv
	$(WHEELHOUSE)/buildenv/bin/pip install -q --upgrade pip setuptools wheel
	CXXFLAGS="$(QF_CXXFLAGS)" LDFLAGS="$(QF_LDFLAGS)" \
	  $(WHEELHOUSE)/buildenv/bin/pip wheel --no-cache-dir --no-deps --no-binary quickfix \
	  -w $(WHEELHOUSE) quickfix==$(QF_VERSION)
	rm -rf $(WHEELHOUSE)/buildenv
	touch $@

$(VENV_STAMP): pyproject.toml $(QF_STAMP)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip setuptools wheel
	$(BIN)/pip install -q $(WHEELHOUSE)/quickfix-$(QF_VERSION)-*.whl
	$(BIN)/pip install -q -e ".[dev]"
	touch $@

clean:
	rm -rf $(VENV) $(WHEELHOUSE) .pytest_cache
