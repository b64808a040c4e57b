# Two commands for a fresh Debian 12 machine: `make run` and `make test`.
# Both install what is missing first (scripts/bootstrap).

PRESET ?= release
BUILD := build/$(PRESET)
BIN := $(BUILD)/src/servicedesk
DB ?= var/servicedesk.db
LISTEN ?= 127.0.0.1:8080

.PHONY: all bootstrap configure build web run test bench clean

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

bench: build
	@bench/run.sh

clean:
	rm -rf build
