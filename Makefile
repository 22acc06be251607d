# Two commands matter: `make run` starts the whole system, `make test` tests it.
SHELL := /bin/bash
GO    ?= go
PKGS  := ./...
# make test leaves the fault suite to make test-faults: it stops brokers and
# kills processes, and takes minutes.
TEST_PKGS = $(shell $(GO) list ./... | grep -v /test/faults)
# Packages whose coverage `make cover` checks (90% each).
CORE_PKGS := $(shell $(GO) list ./core/... 2>/dev/null)
FUZZTIME ?= 10s
# glibc gives threads that allocate at once arenas of their own, up to eight
# per core, and the memory SQLite frees stays in them: with two, the
# benchmark's peak memory was about 20 MB lower, its throughput the same.
# The container image sets the same.
export MALLOC_ARENA_MAX ?= 2

.PHONY: help run test test-faults test-kafka test-postgres test-scale test-ui bench lint fmt vet staticcheck mocks mocks-check cover fuzz tidy tidy-check build
.DEFAULT_GOAL := help

## help: list the targets
help:
	@grep -E '^## [a-z-]+:' $(MAKEFILE_LIST) | sed 's/^## //' | awk -F': ' '{printf "  make %-12s %s\n", $$1, $$2}'

## run: the whole system in one process on an embedded Kafka broker (127.0.0.1:9092), SQLite under ./data
run:
	@echo "Building customers-stack into ./bin. On a fresh machine the first build takes 2 to 2.5 minutes: the"
	@echo "modules download, then about 70 s of compiling, mostly SQLite's C code, which prints nothing. Later: seconds."
	@$(GO) build -o bin/customers-stack ./cmd/customers-stack
	LOG_FORMAT=$${LOG_FORMAT:-pretty} ./bin/customers-stack

## build: the binaries into ./bin
build:
	$(GO) build -o bin/ ./cmd/...

## test: run every test (unit, adapter, end-to-end) with the race detector
test:
	$(GO) test -race -count=1 -timeout 20m $(TEST_PKGS)

## test-faults: the fault scenarios (a)-(h) against the running system; prints offered, welcomed, dead-lettered, duplicated
test-faults:
	$(GO) test -count=1 -v -timeout 20m ./test/faults

## test-kafka: the Kafka adapter and end-to-end tests against a real Apache Kafka 4.x (from Maven Central)
test-kafka:
	test/kafka/run.sh

## test-postgres: the storage contracts, replicas and the end-to-end suites on a real PostgreSQL (Debian's package)
test-postgres:
	test/postgres/run.sh

## test-scale: two replicas of each service (six processes) on Apache Kafka and PostgreSQL, one of each killed mid-load
test-scale:
	test/scale/run.sh

## test-ui: the web console's journeys in a real browser (Debian's chromium), with screenshots in test/ui/output
test-ui:
	test/ui/run.sh

## bench: micro-benchmarks of the hot paths, then the whole system, three runs each in a fresh process (quote the medians)
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 3 ./core/... ./adapters/sqlite ./adapters/kafka ./adapters/validation
	mkdir -p .cache && rm -f .cache/bench-results.json
	$(GO) test -c -o .cache/bench.test ./test/bench
	# The binary itself rather than go test, whose "ok" line would follow
	# the medians: the output's last line is their JSON object.
	for run in 1 2 3; do \
		(cd test/bench && BENCH_RESULTS=$(CURDIR)/.cache/bench-results.json $(CURDIR)/.cache/bench.test \
			-test.run '^$$' -test.bench . -test.benchtime 1x -test.timeout 30m) || exit 1; \
	done

## lint: gofmt, go vet and staticcheck must be clean
lint: fmt vet staticcheck

fmt:
	@out=$$(gofmt -l .); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

staticcheck:
	$(GO) tool staticcheck $(PKGS)

## mocks: regenerate the committed mocks of ports/
mocks:
	$(GO) generate ./ports/...

## mocks-check: fail if the committed mocks differ from freshly generated ones
mocks-check: mocks
	@git diff --exit-code -- ports/mocks || { echo "ports/mocks is stale: run make mocks and commit"; exit 1; }

## cover: print coverage of each core package and fail below 90%
cover:
	@fail=0; for p in $(CORE_PKGS); do \
		line=$$($(GO) test -count=1 -cover $$p | tail -1); \
		pct=$$(echo "$$line" | grep -o '[0-9.]*% of statements' | cut -d% -f1); \
		if [ -n "$$pct" ]; then printf '%-55s %6s%%\n' "$$p" "$$pct"; else printf '%-55s %s\n' "$$p" "(no statements)"; fi; \
		if [ -n "$$pct" ] && awk "BEGIN{exit !($$pct < 90)}"; then fail=1; fi; \
	done; \
	if [ $$fail = 1 ]; then echo "a core package is below 90% coverage"; exit 1; fi

## fuzz: run every fuzz target for FUZZTIME each
fuzz:
	@for p in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$p | grep '^Fuzz'); do \
			echo "== $$p $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$p || exit 1; \
		done; \
	done

## tidy: go mod tidy
tidy:
	$(GO) mod tidy

## tidy-check: fail if go.mod or go.sum is not tidy
tidy-check:
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run make tidy and commit"; exit 1; }
