# make run   – start mitreden with the demo consultation on http://127.0.0.1:8080
# make test  – every test, on SQLite and on PostgreSQL, browser tests in
#              headless Chromium with axe-core, deploy/Caddyfile in Caddy
#              (all started or installed if needed)
# make lint  – gofmt, go vet, staticcheck and deadcode; fails on any finding
#              (staticcheck and deadcode are tools pinned in go.mod)

GO ?= go
MITREDEN_TEST_POSTGRES ?= postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
export MITREDEN_TEST_POSTGRES

.PHONY: test run build lint

test: lint
	.ci/ensure-postgres
	.ci/ensure-chromium
	.ci/ensure-axe
	.ci/ensure-caddy
	$(GO) test -race -count=1 -timeout 30m ./...

lint:
	@unformatted=$$(gofmt -l app cmd deploy frontend i18n migrations); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	@# Issue 17: no function of the program over cyclomatic complexity 20
	@# (tests are tables of cases and are not counted).
	$(GO) tool gocyclo -over 20 -ignore '_test\.go$$' app cmd deploy frontend i18n migrations
	@# deadcode reports unreachable functions but exits 0 either way.
	@unused=$$($(GO) tool deadcode -test ./...) || exit 1; \
	  if [ -n "$$unused" ]; then echo "$$unused"; exit 1; fi

run:
	$(GO) run ./cmd/mitreden

build:
	$(GO) build -o mitreden ./cmd/mitreden
