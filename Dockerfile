# The operator's image: one static binary that runs as the manager (the default command) and as
# the worker of the month Jobs (the Job builder runs ["/backfill-operator", "worker", ...]).
#   make docker-build IMG=registry.example.com/backfill-operator:v0.1.0
FROM golang:1.26 AS builder
ARG TARGETOS
ARG TARGETARCH
WORKDIR /src

# Dependencies first, so that source edits do not invalidate the module download layer.
COPY go.mod go.sum ./
RUN go mod download

COPY api/ api/
COPY cmd/ cmd/
COPY controllers/ controllers/
COPY internal/ internal/

# Static, so that it runs on distroless/static (no libc).
RUN CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags="-s -w" -o /backfill-operator ./cmd/backfill-operator

# No shell, no package manager; runs as the unprivileged "nonroot" user.
FROM gcr.io/distroless/static:nonroot
COPY --from=builder /backfill-operator /backfill-operator
USER 65532:65532
ENTRYPOINT ["/backfill-operator"]
CMD ["manager"]
