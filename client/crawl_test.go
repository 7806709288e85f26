package client_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sous-dev/sous/api"
	"github.com/sous-dev/sous/client"
	"github.com/sous-dev/sous/crawl"
	"github.com/sous-dev/sous/extract"
	"github.com/sous-dev/sous/fixtures"
	"github.com/sous-dev/sous/httpfetch"
	"github.com/sous-dev/sous/render"
)

// The client creates a crawl, waits for it with progress, reads every
// record, and cancels another, against a real service with the http
// engine (render: false needs no browser).
func TestCrawl(t *testing.T) {
	site := fixtures.Start()
	defer site.Close()
	fetcher := httpfetch.New(httpfetch.Options{})
	svc, err := render.NewService(render.Options{Fetcher: fetcher, HTTPFetcher: fetcher, Extractor: extract.New()})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	crawls, err := crawl.New(svc, crawl.Options{HTTPClient: &http.Client{}, HostDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer crawls.Close()
	srv := api.New(svc, api.Options{Crawler: crawls})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Shutdown(context.Background())
	c, err := client.New(client.Options{BaseURL: "http://" + ln.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	noBrowser := false
	req := &crawl.Request{URL: site.URL + "/site/", Limit: 50, Render: &noBrowser, Formats: []crawl.Format{crawl.FormatMarkdown}}
	req.Page.OnlyMainContent = true // a render option travels at the body's top level
	id, err := c.CreateCrawl(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	updates := 0
	res, err := c.WaitCrawl(ctx, id, 20*time.Millisecond, func(r *crawl.Result) { updates++ })
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != crawl.JobCompleted || updates == 0 || len(res.Records) != res.Total+res.Skipped || res.Cursor != nil {
		t.Errorf("status %s, %d updates, %d records, total %d, skipped %d", res.Status, updates, len(res.Records), res.Total, res.Skipped)
	}
	page, err := c.Crawl(ctx, id, crawl.Page{Cursor: 2, Limit: 2, Status: crawl.RecordCompleted})
	if err != nil || len(page.Records) != 2 || page.Cursor == nil || *page.Cursor != 4 || page.Records[0].Markdown == "" {
		t.Errorf("page: %+v, %v", page, err)
	}

	second, err := c.CreateCrawl(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CancelCrawl(ctx, second); err != nil {
		t.Fatal(err)
	}
	if res, err := c.WaitCrawl(ctx, second, 20*time.Millisecond, nil); err != nil || res.Status != crawl.JobCancelledByUser {
		t.Errorf("after cancel: %v, %v", res, err)
	}

	var apiErr *client.Error
	if _, err := c.Crawl(ctx, "nope", crawl.Page{}); !errors.As(err, &apiErr) || apiErr.Status != 404 || !errors.Is(err, crawl.ErrNotFound) {
		t.Errorf("unknown job: %v; want a 404 that is crawl.ErrNotFound, as crawl.Manager.Job returns", err)
	}
	if err := c.CancelCrawl(ctx, "nope"); !errors.Is(err, crawl.ErrNotFound) {
		t.Errorf("cancelling an unknown job: %v; want crawl.ErrNotFound", err)
	}
	if _, err := c.CreateCrawl(ctx, &crawl.Request{}); !errors.Is(err, render.ErrInvalidRequest) {
		t.Errorf("no url: %v", err)
	}
}

// A service without crawl jobs says so once: not_enabled is permanent, so
// it is neither a 503 nor retried.
func TestNotEnabledIsNotRetried(t *testing.T) {
	fetcher := httpfetch.New(httpfetch.Options{})
	svc, err := render.NewService(render.Options{Fetcher: fetcher, Extractor: extract.New()})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	var calls atomic.Int32
	api := api.New(svc, api.Options{}).Handler()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		api.ServeHTTP(w, r)
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	c, _ := client.New(client.Options{BaseURL: "http://" + ln.Addr().String(), MaxRetries: 3})
	_, err = c.CreateCrawl(context.Background(), &crawl.Request{URL: "https://example.com/"})
	var e *client.Error
	if !errors.As(err, &e) || !errors.Is(err, render.ErrNotEnabled) || e.Status != http.StatusNotImplemented {
		t.Errorf("err = %v; want a 501 not_enabled", err)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("%d calls; a permanent error must not be retried", n)
	}
}
