package render_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/sous-dev/sous/cache"
	"github.com/sous-dev/sous/render"
)

// processor is a fake render.Processor that returns the text it was given,
// or fails for the script "fail".
type processor struct{ calls int }

func (p *processor) Process(ctx context.Context, script string, res *render.Result) (json.RawMessage, error) {
	p.calls++
	if script == "fail" {
		return nil, &render.ScriptError{Kind: render.ErrScript, Message: "TypeError: boom", Line: 2, Column: 3}
	}
	return json.Marshal(script + ": " + res.Text)
}

func TestScriptAfterCache(t *testing.T) {
	c, err := cache.New(cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	f, p := &fetcher{}, &processor{}
	svc, err := render.NewService(render.Options{Fetcher: f, Extractor: extractor{}, Cache: c, Processor: p})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i, script := range []string{"one", "two", "two"} {
		res, err := svc.Render(ctx, &render.Request{URL: "https://example.com/", Script: script})
		if err != nil {
			t.Fatal(err)
		}
		var got string
		if err := json.Unmarshal(res.Script, &got); err != nil || got != script+": <p>render 1</p>" {
			t.Errorf("run %d: script %s, want %q", i, res.Script, script+": <p>render 1</p>")
		}
		c.Wait()
	}
	if n := f.calls.Load(); n != 1 {
		t.Errorf("%d fetches, want 1: a new script must not render the page again", n)
	}
	if p.calls != 3 {
		t.Errorf("%d scripts run, want 3", p.calls)
	}
	// What the cache holds is the page's result, without any script's.
	res, err := svc.Render(ctx, &render.Request{URL: "https://example.com/"})
	if err != nil || res.Script != nil {
		t.Errorf("without a script: %v, script %s", err, res.Script)
	}

	_, err = svc.Render(ctx, &render.Request{URL: "https://example.com/", Script: "fail"})
	var se *render.ScriptError
	if !errors.As(err, &se) || render.CodeOf(err) != "script_error" || se.Line != 2 {
		t.Errorf("a failing script: %v (%s)", err, render.CodeOf(err))
	}
}

func TestScriptRefused(t *testing.T) {
	svc, err := render.NewService(render.Options{Fetcher: &fetcher{}, Extractor: extractor{}})
	if err != nil {
		t.Fatal(err)
	}
	for name, req := range map[string]*render.Request{
		"no processor": {URL: "https://example.com/", Script: "return 1"},
		"too long":     {URL: "https://example.com/", Script: string(make([]byte, render.MaxScriptLength+1))},
	} {
		if _, err := svc.Render(context.Background(), req); !errors.Is(err, render.ErrInvalidRequest) {
			t.Errorf("%s: %v, want ErrInvalidRequest", name, err)
		}
	}
}

func TestScriptCodes(t *testing.T) {
	for kind, want := range map[error]render.Code{
		render.ErrScript:        "script_error",
		render.ErrScriptTimeout: "script_timeout",
		render.ErrScriptMemory:  "script_memory",
		render.ErrScriptOutput:  "script_output_too_large",
	} {
		if got := render.CodeOf(fmt.Errorf("script: %w", &render.ScriptError{Kind: kind})); got != want {
			t.Errorf("Code(%v) = %s, want %s", kind, got, want)
		}
	}
}
