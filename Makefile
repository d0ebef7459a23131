# Thin wrapper over CMake. `make demo` runs the demo journey, `make test` the whole test suite;
# both install missing Debian packages first.
BUILD ?= build
TYPE ?= RelWithDebInfo
WERROR ?= OFF
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
DEMO_DB ?= $(BUILD)/omni-demo.db

CONFIGURE = cmake -S . -G Ninja -DCMAKE_BUILD_TYPE=$(TYPE) -DBUILD_SHARED_LIBS=ON \
            -DOMNI_WERROR=$(WERROR) $(CMAKE_FLAGS)

.PHONY: all deps build demo test sanitize tsan fuzz consumer bench format clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja:
	$(CONFIGURE) -B $(BUILD)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	$(BUILD)/examples/omni_demo $(DEMO_DB)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# The suite under AddressSanitizer + UndefinedBehaviorSanitizer (and ThreadSanitizer).
sanitize: deps
	$(CONFIGURE) -B build-asan -DOMNI_BUILD_BENCHMARKS=OFF -DCMAKE_BUILD_TYPE=Debug \
	  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
	cmake --build build-asan -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir build-asan --output-on-failure -j $(JOBS)

tsan: deps
	$(CONFIGURE) -B build-tsan -DOMNI_BUILD_BENCHMARKS=OFF -DOMNI_BUILD_EXAMPLES=OFF \
	  -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS="-fsanitize=thread"
	cmake --build build-tsan -j $(JOBS)
	TSAN_OPTIONS=halt_on_error=1:suppressions=$(CURDIR)/tests/tsan.supp \
	  ctest --test-dir build-tsan --output-on-failure -j $(JOBS)

# Every parser, and the reply templates, under libFuzzer for FUZZ_SECONDS each, seeded with the
# test payloads and tests/fuzz/corpus/<name>/. A crash leaves its input in build-fuzz/ (crash-*)
# and fails the target.
FUZZ_SECONDS ?= 30
# A fixed seed makes a CI run repeat what was fuzzed before it landed; FUZZ_SEED=0 picks one.
FUZZ_SEED ?= 1
FUZZERS = email twilio whatsapp messenger telegram template
fuzz:
	@scripts/install-deps.sh clang libclang-rt-14-dev
	CC=clang CXX=clang++ cmake -S . -G Ninja -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DBUILD_SHARED_LIBS=ON -DOMNI_BUILD_TESTS=OFF -DOMNI_BUILD_EXAMPLES=OFF \
	  -DOMNI_BUILD_BENCHMARKS=OFF -DOMNI_BUILD_CLI=OFF -DOMNI_BUILD_FUZZERS=ON -DOMNI_WERROR=$(WERROR) \
	  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fsanitize-recover=pointer-overflow"
	cmake --build build-fuzz -j $(JOBS)
	@for f in $(FUZZERS); do \
	  rm -rf build-fuzz/corpus/$$f && mkdir -p build-fuzz/corpus/$$f && \
	  cp tests/data/$$f/* tests/data/fuzz-regressions/$$f/* tests/fuzz/corpus/$$f/* build-fuzz/corpus/$$f/ \
	    2>/dev/null; \
	  echo "fuzz: $$f for $(FUZZ_SECONDS) s"; \
	  (cd build-fuzz && UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:suppressions=$(CURDIR)/tests/fuzz/ubsan.supp \
	    ./tests/fuzz/omni_fuzz_$$f -max_total_time=$(FUZZ_SECONDS) -seed=$(FUZZ_SEED) \
	    -max_len=65536 -print_final_stats=1 corpus/$$f > fuzz-$$f.log 2>&1); rc=$$?; \
	  tail -12 build-fuzz/fuzz-$$f.log; [ $$rc -eq 0 ] || exit 1; \
	done

# Installs omni into a prefix and builds the example consumer (C++17) against the installed
# package, as an integrator would, then runs it and the shipped conformance suite from there.
consumer: build
	cmake --install $(BUILD) --prefix $(BUILD)/install
	cmake -S examples/consumer -B $(BUILD)/consumer -G Ninja -DCMAKE_PREFIX_PATH=$(abspath $(BUILD)/install)
	cmake --build $(BUILD)/consumer
	LD_LIBRARY_PATH=$(abspath $(BUILD)/install)/lib $(BUILD)/consumer/omni_consumer
	LD_LIBRARY_PATH=$(abspath $(BUILD)/install)/lib $(BUILD)/consumer/omni_consumer_conformance

bench: deps
	$(CONFIGURE) -B build-release -DCMAKE_BUILD_TYPE=Release -DOMNI_BUILD_TESTS=OFF
	cmake --build build-release -j $(JOBS)
	build-release/bench/omni_bench_receive
	build-release/bench/omni_bench_timeline
	build-release/bench/omni_bench_identity
	build-release/bench/omni_bench_memory 100000
	build-release/bench/omni_bench_channels
	build-release/bench/omni_bench_routing
	build-release/bench/omni_bench_metrics

format:
	clang-format -i $$(git ls-files '*.h' '*.cc')

clean:
	rm -rf $(BUILD) build-asan build-tsan build-release build-fuzz
