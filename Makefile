# make run   – start mitreden with the demo consultation on http://127.0.0.1:8080
# make test  – every test, on SQLite and on PostgreSQL, browser tests in
#              headless Chromium with axe-core (all started or installed if needed)

GO ?= go
MITREDEN_TEST_POSTGRES ?= postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
export MITREDEN_TEST_POSTGRES

.PHONY: test run build lint

test: lint
	.ci/ensure-postgres
	.ci/ensure-chromium
	.ci/ensure-axe
	$(GO) test -race -count=1 -timeout 30m ./...

lint:
	@unformatted=$$(gofmt -l app cmd frontend i18n migrations); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...

run:
	$(GO) run ./cmd/mitreden

build:
	$(GO) build -o mitreden ./cmd/mitreden
