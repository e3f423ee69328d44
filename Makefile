# Folio's front door. `make help` lists the targets; CI runs `make audit` after `make test`.

# Every Go command needs the sqlite_fts5 build tag (SQLite's full-text search is compiled in only
# with it). Appending keeps any GOFLAGS the environment already has.
export GOFLAGS += -tags=sqlite_fts5

VERSION       ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS       := -X main.version=$(VERSION)
BIN           := bin/folio
TOOLS         := $(CURDIR)/.bin
GOLANGCI_LINT := $(TOOLS)/golangci-lint
# Pinned versions of the tools that do not live in go.mod.
GOLANGCI_LINT_VERSION := v2.15.0
REDOCLY_CLI           := @redocly/cli@2.77.0
DOCKERFILE_UTILS      := dockerfile-utils@0.16.3
SWAGGER_UI_DIST       := swagger-ui-dist@5.35.0

.DEFAULT_GOAL := help
.PHONY: help run build test lint fmt docs docs-check spec-lint dockerfile-check docs-ui frontend-test bench bench-replicas bench-smoke bench-micro fuzz audit clean
FUZZTIME ?= 1m
# make bench: items in the corpus, measured time per scenario, results file, and a folder that
# keeps the corpus and seeded database between runs (seeding a million items takes minutes).
N        ?= 100000
DURATION ?= 10s
OUT      ?= bench-results.md
KEEP     ?=
# DB=postgres runs the server on a database that the benchmark creates on the PostgreSQL server
# at PG, and drops; REPLICAS=2 starts two servers on it and alternates the requests.
DB       ?= sqlite
PG       ?= $(or $(FOLIO_TEST_POSTGRES),postgres://postgres@127.0.0.1:5432/test?sslmode=disable)
REPLICAS ?= 1

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-17s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

run: build ## build and start Folio with the demo content on localhost:8080, data/folio.db (FOLIO_* apply)
	FOLIO_ADMIN_EMAIL="$${FOLIO_ADMIN_EMAIL:-admin@example.com}" ./$(BIN) serve --demo

build: ## build bin/folio
	go build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) .

test: ## run every test, with the race detector; again on PostgreSQL when FOLIO_TEST_POSTGRES names one
	go test -race -count=1 ./...
	@if [ -n "$$FOLIO_TEST_POSTGRES" ]; then \
	  echo "== the suite again, on PostgreSQL (FOLIO_TEST_DB=postgres)"; \
	  FOLIO_TEST_DB=postgres go test -race -count=1 ./...; \
	fi

lint: $(GOLANGCI_LINT) ## run golangci-lint
	$(GOLANGCI_LINT) run ./...

fmt: ## format the Go code
	go fmt ./...

# The client is generated from the document, so it comes second.
docs: ## regenerate docs/ (swag, then the OpenAPI 3 conversion) and the Go client api/client from them
	go generate ./api ./api/client

GENERATED := docs/ api/client/

docs-check: docs ## fail when docs/ or api/client is not what `make docs` generates
	@git diff --exit-code --stat -- $(GENERATED) || { echo "generated files are stale: run 'make docs' and commit the result"; exit 1; }
	@untracked=$$(git ls-files --others --exclude-standard -- $(GENERATED)); \
	  if [ -n "$$untracked" ]; then echo "files generated but not committed: $$untracked"; exit 1; fi

spec-lint: ## lint docs/openapi.json with Redocly (needs Node.js and npm)
	npx --yes $(REDOCLY_CLI) lint --config .ci/redocly.yaml docs/openapi.json

dockerfile-check: ## lint the Dockerfile and run its exact go build (needs Node.js and npm)
	npx --yes $(DOCKERFILE_UTILS) lint Dockerfile
	FOLIO_TEST_DOCKER_BUILD=1 go test -count=1 -run '^TestDockerfile' .

docs-ui: ## re-vendor Swagger UI into internal/docsui/swagger-ui (then update docsui.Version)
	@tmp=$$(mktemp -d) && cd $$tmp && npm pack --silent $(SWAGGER_UI_DIST) >/dev/null && tar xzf *.tgz && \
	  cp package/LICENSE package/NOTICE package/swagger-ui-bundle.js package/swagger-ui-bundle.js.LICENSE.txt \
	     package/swagger-ui.css package/favicon-32x32.png $(CURDIR)/internal/docsui/swagger-ui/ && rm -rf $$tmp

# The example frontend pins its own versions in examples/frontend/package.json and package-lock.json.
frontend-test: build ## build examples/frontend and test it in headless Chromium against bin/folio (needs Node.js, npm, chromium)
	cd examples/frontend && npm ci && npm run build && npm test

bench: ## the real binary over HTTP, seeded with N items, against a baseline server; DB=postgres on PostgreSQL (see README)
	go run ./internal/bench -n $(N) -duration $(DURATION) -out $(OUT) $(if $(KEEP),-keep $(KEEP)) \
	  $(if $(filter-out sqlite,$(DB)),-db $(DB) -pg '$(PG)') $(if $(filter-out 1,$(REPLICAS)),-replicas $(REPLICAS))

bench-replicas: ## make bench DB=postgres REPLICAS=2: two servers on one PostgreSQL database
	$(MAKE) bench DB=postgres REPLICAS=2

bench-smoke: ## make bench with N=2000 DURATION=2s on SQLite: that the harness works, not what it measures
	$(MAKE) bench N=2000 DURATION=2s DB=sqlite REPLICAS=1

bench-micro: ## start-up, size, idle memory; write contention; creates; hashing; authentication; public reads
	go test -run '^$$' -bench Startup -benchtime 20x .
	go test -run '^$$' -bench ConcurrentWrites -benchtime 2000x ./internal/database
	go test -run '^$$' -bench CreateItem -benchtime 2000x ./internal/content
	go test -run '^$$' -bench Hash -benchtime 20x ./internal/auth
	go test -run '^$$' -bench AuthenticatedRequest -benchtime 3000x ./api
	go test -run '^$$' -bench PublicReads -benchtime 3000x ./api

fuzz: ## run each fuzz target for FUZZTIME (default 1m); their seeds run in make test too
	go test -run '^$$' -fuzz FuzzParseQuery -fuzztime $(FUZZTIME) ./internal/content
	go test -run '^$$' -fuzz FuzzRender -fuzztime $(FUZZTIME) ./internal/content
	go test -run '^$$' -fuzz FuzzSnippetWords -fuzztime $(FUZZTIME) ./internal/content
	go test -run '^$$' -fuzz FuzzItemBody -fuzztime $(FUZZTIME) ./api

audit: test bench-smoke lint docs-check spec-lint dockerfile-check frontend-test ## everything CI checks

clean: ## remove build output and installed tools
	rm -rf bin .bin examples/frontend/dist examples/frontend/src/generated

$(GOLANGCI_LINT):
	GOBIN=$(TOOLS) go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)
