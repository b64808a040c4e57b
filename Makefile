# Two commands for a fresh Debian 12 machine: `make run` and `make test`.
# Both install what is missing first (scripts/bootstrap).

PRESET ?= release
BUILD := build/$(PRESET)
BIN := $(BUILD)/src/servicedesk
DB ?= var/servicedesk.db
LISTEN ?= 127.0.0.1:8080

.PHONY: all bootstrap configure build web run test test-asan format format-check ci bench clean

all: build

bootstrap:
	@scripts/bootstrap

configure: bootstrap
	@[ -f $(BUILD)/build.ninja ] || cmake --preset $(PRESET) -DSD_WERROR=ON >/dev/null

build: configure web
	@cmake --build $(BUILD)

# The web app, rebuilt when its sources change.
WEB_SOURCES := $(shell find web/src -type f 2>/dev/null) web/index.html web/package-lock.json \
	web/vite.config.ts web/svelte.config.js web/tsconfig.json

web: bootstrap web/dist/index.html

web/dist/index.html: $(WEB_SOURCES)
	@cd web && npm run --silent build >/dev/null

run: build
	@mkdir -p $(dir $(DB))
	@if [ ! -f $(DB) ]; then $(BIN) --db $(DB) demo; else $(BIN) demo --print-logins; fi
	@$(BIN) --db $(DB) serve --listen $(LISTEN)

test: build
	@cd $(BUILD) && ctest --output-on-failure -j2

# The unit and SQLite integration tests again, built with ASan and UBSan
# (any report fails the run).
ASAN_BUILD := build/asan
test-asan: bootstrap web
	@[ -f $(ASAN_BUILD)/build.ninja ] || cmake --preset asan -DSD_WERROR=ON >/dev/null
	@cmake --build $(ASAN_BUILD)
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j2 -R '^(unit|integration_sqlite|lint)$$'

CXX_SOURCES = $(shell git ls-files '*.cpp' '*.hpp')
format:
	@clang-format -i $(CXX_SOURCES)
format-check: bootstrap
	@clang-format --dry-run --Werror $(CXX_SOURCES)

# What CI runs (.ci/run).
ci: test test-asan format-check

bench: build
	@bench/run.sh

clean:
	rm -rf build
