package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/sous-dev/sous/api"
	"github.com/sous-dev/sous/extract"
	"github.com/sous-dev/sous/fixtures"
	"github.com/sous-dev/sous/httpfetch"
	"github.com/sous-dev/sous/render"
)

// autoServer serves an API whose service has both engines, as sous serve
// wires it: the shared browser and the http engine.
func autoServer(t *testing.T) string {
	t.Helper()
	plain := httpfetch.New(httpfetch.Options{UserAgent: pool.UserAgent()}) // no guard: the fixtures are on loopback
	t.Cleanup(func() { plain.Close() })
	svc, err := render.NewService(render.Options{Fetcher: pool, HTTPFetcher: plain, Extractor: extract.New(), Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	return serveAPI(t, api.New(svc, api.Options{}))
}

// Pages that stand between an agent and the content are failures with code
// obstacle and what stood in the way; with default options, over real HTTP,
// in real Chromium where the engine calls for it.
func TestObstaclesOverHTTP(t *testing.T) {
	base := autoServer(t)
	tests := []struct {
		name, path, engine string
		kind, vendor       string // "" for content
		wantEngine         string
		wantText           string // for content
	}{
		{"cloudflare challenge", "/obstacle/cloudflare", "", "challenge", "cloudflare", "browser", ""},
		{"cloudflare challenge in the browser", "/obstacle/cloudflare", "browser", "challenge", "cloudflare", "browser", ""},
		{"login wall", "/obstacle/login", "", "login", "", "http", ""},
		{"paywall over a teaser", "/obstacle/paywall", "browser", "paywall", "piano", "browser", ""},
		{"payment required", "/obstacle/payment", "", "payment", "cloudflare", "http", ""},
		{"article about captchas", "/obstacle/about-captchas", "browser", "", "", "browser", "How sites tell people from bots"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body := fmt.Sprintf(`{"url": %q}`, site.URL+tc.path)
			if tc.engine != "" {
				body = fmt.Sprintf(`{"url": %q, "engine": %q}`, site.URL+tc.path, tc.engine)
			}
			resp, raw := postJSON(t, base+"/v1/render", body)
			var env api.Envelope
			if err := json.Unmarshal(raw, &env); err != nil {
				t.Fatalf("%v: %s", err, raw)
			}
			if env.Meta == nil {
				t.Fatalf("no meta: %s", raw)
			}
			if env.Meta.Engine != tc.wantEngine {
				t.Errorf("engine %q, want %q", env.Meta.Engine, tc.wantEngine)
			}
			if tc.kind == "" {
				if resp.StatusCode != 200 || !env.Success || env.Meta.Obstacle != nil || !strings.Contains(env.Result.Markdown, tc.wantText) {
					t.Errorf("status %d, obstacle %+v; want content: %s", resp.StatusCode, env.Meta.Obstacle, raw)
				}
				return
			}
			// A pay-per-crawl page is payment_required (this service pays
			// nothing), with its price, and still described as an obstacle.
			wantStatus, wantCode := 422, "obstacle"
			if tc.kind == "payment" {
				wantStatus, wantCode = 402, "payment_required"
				if env.Meta.Price != "USD 0.01" {
					t.Errorf("meta.price %q, want USD 0.01", env.Meta.Price)
				}
			}
			if resp.StatusCode != wantStatus || env.Success || len(env.Errors) != 1 || env.Errors[0].Code != wantCode {
				t.Fatalf("status %d, errors %+v; want %d with code %s", resp.StatusCode, env.Errors, wantStatus, wantCode)
			}
			if o := env.Meta.Obstacle; o == nil || o.Kind != tc.kind || o.Vendor != tc.vendor || o.Evidence == "" {
				t.Errorf("meta.obstacle %+v, want %s by %q with evidence", o, tc.kind, tc.vendor)
			}
			if env.Meta.URL != site.URL+tc.path || env.Meta.Status == 0 {
				t.Errorf("meta url %q status %d, want the page's", env.Meta.URL, env.Meta.Status)
			}
		})
	}

	t.Run("cloudflare route", func(t *testing.T) {
		t.Parallel()
		resp, raw := postJSON(t, base+"/browser-rendering/markdown", fmt.Sprintf(`{"url": %q}`, site.URL+"/obstacle/cloudflare"))
		var env struct {
			Success bool
			Errors  []struct{ Code int }
			Meta    *render.Meta
		}
		if err := json.Unmarshal(raw, &env); err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 422 || env.Success || len(env.Errors) != 1 || env.Meta == nil || env.Meta.Obstacle == nil || env.Meta.Obstacle.Kind != "challenge" {
			t.Errorf("status %d: %s; want 422 with meta.obstacle", resp.StatusCode, raw)
		}
	})

	t.Run("paywall notice beside an article", func(t *testing.T) {
		t.Parallel()
		resp, raw := postJSON(t, base+"/v1/render", fmt.Sprintf(`{"url": %q, "engine": "browser"}`, site.URL+"/obstacle/paywall-notice"))
		var env api.Envelope
		if err := json.Unmarshal(raw, &env); err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 || !env.Success || !strings.Contains(env.Result.Markdown, "A starter is fed every day") {
			t.Fatalf("status %d: %.400s; want the article", resp.StatusCode, raw)
		}
		if o := env.Meta.Obstacle; o == nil || o.Kind != "paywall" || len(env.Meta.Warnings) == 0 {
			t.Errorf("meta.obstacle %+v, warnings %q; want the paywall and a warning", o, env.Meta.Warnings)
		}
	})
}

// A PDF URL gives its text, with default options and in the browser; a
// screenshot of one is a request to fix.
func TestPDFOverHTTP(t *testing.T) {
	base := autoServer(t)
	for _, engine := range []string{"", "browser"} {
		t.Run("engine "+engine, func(t *testing.T) {
			t.Parallel()
			body := fmt.Sprintf(`{"url": %q, "formats": ["markdown", "metadata"], "engine": %q}`, site.URL+"/doc/report.pdf", engine)
			if engine == "" {
				body = fmt.Sprintf(`{"url": %q, "formats": ["markdown", "metadata"]}`, site.URL+"/doc/report.pdf")
			}
			resp, raw := postJSON(t, base+"/v1/render", body)
			var env api.Envelope
			if err := json.Unmarshal(raw, &env); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != 200 || !env.Success {
				t.Fatalf("status %d: %s", resp.StatusCode, raw)
			}
			for _, want := range []string{"# " + fixtures.ReportTitle, "## Feeding", "This report follows one starter through a season."} {
				if !strings.Contains(env.Result.Markdown, want) {
					t.Errorf("markdown lacks %q:\n%s", want, env.Result.Markdown)
				}
			}
			md := env.Result.Metadata
			if md == nil || md.Pages != 2 || md.Title != fixtures.ReportTitle || md.Author != fixtures.ReportAuthor || env.Meta.ContentType != "application/pdf" {
				t.Errorf("metadata %+v, content type %q; want 2 pages, title, author, application/pdf", md, env.Meta.ContentType)
			}
		})
	}
	t.Run("scan explains its emptiness", func(t *testing.T) {
		t.Parallel()
		_, raw := postJSON(t, base+"/v1/render", fmt.Sprintf(`{"url": %q}`, site.URL+"/doc/scan.pdf"))
		var env api.Envelope
		if err := json.Unmarshal(raw, &env); err != nil {
			t.Fatal(err)
		}
		if !env.Success || strings.TrimSpace(env.Result.Markdown) != "" || !strings.Contains(strings.Join(env.Meta.Warnings, " "), "no text layer") {
			t.Errorf("want an empty success that says why: %s", raw)
		}
	})
	t.Run("screenshot", func(t *testing.T) {
		t.Parallel()
		resp, raw := postJSON(t, base+"/v1/render", fmt.Sprintf(`{"url": %q, "formats": ["screenshot"]}`, site.URL+"/doc/report.pdf"))
		if resp.StatusCode != 400 || !strings.Contains(string(raw), "invalid_request") || !strings.Contains(string(raw), "web page") {
			t.Errorf("status %d: %s; want 400 that says a screenshot needs a web page", resp.StatusCode, raw)
		}
	})
}
