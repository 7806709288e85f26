package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sous-dev/sous/render"
)

// IsolateStats is what the metrics read from the isolate pool.
type IsolateStats struct {
	// Workers are the worker processes running, Busy those running a
	// script or program.
	Workers, Busy int
	// Restarts counts workers replaced (killed at a deadline, out of
	// memory, crashed or recycled).
	Restarts int64
}

// scriptMetrics are the isolates' metrics:
//
//	isolate_runs_total{kind,outcome}        scripts ("script") and programs ("code") run
//	isolate_duration_seconds{kind,outcome}  their duration, histogram
//	isolate_workers, isolate_busy_workers   the worker processes
//	isolate_worker_restarts_total
type scriptMetrics struct {
	runs      *prometheus.CounterVec
	durations *prometheus.HistogramVec
}

var _ render.ScriptObserver = (*Metrics)(nil)

func newScriptMetrics(reg *prometheus.Registry, stats func() IsolateStats) *scriptMetrics {
	labels := []string{"kind", "outcome"}
	s := &scriptMetrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sous_isolate_runs_total",
			Help: "Scripts (kind script) and code-mode programs (kind code) run in isolates, by outcome (ok or an error code).",
		}, labels),
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sous_isolate_duration_seconds",
			Help:    "Time from a script or program's start to its result or error, waiting for a worker included.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .1, .5, 2, 10, 30},
		}, labels),
	}
	reg.MustRegister(s.runs, s.durations)
	if stats != nil {
		reg.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sous_isolate_workers", Help: "Isolate worker processes running."},
				func() float64 { return float64(stats().Workers) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sous_isolate_busy_workers", Help: "Isolate workers running a script or program."},
				func() float64 { return float64(stats().Busy) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "sous_isolate_worker_restarts_total", Help: "Isolate workers replaced: killed at a deadline, out of memory, crashed or recycled."},
				func() float64 { return float64(stats().Restarts) }),
		)
	}
	return s
}

// ObserveScript counts one finished script or program.
func (m *Metrics) ObserveScript(o render.ScriptObservation) {
	outcome := "ok"
	if o.Err != nil {
		outcome = string(render.CodeOf(o.Err))
	}
	labels := prometheus.Labels{"kind": o.Kind, "outcome": outcome}
	m.scripts.runs.With(labels).Inc()
	m.scripts.durations.With(labels).Observe(o.Duration.Seconds())
}
