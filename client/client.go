// Package client is a Go client for the Sous HTTP API. It speaks the same
// JSON types as the service (package render), so a request built here is the
// request the service validates, and its errors unwrap to render's sentinels:
//
//	c, err := client.New(client.Options{BaseURL: "http://127.0.0.1:8080", Token: os.Getenv("SOUS_TOKEN")})
//	res, err := c.Render(ctx, &render.Request{URL: "https://example.com", Formats: []render.Format{render.FormatMarkdown}})
//	if errors.Is(err, render.ErrTimeout) { … }
//	fmt.Println(res.Markdown, res.Meta.Cache)
//
// Errors are those the in-process render.Service returns, rebuilt from the
// reply's code (render's one table): a failed script is a
// *render.ScriptError with its line and column, a crawl job that is not
// known is crawl.ErrNotFound. Calls the table calls retryable (overloaded,
// a browser being replaced) are tried again after the Retry-After the
// service sends, a few times, within ctx; the rest, such as a capability
// the service was not started with, are not.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sous-dev/sous/render"
)

// Options configure a Client. Zero values mean the documented defaults.
type Options struct {
	// BaseURL is where Sous listens, e.g. "http://127.0.0.1:8080". Required.
	BaseURL string
	// Token is sent as "Authorization: Bearer TOKEN" when set.
	Token string
	// HTTPClient makes the requests; default: one without a timeout, since
	// every call is bounded by its context and the service's own deadline.
	HTTPClient *http.Client
	// MaxRetries is how many times an overloaded call is tried again;
	// default 3, negative for none.
	MaxRetries int
	// MaxRetryWait caps one wait between tries; default 30 s.
	MaxRetryWait time.Duration
}

// Client calls one Sous service. It is safe for concurrent use.
type Client struct {
	base *url.URL
	opts Options
}

// New returns a Client, or an error for a missing or malformed BaseURL.
func New(opts Options) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(opts.BaseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("client: BaseURL %q is not an http(s) URL", opts.BaseURL)
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{}
	}
	if opts.MaxRetries == 0 {
		opts.MaxRetries = 3
	}
	if opts.MaxRetryWait == 0 {
		opts.MaxRetryWait = 30 * time.Second
	}
	return &Client{base: u, opts: opts}, nil
}

// Error is a failure the service reported. It unwraps to the error the
// Service would have returned in-process (Err), so errors.Is and errors.As
// see render's sentinels and a *render.ScriptError.
type Error struct {
	// Status is the HTTP status, Code the service's stable error code.
	Status  int
	Code    render.Code
	Message string
	// RetryAfter is what the service asked for with a 429 or 503, if anything.
	RetryAfter time.Duration
	// Err is the error rebuilt from Code: its sentinel, a
	// *render.ScriptError for a script's failure; nil for a code render
	// does not know.
	Err error
}

func (e *Error) Error() string {
	// No "sous:" prefix: the command line adds its own.
	return fmt.Sprintf("the service answered %d %s: %s", e.Status, e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// replyError is the error of a failed reply's first entry.
type replyError struct {
	Code    render.Code `json:"code"`
	Message string      `json:"message"`
	Line    int         `json:"line"`
	Column  int         `json:"column"`
}

// serviceError rebuilds the error the Service returned from a reply's
// error entry: the sentinel of its code, or for a script's failure the
// *render.ScriptError with its line and column.
func serviceError(r replyError) error {
	sentinel := r.Code.Err()
	if sentinel == nil {
		return nil
	}
	if errors.Is(sentinel, render.ErrScript) || errors.Is(sentinel, render.ErrScriptTimeout) ||
		errors.Is(sentinel, render.ErrScriptMemory) || errors.Is(sentinel, render.ErrScriptOutput) {
		return &render.ScriptError{Kind: sentinel, Message: r.Message, Line: r.Line, Column: r.Column}
	}
	return sentinel
}

// Run runs a code-mode program on the service (POST /v1/run): the body of
// an async function with sous.render, sous.links and sous.scrape in scope.
// When the program fails after it started, the result is returned beside
// the error, with the program's console.log lines. A Client is a
// render.ProgramRunner.
func (c *Client) Run(ctx context.Context, p *render.Program) (*render.ProgramResult, error) {
	body, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("client: encode program: %w", err)
	}
	env, err := c.call(ctx, http.MethodPost, "/v1/run", body)
	if env == nil {
		return nil, err
	}
	res := &render.ProgramResult{Result: env.Result, Logs: env.Logs}
	var meta struct {
		Renders int `json:"renders"`
	}
	if len(env.Meta) > 0 && json.Unmarshal(env.Meta, &meta) == nil {
		res.Renders = meta.Renders
	}
	return res, err
}

// envelope is the service's JSON reply, its result and meta left raw for
// the method that knows their type.
type envelope struct {
	Success bool            `json:"success"`
	Result  json.RawMessage `json:"result"`
	Meta    json.RawMessage `json:"meta"`
	Logs    []string        `json:"logs"` // of a code-mode program
	Errors  []replyError    `json:"errors"`
}

// Render renders req on the service. The result's Meta is filled in.
func (c *Client) Render(ctx context.Context, req *render.Request) (*render.Result, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("client: encode request: %w", err)
	}
	env, err := c.call(ctx, http.MethodPost, "/v1/render", body)
	if err != nil {
		return nil, err
	}
	var res render.Result
	if len(env.Result) == 0 || string(env.Result) == "null" {
		return nil, fmt.Errorf("client: the reply has no result")
	}
	if err := json.Unmarshal(env.Result, &res); err != nil {
		return nil, fmt.Errorf("client: decode result: %w", err)
	}
	if len(env.Meta) > 0 {
		if err := json.Unmarshal(env.Meta, &res.Meta); err != nil {
			return nil, fmt.Errorf("client: decode meta: %w", err)
		}
	}
	return &res, nil
}

// call sends a request (body is JSON, or nil for none) and returns the
// envelope of a successful reply, retrying calls whose code is retryable
// (overloaded, a browser being replaced) after the wait the service asked
// for.
func (c *Client) call(ctx context.Context, method, path string, body []byte) (*envelope, error) {
	for attempt := 0; ; attempt++ {
		env, err := c.once(ctx, method, path, body)
		var apiErr *Error
		if !errors.As(err, &apiErr) || !retryable(apiErr) || attempt >= c.opts.MaxRetries {
			return env, err
		}
		wait := min(max(apiErr.RetryAfter, 100*time.Millisecond), c.opts.MaxRetryWait)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return nil, fmt.Errorf("client: giving up after %d tries: %w (last: %w)", attempt+1, ctx.Err(), err)
		}
	}
}

// retryable reports whether a call that failed with e may succeed if sent
// again: render's table says so for its codes; a reply without one (from a
// proxy in front of the service) is retried when it is a 429 or a 503.
func retryable(e *Error) bool {
	if e.Err != nil || e.Code == render.CodeInternal {
		return e.Code.Retryable()
	}
	return e.Status == http.StatusTooManyRequests || e.Status == http.StatusServiceUnavailable
}

func (c *Client) once(ctx context.Context, method, path string, body []byte) (*envelope, error) {
	resp, raw, err := c.send(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return nil, &Error{Status: resp.StatusCode, Code: "bad_reply", Message: fmt.Sprintf("not a Sous reply: %.200s", raw)}
	}
	if resp.StatusCode == http.StatusOK && env.Success {
		return &env, nil
	}
	return &env, statusError(resp, &env) // a failed program's reply still carries its logs
}

// send makes one call, with the token and, for a body, its content type,
// and returns the response with its whole body read.
func (c *Client) send(ctx context.Context, method, path string, body []byte) (*http.Response, []byte, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base.String()+path, r)
	if err != nil {
		return nil, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.opts.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.opts.Token)
	}
	resp, err := c.opts.HTTPClient.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("client: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("client: read reply: %w", err)
	}
	return resp, raw, nil
}

// statusError is the error of a reply that is not a success: the service's
// first error (env may be nil for a body that was not an envelope), or the
// HTTP status, with Retry-After.
func statusError(resp *http.Response, env *envelope) *Error {
	e := &Error{Status: resp.StatusCode, Code: "unknown", Message: http.StatusText(resp.StatusCode)}
	if env != nil && len(env.Errors) > 0 {
		e.Code, e.Message, e.Err = env.Errors[0].Code, env.Errors[0].Message, serviceError(env.Errors[0])
	}
	if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs >= 0 {
		e.RetryAfter = time.Duration(secs) * time.Second
	}
	return e
}
