# Build and test with cgo on and the goolm tag: bridgev2's end-to-bridge encryption needs cgo, and
# goolm is the pure-Go olm (no libolm). Every build of igbridge goes through these variables.
export CGO_ENABLED := 1
GO_TAGS := goolm
VERSION_FLAGS := -X main.Commit=$(shell git rev-parse --short HEAD 2>/dev/null || echo unknown) \
	-X 'main.BuildTime=$(shell date -u +%Y-%m-%dT%H:%M:%SZ)'
STATICCHECK_VERSION := v0.8.2
TOOLS := $(CURDIR)/.tools

.PHONY: build setup run test lint unit example-config

build:
	go build -tags $(GO_TAGS) -ldflags "$(VERSION_FLAGS)" -o igbridge ./cmd/igbridge

setup:
	scripts/setup.sh

# Runs the bridge against a local Dendrite dev homeserver (everything under ./dev).
run: setup build
	scripts/dev.sh

# Runs every check and test; what CI runs. The end-to-end suite runs twice: with SQLite (the
# default) and against a real PostgreSQL.
test: setup lint
	go test -tags $(GO_TAGS) -count=1 -timeout 20m ./...
	IGBRIDGE_E2E_DB=postgres go test -tags $(GO_TAGS) -count=1 -timeout 20m ./test/e2e/

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
		if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	go vet -tags $(GO_TAGS) ./...
	GOBIN=$(TOOLS)/bin go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	$(TOOLS)/bin/staticcheck -tags $(GO_TAGS) ./...

# Rewrites example-config.yaml from the code, and the NixOS module's JSON copy of it (tests check
# both are up to date).
example-config:
	go run -tags $(GO_TAGS) ./cmd/igbridge -e -c - > example-config.yaml
	go test -tags $(GO_TAGS) ./nixos -run TestExampleConfigJSON -args -update
