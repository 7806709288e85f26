package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sous-dev/sous/api"
	"github.com/sous-dev/sous/cache"
	"github.com/sous-dev/sous/extract"
	"github.com/sous-dev/sous/isolate"
	"github.com/sous-dev/sous/render"
)

// scriptedServer is the API with a cache, script workers and code mode, as
// `sous serve` runs it, with these script limits (zero: the defaults). Each
// test gets its own, over the shared browser.
func scriptedServer(t *testing.T, limits isolate.Limits) string {
	t.Helper()
	c, err := cache.New(cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	isolates, err := isolate.New(context.Background(), isolate.Options{Command: isolate.SelfCommand(), Script: limits})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := render.NewService(render.Options{Fetcher: pool, Extractor: extract.New(), Concurrency: 2, Cache: c, Processor: isolates})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		svc.Close()
		isolates.Close()
		c.Close()
	})
	return serveAPI(t, api.New(svc, api.Options{Programs: isolates.Programs(svc)}))
}

// post sends body to path and decodes the reply into v.
func post(t *testing.T, url, body string, v any) (status int, header http.Header) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("decoding the reply: %v", err)
	}
	return resp.StatusCode, resp.Header
}

// scriptReply is a /v1/render reply whose result we read only the script of.
type scriptReply struct {
	Success bool `json:"success"`
	Result  struct {
		Script json.RawMessage `json:"script"`
	} `json:"result"`
	Errors []api.Error `json:"errors"`
}

func TestRenderScript(t *testing.T) {
	base := scriptedServer(t, isolate.Limits{})
	page := site.URL + "/article.html"
	body := func(script string) string {
		return fmt.Sprintf(`{"url": %q, "formats": ["markdown", "links"], "cacheTTL": 60, "script": %q}`, page, script)
	}
	hitsBefore := site.Hits("/article.html")

	var first scriptReply
	status, header := post(t, base+"/v1/render", body(`return {title: page.title, headings: page.markdown.split("\n").filter(l => l.startsWith("#")).length, hasLinks: page.links.length > 0}`), &first)
	if status != 200 || !first.Success {
		t.Fatalf("status %d: %+v", status, first.Errors)
	}
	var got map[string]any
	if err := json.Unmarshal(first.Result.Script, &got); err != nil {
		t.Fatalf("result.script %s: %v", first.Result.Script, err)
	}
	if got["title"] != "Why Your Sourdough Starter Sulks in Winter | The Crumb Ledger" || got["hasLinks"] != true || got["headings"].(float64) < 1 {
		t.Errorf("result.script = %s", first.Result.Script)
	}
	if header.Get("X-Cache") != "miss" {
		t.Errorf("first render: X-Cache %q, want miss", header.Get("X-Cache"))
	}

	// Another script over the same page is answered from the cache: the
	// script runs over the cached result, and the page is not loaded again.
	var second scriptReply
	status, header = post(t, base+"/v1/render", body(`return page.url.endsWith("/article.html")`), &second)
	if status != 200 || string(second.Result.Script) != "true" {
		t.Fatalf("status %d, script %s: %+v", status, second.Result.Script, second.Errors)
	}
	if header.Get("X-Cache") != "hit" {
		t.Errorf("second script: X-Cache %q, want hit", header.Get("X-Cache"))
	}
	if n := site.Hits("/article.html") - hitsBefore; n != 1 {
		t.Errorf("the page was loaded %d times, want 1", n)
	}
}

// TestHostileScriptsOverHTTP: every hostile script is stopped with its code
// and status, and the next request succeeds.
func TestHostileScriptsOverHTTP(t *testing.T) {
	// Limits below the defaults, which the isolate package tests: the
	// scripts reach them sooner, and burn less CPU on the way.
	base := scriptedServer(t, isolate.Limits{Timeout: time.Second, CPUTime: time.Second})
	request := func(script string) string {
		return fmt.Sprintf(`{"html": "<title>T</title><h1>Hello</h1>", "cacheTTL": 600, "script": %q}`, script)
	}
	// The roomy scripts' requests get the longest deadline too: the
	// script runs inside it.
	roomyRequest := func(script string) string {
		return fmt.Sprintf(`{"html": "<title>T</title><h1>Hello</h1>", "cacheTTL": 600, "gotoOptions": {"timeout": 60000}, "script": %q}`, script)
	}
	tests := []struct {
		name, script string
		code         string
		line         int
	}{
		{"endless loop", `while (true) {}`, "script_timeout", 0},
		{"string bomb", `let s = "x"; while (true) s += s;`, "script_memory", 0},
		{"array bomb", `const a = []; while (true) a.push([1, 2, 3]);`, "script_memory", 0},
		{"one huge allocation", `return "x".repeat(2 ** 30).length`, "script_memory", 0},
		{"regex backtracking", `return /^(a+)+(?=b)/.test("a".repeat(40))`, "script_timeout", 0},
		{"huge output", `return "y".repeat(2 << 20)`, "script_output_too_large", 0},
		{"deep recursion", `function f() { return f() + 1 }\nreturn f()`, "script_error", 0},
		{"throws a number", `\nthrow 42`, "script_error", 2},
		{"syntax error", `return (`, "script_error", 1},
	}
	// The scripts that must hit a memory or output cap get all the time
	// they need to get there under the race detector on a busy machine,
	// so that they cannot run into the time limit first.
	// (30 s was once not enough beside four busy processes; the request's
	// own deadline, 60 s, leaves room for the render before the script.)
	roomy := scriptedServer(t, isolate.Limits{Timeout: 50 * time.Second, CPUTime: 50 * time.Second, Memory: 16 << 20, Output: 1 << 20})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base, request := base, request
			if tt.code != "script_timeout" {
				base, request = roomy, roomyRequest
			}
			var failed scriptReply
			status, _ := post(t, base+"/v1/render", request(strings.ReplaceAll(tt.script, `\n`, "\n")), &failed)
			if status != http.StatusUnprocessableEntity || failed.Success || len(failed.Errors) != 1 {
				t.Fatalf("status %d, %+v; want 422 with one error", status, failed)
			}
			e := failed.Errors[0]
			if e.Code != tt.code || (tt.line != 0 && e.Line != tt.line) {
				t.Errorf("error %+v; want code %s line %d", e, tt.code, tt.line)
			}
			var ok scriptReply
			status, _ = post(t, base+"/v1/render", request(`return page.markdown.trim()`), &ok)
			if status != 200 || string(ok.Result.Script) != `"# Hello"` {
				t.Errorf("the next request: status %d, script %s, %+v", status, ok.Result.Script, ok.Errors)
			}
		})
	}
}

func TestRunCode(t *testing.T) {
	base := scriptedServer(t, isolate.Limits{})
	tests := []struct {
		name       string
		code       string
		wantStatus int
		wantResult string
		wantLogs   []string
		wantError  api.Error
	}{
		{
			name: "two pages in parallel",
			code: fmt.Sprintf(`
				const [article, links] = await Promise.all([
					sous.render({url: %q, formats: ["metadata"]}),
					sous.links(%q),
				]);
				console.log("rendered", article.meta.url.split("/").pop(), links.length > 10);
				return {title: article.metadata.title, links: links.filter(l => l.url.startsWith("https://")).length > 0};`,
				site.URL+"/article.html", site.URL+"/links.html"),
			wantStatus: 200,
			wantResult: `{"title":"Why Your Sourdough Starter Sulks in Winter | The Crumb Ledger","links":true}`,
			wantLogs:   []string{"rendered article.html true"},
		},
		{
			name:       "scrape",
			code:       fmt.Sprintf(`const [h1] = await sous.scrape(%q, "h1"); return h1.results.map(r => r.text)`, site.URL+"/article.html"),
			wantStatus: 200,
			wantResult: `["Why Your Sourdough Starter Sulks in Winter"]`,
			wantLogs:   []string{},
		},
		{
			name:       "a failed render is a rejected promise",
			code:       `try { await sous.render({url: "ftp://example.com"}) } catch (e) { console.log(e.code); return "caught" }`,
			wantStatus: 200,
			wantResult: `"caught"`,
			wantLogs:   []string{"invalid_request"},
		},
		{
			name:       "too many renders",
			code:       fmt.Sprintf(`for (let i = 0; i < 21; i++) await sous.links(%q)`, site.URL+"/links.html"),
			wantStatus: 422,
			wantResult: `null`,
			wantLogs:   []string{},
			wantError:  api.Error{Code: "script_error", Message: "Error: a program may make at most 20 sous calls", Line: 1, Column: 46},
		},
		{
			name:       "logs survive a failure",
			code:       "console.log('before', {a: 1})\nnull.boom",
			wantStatus: 422,
			wantResult: `null`,
			wantLogs:   []string{`before {"a":1}`},
			wantError:  api.Error{Code: "script_error", Message: "TypeError: Cannot read property 'boom' of undefined", Line: 2, Column: 6},
		},
		{
			name:       "timeout",
			code:       `while (true) {}`,
			wantStatus: 422,
			wantResult: `null`,
			wantLogs:   []string{},
			wantError:  api.Error{Code: "script_timeout"}, // wall or CPU time, whichever ends first
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got api.RunEnvelope
			timeout := 20000
			if tt.name == "timeout" {
				timeout = 500
			}
			body, _ := json.Marshal(map[string]any{"code": tt.code, "timeoutMs": timeout})
			status, _ := post(t, base+"/v1/run", string(body), &got)
			if status != tt.wantStatus || string(got.Result) != tt.wantResult {
				t.Errorf("status %d, result %s; want %d, %s (errors %+v)", status, got.Result, tt.wantStatus, tt.wantResult, got.Errors)
			}
			if diff := cmp.Diff(tt.wantLogs, got.Logs); diff != "" {
				t.Errorf("logs (-want +got):\n%s", diff)
			}
			var wantErrors []api.Error
			if tt.wantError.Code != "" {
				wantErrors = []api.Error{tt.wantError}
			}
			if len(got.Errors) == 1 && tt.wantError.Message == "" {
				got.Errors[0].Message = ""
			}
			if diff := cmp.Diff(wantErrors, got.Errors, cmpEmpty); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if got.Success != (tt.wantStatus == 200) {
				t.Errorf("success %v with status %d", got.Success, status)
			}
		})
	}
}

// cmpEmpty treats nil and empty slices alike.
var cmpEmpty = cmp.Transformer("empty", func(e []api.Error) []api.Error {
	if len(e) == 0 {
		return nil
	}
	return e
})
