package client_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sous-dev/sous/api"
	"github.com/sous-dev/sous/browserpool"
	"github.com/sous-dev/sous/client"
	"github.com/sous-dev/sous/extract"
	"github.com/sous-dev/sous/isolate"
	"github.com/sous-dev/sous/render"
)

// serverURL is a real Sous: API, service and Chromium pool, on a loopback port.
var serverURL string

func TestMain(m *testing.M) {
	isolate.ServeIfWorker() // this binary is also the script workers
	pool, err := browserpool.New(context.Background(), browserpool.Options{Tabs: 1, AllowPrivate: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	isolates, err := isolate.New(context.Background(), isolate.Options{Command: isolate.SelfCommand(), Workers: 1})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	svc, err := render.NewService(render.Options{Fetcher: pool, Extractor: extract.New(), Concurrency: 1, Processor: isolates})
	if err != nil {
		panic(err)
	}
	srv := api.New(svc, api.Options{Tokens: []string{"example-token-0123456789"}, Programs: isolates.Programs(svc)})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go srv.Serve(ln)
	serverURL = "http://" + ln.Addr().String()
	code := m.Run()
	srv.Shutdown(context.Background())
	isolates.Close()
	pool.Close()
	os.Exit(code)
}

func Example() {
	c, err := client.New(client.Options{BaseURL: serverURL, Token: "example-token-0123456789"})
	if err != nil {
		panic(err)
	}
	res, err := c.Render(context.Background(), &render.Request{
		HTML:    `<h1>Menu</h1><ul><li>Soup</li><li>Bread</li></ul><script>document.body.append("Made by script")</script>`,
		Formats: []render.Format{render.FormatMarkdown},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Markdown)
	fmt.Println("engine:", res.Meta.Engine)
	// Output:
	// # Menu
	//
	// - Soup
	// - Bread
	//
	// Made by script
	// engine: browser
}

func ExampleClient_Run() {
	c, _ := client.New(client.Options{BaseURL: serverURL, Token: "example-token-0123456789"})
	res, err := c.Run(context.Background(), &render.Program{Code: `
		const pages = await Promise.all(["Soup", "Bread"].map(dish =>
			sous.render({html: "<h1>" + dish + "</h1>", formats: ["markdown"]})));
		console.log(pages.length, "pages");
		return pages.map(p => p.markdown)`})
	if err != nil {
		panic(err)
	}
	fmt.Println(string(res.Result), res.Logs, res.Renders)
	// Output:
	// ["# Soup","# Bread"] [2 pages] 2
}

// A program that fails after it started still brings back its logs, and
// its error matches render's sentinel.
func TestRunFailure(t *testing.T) {
	c, _ := client.New(client.Options{BaseURL: serverURL, Token: "example-token-0123456789"})
	res, err := c.Run(context.Background(), &render.Program{Code: "console.log('before');\nthrow new Error('boom')"})
	var e *client.Error
	if !errors.As(err, &e) || !errors.Is(err, render.ErrScript) || e.Status != 422 || !strings.Contains(e.Message, "boom") {
		t.Fatalf("err = %v; want a 422 script_error saying boom", err)
	}
	var se *render.ScriptError
	if !errors.As(err, &se) || se.Kind != render.ErrScript || se.Line != 2 || se.Column == 0 || !strings.Contains(se.Message, "boom") {
		t.Errorf("err = %#v; want the *render.ScriptError the service had, at line 2 with a column", se)
	}
	if res == nil || len(res.Logs) != 1 || res.Logs[0] != "before" {
		t.Errorf("result beside the error = %+v; want the log line", res)
	}
	if _, err := c.Run(context.Background(), &render.Program{}); !errors.Is(err, render.ErrInvalidRequest) {
		t.Errorf("an empty program: %v; want invalid_request", err)
	}
}

func ExampleError() {
	c, _ := client.New(client.Options{BaseURL: serverURL, Token: "example-token-0123456789"})
	_, err := c.Render(context.Background(), &render.Request{URL: "ftp://example.com/file"})
	var e *client.Error
	if errors.As(err, &e) {
		fmt.Println(e.Status, e.Code, errors.Is(err, render.ErrInvalidRequest))
	}
	// Output:
	// 400 invalid_request true
}

func TestErrorsAndToken(t *testing.T) {
	c, err := client.New(client.Options{BaseURL: serverURL})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Render(context.Background(), &render.Request{HTML: "<p>x</p>"})
	var e *client.Error
	if !errors.As(err, &e) || e.Status != 401 || e.Code != "unauthorized" {
		t.Errorf("without a token: %v", err)
	}
	for _, bad := range []string{"", "ftp://x", "not a url"} {
		if _, err := client.New(client.Options{BaseURL: bad}); err == nil {
			t.Errorf("New(%q) succeeded", bad)
		}
	}
}

// A 429 is retried after the Retry-After the service sent.
func TestRetriesOverload(t *testing.T) {
	var calls, retryAfter atomic.Int32
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 {
			w.Header().Set("Retry-After", fmt.Sprint(retryAfter.Load()))
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"success": false, "errors": [{"code": "overloaded", "message": "busy"}]}`)
			return
		}
		fmt.Fprint(w, `{"success": true, "result": {"markdown": "ok"}, "meta": {"cache": "miss"}, "errors": []}`)
	})}
	go srv.Serve(ln)
	defer srv.Close()

	c, _ := client.New(client.Options{BaseURL: "http://" + ln.Addr().String()})
	res, err := c.Render(context.Background(), &render.Request{HTML: "<p>x</p>"})
	if err != nil || res.Markdown != "ok" || res.Meta.Cache != "miss" || calls.Load() != 3 {
		t.Fatalf("res %+v, err %v, calls %d", res, err, calls.Load())
	}

	calls.Store(-100) // always overloaded from now on
	c, _ = client.New(client.Options{BaseURL: "http://" + ln.Addr().String(), MaxRetries: 2})
	_, err = c.Render(context.Background(), &render.Request{HTML: "<p>x</p>"})
	if !errors.Is(err, render.ErrOverloaded) {
		t.Errorf("err = %v, want ErrOverloaded after the retries", err)
	}
	// The service now asks for a minute: the context ends in that wait,
	// however slow the machine is to answer the first try.
	retryAfter.Store(60)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c, _ = client.New(client.Options{BaseURL: "http://" + ln.Addr().String(), MaxRetries: 100})
	if _, err := c.Render(ctx, &render.Request{HTML: "<p>x</p>"}); err == nil || !strings.Contains(err.Error(), "giving up") {
		t.Errorf("err = %v, want a give-up at the context's end", err)
	}
}
