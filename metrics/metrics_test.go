package metrics_test

import (
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sous-dev/sous/metrics"
	"github.com/sous-dev/sous/render"
)

func TestObserveRender(t *testing.T) {
	m := metrics.New(metrics.Options{
		Cache: func() metrics.CacheStats { return metrics.CacheStats{Bytes: 1234, MaxBytes: 4096, Evictions: 7} },
		Pool:  func() metrics.PoolStats { return metrics.PoolStats{Browsers: 1, Tabs: 3, IdleTabs: 2, Restarts: 5} },
		Load:  func() (int, int) { return 2, 1 },
	})
	ok := &render.Result{Meta: render.Meta{Engine: "browser"}}
	for _, o := range []render.Observation{
		{Request: &render.Request{Formats: []render.Format{render.FormatMarkdown, render.FormatLinks}}, Result: ok, Cache: render.CacheMiss, Duration: 300 * time.Millisecond},
		{Request: &render.Request{Formats: []render.Format{render.FormatLinks, render.FormatMarkdown}}, Result: ok, Cache: render.CacheHit, Duration: time.Millisecond},
		{Request: &render.Request{Formats: []render.Format{"mp3", "wav"}}, Err: fmt.Errorf("%w: no", render.ErrInvalidRequest)},
		{Request: &render.Request{Formats: []render.Format{render.FormatText}}, Err: errors.Join(render.ErrTimeout), Cache: render.CacheBypass},
	} {
		m.ObserveRender(o)
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	text, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`sous_render_requests_total{engine="browser",format="links+markdown",outcome="ok"} 2`,
		`sous_render_requests_total{engine="none",format="other",outcome="invalid_request"} 1`,
		`sous_render_requests_total{engine="none",format="text",outcome="timeout"} 1`,
		`sous_render_duration_seconds_bucket{engine="browser",format="links+markdown",outcome="ok",le="0.005"} 1`,
		"sous_cache_hits_total 1",
		"sous_cache_misses_total 1",
		"sous_cache_shared_total 0",
		"sous_cache_bypasses_total 1",
		"sous_cache_evictions_total 7",
		"sous_cache_bytes 1234",
		"sous_cache_max_bytes 4096",
		"sous_pool_browsers 1",
		"sous_pool_tabs 3",
		"sous_pool_idle_tabs 2",
		"sous_pool_restarts_total 5",
		"sous_render_running 2",
		"sous_render_queued 1",
		"go_goroutines ",
	} {
		if !strings.Contains(string(text), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if t.Failed() {
		t.Logf("metrics:\n%s", text)
	}
}
