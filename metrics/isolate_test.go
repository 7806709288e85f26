package metrics_test

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sous-dev/sous/metrics"
	"github.com/sous-dev/sous/render"
)

func TestObserveScript(t *testing.T) {
	m := metrics.New(metrics.Options{Isolate: func() metrics.IsolateStats { return metrics.IsolateStats{Workers: 2, Busy: 1, Restarts: 3} }})
	m.ObserveScript(render.ScriptObservation{Kind: "script", Duration: time.Millisecond})
	m.ObserveScript(render.ScriptObservation{Kind: "code", Err: &render.ScriptError{Kind: render.ErrScriptTimeout, Message: "slow"}, Duration: 2 * time.Second})

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`sous_isolate_runs_total{kind="script",outcome="ok"} 1`,
		`sous_isolate_runs_total{kind="code",outcome="script_timeout"} 1`,
		`sous_isolate_duration_seconds_count{kind="code",outcome="script_timeout"} 1`,
		`sous_isolate_workers 2`,
		`sous_isolate_busy_workers 1`,
		`sous_isolate_worker_restarts_total 3`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("no %s in:\n%s", want, body)
		}
	}
}
