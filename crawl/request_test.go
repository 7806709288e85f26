package crawl

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sous-dev/sous/render"
)

// A body is flat, as Cloudflare's: the crawl's fields and render's side by
// side; anything else is named in Unknown; encoding gives the same body.
// ignoreNorm leaves out what render.Request.Normalize memoises.
var ignoreNorm = cmpopts.IgnoreUnexported(render.Request{})

func TestRequestJSON(t *testing.T) {
	body := `{"url": "https://example.com/", "limit": 5, "render": false, "formats": ["markdown"],
		"options": {"includeSubdomains": true}, "gotoOptions": {"timeout": 3000}, "onlyMainContent": true,
		"setExtraHTTPHeaders": {"X-Test": "1"}, "crawlPurposes": ["search"], "modifiedSince": 1704067200}`
	var r Request
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	no := false
	want := Request{
		URL: "https://example.com/", Limit: 5, Render: &no, Formats: []Format{FormatMarkdown},
		Options: Scope{IncludeSubdomains: true}, CrawlPurposes: []string{"search"},
		Page: render.Request{GotoOptions: &render.GotoOptions{Timeout: 3000}, OnlyMainContent: true,
			ExtraHTTPHeaders: map[string]string{"X-Test": "1"}},
		Unknown: []string{"modifiedSince"},
	}
	if diff := cmp.Diff(want, r, ignoreNorm); diff != "" {
		t.Errorf("decoded (-want +got):\n%s", diff)
	}
	if err := r.Strict(); err == nil {
		t.Error("Strict accepted unknown fields")
	}
	out, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var again Request
	if err := json.Unmarshal(out, &again); err != nil {
		t.Fatal(err)
	}
	want.Unknown = nil
	if diff := cmp.Diff(want, again, ignoreNorm); diff != "" {
		t.Errorf("round trip of %s (-want +got):\n%s", out, diff)
	}
	for _, bad := range []string{`{"url": 7}`, `{"url": "https://example.com/", "gotoOptions": "soon"}`, `[1]`} {
		if err := json.Unmarshal([]byte(bad), &r); err == nil {
			t.Errorf("%s decoded", bad)
		}
	}
}

// The page request carries what the crawl needs and the caller's options.
func TestPageRequest(t *testing.T) {
	r := Request{URL: "https://example.com/", Formats: []Format{FormatHTML, FormatJSON}, JSONOptions: &JSONOptions{Prompt: "x"}}
	r.Page.OnlyMainContent = true
	if err := r.Validate(10, true); err != nil {
		t.Fatal(err)
	}
	p := r.pageRequest("https://example.com/a")
	if diff := cmp.Diff([]render.Format{render.FormatLinks, render.FormatMetadata, render.FormatMarkdown, render.FormatRawHTML}, p.Formats); diff != "" {
		t.Errorf("formats (-want +got):\n%s", diff)
	}
	if p.URL != "https://example.com/a" || p.Engine != render.EngineBrowser || *p.CacheTTL != 86400 || !p.OnlyMainContent {
		t.Errorf("page request %+v", p)
	}
	// A crawl's pages settle as a render does by default.
	if got := p.Settle(); got != render.DefaultSettle*time.Millisecond {
		t.Errorf("a crawl page settles for %v, want the default %v ms", got, render.DefaultSettle)
	}
	no := false
	r.Render = &no
	if p := r.pageRequest("https://example.com/a"); p.Engine != render.EngineHTTP {
		t.Errorf("render false: engine %q", p.Engine)
	}
}
