package isolate

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/dop251/goja"

	"github.com/sous-dev/sous/render"
)

// WorkerCommand is the argument that turns the sous binary (or a test
// binary, from its TestMain) into a worker: `sous isolate-worker`.
const WorkerCommand = "isolate-worker"

// ServeWorker is a worker process's main: it runs the scripts the parent
// sends on in, one at a time, each in a fresh runtime, and answers on out.
// It returns when in ends (the parent closed the pipe or died).
//
// The worker's own protections, which the parent's deadline and kill back
// up: a watchdog interrupts the runtime at the wall and CPU deadlines and
// when the heap grows past the memory cap; debug.SetMemoryLimit makes the
// collector work before that; RLIMIT_AS makes a single allocation too large
// to poll for (such as 'x'.repeat(1e9)) kill the worker instead of the
// machine; and goroutine stacks are bounded.
func ServeWorker(in io.Reader, out io.Writer) error {
	debug.SetMaxStack(maxGoStack)
	c := newConn(in, out)
	frames := make(chan *frame)
	var readErr error
	go func() {
		defer close(frames)
		for {
			f, err := c.read()
			if err != nil {
				readErr = err
				return
			}
			frames <- f
		}
	}()
	if err := c.write(&frame{Type: "ready"}); err != nil {
		return err
	}
	for f := range frames {
		if f.Type != "run" || f.Limits == nil {
			continue // a late reply to a call of a run that ended
		}
		if err := c.write(&frame{Type: "started"}); err != nil {
			return err
		}
		end := &runEnd{c: c}
		done := execute(f, c, frames, end.bail)
		// After running out of memory, exit with a clean slate; the parent
		// starts another worker.
		done.Exiting = done.Error != nil && done.Error.Code == codeMemory
		if !end.finish(done) {
			select {} // the watchdog is ending the process
		}
		if done.Exiting {
			return nil
		}
		tidy()
	}
	if errors.Is(readErr, io.EOF) {
		return nil
	}
	return readErr
}

// runEnd makes sure one run gets one done frame: from the run itself, or
// from the watchdog when the run does not stop.
type runEnd struct {
	mu   sync.Mutex
	c    *conn
	sent bool
}

// finish sends f unless a done frame went already, and reports whether
// it sent it.
func (e *runEnd) finish(f *frame) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.sent {
		return false
	}
	e.sent = true
	e.c.write(f)
	return true
}

// bail ends a run that ignored its interrupt (native code: a regexp2
// backtrack, one huge string operation): it reports why and ends the
// worker, which the parent replaces.
func (e *runEnd) bail(why *frameError) {
	if e.finish(&frame{Type: "done", Error: why, Exiting: true}) {
		os.Exit(3)
	}
}

// tidy collects what a run left behind while the worker is idle, so the
// next run's memory is measured from a clean heap, and gives large heaps
// back to the system.
func tidy() {
	switch heap := heapBytes(); {
	case heap > 32<<20:
		debug.FreeOSMemory()
	case heap > 8<<20:
		runtime.GC()
	}
}

// maxGoStack bounds a goroutine's stack in a worker: native recursion
// (JSON of a deeply nested value) ends the worker rather than the machine.
const maxGoStack = 256 << 20

// execute runs one script or program and returns its done frame. Replies to
// the program's calls arrive on frames; bail, when not nil, ends a run that
// does not stop when interrupted.
func execute(f *frame, c *conn, frames <-chan *frame, bail func(*frameError)) *frame {
	lim := *f.Limits
	s := newSandbox()
	done := &frame{Type: "done"}
	prg, syntaxErr := compile(f.Mode, f.Source)
	if syntaxErr != nil {
		done.Error = syntaxErr
		return done
	}
	var input goja.Value = goja.Undefined()
	if f.Mode == modeScript {
		v, err := s.fromJSON(f.Input)
		if err != nil {
			done.Error = &frameError{Code: codeError, Message: "the page did not parse: " + err.Error()}
			return done
		}
		input = v
	}
	f.Input, f.Source = nil, "" // the runtime holds what it needs

	// The run keeps its thread, whose CPU time the watchdog reads.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	w := startWatchdog(s.vm, lim, bail)
	defer w.stop()

	r := &run{s: s, c: c, frames: frames, w: w, pending: map[int]settle{}, maxCalls: lim.MaxCalls}
	result, err := r.call(prg, f.Mode, input)
	if err == nil {
		var out []byte
		err = guard(func() {
			b, e := s.toJSON(result)
			if e != nil {
				panic(e)
			}
			out = b
		})
		if err == nil && len(out) > lim.OutputBytes {
			err = &frameError{Code: codeOutput, Message: fmt.Sprintf("the result is %d bytes of JSON; the limit is %d", len(out), lim.OutputBytes)}
		}
		if err == nil {
			done.Result = out
		}
	}
	// Describe a failure while the watchdog still runs: a thrown object's
	// getters are the caller's code too.
	var fe *frameError
	if err != nil && w.reason() == nil && !errors.As(err, &fe) {
		fe = s.exceptionError(err)
		var overflow *goja.StackOverflowError
		if errors.As(err, &overflow) {
			fe.Message = "RangeError: Maximum call stack size exceeded"
		}
	}
	w.stop()
	if reason := w.reason(); reason != nil {
		fe = reason.(*frameError) // whatever the runtime said after being interrupted
	}
	if fe != nil {
		done.Error, done.Result = fe, nil
	}
	done.Logs = s.logs.lines
	return done
}

func (e *frameError) Error() string { return e.Message }

// settle are the resolving functions of a pending sous call's promise.
type settle struct{ resolve, reject func(any) error }

// run is one execution's state in the worker.
type run struct {
	s       *sandbox
	c       *conn
	frames  <-chan *frame
	w       *watchdog
	pending map[int]settle
	calls   int
	// maxCalls is Limits.MaxCalls.
	maxCalls int
}

// call calls the compiled function with input (a script's page) or with
// the sous binding (a program), then serves the program's calls until its
// promise settles.
func (r *run) call(prg *goja.Program, mode string, input goja.Value) (goja.Value, error) {
	vm := r.s.vm
	fnValue, err := vm.RunProgram(prg)
	if err != nil {
		return nil, err
	}
	fn, ok := goja.AssertFunction(fnValue)
	if !ok {
		return nil, &frameError{Code: codeError, Message: "the script is not a function body"}
	}
	arg := input
	if mode == modeCode {
		arg = r.binding()
	}
	v, err := fn(goja.Undefined(), arg)
	if err != nil {
		return nil, err
	}
	// Only a promise is exported: Export copies a whole object into Go.
	obj, isObject := v.(*goja.Object)
	if !isObject || obj.ExportType() != promiseType {
		return v, nil
	}
	p, ok := obj.Export().(*goja.Promise)
	if !ok {
		return v, nil
	}
	for p.State() == goja.PromiseStatePending {
		if len(r.pending) == 0 {
			return nil, &frameError{Code: codeError, Message: "the promise never settles: it awaits something that is not a sous call"}
		}
		r.w.waiting.Store(true)
		select {
		case <-r.w.stopped:
			return nil, r.w.reason()
		case f, ok := <-r.frames:
			r.w.waiting.Store(false)
			if !ok {
				return nil, &frameError{Code: codeError, Message: "the parent went away"}
			}
			if err := r.settle(f); err != nil {
				return nil, err
			}
		}
	}
	if p.State() == goja.PromiseStateRejected {
		return nil, r.rejection(p.Result())
	}
	return p.Result(), nil
}

var promiseType = reflect.TypeFor[*goja.Promise]()

// rejection is the error of a program whose promise was rejected.
func (r *run) rejection(v goja.Value) error {
	fe := &frameError{Code: codeError, Message: "Uncaught exception"}
	if msg, ok := r.s.describe(v); ok {
		fe.Message = msg
	}
	if obj, ok := v.(*goja.Object); ok {
		_ = guard(func() {
			if stack := obj.Get("stack"); stack != nil {
				fe.Line, fe.Column = positionIn(stack.String())
			}
		})
	}
	return fe
}

// positionIn finds the first "script.js:LINE:COL" of a stack trace.
func positionIn(stack string) (line, column int) {
	i := strings.Index(stack, scriptName+":")
	if i < 0 {
		return 0, 0
	}
	rest := stack[i+len(scriptName)+1:]
	end := strings.IndexFunc(rest, func(r rune) bool { return r != ':' && (r < '0' || r > '9') })
	if end >= 0 {
		rest = rest[:end]
	}
	parts := strings.Split(rest, ":")
	if len(parts) < 2 {
		return 0, 0
	}
	line, _ = strconv.Atoi(parts[0])
	column, _ = strconv.Atoi(parts[1])
	if line <= wrapperLines {
		return 0, 0
	}
	return line - wrapperLines, column
}

// binding is the sous object of a program: each method sends a call to the
// parent and returns a promise its reply settles.
func (r *run) binding() goja.Value {
	vm := r.s.vm
	sous := vm.NewObject()
	for _, method := range []string{"render", "scrape", "links", sessionCreate, sessionAct, sessionStorage, sessionClose} {
		sous.Set(method, func(call goja.FunctionCall) goja.Value {
			args, err := r.s.toJSON(vm.NewArray(anySlice(call.Arguments)...))
			if err != nil {
				panic(err)
			}
			r.calls++
			id := r.calls
			p, resolve, reject := vm.NewPromise()
			if r.maxCalls > 0 && id > r.maxCalls {
				reject(r.s.newError(codeTooManyCalls, fmt.Sprintf("a program may make at most %d sous calls", r.maxCalls)))
				return vm.ToValue(p)
			}
			r.pending[id] = settle{resolve, reject}
			if err := r.c.write(&frame{Type: "call", Call: id, Method: method, Args: args}); err != nil {
				panic(vm.NewGoError(err))
			}
			return vm.ToValue(p)
		})
	}
	addSessions(vm, sous)
	return sous
}

func anySlice(vs []goja.Value) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = v
	}
	return out
}

// settle resolves or rejects the promise of the call f answers. The
// promise's reactions run inside, so its error is one of the runtime's
// uncatchable ones (an interrupt).
func (r *run) settle(f *frame) error {
	if f.Type != "reply" {
		return nil
	}
	s, ok := r.pending[f.Call]
	if !ok {
		return nil
	}
	delete(r.pending, f.Call)
	if f.Error != nil {
		return s.reject(r.s.newError(f.Error.Code, f.Error.Message))
	}
	v, err := r.s.fromJSON(f.Result)
	if err != nil {
		return s.reject(r.s.newError(render.CodeInternal, "the reply did not parse"))
	}
	return s.resolve(v)
}

// watchdog stops a run at its limits: it polls the clock, the process's
// CPU time and the heap, and interrupts the runtime at the first one over.
type watchdog struct {
	vm      *goja.Runtime
	waiting atomic.Bool // the run waits for replies and runs no JavaScript
	bail    func(*frameError)
	stopped chan struct{} // closed when the run is interrupted

	mu     sync.Mutex
	why    *frameError
	quit   chan struct{}
	exited chan struct{}
	once   sync.Once
}

// pollEvery is how often the watchdog looks: fast enough that a script
// doubling a string is caught within a step or two.
const pollEvery = time.Millisecond

// cpuEvery is every how many polls the watchdog reads the CPU clock, a
// file in /proc.
const cpuEvery = 10

// pollIdle is how often it looks while a program waits for renders.
const pollIdle = 10 * time.Millisecond

var heapSample = []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}

func heapBytes() int64 {
	metrics.Read(heapSample)
	return int64(heapSample[0].Value.Uint64())
}

// threadCPU is the processor time thread tid of this process has used,
// from /proc/self/task/TID/schedstat; 0 where there is none.
func threadCPU(tid int) time.Duration {
	b, err := os.ReadFile("/proc/self/task/" + strconv.Itoa(tid) + "/schedstat")
	if err != nil {
		return 0
	}
	ns, err := strconv.ParseInt(strings.Fields(string(b))[0], 10, 64)
	if err != nil {
		return 0
	}
	return time.Duration(ns)
}

// stuckGrace is how long an interrupted run may take to stop before the
// worker reports it and exits.
const stuckGrace = 100 * time.Millisecond

var liveSample = []metrics.Sample{{Name: "/gc/heap/live:bytes"}}

// liveBytes is the heap that survived the last collection.
func liveBytes() int64 {
	metrics.Read(liveSample)
	return int64(liveSample[0].Value.Uint64())
}

func startWatchdog(vm *goja.Runtime, lim limits, bail func(*frameError)) *watchdog {
	w := &watchdog{vm: vm, bail: bail, stopped: make(chan struct{}), quit: make(chan struct{}), exited: make(chan struct{})}
	base := heapBytes()
	limit := base + lim.MemoryBytes
	// Garbage does not count against a script: the watchdog decides on
	// what survives a collection (overMemory). The runtime's own memory
	// limit only backs it up, far above where a script within its cap
	// takes the heap. It sat at 1.25 × limit, and a script that doubled a
	// string to the cap and then asked for twice that put the collector
	// into a loop against the limit that, beside busy processes, froze the
	// race-built worker for over a minute (3 runs in 16); at runtimeLimit ×
	// limit, 0 in 46.
	debug.SetMemoryLimit(runtimeLimit * limit)
	restoreAS := limitAddressSpace(lim.MemoryBytes)
	// The run's goroutine keeps its thread (see execute), so the thread's
	// CPU time is the script's, without the collector's background work.
	tid := syscall.Gettid()
	start, cpuStart := time.Now(), threadCPU(tid)
	wall := time.Duration(lim.WallMs) * time.Millisecond
	cpu := time.Duration(lim.CPUMs) * time.Millisecond
	go func() {
		defer close(w.exited)
		defer debug.SetMemoryLimit(math.MaxInt64)
		defer restoreAS()
		t := time.NewTimer(pollEvery)
		defer t.Stop()
		for polls := 1; ; polls++ {
			select {
			case <-w.quit:
				return
			case <-t.C:
			}
			if w.waiting.Load() {
				// A program waiting for its renders runs no JavaScript:
				// only the clock moves, so look less often.
				t.Reset(pollIdle)
			} else {
				t.Reset(pollEvery)
			}
			switch {
			case time.Since(start) > wall:
				w.interrupt(&frameError{Code: codeTimeout, Message: fmt.Sprintf("the script ran longer than its %v", wall)})
				return
			case cpu > 0 && polls%cpuEvery == 0 && threadCPU(tid)-cpuStart > cpu:
				w.interrupt(&frameError{Code: codeTimeout, Message: fmt.Sprintf("the script used more than its %v of CPU time", cpu)})
				return
			case overMemory(limit):
				w.interrupt(&frameError{Code: codeMemory, Message: fmt.Sprintf("the script used more than its %d MiB of memory", lim.MemoryBytes>>20)})
				return
			}
		}
	}()
	return w
}

// runtimeLimit is the runtime's memory limit during a run, in multiples of
// the run's limit (heap before the run plus its cap).
const runtimeLimit = 4

// overMemory reports whether the heap is past limit: what survived the
// last collection is, or the heap is past the runtime's own memory limit,
// under which the collector would have kept it were it garbage.
func overMemory(limit int64) bool {
	heap := heapBytes()
	return heap > limit && (liveBytes() > limit || heap > runtimeLimit*limit)
}

// interrupt stops the run for why, and if it has not stopped after
// stuckGrace, bails.
func (w *watchdog) interrupt(why *frameError) {
	w.mu.Lock()
	w.why = why
	w.mu.Unlock()
	w.vm.Interrupt(why)
	close(w.stopped)
	if w.bail == nil {
		return
	}
	select {
	case <-w.quit:
	case <-time.After(stuckGrace):
		w.bail(why)
	}
}

// reason is why the run was interrupted, or nil.
func (w *watchdog) reason() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.why == nil {
		return nil
	}
	return w.why
}

// stop ends the watchdog and waits for it; it is safe to call twice.
func (w *watchdog) stop() {
	w.once.Do(func() { close(w.quit) })
	<-w.exited
}

// addressSpaceHeadroom is what a run may map beyond its memory cap before
// the kernel refuses: room for the collector to work in, goroutine stacks
// and the runtime's own structures.
const addressSpaceHeadroom = 512 << 20

// limitAddressSpace sets RLIMIT_AS for the length of a run to what the
// process has mapped now, plus runtimeLimit times the cap (room for the heap
// the runtime's memory limit allows) and some headroom, and
// returns what puts the old limit back. An allocation past it fails, and
// the Go runtime ends the worker: the parent reports script_memory and
// starts another. The race detector maps terabytes of shadow memory, so
// race builds (tests) rely on the watchdog alone.
func limitAddressSpace(memory int64) (restore func()) {
	if raceEnabled {
		return func() {}
	}
	mapped := mappedBytes()
	if mapped == 0 {
		return func() {}
	}
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_AS, &old); err != nil {
		return func() {}
	}
	want := uint64(mapped + runtimeLimit*memory + addressSpaceHeadroom)
	if want >= old.Max {
		return func() {}
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: want, Max: old.Max}); err != nil {
		return func() {}
	}
	return func() { syscall.Setrlimit(syscall.RLIMIT_AS, &old) }
}

// mappedBytes is the process's virtual size, from /proc/self/statm.
func mappedBytes() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	pages, err := strconv.ParseInt(strings.Fields(string(b))[0], 10, 64)
	if err != nil {
		return 0
	}
	return pages * int64(os.Getpagesize())
}

// ServeIfWorker makes a test binary (or any binary that starts a Pool with
// its own executable as the worker) serve as a worker when it was started
// as one, and exit; otherwise it returns at once. Call it first in TestMain.
func ServeIfWorker() {
	if len(os.Args) < 2 || os.Args[1] != WorkerCommand {
		return
	}
	if err := ServeWorker(os.Stdin, os.Stdout); err != nil {
		os.Exit(1)
	}
	os.Exit(0)
}

// SelfCommand is the Options.Command that starts this executable as a
// worker, for test binaries that call ServeIfWorker.
func SelfCommand() []string {
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	return []string{exe, WorkerCommand}
}
