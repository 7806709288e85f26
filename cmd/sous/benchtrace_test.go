package main

import (
	"strings"
	"testing"
	"time"
)

func TestSumTrace(t *testing.T) {
	// Metadata may come after the events it names; thread pools number
	// their threads; only top-level tasks count.
	trace := `{"metadata": {"x": [1, 2]}, "traceEvents": [
{"name": "ThreadControllerImpl::RunTask", "ph": "X", "pid": 1, "tid": 10, "tdur": 1500, "args": {"src_file": "content/browser/a.cc", "src_func": "Commit"}},
{"name": "ThreadControllerImpl::RunTask", "ph": "X", "pid": 1, "tid": 10, "tdur": 500, "args": {"src_file": "content/browser/a.cc", "src_func": "Commit"}},
{"name": "ThreadPool_RunTask", "ph": "X", "pid": 1, "tid": 12, "tdur": 250, "args": {"src_file": "net/b.cc", "src_func": "Doom"}},
{"name": "Receive mojo message", "ph": "X", "pid": 1, "tid": 10, "tdur": 9000, "args": {}},
{"name": "ThreadControllerImpl::RunTask", "ph": "X", "pid": 2, "tid": 20, "tdur": 3000, "args": {"src_file": "blink/c.cc", "src_func": "Parse"}},
{"name": "process_name", "ph": "M", "pid": 1, "tid": 0, "args": {"name": "Browser"}},
{"name": "process_name", "ph": "M", "pid": 2, "tid": 0, "args": {"name": "Renderer"}},
{"name": "thread_name", "ph": "M", "pid": 1, "tid": 10, "args": {"name": "CrBrowserMain"}},
{"name": "thread_name", "ph": "M", "pid": 1, "tid": 12, "args": {"name": "ThreadPoolForegroundWorker3"}}
]}`
	sum, err := sumTrace(strings.NewReader(trace))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sum.byProcess["Browser"], 2250*time.Microsecond; got != want {
		t.Errorf("Browser: %v, want %v", got, want)
	}
	if got, want := sum.byProcess["Renderer"], 3*time.Millisecond; got != want {
		t.Errorf("Renderer: %v, want %v", got, want)
	}
	want := map[traceTask]time.Duration{
		{"Browser", "CrBrowserMain", "a.cc:Commit"}:            2 * time.Millisecond,
		{"Browser", "ThreadPoolForegroundWorker", "b.cc:Doom"}: 250 * time.Microsecond,
		{"Renderer", "?", "c.cc:Parse"}:                        3 * time.Millisecond,
	}
	if len(sum.byTask) != len(want) {
		t.Errorf("tasks %v, want %v", sum.byTask, want)
	}
	for task, d := range want {
		if sum.byTask[task] != d {
			t.Errorf("%v: %v, want %v", task, sum.byTask[task], d)
		}
	}
	for _, bad := range []string{`[]`, `{"other": []}`, `{"traceEvents": {}}`} {
		if _, err := sumTrace(strings.NewReader(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
