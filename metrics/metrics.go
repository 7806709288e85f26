// Package metrics exposes what Sous is doing in the Prometheus text format:
// renders by format, engine and outcome, the cache, the browser pool and the
// admission queue. It is a render.Observer for the renders and reads the
// rest, through functions, at scrape time.
//
//	m := metrics.New(metrics.Options{Pool: poolStats, Load: svc.Load, Cache: cacheStats})
//	svc, err := render.NewService(render.Options{…, Observer: m})
//	http.Handle("/metrics", m.Handler())
//
// The metrics (all prefixed sous_):
//
//	render_requests_total{format,engine,outcome}   calls to Render
//	render_duration_seconds{format,engine,outcome} their duration, histogram
//	render_running, render_queued                  requests rendering / waiting for a slot
//	cache_hits_total, cache_misses_total,          the cache state of each render
//	cache_shared_total, cache_bypasses_total
//	cache_evictions_total, cache_bytes,            the cache's own accounts
//	cache_max_bytes
//	pool_browsers, pool_tabs, pool_idle_tabs,      the browser pool
//	pool_restarts_total
//	isolate_runs_total{kind,outcome}               scripts and code-mode programs
//	isolate_duration_seconds{kind,outcome}         their duration, histogram
//	isolate_workers, isolate_busy_workers,         the script worker processes
//	isolate_worker_restarts_total
//
// format is the request's set of formats, sorted and joined with "+"
// ("links+markdown"), so that a request counts once; engine is what made the
// page ("browser", "http", or "none" when nothing did); outcome is "ok" or the
// error's stable code (render.Code).
package metrics

import (
	"net/http"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sous-dev/sous/render"
)

// CacheStats is what the metrics read from the cache.
type CacheStats struct {
	Bytes, MaxBytes int64
	Evictions       int64
}

// PoolStats is what the metrics read from the browser pool.
type PoolStats struct {
	Browsers, Tabs, IdleTabs int
	Restarts                 int64
}

// Options say where the metrics read their gauges. Each is optional; its
// metrics are left out when it is nil.
type Options struct {
	Cache func() CacheStats
	Pool  func() PoolStats
	// Load reports how many requests are rendering and how many wait:
	// render.Service.Load.
	Load func() (running, waiting int)
	// Isolate reports the script workers (isolate.Pool.Stats).
	Isolate func() IsolateStats
	// Payments reports the pay-per-crawl account (identity.Budget.Stats).
	Payments func() PaymentStats
}

// PaymentStats is what the metrics read of the pay-per-crawl account.
type PaymentStats struct {
	Charges     int64   // pages paid for
	Spent, Left float64 // USD
}

// Metrics is a Prometheus registry of Sous's metrics.
type Metrics struct {
	registry    *prometheus.Registry
	renders     *prometheus.CounterVec
	durations   *prometheus.HistogramVec
	cacheStates map[string]prometheus.Counter
	scripts     *scriptMetrics
}

var _ render.Observer = (*Metrics)(nil)

// New returns the metrics, with Go runtime and process metrics beside them.
func New(opts Options) *Metrics {
	labels := []string{"format", "engine", "outcome"}
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		renders: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sous_render_requests_total",
			Help: "Render requests, by formats asked for, engine and outcome (ok or an error code).",
		}, labels),
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sous_render_duration_seconds",
			Help:    "Time from a render request's arrival to its result or error.",
			Buckets: []float64{.001, .005, .025, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, labels),
		cacheStates: map[string]prometheus.Counter{},
	}
	m.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), m.renders, m.durations)
	m.scripts = newScriptMetrics(m.registry, opts.Isolate)
	for state, name := range map[string]string{
		render.CacheHit:    "hits",
		render.CacheMiss:   "misses",
		render.CacheShared: "shared",
		render.CacheBypass: "bypasses",
	} {
		c := prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sous_cache_" + name + "_total",
			Help: "Render requests whose cache state was " + state + ".",
		})
		m.registry.MustRegister(c)
		m.cacheStates[state] = c
	}
	if f := opts.Cache; f != nil {
		m.registry.MustRegister(
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "sous_cache_evictions_total", Help: "Cache entries removed for room or because they expired."},
				func() float64 { return float64(f().Evictions) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sous_cache_bytes", Help: "Bytes of results the cache holds."},
				func() float64 { return float64(f().Bytes) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sous_cache_max_bytes", Help: "The cache's budget in bytes (--cache-size)."},
				func() float64 { return float64(f().MaxBytes) }),
		)
	}
	if f := opts.Pool; f != nil {
		m.registry.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sous_pool_browsers", Help: "Chromium processes running."},
				func() float64 { return float64(f().Browsers) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sous_pool_tabs", Help: "Tab slots of the pool, spares included."},
				func() float64 { return float64(f().Tabs) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sous_pool_idle_tabs", Help: "Clean tabs waiting for a render."},
				func() float64 { return float64(f().IdleTabs) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "sous_pool_restarts_total", Help: "Browsers replaced after a crash or recycled."},
				func() float64 { return float64(f().Restarts) }),
		)
	}
	if f := opts.Payments; f != nil {
		m.registry.MustRegister(
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "sous_payments_charged_total", Help: "Pay-per-crawl pages the service paid for (crawler-charged)."},
				func() float64 { return float64(f().Charges) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "sous_payments_spent_usd_total", Help: "USD paid to pay-per-crawl sites."},
				func() float64 { return f().Spent }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sous_payments_budget_left_usd", Help: "USD left of --payment-budget."},
				func() float64 { return f().Left }),
		)
	}
	if f := opts.Load; f != nil {
		m.registry.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sous_render_running", Help: "Requests rendering now, one tab each."},
				func() float64 { running, _ := f(); return float64(running) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sous_render_queued", Help: "Requests waiting for a render slot."},
				func() float64 { _, waiting := f(); return float64(waiting) }),
		)
	}
	return m
}

// ObserveRender counts one finished render.
func (m *Metrics) ObserveRender(o render.Observation) {
	engine, outcome := "none", "ok"
	if o.Result != nil && o.Result.Meta.Engine != "" {
		engine = o.Result.Meta.Engine
	}
	if o.Err != nil {
		outcome = string(render.CodeOf(o.Err))
	}
	var formats []render.Format
	if o.Request != nil {
		formats = o.Request.Formats
	}
	labels := prometheus.Labels{"format": formatLabel(formats), "engine": engine, "outcome": outcome}
	m.renders.With(labels).Inc()
	m.durations.With(labels).Observe(o.Duration.Seconds())
	if c, ok := m.cacheStates[o.Cache]; ok {
		c.Inc()
	}
}

// formatLabel is formats as a bounded label: known formats sorted and
// joined with "+", anything else (from invalid requests) as "other".
func formatLabel(formats []render.Format) string {
	names := make([]string, 0, len(formats))
	for _, f := range formats {
		name := "other"
		if slices.Contains(render.Formats, f) {
			name = string(f)
		}
		names = append(names, name)
	}
	if len(names) == 0 {
		return "none"
	}
	slices.Sort(names)
	return strings.Join(slices.Compact(names), "+")
}

// Handler serves the metrics in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}
