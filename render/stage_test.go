package render_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/sous-dev/sous/render"
)

// A request that runs out of time says which stage ran out and how long it
// had; one that asks for more time than the service gives is refused,
// naming the maximum, instead of being cut short unasked.
func TestTimeoutsSayWhere(t *testing.T) {
	held := &fetcher{release: make(chan struct{})}
	defer close(held.release)
	svc, _, _ := newService(t, held)
	_, err := svc.Render(context.Background(), &render.Request{URL: "https://example.com/slow", GotoOptions: &render.GotoOptions{Timeout: 50}})
	if !errors.Is(err, render.ErrTimeout) || !strings.Contains(err.Error(), "after 50ms loading the page") || strings.Contains(err.Error(), "in flight") {
		t.Errorf("a page that never loads: %v", err)
	}

	_, err = svc.Render(context.Background(), &render.Request{URL: "https://example.com/", GotoOptions: &render.GotoOptions{Timeout: 120000}})
	if !errors.Is(err, render.ErrInvalidRequest) || !strings.Contains(err.Error(), "maximum is 60000 ms") {
		t.Errorf("gotoOptions.timeout over the maximum: %v", err)
	}
	_, err = svc.Render(context.Background(), &render.Request{URL: "https://example.com/", WaitForTimeout: 61000})
	if !errors.Is(err, render.ErrInvalidRequest) {
		t.Errorf("waitForTimeout over the maximum: %v", err)
	}
}

// linkExtractor fills links only when the request asks for them.
type linkExtractor struct{}

func (linkExtractor) Extract(page *render.Page, req *render.Request) (*render.Result, error) {
	res := &render.Result{Markdown: "# page"}
	if req.Wants(render.FormatLinks) {
		res.Links = []render.Link{{URL: "https://example.com/a"}, {URL: "https://example.com/b"}}
	}
	return res, nil
}

// countLinks is a processor that returns how many links page has.
type countLinks struct{}

func (countLinks) Process(_ context.Context, _ string, res *render.Result) (json.RawMessage, error) {
	return json.Marshal(len(res.Links))
}

// A script sees the fields it reads, whatever formats asked for: the
// README's `return page.links.length` with the default markdown. The reply
// carries only what the caller asked for.
func TestScriptSeesWhatItReads(t *testing.T) {
	svc, err := render.NewService(render.Options{Fetcher: &fetcher{}, Extractor: linkExtractor{}, Processor: countLinks{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, script := range []string{"return page.links.length", `return page["links"].length`, "const {links} = page; return links.length"} {
		res, err := svc.Render(context.Background(), &render.Request{URL: "https://example.com/", Script: script})
		if err != nil {
			t.Fatal(err)
		}
		if string(res.Script) != "2" || res.Links != nil || res.Markdown == "" {
			t.Errorf("%s: script %s, links %v, markdown %q", script, res.Script, res.Links, res.Markdown)
		}
	}
}
