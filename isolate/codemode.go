package isolate

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/sous-dev/sous/render"
)

// Renderer is what code mode needs from the domain: render.Service.
type Renderer interface {
	Render(ctx context.Context, req *render.Request) (*render.Result, error)
}

// Runner runs code-mode programs in the pool's workers, their sous.* calls
// rendering through a Renderer (the same Service, limits, cache and network
// guard as the HTTP API). It implements render.ProgramRunner.
type Runner struct {
	pool     *Pool
	renderer Renderer
	sessions Sessions // nil: sous.session is not enabled; see session.go
}

// sessionCloseTimeout bounds the closing of a session a program left open.
const sessionCloseTimeout = 10 * time.Second

var _ render.ProgramRunner = (*Runner)(nil)

// Programs returns a Runner whose programs render through r.
func (p *Pool) Programs(r Renderer) *Runner { return &Runner{pool: p, renderer: r} }

// callError is a sous.* call refused before any render, with its own code.
type callError struct {
	code    render.Code
	message string
}

func (e *callError) Error() string { return e.message }

// Run runs a program. Its result is non-nil whenever the program started,
// failed or not, so its logs reach the caller; its error wraps the script
// sentinels (a *render.ScriptError) or the render ones.
func (r *Runner) Run(ctx context.Context, prog *render.Program) (*render.ProgramResult, error) {
	start := time.Now()
	res, err := r.run(ctx, prog)
	r.pool.observe("code", err, time.Since(start))
	return res, err
}

func (r *Runner) run(ctx context.Context, prog *render.Program) (*render.ProgramResult, error) {
	if err := prog.Validate(); err != nil {
		return nil, err
	}
	lim := r.pool.opts.Code
	if most := lim.Timeout.Milliseconds(); int64(prog.TimeoutMs) > most {
		return nil, fmt.Errorf("%w: timeoutMs is %d; the most a program may run here is %d (sous serve --code-timeout)", render.ErrInvalidRequest, prog.TimeoutMs, most)
	}
	if prog.TimeoutMs > 0 {
		lim.Timeout = min(lim.Timeout, time.Duration(prog.TimeoutMs)*time.Millisecond)
		lim.CPUTime = min(lim.CPUTime, lim.Timeout)
	}
	var renders atomic.Int64
	var own opened
	if r.sessions != nil {
		defer own.closeAll(r.sessions) // sessions a program opens end with it
	}
	handle := func(ctx context.Context, method string, args json.RawMessage) (json.RawMessage, error) {
		if n := renders.Add(1); n > int64(r.pool.opts.MaxRenders) {
			return nil, &callError{codeTooManyCalls, fmt.Sprintf("a program may make at most %d sous calls", r.pool.opts.MaxRenders)}
		}
		return r.call(ctx, method, args, &own)
	}
	lim.maxCalls = r.pool.opts.MaxRenders
	done, err := r.pool.execute(ctx, modeCode, prog.Code, nil, lim, handle, 0)
	if err != nil {
		return nil, err
	}
	res := &render.ProgramResult{Result: done.Result, Logs: done.Logs, Renders: int(min(renders.Load(), int64(r.pool.opts.MaxRenders)))}
	if res.Logs == nil {
		res.Logs = []string{}
	}
	if done.Error != nil {
		return res, scriptError(done.Error)
	}
	return res, nil
}

// call answers one sous.* call:
//
//	sous.render(request)             → the result, with its meta
//	sous.scrape(urlOrRequest, sels)  → [{selector, results}]
//	sous.links(urlOrRequest)         → [{url, text, internal}]
//	sous.session(opts)               → a session object (session.go)
func (r *Runner) call(ctx context.Context, method string, raw json.RawMessage, own *opened) (json.RawMessage, error) {
	var args []json.RawMessage
	if err := json.Unmarshal(raw, &args); err != nil {
		return nil, fmt.Errorf("%w: sous.%s: arguments: %v", render.ErrInvalidRequest, method, err)
	}
	switch method {
	case sessionCreate, sessionAct, sessionStorage, sessionClose:
		return r.sessionCall(ctx, method, args, own)
	}
	if len(args) == 0 {
		return nil, fmt.Errorf("%w: sous.%s needs a URL or a request", render.ErrInvalidRequest, method)
	}
	req, err := requestOf(method, args[0])
	if err != nil {
		return nil, err
	}
	switch method {
	case "render":
	case "links":
		req.Formats = []render.Format{render.FormatLinks}
	case "scrape":
		if len(args) < 2 {
			return nil, fmt.Errorf("%w: sous.scrape needs selectors: sous.scrape(url, [\"h1\", \"a.price\"])", render.ErrInvalidRequest)
		}
		sels, err := selectors(args[1])
		if err != nil {
			return nil, err
		}
		req.Formats = []render.Format{render.FormatScrape}
		req.Elements = nil
		for _, s := range sels {
			req.Elements = append(req.Elements, render.ScrapeElement{Selector: s})
		}
	default:
		return nil, fmt.Errorf("%w: no sous.%s", render.ErrInvalidRequest, method)
	}
	for _, f := range req.Formats {
		if f == render.FormatScreenshot || f == render.FormatPDF {
			return nil, fmt.Errorf("%w: sous.%s: code mode returns text and data, not the %s format; use POST /v1/render for it", render.ErrInvalidRequest, method, f)
		}
	}
	if req.Script != "" {
		return nil, fmt.Errorf("%w: sous.%s: leave out script and shape the result in the program itself", render.ErrInvalidRequest, method)
	}
	res, err := r.renderer.Render(ctx, req)
	if err != nil {
		return nil, err
	}
	switch method {
	case "links":
		if res.Links == nil {
			return json.RawMessage("[]"), nil
		}
		return json.Marshal(res.Links)
	case "scrape":
		return json.Marshal(res.Scrape)
	}
	return json.Marshal(struct {
		*render.Result
		Meta render.Meta `json:"meta"`
	}{res, res.Meta})
}

// requestOf reads a call's first argument: a URL, or a request object in
// /v1/render's shape.
func requestOf(method string, arg json.RawMessage) (*render.Request, error) {
	req := new(render.Request)
	var url string
	if err := json.Unmarshal(arg, &url); err == nil {
		req.URL = url
		return req, nil
	}
	dec := json.NewDecoder(bytes.NewReader(arg))
	dec.DisallowUnknownFields()
	if err := dec.Decode(req); err != nil {
		return nil, fmt.Errorf("%w: sous.%s: want a URL or a request such as {url, formats}: %v", render.ErrInvalidRequest, method, err)
	}
	return req, nil
}

// selectors reads scrape's second argument: one selector or a list.
func selectors(arg json.RawMessage) ([]string, error) {
	var one string
	if err := json.Unmarshal(arg, &one); err == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(arg, &many); err != nil {
		return nil, fmt.Errorf("%w: sous.scrape: selectors must be a string or a list of strings", render.ErrInvalidRequest)
	}
	return many, nil
}
