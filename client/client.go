// Package client is a Go client for the Sous HTTP API. It speaks the same
// JSON types as the service (package render), so a request built here is the
// request the service validates, and its errors unwrap to render's sentinels:
//
//	c, err := client.New(client.Options{BaseURL: "http://127.0.0.1:8080", Token: os.Getenv("SOUS_TOKEN")})
//	res, err := c.Render(ctx, &render.Request{URL: "https://example.com", Formats: []render.Format{render.FormatMarkdown}})
//	if errors.Is(err, render.ErrTimeout) { … }
//	fmt.Println(res.Markdown, res.Meta.Cache)
//
// Overloaded replies (429, and 503 from a browser being replaced) are retried
// after the Retry-After the service sends, a few times, within ctx.
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

// Error is a failure the service reported. errors.Is matches it against the
// render sentinel of its Code (render.ErrTimeout for "timeout", …).
type Error struct {
	// Status is the HTTP status, Code the service's stable error code.
	Status  int
	Code    string
	Message string
	// RetryAfter is what the service asked for with a 429 or 503, if anything.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	return fmt.Sprintf("sous: %s (HTTP %d): %s", e.Code, e.Status, e.Message)
}

// Is reports whether target is the render sentinel of e's code.
func (e *Error) Is(target error) bool {
	sentinel, ok := map[string]error{
		"invalid_request":         render.ErrInvalidRequest,
		"timeout":                 render.ErrTimeout,
		"blocked":                 render.ErrBlocked,
		"overloaded":              render.ErrOverloaded,
		"navigation_failed":       render.ErrNavigation,
		"browser_error":           render.ErrBrowser,
		"unavailable":             render.ErrClosed,
		"script_error":            render.ErrScript,
		"script_timeout":          render.ErrScriptTimeout,
		"script_memory":           render.ErrScriptMemory,
		"script_output_too_large": render.ErrScriptOutput,
	}[e.Code]
	return ok && target == sentinel
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
	Errors  []struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"errors"`
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
// envelope of a successful reply, retrying calls the service refused as
// overloaded (429) or unavailable (503) after the wait it asked for.
func (c *Client) call(ctx context.Context, method, path string, body []byte) (*envelope, error) {
	for attempt := 0; ; attempt++ {
		env, err := c.once(ctx, method, path, body)
		var apiErr *Error
		if !errors.As(err, &apiErr) || (apiErr.Status != http.StatusTooManyRequests && apiErr.Status != http.StatusServiceUnavailable) ||
			attempt >= c.opts.MaxRetries {
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

func (c *Client) once(ctx context.Context, method, path string, body []byte) (*envelope, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base.String()+path, r)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.opts.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.opts.Token)
	}
	resp, err := c.opts.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("client: read reply: %w", err)
	}
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return nil, &Error{Status: resp.StatusCode, Code: "bad_reply", Message: fmt.Sprintf("not a Sous reply: %.200s", raw)}
	}
	if resp.StatusCode == http.StatusOK && env.Success {
		return &env, nil
	}
	e := &Error{Status: resp.StatusCode, Code: "unknown", Message: http.StatusText(resp.StatusCode)}
	if len(env.Errors) > 0 {
		e.Code, e.Message = env.Errors[0].Code, env.Errors[0].Message
	}
	if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs >= 0 {
		e.RetryAfter = time.Duration(secs) * time.Second
	}
	return &env, e // a failed program's reply still carries its logs
}
