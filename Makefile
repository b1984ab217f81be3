# rollway — quick start: `make run` and `make test`.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
JOBS       ?= 2
SEEDS      ?= 50
SEED       ?=
CMAKE_FLAGS ?=

.PHONY: all deps build run test test-unit test-cluster test-asan test-asan-only asan bench fuzz torture clean help

all: build

help:
	@echo "make run        install what is missing, build, start rollway on examples/hello"
	@echo "make test       install, build, run every test (release build, then ASan/UBSan build)"
	@echo "make build      build everything into $(BUILD)/ (no tests run)"
	@echo "make test-unit  unit tests of the release build only"
	@echo "make test-cluster  the network-namespace hosts and etcd on them (root; ROLLWAY_SKIP_NETNS=1 skips)"
	@echo "make asan       build the ASan/UBSan tree in $(ASAN_BUILD)/"
	@echo "make bench      benchmarks against nginx / HAProxy (not part of make test)"
	@echo "make torture    SEEDS=$(SEEDS) randomized torture sequences under load, one after the other, and a summary (SEED=N: seeds N, N+1, ...)"
	@echo "make fuzz       libFuzzer (clang, ASan/UBSan): each target FUZZ_SECONDS=$(FUZZ_SECONDS) s (not part of make test)"
	@echo "make deps       install the Debian packages the build and tests need"

deps:
	@scripts/install-deps.sh

# The test tree: -O2 without debug info (debug info is a third of the build time here);
# `make bench` reconfigures with RelWithDebInfo for profiling.
$(BUILD)/build.ninja: CMakeLists.txt | deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" \
	  "-DCMAKE_C_FLAGS_RELEASE=-O2 -DNDEBUG" $(CMAKE_FLAGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j$(JOBS)

run: build
	$(BUILD)/rollway serve -f examples/hello/rollway.yaml

# The release pass runs everything. The sanitizer pass runs its own unit tests, then the
# release tree's e2e drivers against the sanitizer tree's binaries (rollway, demo-app,
# test-upstream); it leaves out the "load" label (minutes of rollouts under load, whose
# timing under ASan proves nothing) and the "cluster" one (hosts made of network
# namespaces, tests/cluster/README.md: the release pass only, as root; ~15 s).
test: build asan
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS) --timeout 600
	$(MAKE) --no-print-directory test-asan-only

test-unit: build
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS) -L unit

test-cluster: build
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS) -L cluster

# -g1: line tables are enough for symbolized sanitizer reports, at a fraction of -g's cost.
$(ASAN_BUILD)/build.ninja: CMakeLists.txt | deps
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DROLLWAY_SANITIZE=ON -DROLLWAY_E2E_TESTS=OFF \
	  -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DCMAKE_C_FLAGS_DEBUG=-g1 $(CMAKE_FLAGS)

asan: deps $(ASAN_BUILD)/build.ninja
	cmake --build $(ASAN_BUILD) -j$(JOBS)

test-asan: build asan
	$(MAKE) --no-print-directory test-asan-only

test-asan-only:
	ctest --test-dir $(ASAN_BUILD) --output-on-failure -j$(JOBS) --timeout 600 -L 'unit|etcd'
	ROLLWAY_BINARIES_DIR=$(CURDIR)/$(ASAN_BUILD) ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS) \
	  --timeout 600 -L e2e

bench: deps
	scripts/install-deps.sh --bench
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DROLLWAY_BUILD_BENCH=ON $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j$(JOBS)
	bench/run.sh

# The seeded torture test (tests/e2e/README.md): SEEDS sequences of random steps under
# load, fresh seeds unless SEED=N (then N, N+1, ...); ~30-60 s each, niced; one line per
# seed and a summary; each run's output in $(BUILD)/torture/seed-N.log.
torture: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j$(JOBS) --target e2e_torture_test
	nice scripts/torture.sh $(BUILD) $(SEEDS) $(SEED)

# Fuzzing (tests/fuzz/README.md): a clang tree of its own; every library is compiled
# with coverage (-fsanitize=fuzzer-no-link) and ASan/UBSan, only the targets link
# libFuzzer. Warnings are not errors there: -Werror is checked by the g++ trees.
# Each target runs FUZZ_SECONDS, one after the other; any crash fails the target.
$(FUZZ_BUILD)/build.ninja: CMakeLists.txt
	scripts/install-deps.sh --fuzz
	cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
	  -DCMAKE_CXX_COMPILER=clang++ -DROLLWAY_FUZZ=ON -DROLLWAY_SANITIZE=ON -DROLLWAY_E2E_TESTS=OFF \
	  -DROLLWAY_WERROR=OFF "-DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link" "-DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link" \
	  "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1" "-DCMAKE_C_FLAGS_DEBUG=-O1 -g1" $(CMAKE_FLAGS)

fuzz: deps $(FUZZ_BUILD)/build.ninja
	cmake --build $(FUZZ_BUILD) -j$(JOBS) --target rollway_fuzzers
	tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
