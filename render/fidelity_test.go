package render_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sous-dev/sous/render"
)

// textOf is an Extractor that makes markdown of the page's marked text
// only: what lies between <p> and </p>.
type textOf struct{}

func (textOf) Extract(page *render.Page, req *render.Request) (*render.Result, error) {
	_, after, _ := strings.Cut(page.HTML, "<p>")
	text, _, _ := strings.Cut(after, "</p>")
	return &render.Result{Markdown: text}, nil
}

// A success with no text says why, so that an agent can tell an empty page
// from one it did not get.
func TestEmptyResultsAreExplained(t *testing.T) {
	zero := 0
	tests := []struct {
		name string
		page render.Page
		req  render.Request
		want string // in the one warning; "" for none
	}{
		{"text", render.Page{HTML: "<body><p>Hello</p></body>", Engine: "browser"}, render.Request{}, ""},
		{"empty document", render.Page{HTML: "<html><head><title>x</title></head><body><script>var a = 1;</script></body></html>", Engine: "browser"}, render.Request{}, "its document is empty"},
		{"still loading", render.Page{HTML: "<body></body>", Engine: "browser", Unsettled: true}, render.Request{}, "settle budget (3000 ms) ran out"},
		{"settling off", render.Page{HTML: "<body></body>", Engine: "browser"}, render.Request{SettleTimeout: &zero}, "settling was off"},
		{"filtered away", render.Page{HTML: "<body><div>words</div></body>", Engine: "browser"}, render.Request{OnlyMainContent: true}, "none is left after onlyMainContent"},
		{"not text", render.Page{HTML: "<body><div>words</div></body>", Engine: "browser"}, render.Request{}, "no text a person would see"},
		{"screenshot only", render.Page{HTML: "<body></body>", Engine: "browser"}, render.Request{Formats: []render.Format{render.FormatScreenshot}}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			page := tc.page
			f := &pageFetcher{page: func(req *render.Request) *render.Page { p := page; p.URL = req.URL; return &p }}
			svc, err := render.NewService(render.Options{Fetcher: f, Extractor: textOf{}})
			if err != nil {
				t.Fatal(err)
			}
			req := tc.req
			req.URL, req.Engine, req.CacheTTL = "https://example.com/", render.EngineBrowser, &zero
			res, err := svc.Render(context.Background(), &req)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.want == "" && len(res.Meta.Warnings) > 0:
				t.Errorf("warnings %q, want none", res.Meta.Warnings)
			case tc.want != "" && (len(res.Meta.Warnings) != 1 || !strings.Contains(res.Meta.Warnings[0], tc.want)):
				t.Errorf("warnings %q, want one saying %q", res.Meta.Warnings, tc.want)
			}
		})
	}
}
