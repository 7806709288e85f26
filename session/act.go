package session

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sous-dev/sous/render"
)

// ActRequest is the body of POST /v1/sessions/{id}/actions.
type ActRequest struct {
	Actions []Action `json:"actions"`
	// Formats are what to return of the page besides the snapshot:
	// markdown, text, links, html, screenshot.
	Formats []render.Format `json:"formats,omitempty"`
	// Snapshot is "diff" (the default: only what changed since the last
	// snapshot, when the page did not load another document), "full" or
	// "none".
	Snapshot string `json:"snapshot,omitempty"`
	// MaxChars bounds the snapshot and each text format.
	MaxChars int `json:"maxChars,omitempty"`
}

// Snapshot modes.
const (
	SnapshotDiff = "diff"
	SnapshotFull = "full"
	SnapshotNone = "none"
)

// sessionFormats are the formats an actions request may ask for.
var sessionFormats = []render.Format{render.FormatMarkdown, render.FormatText, render.FormatLinks, render.FormatHTML, render.FormatScreenshot}

// ActResult is what an actions request did and what the page is now.
type ActResult struct {
	Steps []Step `json:"steps"`
	URL   string `json:"url"`
	Title string `json:"title"`
	Tabs  []Tab  `json:"tabs"`
	// Downloads are the files the session's pages downloaded.
	Downloads []Download `json:"downloads,omitempty"`
	// Dialog is a JavaScript dialog waiting for an answer; while one is
	// open the page cannot be read, so there is no snapshot.
	Dialog *Dialog `json:"dialog,omitempty"`
	// Snapshot is the outline of the active tab; SnapshotMode says whether
	// it is the whole outline ("full") or what changed ("diff").
	Snapshot     string        `json:"snapshot,omitempty"`
	SnapshotMode string        `json:"snapshotMode,omitempty"`
	Markdown     string        `json:"markdown,omitempty"`
	Text         string        `json:"text,omitempty"`
	HTML         string        `json:"html,omitempty"`
	Links        []render.Link `json:"links,omitempty"`
	Screenshot   []byte        `json:"screenshot,omitempty"`
	ExpiresAt    time.Time     `json:"expiresAt"`
}

// Step is the outcome of one action.
type Step struct {
	Action string     `json:"action"`
	OK     bool       `json:"ok"`
	Error  *StepError `json:"error,omitempty"`
}

// StepError is why an action failed.
type StepError struct {
	Code    render.Code `json:"code"`
	Message string      `json:"message"`
}

// Failed is the error of the step that failed, or nil.
func (r *ActResult) Failed() error {
	for _, st := range r.Steps {
		if st.Error != nil {
			return fmt.Errorf("%s: %w: %s", st.Action, st.Error.Code.Err(), st.Error.Message)
		}
	}
	return nil
}

func (r *ActRequest) check(secrets map[string]string) error {
	if len(r.Actions) > MaxActions {
		return fmt.Errorf("%w: %d actions; the limit is %d a request", render.ErrInvalidRequest, len(r.Actions), MaxActions)
	}
	switch r.Snapshot {
	case "", SnapshotDiff, SnapshotFull, SnapshotNone:
	default:
		return fmt.Errorf("%w: snapshot must be diff, full or none", render.ErrInvalidRequest)
	}
	if r.MaxChars < 0 || r.MaxChars > 1_000_000 {
		return fmt.Errorf("%w: maxChars must be between 1 and 1000000", render.ErrInvalidRequest)
	}
	for _, f := range r.Formats {
		if !slices.Contains(sessionFormats, f) {
			return fmt.Errorf("%w: format %q: a session returns markdown, text, links, html or screenshot", render.ErrInvalidRequest, f)
		}
	}
	for i := range r.Actions {
		if err := r.Actions[i].check(secrets); err != nil {
			return fmt.Errorf("actions[%d]: %w", i, err)
		}
	}
	return nil
}

// Act runs req's actions on the session id in order, stopping at the first
// that fails, and returns what each did and what the page is now. A failed
// action is a Step with an error, not an error of Act: the reply still
// shows the page, so that the agent can choose what to do next. Act's own
// errors are for a request it could not run at all.
func (m *Manager) Act(ctx context.Context, id string, req *ActRequest) (*ActResult, error) {
	s, err := m.lookup(id)
	if err != nil {
		return nil, err
	}
	if err := req.check(s.secrets); err != nil {
		return nil, err
	}
	if m.opts.Extractor == nil && slices.ContainsFunc(req.Formats, func(f render.Format) bool { return f != render.FormatScreenshot && f != render.FormatHTML }) {
		return nil, fmt.Errorf("%w: this service extracts no markdown, text or links from sessions", render.ErrNotEnabled)
	}
	done, err := s.take(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	start := time.Now()
	res := &ActResult{Steps: make([]Step, 0, len(req.Actions))}
	failed := render.Code("")
	for i := range req.Actions {
		a := &req.Actions[i]
		err := m.do(ctx, s, a)
		if err == nil {
			res.Steps = append(res.Steps, Step{Action: a.Kind, OK: true})
			continue
		}
		err = s.redactError(err)
		failed = render.CodeOf(err)
		res.Steps = append(res.Steps, Step{Action: a.Kind, Error: &StepError{Code: failed, Message: err.Error()}})
		break
	}
	if err := m.describe(ctx, s, req, res); err != nil {
		return nil, s.redactError(err)
	}
	m.opts.Logger.Info("session actions", "session", s.short(), "actions", kinds(req.Actions), "steps", len(res.Steps),
		"code", string(failed), "ms", time.Since(start).Milliseconds())
	return res, nil
}

func kinds(actions []Action) []string {
	out := make([]string, len(actions))
	for i, a := range actions {
		out[i] = a.Kind
	}
	return out
}

// do runs one action within the action timeout.
func (m *Manager) do(ctx context.Context, s *Session, a *Action) error {
	ctx, cancel := context.WithTimeout(ctx, m.opts.ActionTimeout)
	defer cancel()
	err := s.browser.Do(ctx, a.resolved(s.secrets))
	if err != nil && ctx.Err() != nil && !errors.Is(err, render.ErrTimeout) {
		err = fmt.Errorf("%w: the action did not finish within %s: %v", render.ErrTimeout, m.opts.ActionTimeout, err)
	}
	return err
}

// describe fills in what the page is now: tabs, dialog, snapshot and the
// formats asked for, every string redacted.
func (m *Manager) describe(ctx context.Context, s *Session, req *ActRequest, res *ActResult) error {
	ctx, cancel := context.WithTimeout(ctx, m.opts.ActionTimeout)
	defer cancel()
	r := s.redact
	tabs, err := s.browser.Tabs(ctx)
	if err != nil {
		return fmt.Errorf("list tabs: %w", err)
	}
	for i := range tabs {
		tabs[i].URL, tabs[i].Title = r.String(tabs[i].URL), r.String(tabs[i].Title)
		if tabs[i].Active {
			res.URL, res.Title = tabs[i].URL, tabs[i].Title
		}
	}
	res.Tabs = tabs
	res.Downloads = s.downloads()
	s.mu.Lock()
	s.url, s.title, s.tabs = res.URL, res.Title, tabs
	res.ExpiresAt = time.Now().Add(s.ttl)
	s.mu.Unlock()
	if d := s.browser.Dialog(); d != nil {
		res.Dialog = &Dialog{Type: d.Type, Message: r.String(d.Message), DefaultPrompt: r.String(d.DefaultPrompt)}
		return nil // the page is stopped until the dialog is answered
	}
	maxChars := req.MaxChars
	if maxChars == 0 {
		maxChars = m.opts.MaxChars
	}
	if req.Snapshot != SnapshotNone {
		snap, err := s.browser.Snapshot(ctx)
		if err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
		res.Snapshot, res.SnapshotMode = s.outline(snap, req.Snapshot == SnapshotFull, maxChars)
	}
	if len(req.Formats) == 0 {
		return nil
	}
	page, err := s.browser.Page(ctx, slices.Contains(req.Formats, render.FormatScreenshot))
	if err != nil {
		return fmt.Errorf("read the page: %w", err)
	}
	res.Screenshot = page.Screenshot
	var text []render.Format
	for _, f := range req.Formats {
		switch f {
		case render.FormatHTML:
			res.HTML = cut(r.String(page.HTML), maxChars, "html")
		case render.FormatMarkdown, render.FormatText, render.FormatLinks:
			text = append(text, f)
		}
	}
	if len(text) == 0 {
		return nil
	}
	out, err := m.opts.Extractor.Extract(page, &render.Request{URL: page.URL, Formats: text})
	if err != nil {
		return fmt.Errorf("extract: %w", err)
	}
	res.Markdown = cut(r.String(out.Markdown), maxChars, "markdown")
	res.Text = cut(r.String(out.Text), maxChars, "text")
	for _, l := range out.Links {
		res.Links = append(res.Links, render.Link{URL: r.String(l.URL), Text: r.String(l.Text), Internal: l.Internal})
	}
	return nil
}

// outline returns the snapshot as the reply shows it: the whole outline
// the first time a document is seen (or when full is asked), else what
// changed since the last one.
func (s *Session) outline(snap *Snapshot, full bool, maxChars int) (string, string) {
	lines := snap.lines(s.redact)
	s.mu.Lock()
	prevDoc, prev := s.lastDocument, s.lastLines
	s.lastDocument, s.lastLines = snap.Document, lines
	s.mu.Unlock()
	whole := joinLines(lines)
	if full || prev == nil || prevDoc != snap.Document {
		return cut(whole, maxChars, "snapshot"), SnapshotFull
	}
	d := diff(prev, lines)
	if d == "" {
		return "[no change since the last snapshot]", SnapshotDiff
	}
	if len(d) >= len(whole) {
		return cut(whole, maxChars, "snapshot"), SnapshotFull
	}
	return cut(d, maxChars, "snapshot diff"), SnapshotDiff
}

func joinLines(lines []string) string {
	n := 0
	for _, l := range lines {
		n += len(l) + 1
	}
	b := make([]byte, 0, n)
	for i, l := range lines {
		if i > 0 {
			b = append(b, '\n')
		}
		b = append(b, l...)
	}
	return string(b)
}

// Snapshot returns the full outline of the session's active tab, without
// running any action (browser_snapshot).
func (m *Manager) Snapshot(ctx context.Context, id string, maxChars int) (*ActResult, error) {
	return m.Act(ctx, id, &ActRequest{Snapshot: SnapshotFull, MaxChars: maxChars})
}
