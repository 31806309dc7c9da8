# The two commands a new user needs: `make run` and `make test`.
# Both install what is missing (Debian packages, npm packages from the lockfile) and build first.

BUILD_DIR      ?= build
SANITIZE_DIR   ?= build-sanitize
JOBS           ?= $(shell nproc)
CMAKE_FLAGS    ?=

.PHONY: run test build deps test-deps npm-deps unit-test integration-test sanitize-test clean

run: deps build
	mkdir -p data
	./$(BUILD_DIR)/livechat serve

build:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)
	cmake --build $(BUILD_DIR) -j $(JOBS)

deps:
	scripts/install-deps.sh build

test-deps:
	scripts/install-deps.sh test

npm-deps: package-lock.json
	@if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then \
	  npm ci --no-audit --no-fund; fi

# Every test: unit and integration on the Release build, then both again under ASan + UBSan.
test: test-deps npm-deps build unit-test integration-test sanitize-test

unit-test:
	cd $(BUILD_DIR) && ctest -L unit --output-on-failure -j $(JOBS)

integration-test:
	cd $(BUILD_DIR) && ctest -L integration --output-on-failure

sanitize-test:
	cmake -S . -B $(SANITIZE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLIVECHAT_SANITIZE=ON $(CMAKE_FLAGS)
	cmake --build $(SANITIZE_DIR) -j $(JOBS)
	cd $(SANITIZE_DIR) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j 1

clean:
	rm -rf $(BUILD_DIR) $(SANITIZE_DIR)
