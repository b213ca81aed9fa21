# Build and test with cgo on and the goolm tag: bridgev2's end-to-bridge encryption needs cgo, and
# goolm is the pure-Go olm (no libolm). Every build of igbridge goes through these variables.
export CGO_ENABLED := 1

# The Go that go.mod's `go` line asks for. Debian 12's own Go (1.19) is too old: the `go` on PATH
# is used when it is new enough, else the official tarball's /usr/local/go/bin goes first on PATH
# (README, "Go"). GOTOOLCHAIN=local stops a newer-than-1.21 go from downloading a toolchain here.
GO_NEEDED := $(shell sed -n 's/^go //p' go.mod)
go_version = $(patsubst go%,%,$(firstword $(shell GOTOOLCHAIN=local $(1) env GOVERSION 2>/dev/null)))
go_fits = $(and $(1),$(filter $(GO_NEEDED),$(firstword $(shell printf '%s\n%s\n' $(GO_NEEDED) $(1) | sort -V))))
ifeq ($(call go_fits,$(call go_version,go)),)
ifeq ($(call go_fits,$(call go_version,/usr/local/go/bin/go)),)
$(error Go $(GO_NEEDED) or newer is needed (go.mod); install the official tarball into /usr/local/go, see README.md)
endif
export PATH := /usr/local/go/bin:$(PATH)
endif
GO_TAGS := goolm
VERSION_FLAGS := -X main.Commit=$(shell git rev-parse --short HEAD 2>/dev/null || echo unknown) \
	-X 'main.BuildTime=$(shell date -u +%Y-%m-%dT%H:%M:%SZ)'
STATICCHECK_VERSION := v0.8.2
TOOLS := $(CURDIR)/.tools

.PHONY: build setup setup-test run test lint unit example-config

build:
	go build -tags $(GO_TAGS) -ldflags "$(VERSION_FLAGS)" -o igbridge ./cmd/igbridge

# What building and running need; setup-test adds what only the tests need (PostgreSQL,
# nix-instantiate, systemd-analyze).
setup:
	scripts/setup.sh

setup-test:
	scripts/setup.sh --test

# Runs the bridge against a local Dendrite dev homeserver (everything under ./dev).
run: setup build
	scripts/dev.sh

# Runs every check and test; what CI runs. The end-to-end suite runs twice: with SQLite (the
# default) and against a real PostgreSQL.
test: setup-test lint
	go test -tags $(GO_TAGS) -count=1 -timeout 20m ./...
	IGBRIDGE_E2E_DB=postgres go test -tags $(GO_TAGS) -count=1 -timeout 20m ./test/e2e/

lint:
	@# go.mod and go.sum must be what `go mod tidy` makes of the imports.
	go mod tidy -diff
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
