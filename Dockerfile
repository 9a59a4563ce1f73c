# syntax=docker/dockerfile:1
#
# ledgerflow image: a static Go binary on Alpine, running as a non-root user.
#
#   docker build -t ledgerflow:dev \
#     --build-arg VERSION=$(git describe --always) \
#     --build-arg COMMIT=$(git rev-parse HEAD) \
#     --build-arg DATE=$(git log -1 --format=%cI) .
#   docker run --rm -e KAFKA_BROKERS=kafka:9092 -e LEDGERFLOW_PII_KEY -v lakehouse:/lakehouse ledgerflow:dev
#
# One container runs one pipeline (`ledgerflow -c`), by default bank.transactions. Another
# pipeline is another container with the command replaced:
#
#   docker run --rm -e KAFKA_BROKERS=kafka:9092 -e LEDGERFLOW_PII_KEY -v lakehouse:/lakehouse ledgerflow:dev \
#     -c /pipelines/customers.yaml
#
# Not `ledgerflow streams` with several pipelines: the pipelines set process-level fields
# (http:), which streams mode refuses in a stream config.
#
# Alpine rather than distroless: the HEALTHCHECK needs an HTTP client and ledgerflow has no
# health subcommand, so busybox's wget (part of the base image, nothing installed) probes
# /ready. The binary itself needs nothing from the base image (CGO off).

ARG GO_VERSION=1.26.8

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
WORKDIR /src
# Modules first, so that a source change does not re-download them.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
ARG VERSION=0.1.0-dev
# The build context has no .git (.dockerignore), so Go cannot stamp the commit itself:
# COMMIT (full hash) and DATE (the commit's time, RFC3339) come from the caller. Left
# empty, `ledgerflow --version` prints "unknown".
ARG COMMIT=
ARG DATE=
ARG TARGETOS
ARG TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags "-s -w -X main.Version=${VERSION} -X main.Commit=${COMMIT} -X main.Date=${DATE}" -o /out/ledgerflow ./cmd/ledgerflow

FROM alpine:3.22
# A fixed numeric uid/gid, so that Kubernetes' runAsNonRoot can verify it and volume
# ownership is predictable. /lakehouse is created here, owned by that user, because Docker
# copies a path's ownership into a new named volume mounted on it.
RUN addgroup -S -g 10001 ledgerflow \
 && adduser -S -D -H -u 10001 -G ledgerflow -s /sbin/nologin ledgerflow \
 && mkdir -p /lakehouse \
 && chown 10001:10001 /lakehouse
COPY --from=build /out/ledgerflow /usr/local/bin/ledgerflow
COPY pipelines/ /pipelines/
COPY schemas/*.yaml /schemas/
# Pipelines name their table contracts relative to the repository root
# (schema_file: schemas/transactions.yaml); from / that is /schemas/transactions.yaml.
WORKDIR /
ENV LAKEHOUSE=/lakehouse
USER 10001:10001
EXPOSE 4195
# /ready answers 200 only when the pipeline's input and output are connected. 127.0.0.1, not
# localhost: the server listens on IPv4 and busybox may resolve localhost to ::1 first. The
# port is the pipelines' default http.address; moving it (LEDGERFLOW_HTTP_ADDRESS) needs a
# matching --health-cmd.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD wget -q -O /dev/null http://127.0.0.1:4195/ready || exit 1
ENTRYPOINT ["ledgerflow"]
CMD ["-c", "/pipelines/transactions.yaml"]
