# rollway — quick start: `make run` and `make test`.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= 2
CMAKE_FLAGS ?=

.PHONY: all deps build run test test-unit test-asan asan bench clean help

all: build

help:
	@echo "make run        install what is missing, build, start rollway on examples/hello"
	@echo "make test       install, build, run every test (release build, then ASan/UBSan build)"
	@echo "make build      build everything into $(BUILD)/ (no tests run)"
	@echo "make test-unit  unit tests of the release build only"
	@echo "make asan       build the ASan/UBSan tree in $(ASAN_BUILD)/"
	@echo "make bench      benchmarks against nginx / HAProxy (not part of make test)"
	@echo "make deps       install the Debian packages the build and tests need"

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja: CMakeLists.txt | deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j$(JOBS)

run: build
	$(BUILD)/rollway serve -f examples/hello/rollway.yaml

# The sanitizer pass leaves out the "load" label (minutes of rollouts under load, whose
# timing under ASan proves nothing); the release pass runs everything.
test: build asan
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS) --timeout 600
	ctest --test-dir $(ASAN_BUILD) --output-on-failure -j$(JOBS) --timeout 600 -LE load

test-unit: build
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS) -L unit

$(ASAN_BUILD)/build.ninja: CMakeLists.txt | deps
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DROLLWAY_SANITIZE=ON $(CMAKE_FLAGS)

asan: deps $(ASAN_BUILD)/build.ninja
	cmake --build $(ASAN_BUILD) -j$(JOBS)

test-asan: asan
	ctest --test-dir $(ASAN_BUILD) --output-on-failure -j$(JOBS) --timeout 600 -LE load

bench: deps
	scripts/install-deps.sh --bench
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DROLLWAY_BUILD_BENCH=ON $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j$(JOBS)
	bench/run.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
