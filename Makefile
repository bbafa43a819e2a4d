# Keyward — the two commands that matter on a fresh Debian 12 machine are `make demo` and `make test`.
# Every target installs what is missing first (scripts/install-deps.sh is idempotent and quiet).

BUILD        ?= build
ASAN_BUILD   ?= build-asan
FUZZ_BUILD   ?= build-fuzz
JOBS         ?= $(shell nproc)
FUZZ_SECONDS ?= $(if $(CI),60,10)
# ccache, when present, is shared across checkouts by making paths relative to the repo root.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := true
LAUNCHER     := $(if $(shell command -v ccache 2>/dev/null),-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache,)
WERROR       := $(if $(CI),-DKEYWARD_WERROR=ON,)

.PHONY: all deps build test test-unit test-asan fuzz demo bench clean help

all: build

help:
	@echo "make demo   - install deps, build, run the end-to-end demo"
	@echo "make test   - install deps, build, run every test (+ ASan/UBSan build and short fuzz runs)"
	@echo "make bench  - build and run the benchmarks (prints RESULT lines)"
	@echo "make fuzz   - build the libFuzzer targets and run each for FUZZ_SECONDS (default $(FUZZ_SECONDS))"

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja: CMakeLists.txt
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(WERROR) $(LAUNCHER) >/dev/null

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

test-unit: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600

test-asan: deps
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DKEYWARD_SANITIZE=ON $(WERROR) $(LAUNCHER) >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) --timeout 900 -LE no-sanitize

fuzz: deps
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKEYWARD_FUZZ=ON $(LAUNCHER) >/dev/null
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_all
	scripts/run-fuzzers.sh $(FUZZ_BUILD)/fuzz $(FUZZ_SECONDS)

test: test-unit test-asan fuzz
	@echo "make test: all suites passed (unit/integration/interop, ASan+UBSan, fuzz $(FUZZ_SECONDS)s per target)"

demo: build
	./$(BUILD)/keyward demo

bench: build
	scripts/bench.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
