package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// traceCategories are what bench --trace records: every task each thread of
// the browser ran, with its thread time and the code that posted it.
var traceCategories = []string{"toplevel"}

// tracedLevel is a level of bench whose renders were traced.
type tracedLevel struct {
	label   string
	file    string
	renders int
}

// traceSum is a trace's thread time summed by process kind and by task.
type traceSum struct {
	byProcess map[string]time.Duration // "Browser", "Renderer", "GPU Process" …
	byTask    map[traceTask]time.Duration
}

// traceTask is where a task ran and what posted it.
type traceTask struct {
	process, thread, source string // source: "file.cc:Function"
}

// traceEvent is the part of a Trace Event Format event that traceSum reads.
type traceEvent struct {
	Name  string  `json:"name"`
	Phase string  `json:"ph"`
	PID   int     `json:"pid"`
	TID   int     `json:"tid"`
	TDur  float64 `json:"tdur"` // thread time, µs
	Args  struct {
		Name    string `json:"name"`     // of process_name and thread_name
		SrcFile string `json:"src_file"` // of a task: where it was posted
		SrcFunc string `json:"src_func"`
	} `json:"args"`
}

// sumTrace reads a trace in the Trace Event Format ({"traceEvents": [...]})
// a event at a time, and sums the thread time of its top-level tasks.
func sumTrace(r io.Reader) (traceSum, error) {
	dec := json.NewDecoder(r)
	if err := seekArray(dec, "traceEvents"); err != nil {
		return traceSum{}, err
	}
	type key struct {
		pid, tid int
		source   string
	}
	spent := map[key]time.Duration{}
	processes, threads := map[int]string{}, map[[2]int]string{}
	for dec.More() {
		var ev traceEvent
		if err := dec.Decode(&ev); err != nil {
			return traceSum{}, fmt.Errorf("trace event: %w", err)
		}
		switch {
		case ev.Phase == "M" && ev.Name == "process_name":
			processes[ev.PID] = ev.Args.Name
		case ev.Phase == "M" && ev.Name == "thread_name":
			threads[[2]int{ev.PID, ev.TID}] = ev.Args.Name
		case ev.Phase == "X" && (ev.Name == "ThreadControllerImpl::RunTask" || ev.Name == "ThreadPool_RunTask"):
			source := filepath.Base(ev.Args.SrcFile) + ":" + ev.Args.SrcFunc
			spent[key{ev.PID, ev.TID, source}] += time.Duration(ev.TDur * float64(time.Microsecond))
		}
	}
	sum := traceSum{byProcess: map[string]time.Duration{}, byTask: map[traceTask]time.Duration{}}
	for k, d := range spent {
		process := cmp.Or(processes[k.pid], "?")
		// Thread pools name their threads with a number; the kind is enough.
		thread := strings.TrimRight(cmp.Or(threads[[2]int{k.pid, k.tid}], "?"), "0123456789")
		sum.byProcess[process] += d
		sum.byTask[traceTask{process, thread, k.source}] += d
	}
	return sum, nil
}

// seekArray advances dec into the array under key of the top-level object.
func seekArray(dec *json.Decoder, key string) error {
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("a trace is a JSON object with %q (%v)", key, err)
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		if t == key {
			if t, err := dec.Token(); err != nil || t != json.Delim('[') {
				return fmt.Errorf("%q is not an array (%v)", key, err)
			}
			return nil
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return err
		}
	}
	return fmt.Errorf("the trace has no %q", key)
}

// writeTraceSummary writes where the thread time of the trace in file went,
// per render: by kind of process, then the top tasks.
func writeTraceSummary(w io.Writer, label, file string, renders int) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	sum, err := sumTrace(f)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	perRender := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(renders) }
	var processes []string
	for p, d := range sum.byProcess {
		processes = append(processes, fmt.Sprintf("%s %.1f", p, perRender(d)))
	}
	slices.Sort(processes)
	fmt.Fprintf(w, "%s (%s): thread ms/render by process: %s\n", label, file, strings.Join(processes, ", "))
	tasks := slices.Collect(maps.Keys(sum.byTask))
	slices.SortFunc(tasks, func(a, b traceTask) int { return cmp.Compare(sum.byTask[b], sum.byTask[a]) })
	for _, t := range tasks[:min(len(tasks), 12)] {
		fmt.Fprintf(w, "  %6.2f  %s / %s / %s\n", perRender(sum.byTask[t]), t.process, t.thread, t.source)
	}
	return nil
}

// saveTrace ends a trace with stop and writes it to file.
func saveTrace(ctx context.Context, stop func(context.Context, io.Writer) error, file string) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if err := stop(ctx, f); err != nil {
		f.Close()
		return fmt.Errorf("trace %s: %w", file, err)
	}
	return f.Close()
}
