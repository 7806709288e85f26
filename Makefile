# Sous — see README.md. Every target installs what it needs first.
GO        ?= go
BIN       := bin/sous
ADDR      ?= 127.0.0.1:8080

.PHONY: run test soak bench build chromium poppler tools vet fmt clean

run: build chromium poppler
	$(BIN) serve --addr $(ADDR)

build:
	$(GO) build -o $(BIN) ./cmd/sous

# Tests whose name has "Corpus" score the shared corpora: single-threaded
# work the race detector slows tenfold and has nothing to find in, so they
# run without it, in a pass of their own beside the race pass (its output
# is printed after the race pass's), rather than after it.
CORPUS_TESTS := Corpus
CORPUS_PKGS  := ./extract ./cmd/sous
CORPUS_LOG   := .corpus-test.log

# -vet=all runs every go vet check on the packages as they are built for the
# race pass, instead of a go vet of its own that type-checked them all again.
# -p 3 runs three test binaries at a time, one more than the cores here: much
# of a browser test's time is spent waiting on Chromium's events, and on a
# machine busy with other work the third keeps the suite's share of it. More
# is worse: -p 5 with -parallel 4 beside four busy processes ran packages
# twice as long and timed tests out. -ldflags=-w links the test binaries
# without DWARF (stack traces still work), a second of CPU less per package.
TEST_PKGS_AT_ONCE ?= 3
test: chromium poppler tools
	$(GO) test -count=1 -timeout 5m -run '$(CORPUS_TESTS)' $(CORPUS_PKGS) > $(CORPUS_LOG) 2>&1 & corpus=$$!; \
	$(GO) test -race -vet=all -ldflags=-w -count=1 -p $(TEST_PKGS_AT_ONCE) -timeout 9m -skip '$(CORPUS_TESTS)' ./...; race=$$?; \
	wait $$corpus; status=$$?; \
	echo "go test -run '$(CORPUS_TESTS)' $(CORPUS_PKGS) (without -race)"; cat $(CORPUS_LOG); rm -f $(CORPUS_LOG); \
	[ $$race -eq 0 ] && [ $$status -eq 0 ]

# 2,000 renders with hostile pages mixed in against a running sous serve;
# prints processes, fds, goroutines and memory before and after. Minutes long,
# so not part of test.
soak: chromium
	SOUS_SOAK=1 $(GO) test -count=1 -timeout 30m -run '^TestSoak$$' -v ./cmd/sous

bench: build chromium
	$(BIN) bench

# Chromium from Debian's package, unless one is already on PATH or named by SOUS_CHROME.
chromium:
	@if [ -n "$$SOUS_CHROME" ] || command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || command -v google-chrome >/dev/null 2>&1; then :; \
	else \
		echo "Installing Chromium from Debian's chromium package"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; \
	fi

# poppler-utils (pdftotext, pdfinfo), which reads PDFs, unless it is installed.
poppler:
	@if command -v pdftotext >/dev/null 2>&1 && command -v pdfinfo >/dev/null 2>&1 && command -v prlimit >/dev/null 2>&1; then :; \
	else \
		echo "Installing Debian's poppler-utils (and util-linux's prlimit) to read PDFs"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq poppler-utils util-linux; \
	fi

# curl and jq, which the README's commands use and its test runs.
tools:
	@if command -v curl >/dev/null 2>&1 && command -v jq >/dev/null 2>&1; then :; \
	else \
		echo "Installing Debian's curl and jq, for the README's commands"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq curl jq; \
	fi

vet:
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
