# `make test` is the whole suite (what CI runs after .ci/run installs kcat, prometheus,
# mariadb-server and the Delta oracle). The race detector runs on every package but tests/ and
# deploy/, whose tests drive the ledgerflow binary as a separate process (built without -race,
# so the detector would watch only the harness); new packages are covered without editing this.
# `make bench` prints the benchmark numbers quoted in the README.
GO ?= go

.PHONY: test lint bench build

build:
	$(GO) build -o bin/ledgerflow ./cmd/ledgerflow

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

test: lint
	$(GO) test -count=1 -timeout 20m ./...
	$(GO) test -race -count=1 -timeout 20m $$($(GO) list ./... | grep -v -e '/tests$$' -e '/deploy$$')

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./processors/... ./delta/... ./inputs/... ./outputs/...
