package mcpbridge_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/sous-dev/sous/crawl"
	"github.com/sous-dev/sous/isolate"
	"github.com/sous-dev/sous/mcpbridge"
)

// No tool's output is longer than its maxChars, the framing and the paging
// notes included, on every page of a long output, for small budgets where
// the framing alone would fill it.
func TestOutputWithinMaxChars(t *testing.T) {
	const budget = 200 // the least a call may ask for, and the server's default below
	// Code mode and crawls are set up when their turn comes, so that their
	// workers do not compete with the first renders.
	var programs mcpbridge.Options
	setUp := func() {
		isolates, err := isolate.New(context.Background(), isolate.Options{Command: isolate.SelfCommand()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { isolates.Close() })
		crawls, err := crawl.New(service, crawl.Options{HTTPClient: &http.Client{}, HostDelay: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { crawls.Close() })
		programs = mcpbridge.Options{Programs: isolates.Programs(service), Crawler: crawls, MaxChars: budget}
	}
	session := func(opts *mcpbridge.Options) *mcp.ClientSession {
		srv, err := mcpbridge.NewServer(service, opts)
		if err != nil {
			t.Fatal(err)
		}
		return connectTo(t, "in-memory", srv, nil)
	}
	cs := session(&mcpbridge.Options{MaxChars: budget})
	article := site.URL + "/article.html"
	tests := []struct {
		tool    string
		args    map[string]any
		paged   bool
		failing bool // the call fails: its error, advice included, keeps to the budget too
	}{
		{"render", map[string]any{"url": article}, true, false},
		{"render", map[string]any{"url": article, "format": "text", "maxChars": 200}, true, false},
		{"links", map[string]any{"url": article}, true, false},
		{"scrape", map[string]any{"url": article, "selectors": []string{"p"}}, true, false},
		{"outline", map[string]any{"url": article}, true, false},
		{"run_code", map[string]any{"code": `console.log("x".repeat(500)); return {text: "y".repeat(1000)}`}, false, false},
		{"crawl", map[string]any{"url": site.URL + "/site/", "limit": 4, "maxChars": budget}, false, false},
		{"run_code", map[string]any{"code": `throw new Error("z".repeat(5000))`}, false, true},
		{"render", map[string]any{"url": "ftp://" + strings.Repeat("a", 3000) + ".example/", "maxChars": 300}, false, true},
		{"render", map[string]any{"url": "ftp://" + strings.Repeat("a", 3000) + ".example/"}, false, true},
	}
	for _, tc := range tests {
		if tc.tool == "run_code" && programs.Programs == nil {
			setUp()
			cs = session(&programs)
		}
		limit := budget
		if m, ok := tc.args["maxChars"].(int); ok {
			limit = m
		}
		pages := 1
		for page := 1; page <= pages && page <= 4; page++ {
			args := map[string]any{}
			for k, v := range tc.args {
				args[k] = v
			}
			if tc.paged {
				args["page"] = page
				pages = 4 // enough to see the first, middle and cut pages
			}
			res := call(t, cs, tc.tool, args)
			out := text(res)
			if n := utf8.RuneCountInString(out); n > limit {
				t.Errorf("%s %v: %d characters, over maxChars %d:\n%s", tc.tool, args, n, limit, out)
			}
			pastTheEnd := res.IsError && page > 1 // of a short output
			if res.IsError != tc.failing && !pastTheEnd {
				t.Errorf("%s %v: failed %v, want %v: %s", tc.tool, args, res.IsError, tc.failing, out)
			}
			if res.IsError {
				if !strings.HasPrefix(out, "Error (") {
					t.Errorf("%s %v: an error without its code: %s", tc.tool, args, out)
				}
				break
			}
		}
	}
}
