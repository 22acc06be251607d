# One image for the three services (and the one-process stack); the command
# picks the service:  docker run ... customers customer|profiling|notifications|stack
#
# Build stage: cgo is needed for SQLite (mattn/go-sqlite3).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=1 go build -trimpath -ldflags="-s -w" -o /out/ \
      ./cmd/customers-customer ./cmd/customers-profiling ./cmd/customers-notifications ./cmd/customers-stack \
      ./cmd/customers-healthcheck ./cmd/customers-dlt

# Runtime stage: glibc for the cgo binary, no shell, a non-root user.
FROM gcr.io/distroless/base-debian12:nonroot AS runtime
COPY --from=build /out/ /usr/local/bin/
# Two glibc malloc arenas: SQLite's freed memory stays in the arena that
# held it, and the default (eight per core) cost about 20 MB of peak memory.
ENV PATH=/usr/local/bin DATA_DIR=/data LOG_FORMAT=json MALLOC_ARENA_MAX=2
WORKDIR /data
VOLUME ["/data"]
USER nonroot:nonroot
EXPOSE 3001 3002 3003
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 CMD ["customers-healthcheck"]
ENTRYPOINT []
# No default service: compose and the orchestrator name the one to run
# (customers-customer, customers-profiling, customers-notifications); the
# one-process stack with its embedded broker is for development only.
CMD ["customers-customer", "-h"]
