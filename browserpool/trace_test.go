package browserpool_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/sous-dev/sous/render"
)

// A trace of a render holds the browser's and the renderer's top-level
// tasks, with their thread time and the code that posted them.
func TestTrace(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stop, err := shared.Trace(ctx, "toplevel")
	if err != nil {
		t.Fatal(err)
	}
	fetch(t, shared, &render.Request{URL: site.URL + "/article.html"})
	var buf bytes.Buffer
	if err := stop(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	var trace struct {
		TraceEvents []struct {
			Name  string  `json:"name"`
			Phase string  `json:"ph"`
			PID   int     `json:"pid"`
			TDur  float64 `json:"tdur"`
			Args  struct {
				Name    string `json:"name"`
				SrcFunc string `json:"src_func"`
			} `json:"args"`
		} `json:"traceEvents"`
	}
	if err := json.Unmarshal(buf.Bytes(), &trace); err != nil {
		t.Fatalf("the trace is not JSON: %v", err)
	}
	processes := map[int]string{}
	for _, ev := range trace.TraceEvents {
		if ev.Phase == "M" && ev.Name == "process_name" {
			processes[ev.PID] = ev.Args.Name
		}
	}
	tasks := map[string]int{}
	for _, ev := range trace.TraceEvents {
		if ev.Name == "ThreadControllerImpl::RunTask" && ev.TDur > 0 && ev.Args.SrcFunc != "" {
			tasks[processes[ev.PID]]++
		}
	}
	if tasks["Browser"] == 0 || tasks["Renderer"] == 0 {
		t.Errorf("timed tasks by process: %v (%d events, %d bytes); want some in the Browser and a Renderer", tasks, len(trace.TraceEvents), buf.Len())
	}
}
