# The README's commands. Every target bootstraps first, so a fresh Debian 12 machine needs
# nothing else: `make run` builds and runs the main job, `make test` builds and runs every test.
BUILD_DIR ?= build
ASAN_DIR ?= build-asan
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 60
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all bootstrap build run test asan fuzz bench sdk-lock format clean

all: build

bootstrap:
	@scripts/bootstrap

build: bootstrap
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS) > $(BUILD_DIR).configure.log 2>&1 \
	  || { cat $(BUILD_DIR).configure.log; exit 1; }
	cmake --build $(BUILD_DIR) -j $(JOBS)

# The main job: load the built-in plugins and show what they provide.
run: build
	$(BUILD_DIR)/bin/tessera plugins list
	$(BUILD_DIR)/bin/tessera providers list

test: build
	cd $(BUILD_DIR) && ctest -j $(JOBS) --output-on-failure

# The same suite under AddressSanitizer and UndefinedBehaviorSanitizer.
asan: bootstrap
	@cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DTESSERA_SANITIZE=ON $(CMAKE_FLAGS) \
	  > $(ASAN_DIR).configure.log 2>&1 || { cat $(ASAN_DIR).configure.log; exit 1; }
	cmake --build $(ASAN_DIR) -j $(JOBS)
	cd $(ASAN_DIR) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest -j $(JOBS) --output-on-failure

# libFuzzer (Clang) on the manifest reader and on what servers and users send, FUZZ_SECONDS each.
fuzz: bootstrap
	@CXX=clang++ cmake -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTESSERA_FUZZ=ON \
	  -DTESSERA_BUILD_TESTS=OFF > $(FUZZ_DIR).configure.log 2>&1 || { cat $(FUZZ_DIR).configure.log; exit 1; }
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target manifest_fuzz inputs_fuzz
	for t in manifest inputs; do \
	  mkdir -p $(FUZZ_DIR)/corpus/$$t && cp tests/fuzz/corpus/$$t/* $(FUZZ_DIR)/corpus/$$t/ && \
	  $(FUZZ_DIR)/bin/$${t}_fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -print_final_stats=1 \
	    $(FUZZ_DIR)/corpus/$$t || exit 1; \
	done

# Measure Tessera's own work and record the figures in docs/performance.md.
bench: build
	$(BUILD_DIR)/bin/tessera_bench --write docs/performance.md

# Record the SDK header hash after bumping TESSERA_SDK_VERSION_* in sdk/include/tessera/sdk/version.hpp.
sdk-lock:
	cmake -DTESSERA_SOURCE_DIR=$(CURDIR) -DUPDATE=ON -P cmake/SdkHeaderHash.cmake

format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(FUZZ_DIR) $(BUILD_DIR).configure.log $(ASAN_DIR).configure.log \
	  $(FUZZ_DIR).configure.log
