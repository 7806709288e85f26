package render

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"
)

// Script errors. A ScriptError wraps one of them and says where the script
// failed; Code gives each its stable name.
var (
	// ErrScript is a script that threw, did not compile or returned
	// something that is not JSON (code script_error).
	ErrScript = errors.New("script failed")
	// ErrScriptTimeout is a script that ran past its wall or CPU time
	// (code script_timeout).
	ErrScriptTimeout = errors.New("script timed out")
	// ErrScriptMemory is a script that used more than its memory cap
	// (code script_memory).
	ErrScriptMemory = errors.New("script used too much memory")
	// ErrScriptOutput is a script whose JSON result or logs are larger than
	// the cap (code script_output_too_large).
	ErrScriptOutput = errors.New("script output too large")
)

// ScriptError is a failed script: which way it failed (Kind, one of the
// script sentinels), the message a person reads and, for ErrScript, where
// in the caller's source it happened (1-based; 0 when unknown).
type ScriptError struct {
	Kind    error
	Message string
	Line    int
	Column  int
}

func (e *ScriptError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%v: %s (line %d, column %d)", e.Kind, e.Message, e.Line, e.Column)
	}
	return fmt.Sprintf("%v: %s", e.Kind, e.Message)
}

func (e *ScriptError) Unwrap() error { return e.Kind }

// scriptFields are the fields of page a script may read that a format
// fills.
var scriptFields = map[string]Format{
	"markdown": FormatMarkdown, "text": FormatText, "html": FormatHTML, "rawHtml": FormatRawHTML,
	"links": FormatLinks, "metadata": FormatMetadata, "outline": FormatOutline,
}

var (
	// page.links, page?.links, page["links"]
	pageField = regexp.MustCompile("\\bpage\\s*(?:\\?\\.|\\.)\\s*([A-Za-z]+)|\\bpage\\s*\\[\\s*[\"'`]([A-Za-z]+)")
	// const {links, title} = page
	destructured = regexp.MustCompile(`\{([^{}]*)\}\s*=\s*page\b`)
	identifier   = regexp.MustCompile(`[A-Za-z]+`)
)

// withScriptFormats returns req with the formats whose fields its script
// reads added, so that a script sees every field it reads (page.links with
// the default markdown), and the formats it added. A script that reaches
// for fields in ways this does not see gets them empty, as before.
func withScriptFormats(req *Request) (*Request, []Format) {
	var added []Format
	add := func(name string) {
		if f, ok := scriptFields[name]; ok && !req.Wants(f) && !slices.Contains(added, f) {
			added = append(added, f)
		}
	}
	for _, m := range pageField.FindAllStringSubmatch(req.Script, -1) {
		add(m[1] + m[2])
	}
	for _, m := range destructured.FindAllStringSubmatch(req.Script, -1) {
		for _, name := range identifier.FindAllString(m[1], -1) {
			add(name)
		}
	}
	if len(added) == 0 {
		return req, nil
	}
	r := *req
	r.Formats = append(slices.Clone(req.Formats), added...)
	if len(req.Formats) == 0 {
		r.Formats = append([]Format{FormatMarkdown}, added...) // the default stays
	}
	return &r, added
}

// withoutFormats returns a copy of res without the fields of formats, which
// the script read but the caller did not ask for.
func withoutFormats(res *Result, formats []Format) *Result {
	r := *res
	for _, f := range formats {
		switch f {
		case FormatMarkdown:
			r.Markdown = ""
		case FormatText:
			r.Text = ""
		case FormatHTML:
			r.HTML = ""
		case FormatRawHTML:
			r.RawHTML = ""
		case FormatLinks:
			r.Links = nil
		case FormatMetadata:
			r.Metadata = nil
		case FormatOutline:
			r.Outline = ""
		}
	}
	return &r
}

// MaxScriptLength bounds Request.Script and Program.Code.
const MaxScriptLength = 256 << 10

// Processor runs a post-processing script over a result: the isolate. The
// script is the body of a function with page in scope; its return value,
// as JSON, is what Process returns. Errors wrap the script sentinels
// (usually as a *ScriptError), or ErrTimeout when ctx ended first.
type Processor interface {
	Process(ctx context.Context, script string, page *Result) (json.RawMessage, error)
}

// Program is a code-mode request: the body of an async function with a
// sous object in scope that renders pages through the Service.
type Program struct {
	Code string `json:"code"`
	// TimeoutMs bounds the whole program, renders included; zero means the
	// runner's default, which is also the most it may be: more is an
	// ErrInvalidRequest naming it.
	TimeoutMs int `json:"timeoutMs,omitempty"`
}

// Validate reports a program a caller must fix, wrapping ErrInvalidRequest.
func (p *Program) Validate() error {
	switch {
	case p.Code == "":
		return invalid("code is empty; send the body of an async function, such as: return (await sous.render({url: \"https://example.com\"})).markdown")
	case len(p.Code) > MaxScriptLength:
		return invalid("code is %d bytes; the limit is %d", len(p.Code), MaxScriptLength)
	case p.TimeoutMs < 0:
		return invalid("timeoutMs must not be negative")
	}
	return nil
}

// ProgramResult is what a program returned (JSON), what it logged, and how
// many renders it made.
type ProgramResult struct {
	Result  json.RawMessage
	Logs    []string
	Renders int
}

// ProgramRunner runs code-mode programs. Run returns a non-nil result
// whenever the program started, even when it failed, so that its logs reach
// the caller beside the error.
type ProgramRunner interface {
	Run(ctx context.Context, p *Program) (*ProgramResult, error)
}

// ScriptObserver is told about every script and program run, for metrics.
// It is called synchronously and must be quick.
type ScriptObserver interface {
	ObserveScript(ScriptObservation)
}

// ScriptObservation is one finished run of a script ("script") or a
// program ("code").
type ScriptObservation struct {
	Kind     string
	Err      error
	Duration time.Duration
}

// checkScript bounds Request.Script.
func (r *Request) checkScript() error {
	if len(r.Script) > MaxScriptLength {
		return invalid("script is %d bytes; the limit is %d", len(r.Script), MaxScriptLength)
	}
	return nil
}

// process runs req.Script over res, which the caller owns (a copy of any
// cached result), under what is left of the request's deadline.
func (s *Service) process(ctx context.Context, req *Request, res *Result, start time.Time) (*Result, error) {
	if s.opts.Processor == nil {
		return nil, invalid("this service runs no scripts; leave out script")
	}
	ctx, cancel := context.WithDeadlineCause(ctx, start.Add(req.Deadline(s.opts.DefaultTimeout, s.opts.MaxTimeout)), ErrTimeout)
	defer cancel()
	began := time.Now()
	out, err := s.opts.Processor.Process(ctx, req.Script, res)
	if err != nil {
		return nil, deadlineError(ctx, fmt.Errorf("script: %w", err))
	}
	res.Script = out
	res.Meta.Timings.Script = ms(time.Since(began))
	res.Meta.Timings.Total = ms(time.Since(start))
	return res, nil
}
