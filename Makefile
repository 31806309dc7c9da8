# The two commands a new user needs: `make run` and `make test`.
# Both install what is missing (Debian packages, npm packages from the lockfile) and build first.

SHELL := /bin/bash

BUILD_DIR      ?= build
SANITIZE_DIR   ?= build-sanitize
TSAN_DIR       ?= build-tsan
JOBS           ?= $(shell nproc)
CMAKE_FLAGS    ?=
FUZZ_SECONDS   ?= 30
# ASan's quarantine (freed memory held back to catch use after free) is cut from 256 to 8 MB:
# the integration suite checks that a stuck reader does not grow the server's RSS, and 256 MB
# of held-back memory would be all that check measured.
SANITIZER_ENV  = ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:quarantine_size_mb=8 \
                 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# A data race stops the process (the server too, so its suite fails); the suppressions are for
# third-party code only, each with its reason.
TSAN_ENV       = TSAN_OPTIONS=halt_on_error=1:abort_on_error=1:second_deadlock_stack=1:suppressions=$(CURDIR)/tests/tsan.supp
# The integration suites that run threads against each other: fan-out over STOMP and SSE,
# resume, shutdown, kill -9 and billing's reporter; cluster mode (the Redis broker's thread
# against the hub's and the workers', Redis restarts), the saver alone and in a node
# (`--with-saver`: its thread beside the node's), two nodes with a saver, a member's exit. About
# 90 s for the last five under TSan. Not the slow-consumer suite: its figure is RSS,
# which TSan's shadow memory and allocator inflate (a 64 MiB bound read 67-70 MiB under TSan,
# within it in Release); slow_stomp_consumer covers the slow path without an RSS figure.
TSAN_SUITES    = stomp sse sessions lifecycle durability billing cluster saver with_saver cluster_saver room_exit cluster_billing_stop

.PHONY: sanitize-build tsan-build tsan-test run test build deps test-deps npm-deps layering-check unit-test redis-test bench-smoke compare-smoke integration-test browser-test sanitize-test fuzz-test image-test clean

run: deps build
	mkdir -p data
	./$(BUILD_DIR)/livechat serve

# The build embeds files from node_modules/ (Swagger UI, the STOMP client: docs/web.md).
build: npm-deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)
	cmake --build $(BUILD_DIR) -j $(JOBS)

deps:
	scripts/install-deps.sh build

test-deps:
	scripts/install-deps.sh test

npm-deps: package-lock.json
	@if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then \
	  npm ci --no-audit --no-fund; fi

# Every test: the layering check; unit, Redis, integration and browser tests on the Release
# build (and one short pass of the micro-benchmarks, to see that they still run); the comparison
# smoke run; then unit, Redis and integration again under ASan + UBSan with assertions on (clang,
# the same build that holds the fuzz targets; the browser suite runs in Release only: it tests
# the page, and the server under it is the one the integration suites already cover); then the
# unit tests and the concurrent integration suites under ThreadSanitizer; then each fuzzer for
# FUZZ_SECONDS.
TEST_STEPS = layering-check build unit-test redis-test bench-smoke integration-test browser-test compare-smoke sanitize-test tsan-test fuzz-test

# Each step runs as its own make, timed, and a summary of the times closes the run; the first
# failing step stops it.
test: test-deps npm-deps
	@set -e; times=""; begin=$$(date +%s); \
	for step in $(TEST_STEPS); do \
	  start=$$(date +%s); \
	  echo "=== make $$step"; \
	  $(MAKE) --no-print-directory $$step; \
	  took=$$(( $$(date +%s) - start )); \
	  echo "=== make $$step: $$took s"; times="$$times$$step $$took s\n"; \
	done; \
	printf "=== step times\n$$times=== make test: %d s\n" $$(( $$(date +%s) - begin ))

# Includes between the folders of src/ point down the layers of docs/architecture.md; the
# script prints every include that does not.
layering-check:
	python3 scripts/check-layering.py

unit-test:
	cd $(BUILD_DIR) && ctest -L unit --output-on-failure -j $(JOBS)

# The Redis client and Lua scripts against real redis-servers the tests start themselves.
redis-test:
	cd $(BUILD_DIR) && ctest -L redis --output-on-failure -j $(JOBS)

# A smoke test, not a measurement: each benchmark runs for about 10 ms and must not fail.
# Figures worth quoting come from --benchmark_min_time=1 (BENCHMARKS.md).
bench-smoke:
	./$(BUILD_DIR)/bench/micro_benchmarks --benchmark_min_time=0.01

# The comparison with nchan and Socket.IO at small numbers (bench/compare.sh --quick): each
# server starts, each scenario runs and reports. A smoke test of the instrument and the peers'
# setup, not a measurement (BENCHMARKS.md has those); it installs nginx, nchan and gnuplot.
compare-smoke:
	LIVECHAT=$(BUILD_DIR)/livechat bench/compare.sh --quick --out $(BUILD_DIR)/compare-smoke

integration-test:
	cd $(BUILD_DIR) && ctest -L integration --output-on-failure

# The web page and Swagger UI in headless Chromium (Debian's), driven by playwright-core.
# Screenshots are kept in $(BUILD_DIR)/test-artifacts/.
browser-test:
	cd $(BUILD_DIR) && ctest -L browser --output-on-failure

# A clang build for a sanitizer, in build dir $(1) with the options $(2): optimized a little
# and with debug information, so that reports name lines, and without the micro-benchmarks.
define sanitizer_build
	cmake -S . -B $(1) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
	  -DCMAKE_CXX_COMPILER=clang++ $(2) -DLIVECHAT_BENCHMARKS=OFF $(CMAKE_FLAGS)
	cmake --build $(1) -j $(JOBS)
endef

sanitize-build: npm-deps
	$(call sanitizer_build,$(SANITIZE_DIR),-DLIVECHAT_FUZZ=ON)

# Every suite but those that add no server path for ASan to check: RSS figures (meaningless
# under ASan's shadow memory and quarantine), the documents, and the proxy's routing.
SANITIZE_SKIP  = bounded_memory|docs|haproxy

sanitize-test: sanitize-build
	cd $(SANITIZE_DIR) && $(SANITIZER_ENV) ctest -LE browser --output-on-failure -j 1 \
	  -E '^integration\.($(SANITIZE_SKIP))$$'

# ThreadSanitizer: its own build (clang, like sanitize-build), the unit tests and the
# integration suites of TSAN_SUITES. The rest adds nothing TSan can find.
tsan-build: npm-deps
	$(call sanitizer_build,$(TSAN_DIR),-DLIVECHAT_TSAN=ON)

tsan-test: tsan-build
	cd $(TSAN_DIR) && $(TSAN_ENV) ctest -L unit --output-on-failure -j $(JOBS)
	cd $(TSAN_DIR) && $(TSAN_ENV) ctest --output-on-failure --no-tests=error -j 1 \
	  -R '^integration\.($(shell echo $(TSAN_SUITES) | tr ' ' '|'))$$'

# Each fuzzer starts from its committed seed corpus; what it finds new stays in a scratch copy.
fuzz-test: sanitize-build
	@set -e; for fuzzer in $(SANITIZE_DIR)/tests/*_fuzz; do \
	  name=$$(basename $$fuzzer _fuzz); \
	  work=$(SANITIZE_DIR)/fuzz-corpus/$$name; mkdir -p $$work; \
	  echo "fuzzing $$name for $(FUZZ_SECONDS) s"; \
	  $(SANITIZER_ENV) $$fuzzer -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 $$work tests/fuzz/corpus/$$name 2>&1 | tail -n 12; \
	  test $${PIPESTATUS[0]} -eq 0; \
	done

# The image of deploy/Dockerfile, built with podman and run (scripts/image-test.sh): kept out of
# `make test` because it compiles the project once more inside the image (minutes); CI runs it
# after `make test`. The base image is made locally and cached in $(BUILD_DIR)/image-test/.
image-test:
	scripts/image-test.sh $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR) $(SANITIZE_DIR) $(TSAN_DIR)
