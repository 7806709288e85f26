package isolate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sous-dev/sous/render"
)

// Limits bound one run. Zero values mean the documented defaults of the
// kind of run (Options.Script or Options.Code).
type Limits struct {
	// Timeout is the wall time a run may take.
	Timeout time.Duration
	// CPUTime is the processor time a run may use; it matters for a
	// program, whose wall time is mostly waiting for renders.
	CPUTime time.Duration
	// Memory is how far a run may grow the worker's heap, in bytes.
	Memory int64
	// Output is the largest JSON result, in bytes.
	Output int

	maxCalls int // set by code mode: Options.MaxRenders
}

// Defaults. A post-processing script is a quick transform of one page; a
// program waits on renders, so it gets longer.
var (
	DefaultScriptLimits = Limits{Timeout: 2 * time.Second, CPUTime: 2 * time.Second, Memory: 64 << 20, Output: 4 << 20}
	DefaultCodeLimits   = Limits{Timeout: 30 * time.Second, CPUTime: 10 * time.Second, Memory: 64 << 20, Output: 4 << 20}
)

// DefaultMaxRenders is how many sous.* calls a program may make.
const DefaultMaxRenders = 20

// Options configure a Pool. Zero values mean the documented defaults.
type Options struct {
	// Command starts a worker: by default this executable with the single
	// argument WorkerCommand, which cmd/sous serves. Tests name their own
	// binary, whose TestMain calls ServeWorker when it sees the argument.
	Command []string
	// Workers is how many worker processes are kept running; default 2.
	// A run holds one for its length, and a program holds it while its
	// renders run, so this bounds scripts and programs running at once.
	Workers int
	// MaxRunsPerWorker recycles a worker after this many runs, to bound
	// the drift of a long-lived heap; default 1000.
	MaxRunsPerWorker int

	Script Limits // post-processing scripts (Request.Script)
	Code   Limits // code-mode programs; Timeout is also the most a program may ask for
	// MaxRenders is how many sous.* calls one program may make; default
	// DefaultMaxRenders.
	MaxRenders int

	// Observer is told about every run, for metrics; nil means none.
	Observer render.ScriptObserver
	Logger   *slog.Logger
}

// Pool runs scripts in a pool of pre-started worker processes. It is safe
// for concurrent use.
type Pool struct {
	opts Options
	idle chan *worker

	ctx    context.Context // ends the replacement of workers
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	workers map[*worker]struct{}
	closed  bool

	busy     atomic.Int64
	restarts atomic.Int64
}

var _ render.Processor = (*Pool)(nil)

// killGrace is how long past a run's deadline the parent waits for the
// worker's own answer before it kills the worker: a regular expression
// backtracking in regexp2 does not see the runtime's interrupt.
const killGrace = 500 * time.Millisecond

// New starts the workers and returns once they are ready.
func New(ctx context.Context, opts Options) (*Pool, error) {
	if opts.Workers < 0 || opts.MaxRenders < 0 || opts.MaxRunsPerWorker < 0 {
		return nil, errors.New("isolate: Workers, MaxRenders and MaxRunsPerWorker must not be negative")
	}
	if len(opts.Command) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("isolate: find this executable for the workers: %w", err)
		}
		opts.Command = []string{exe, WorkerCommand}
	}
	opts.Command = slices.Clone(opts.Command)
	if opts.Workers == 0 {
		opts.Workers = 2
	}
	if opts.MaxRunsPerWorker == 0 {
		opts.MaxRunsPerWorker = 1000
	}
	if opts.MaxRenders == 0 {
		opts.MaxRenders = DefaultMaxRenders
	}
	var err error
	if opts.Script, err = opts.Script.withDefaults(DefaultScriptLimits, "Script"); err != nil {
		return nil, err
	}
	if opts.Code, err = opts.Code.withDefaults(DefaultCodeLimits, "Code"); err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	pctx, cancel := context.WithCancel(context.Background())
	p := &Pool{opts: opts, idle: make(chan *worker, opts.Workers), ctx: pctx, cancel: cancel, workers: map[*worker]struct{}{}}

	started := make(chan error, opts.Workers)
	for range opts.Workers {
		go func() {
			w, err := startWorker(ctx, opts.Command)
			if err == nil {
				p.adopt(w)
			}
			started <- err
		}()
	}
	var errs []error
	for range opts.Workers {
		errs = append(errs, <-started)
	}
	if err := errors.Join(errs...); err != nil {
		p.Close()
		return nil, fmt.Errorf("isolate: %w", err)
	}
	return p, nil
}

func (l Limits) withDefaults(def Limits, name string) (Limits, error) {
	if l.Timeout < 0 || l.CPUTime < 0 || l.Memory < 0 || l.Output < 0 {
		return l, fmt.Errorf("isolate: Options.%s has a negative limit", name)
	}
	if l.Timeout == 0 {
		l.Timeout = def.Timeout
	}
	if l.CPUTime == 0 {
		l.CPUTime = min(def.CPUTime, l.Timeout)
	}
	if l.Memory == 0 {
		l.Memory = def.Memory
	}
	if l.Output == 0 {
		l.Output = def.Output
	}
	if l.Memory < 1<<20 {
		return l, fmt.Errorf("isolate: Options.%s.Memory %d is less than 1 MiB", name, l.Memory)
	}
	return l, nil
}

// adopt makes w one of the pool's idle workers, or kills it if the pool
// has closed.
func (p *Pool) adopt(w *worker) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		w.kill()
		return
	}
	p.workers[w] = struct{}{}
	p.mu.Unlock()
	p.idle <- w // never blocks: at most Workers workers exist
}

// Stats is a snapshot of the pool, for metrics.
type Stats struct {
	// Workers are the worker processes running; Busy those running a script.
	Workers, Busy int
	// Restarts counts workers replaced: killed at a deadline, out of memory,
	// crashed or recycled.
	Restarts int64
}

// Stats returns a snapshot of the pool.
func (p *Pool) Stats() Stats {
	p.mu.Lock()
	n := len(p.workers)
	p.mu.Unlock()
	return Stats{Workers: n, Busy: int(p.busy.Load()), Restarts: p.restarts.Load()}
}

// Close kills the workers and waits for them. Runs in progress fail; later
// ones return render.ErrClosed. It is safe to call more than once.
func (p *Pool) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		p.wg.Wait()
		return nil
	}
	p.closed = true
	workers := make([]*worker, 0, len(p.workers))
	for w := range p.workers {
		workers = append(workers, w)
	}
	p.mu.Unlock()
	p.cancel()
	for _, w := range workers {
		w.kill()
	}
	p.wg.Wait()
	return nil
}

// acquire takes an idle worker, waiting under ctx for at most patience:
// past it every worker has been busy for a whole run's length, and the
// caller is told the service is overloaded rather than join a pile-up.
func (p *Pool) acquire(ctx context.Context, patience time.Duration) (*worker, error) {
	wait := time.NewTimer(patience)
	defer wait.Stop()
	for {
		select {
		case w := <-p.idle:
			if w.idle() {
				p.busy.Add(1)
				return w, nil
			}
			p.replace(w) // died while idle
		case <-p.ctx.Done():
			return nil, render.ErrClosed
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: waiting for an isolate: %v", render.ErrTimeout, context.Cause(ctx))
		case <-wait.C:
			return nil, fmt.Errorf("%w: all %d isolates have been busy for %v", render.ErrOverloaded, p.opts.Workers, patience)
		}
	}
}

// release gives w back, or replaces it when it may not serve again.
func (p *Pool) release(w *worker, reusable bool) {
	p.busy.Add(-1)
	w.runs++
	if reusable && w.alive() && w.runs < p.opts.MaxRunsPerWorker {
		p.idle <- w
		return
	}
	p.replace(w)
}

// replace kills w and starts another worker in its place, retrying with
// backoff until one starts or the pool closes.
func (p *Pool) replace(w *worker) {
	p.mu.Lock()
	delete(p.workers, w)
	closed := p.closed
	if !closed {
		p.wg.Add(1)
	}
	p.mu.Unlock()
	if closed {
		go w.kill()
		return
	}
	p.restarts.Add(1)
	go func() {
		defer p.wg.Done()
		w.kill()
		backoff := 50 * time.Millisecond
		for {
			nw, err := startWorker(p.ctx, p.opts.Command)
			if err == nil {
				p.adopt(nw)
				return
			}
			p.opts.Logger.Warn("isolate worker did not start", "err", err)
			select {
			case <-p.ctx.Done():
				return
			case <-time.After(backoff):
				backoff = min(2*backoff, 5*time.Second)
			}
		}
	}()
}

// callHandler answers a program's sous.* call.
type callHandler func(ctx context.Context, method string, args json.RawMessage) (json.RawMessage, error)

// execute runs source in a worker under lim and returns its done frame (a
// script's failure is in the frame's Error) or an error of the pool's own.
func (p *Pool) execute(ctx context.Context, mode, source string, input json.RawMessage, lim Limits, handle callHandler, attempt int) (*frame, error) {
	w, err := p.acquire(ctx, lim.Timeout)
	if err != nil {
		return nil, err
	}
	run := &frame{Type: "run", Mode: mode, Source: source, Input: input, Limits: &limits{
		WallMs:      lim.Timeout.Milliseconds(),
		CPUMs:       lim.CPUTime.Milliseconds(),
		MemoryBytes: lim.Memory,
		OutputBytes: lim.Output,
		MaxCalls:    lim.maxCalls,
	}}
	if err := w.conn.write(run); err != nil {
		p.release(w, false)
		if errors.Is(err, errFrameTooLarge) {
			return nil, fmt.Errorf("%w: the page is too large to hand to a script", render.ErrInvalidRequest)
		}
		if attempt < 2 {
			return p.execute(ctx, mode, source, input, lim, handle, attempt+1)
		}
		return nil, fmt.Errorf("isolate: %w", errWorkerGone)
	}

	if handle == nil { // a script has no sous binding to call
		handle = func(context.Context, string, json.RawMessage) (json.RawMessage, error) {
			return nil, fmt.Errorf("%w: a script makes no sous calls", render.ErrInvalidRequest)
		}
	}
	callCtx, cancelCalls := context.WithCancel(ctx)
	var calls sync.WaitGroup
	defer func() {
		// Replies of this run must not reach the worker's next one.
		cancelCalls()
		calls.Wait()
	}()
	started := false // the worker has the run
	deadline := time.NewTimer(lim.Timeout + killGrace)
	defer deadline.Stop()
	for {
		select {
		case f, ok := <-w.frames:
			switch {
			case !ok:
				p.release(w, false)
				if p.ctx.Err() != nil {
					return nil, render.ErrClosed // Close killed it
				}
				if !started && attempt < 2 {
					// The worker died before the run reached it (killed
					// while idle): nothing of the caller's ran, so
					// another worker takes it.
					return p.execute(ctx, mode, source, input, lim, handle, attempt+1)
				}
				return &frame{Type: "done", Error: w.crashError()}, nil
			case f.Type == "started":
				started = true
			case f.Type == "call":
				calls.Add(1)
				go func() {
					defer calls.Done()
					reply := &frame{Type: "reply", Call: f.Call}
					res, err := handle(callCtx, f.Method, f.Args)
					if err != nil {
						reply.Error = &frameError{Code: callCode(err), Message: err.Error()}
					} else {
						reply.Result = res
					}
					if err := w.conn.write(reply); err != nil && errors.Is(err, errFrameTooLarge) {
						w.conn.write(&frame{Type: "reply", Call: f.Call, Error: &frameError{Code: codeOutput, Message: "the render result is too large to hand to the program"}})
					}
				}()
			case f.Type == "done":
				cancelCalls()
				calls.Wait()
				p.release(w, !f.Exiting)
				if f.Error != nil && p.ctx.Err() != nil {
					// Close cut the run off (the worker saw its pipe
					// close); what it says is a symptom of that.
					return nil, render.ErrClosed
				}
				return f, nil
			}
		case <-deadline.C:
			p.release(w, false)
			return &frame{Type: "done", Error: &frameError{Code: codeTimeout, Message: fmt.Sprintf("the script ran longer than its %v and was stopped", lim.Timeout)}}, nil
		case <-ctx.Done():
			p.release(w, false)
			return nil, fmt.Errorf("%w: %v", render.ErrTimeout, context.Cause(ctx))
		}
	}
}

// callCode is the code a rejected sous.* call carries: render.Code's name
// of its error.
func callCode(err error) render.Code {
	var ce *callError
	if errors.As(err, &ce) {
		return ce.code
	}
	return render.CodeOf(err)
}

// scriptError is the render error of a frame's error.
func scriptError(fe *frameError) error {
	kind := render.ErrScript
	switch fe.Code {
	case codeTimeout, codeMemory, codeOutput:
		kind = fe.Code.Err()
	}
	return &render.ScriptError{Kind: kind, Message: fe.Message, Line: fe.Line, Column: fe.Column}
}

// page is what a post-processing script sees as page.
type page struct {
	URL      string           `json:"url,omitempty"`
	Title    string           `json:"title,omitempty"`
	Status   int              `json:"status,omitempty"`
	HTML     string           `json:"html,omitempty"`
	RawHTML  string           `json:"rawHtml,omitempty"`
	Markdown string           `json:"markdown,omitempty"`
	Text     string           `json:"text,omitempty"`
	Links    []render.Link    `json:"links,omitempty"`
	Metadata *render.Metadata `json:"metadata,omitempty"`
	Scrape   []render.Scraped `json:"scrape,omitempty"`
	Outline  string           `json:"outline,omitempty"`
}

// Process runs script, the body of a function of page, over res and
// returns what it returned as JSON. It implements render.Processor.
func (p *Pool) Process(ctx context.Context, script string, res *render.Result) (json.RawMessage, error) {
	input, err := json.Marshal(page{
		URL: res.Meta.URL, Title: res.Meta.Title, Status: res.Meta.Status,
		HTML: res.HTML, RawHTML: res.RawHTML, Markdown: res.Markdown, Text: res.Text,
		Links: res.Links, Metadata: res.Metadata, Scrape: res.Scrape, Outline: res.Outline,
	})
	if err != nil {
		return nil, fmt.Errorf("isolate: page: %w", err)
	}
	return p.Eval(ctx, script, input)
}

// Eval runs script, the body of a function of page, with page set to the
// JSON value input, and returns what it returned as JSON.
func (p *Pool) Eval(ctx context.Context, script string, input json.RawMessage) (json.RawMessage, error) {
	start := time.Now()
	out, err := p.eval(ctx, script, input)
	p.observe("script", err, time.Since(start))
	return out, err
}

func (p *Pool) eval(ctx context.Context, script string, input json.RawMessage) (json.RawMessage, error) {
	if len(input) == 0 {
		input = json.RawMessage("null")
	}
	if !json.Valid(input) {
		return nil, fmt.Errorf("%w: the script's input is not JSON", render.ErrInvalidRequest)
	}
	if len(script) > render.MaxScriptLength {
		return nil, fmt.Errorf("%w: script is %d bytes; the limit is %d", render.ErrInvalidRequest, len(script), render.MaxScriptLength)
	}
	done, err := p.execute(ctx, modeScript, script, input, p.opts.Script, nil, 0)
	if err != nil {
		return nil, err
	}
	if done.Error != nil {
		return nil, scriptError(done.Error)
	}
	return done.Result, nil
}

func (p *Pool) observe(kind string, err error, d time.Duration) {
	if p.opts.Observer != nil {
		p.opts.Observer.ObserveScript(render.ScriptObservation{Kind: kind, Err: err, Duration: d})
	}
}
