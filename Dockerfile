# syntax=docker/dockerfile:1
# Folio in a container: a static binary on a distroless base, running as a non-root user, with
# its database in the /data volume. Build: docker build -t folio .
ARG GO_VERSION=1.26

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
# A fully static cgo build: netgo and osusergo replace the glibc lookups that cannot be linked
# statically, and SQLite's extension loading (dlopen) is left out. The sqlite_fts5 tag is what
# every Folio build needs. CI runs this exact command (see dockerfile_test.go).
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=1 go build -trimpath -tags 'sqlite_fts5 netgo osusergo sqlite_omit_load_extension' -ldflags "-s -w -X main.version=${VERSION} -linkmode external -extldflags -static" -o /out/folio .
# The volume's mount point, owned by the runtime user: Docker copies the ownership into a new
# named volume, so the server can create its database there.
RUN mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
LABEL org.opencontainers.image.title="Folio" \
      org.opencontainers.image.description="A headless CMS: a JSON REST API on SQLite" \
      org.opencontainers.image.licenses="MIT"
COPY --from=build /out/folio /folio
COPY --from=build --chown=65532:65532 /out/data /data
ENV FOLIO_ADDR=:8080 \
    FOLIO_DB=/data/folio.db
VOLUME ["/data"]
EXPOSE 8080
USER 65532:65532
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["/folio", "healthcheck"]
ENTRYPOINT ["/folio"]
CMD ["serve"]
