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
      ./cmd/customer ./cmd/profiling ./cmd/notifications ./cmd/stack ./cmd/healthcheck ./cmd/dlt

# Runtime stage: glibc for the cgo binary, no shell, a non-root user.
FROM gcr.io/distroless/base-debian12:nonroot AS runtime
COPY --from=build /out/ /usr/local/bin/
ENV PATH=/usr/local/bin DATA_DIR=/data LOG_FORMAT=json
WORKDIR /data
VOLUME ["/data"]
USER nonroot:nonroot
EXPOSE 3001 3002 3003
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 CMD ["healthcheck"]
ENTRYPOINT []
CMD ["stack"]
