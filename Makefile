# `make test` is the whole suite (what CI runs after .ci/run installs kcat, prometheus,
# mariadb-server and the Delta oracle). The race detector runs on every package but tests/ and
# deploy/, whose tests drive the ledgerflow binary as a separate process (built without -race,
# so the detector would watch only the harness); new packages are covered without editing this.
# `make fuzz` runs each fuzz target over input from outside (Kafka records, Delta logs, Parquet
# files) for FUZZTIME (CI: 30s each; the ten-minute campaign figures are in the README).
# `make bench` prints the benchmark numbers quoted in the README.
GO ?= go

.PHONY: test lint bench build fuzz

build:
	$(GO) build -buildvcs=auto -o bin/ledgerflow ./cmd/ledgerflow

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

test: lint
	$(GO) test -count=1 -timeout 20m ./...
	$(GO) test -race -count=1 -timeout 20m $$($(GO) list ./... | grep -v -e '/tests$$' -e '/deploy$$')

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./processors/... ./delta/... ./inputs/... ./outputs/...

# Fuzz targets whose input comes from outside the process: package and target name.
FUZZ_TARGETS = \
	./debezium:FuzzUnwrap ./debezium:FuzzConnectSchema \
	./debezium:FuzzKafkaKey ./debezium:FuzzISOTimestamp \
	./debezium:FuzzEncodeDecodeRoundTrip ./debezium/jsonscan:FuzzEachMember \
	./outputs/delta:FuzzDecodedRowsAreWritable ./processors/pii:FuzzApply \
	./delta/parquetio:FuzzReadFile ./delta:FuzzParseCommit ./delta:FuzzReadCheckpoint \
	./delta/schema:FuzzParseDecimal
FUZZTIME ?= 30s

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; fn=$${t##*:}; \
	  echo "fuzz $$fn ($$pkg) for $(FUZZTIME)"; \
	  $(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) $$pkg; done
