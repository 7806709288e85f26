package isolate_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sous-dev/sous/isolate"
	"github.com/sous-dev/sous/render"
)

// rendererFunc adapts a function to isolate.Renderer, for code-mode tests
// that need to see the calls a program makes rather than real pages (the
// api package's tests render real ones).
type rendererFunc func(context.Context, *render.Request) (*render.Result, error)

func (f rendererFunc) Render(ctx context.Context, req *render.Request) (*render.Result, error) {
	return f(ctx, req)
}

// echo renders a page whose markdown names the URL it was asked for.
func echo(_ context.Context, req *render.Request) (*render.Result, error) {
	if strings.Contains(req.URL, "fail") {
		return nil, fmt.Errorf("navigate %s: %w", req.URL, render.ErrNavigation)
	}
	return &render.Result{
		Markdown: "# " + req.URL,
		Links:    []render.Link{{URL: req.URL + "/next", Text: "next"}},
		Scrape:   []render.Scraped{{Selector: "h1", Results: []render.ScrapedElement{{Text: req.URL}}}},
		Meta:     render.Meta{URL: req.URL, Title: "T", Status: 200},
	}, nil
}

func TestProgram(t *testing.T) {
	programs := pool.Programs(rendererFunc(echo))
	tests := []struct {
		name, code string
		want       string
		logs       []string
		renders    int
		err        string // the error's code, or ""
	}{
		{"render", `const p = await sous.render({url: "https://a.example", formats: ["markdown"]}); return [p.markdown, p.meta.title]`,
			`["# https://a.example","T"]`, []string{}, 1, ""},
		{"links and scrape", `const [l, s] = await Promise.all([sous.links("https://a.example"), sous.scrape("https://b.example", "h1")]); return [l[0].url, s[0].results[0].text]`,
			`["https://a.example/next","https://b.example"]`, []string{}, 2, ""},
		{"logs", `console.log("one", 2, {three: 3}); console.error("four"); return null`,
			`null`, []string{`one 2 {"three":3}`, "four"}, 0, ""},
		{"a failed render rejects with its code", `try { await sous.render({url: "https://fail.example"}) } catch (e) { return e.code + ": " + (e instanceof Error) }`,
			`"navigation_failed: true"`, []string{}, 1, ""},
		{"an unhandled rejection fails the program", `await sous.render({url: "https://fail.example"})`,
			``, []string{}, 1, "script_error"},
		{"a misspelt option", `return await sous.render({url: "https://a.example", fromats: ["links"]})`,
			``, []string{}, 1, "script_error"},
		{"no nested scripts", `return await sous.render({url: "https://a.example", script: "return 1"})`,
			``, []string{}, 1, "script_error"},
		{"no screenshots", `return await sous.render({url: "https://a.example", formats: ["screenshot"]})`,
			``, []string{}, 1, "script_error"},
		{"the render cap", `const r = await Promise.allSettled(Array.from({length: 25}, (_, i) => sous.links("https://a.example/" + i)));
			return [r.filter(x => x.status === "fulfilled").length, [...new Set(r.filter(x => x.status === "rejected").map(x => x.reason.code))]]`,
			`[20,["too_many_renders"]]`, []string{}, 20, ""},
		{"sous is not global", `return typeof globalThis.sous`, `"undefined"`, []string{}, 0, ""},
		{"a thrown error keeps the logs", "console.log('before')\nthrow new Error('after')", ``, []string{"before"}, 0, "script_error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := programs.Run(context.Background(), &render.Program{Code: tt.code})
			if string(render.CodeOf(err)) != tt.err {
				t.Fatalf("error %v (%s), want code %q", err, render.CodeOf(err), tt.err)
			}
			if res == nil {
				t.Fatal("no result")
			}
			if string(res.Result) != tt.want || res.Renders != tt.renders {
				t.Errorf("result %s after %d renders; want %s after %d", res.Result, res.Renders, tt.want, tt.renders)
			}
			if diff := cmp.Diff(tt.logs, res.Logs); diff != "" {
				t.Errorf("logs (-want +got):\n%s", diff)
			}
		})
	}
}

// TestProgramParallel: calls in one Promise.all are in flight at the same
// time. Each render waits until all three have arrived, so a program whose
// calls ran one after another would time out.
func TestProgramParallel(t *testing.T) {
	var mu sync.Mutex
	arrived, all := 0, make(chan struct{})
	programs := pool.Programs(rendererFunc(func(ctx context.Context, req *render.Request) (*render.Result, error) {
		mu.Lock()
		if arrived++; arrived == 3 {
			close(all)
		}
		mu.Unlock()
		select {
		case <-all:
			return echo(ctx, req)
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: the calls did not run in parallel", render.ErrTimeout)
		}
	}))
	res, err := programs.Run(context.Background(), &render.Program{TimeoutMs: 10_000, Code: `
		const pages = await Promise.all(["a", "b", "c"].map(h => sous.render("https://" + h + ".example")));
		return pages.map(p => p.meta.url)`})
	if err != nil {
		t.Fatal(err)
	}
	if want := `["https://a.example","https://b.example","https://c.example"]`; string(res.Result) != want {
		t.Errorf("result %s, want %s", res.Result, want)
	}
}

// TestProgramCancelled: a caller that goes away stops the program and its
// renders, and the pool serves the next one.
func TestProgramCancelled(t *testing.T) {
	started := make(chan struct{})
	renderEnded := make(chan error, 1)
	programs := pool.Programs(rendererFunc(func(ctx context.Context, req *render.Request) (*render.Result, error) {
		close(started)
		<-ctx.Done()
		renderEnded <- ctx.Err()
		return nil, ctx.Err()
	}))
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-started; cancel() }()
	_, err := programs.Run(ctx, &render.Program{Code: `return await sous.render("https://slow.example")`})
	if !errors.Is(err, render.ErrTimeout) {
		t.Errorf("error %v, want ErrTimeout", err)
	}
	if err := <-renderEnded; err == nil {
		t.Error("the render was not cancelled")
	}
	healthy(t)
}

func TestProgramValidation(t *testing.T) {
	programs := pool.Programs(rendererFunc(echo))
	for _, p := range []render.Program{{}, {Code: "return 1", TimeoutMs: -1}, {Code: strings.Repeat(" ", render.MaxScriptLength+1)}} {
		if _, err := programs.Run(context.Background(), &p); !errors.Is(err, render.ErrInvalidRequest) {
			t.Errorf("%.20q: %v, want ErrInvalidRequest", p.Code, err)
		}
	}
	// A timeoutMs above the runner's limit is refused, naming the limit,
	// not cut to it.
	most := isolate.DefaultCodeLimits.Timeout.Milliseconds()
	_, err := programs.Run(context.Background(), &render.Program{Code: "return 1", TimeoutMs: int(most) + 1})
	if !errors.Is(err, render.ErrInvalidRequest) || !strings.Contains(err.Error(), fmt.Sprint(most)) {
		t.Errorf("timeoutMs %d: %v, want ErrInvalidRequest naming %d", most+1, err, most)
	}
	if _, err := programs.Run(context.Background(), &render.Program{Code: "return 1", TimeoutMs: int(most)}); err != nil {
		t.Errorf("timeoutMs %d, the limit itself: %v", most, err)
	}
}

// TestProgramFlood: a program firing calls in a loop gets the cap's worth
// of renders; the rest are rejected in the worker, never reaching the
// service.
func TestProgramFlood(t *testing.T) {
	programs := pool.Programs(rendererFunc(echo))
	res, err := programs.Run(context.Background(), &render.Program{Code: `
		const calls = [];
		for (let i = 0; i < 5000; i++) calls.push(sous.links("https://a.example/" + i));
		const settled = await Promise.allSettled(calls);
		return settled.filter(s => s.status === "fulfilled").length`})
	if err != nil || string(res.Result) != "20" || res.Renders != 20 {
		t.Errorf("%+v, %v; want 20 renders", res, err)
	}
}
