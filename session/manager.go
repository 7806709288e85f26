package session

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sous-dev/sous/render"
)

// Browser makes isolated browser contexts: browserpool.Pool.
type Browser interface {
	OpenContext(ctx context.Context, opts ContextOptions) (Context, error)
}

// ContextOptions shape a new browser context.
type ContextOptions struct {
	Viewport  *render.Viewport
	UserAgent string
	Locale    string
	Timezone  string
}

// Context is one isolated browser context and its tabs: the browser side of
// a session. Its methods are called one at a time.
type Context interface {
	// Do runs one action on the active tab and waits for what it set off
	// (a navigation, requests) to settle. The action's secrets are resolved.
	Do(ctx context.Context, a *Action) error
	// Snapshot reads the active tab's outline.
	Snapshot(ctx context.Context) (*Snapshot, error)
	// Page reads the active tab's document, and a screenshot if asked.
	Page(ctx context.Context, screenshot bool) (*render.Page, error)
	// Tabs lists the context's tabs, the active one marked.
	Tabs(ctx context.Context) ([]Tab, error)
	// Dialog is the alert, confirm or prompt waiting for an answer, or nil.
	Dialog() *Dialog
	StorageState(ctx context.Context) (*StorageState, error)
	SetStorageState(ctx context.Context, s *StorageState) error
	// Done is closed when the context ended by itself (its page crashed or
	// ran out of memory, the browser went away); Err says why.
	Done() <-chan struct{}
	Err() error
	// Close disposes of the context and everything in it.
	Close() error
}

// Tab is one tab of a session.
type Tab struct {
	Index  int    `json:"index"`
	URL    string `json:"url"`
	Title  string `json:"title"`
	Active bool   `json:"active,omitempty"`
}

// Dialog is a JavaScript dialog waiting for an answer (the dialog action).
type Dialog struct {
	Type          string `json:"type"` // alert, confirm, prompt or beforeunload
	Message       string `json:"message"`
	DefaultPrompt string `json:"defaultPrompt,omitempty"`
}

// Options configure a Manager. Zero values mean the documented defaults.
type Options struct {
	Browser Browser // required
	// Extractor makes markdown, text and links of a session's page
	// (extract.Extractor); nil means those formats are refused.
	Extractor render.Extractor
	// MaxSessions is how many sessions may be open at once; past it,
	// Create fails with render.ErrOverloaded. Default: DefaultMaxSessions.
	MaxSessions int
	// DefaultTTL is how long a session may stay idle when its creator sets
	// none (default 300 s); MaxTTL the most one may ask for (default 1 h).
	DefaultTTL time.Duration
	MaxTTL     time.Duration
	// ActionTimeout bounds each action; default 30 s.
	ActionTimeout time.Duration
	// DataDir holds named profiles (DataDir/profiles/NAME.json, mode
	// 0600); "" refuses profiles.
	DataDir string
	// MaxChars is the snapshot budget of a request that sets none;
	// default 20,000 characters.
	MaxChars int
	Logger   *slog.Logger
}

// API is what transports call to run sessions: Manager, or a cluster's
// view of every node's sessions (package cluster).
type API interface {
	Create(ctx context.Context, req *CreateRequest) (*Info, error)
	Act(ctx context.Context, id string, req *ActRequest) (*ActResult, error)
	Get(id string) (*Info, error)
	List() []*Info
	Storage(ctx context.Context, id string) (*StorageState, error)
	CloseSession(ctx context.Context, id string) error
}

var _ API = (*Manager)(nil)

// ErrEnded is the error of a session that no longer exists because it was
// closed, expired or crashed; it wraps render.ErrNotFound.
var ErrEnded = fmt.Errorf("%w: session ended", render.ErrNotFound)

// Manager owns the open sessions. It is safe for concurrent use.
type Manager struct {
	opts     Options
	profiles profiles

	mu       sync.Mutex
	sessions map[string]*Session
	opening  int               // Creates in progress, counted against MaxSessions
	ended    map[string]string // id → why, for a clear error; bounded
	endOrder []string
	closed   bool

	stop chan struct{}
	wg   sync.WaitGroup
}

// Session is one open session.
type Session struct {
	id      string
	ttl     time.Duration
	profile string
	secrets map[string]string
	redact  redactor
	created time.Time
	browser Context

	// turn is held by the one request running on the session.
	turn chan struct{}

	mu       sync.Mutex
	lastUsed time.Time
	busy     bool
	watchers int // live views open
	// What the last snapshot showed, for the next one's diff.
	lastDocument string
	lastLines    []string
	url, title   string
	tabs         []Tab
}

// DefaultMaxSessions is the number of sessions a machine's memory holds,
// at about 256 MiB each within half of it: from 4 to 256.
func DefaultMaxSessions() int {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 16
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return min(256, max(4, int((kb<<10)/2/(256<<20))))
		}
	}
	return 16
}

// NewManager returns a Manager over opts.Browser.
func NewManager(opts Options) (*Manager, error) {
	if opts.Browser == nil {
		return nil, errors.New("session: Options.Browser is required")
	}
	if opts.MaxSessions < 0 || opts.DefaultTTL < 0 || opts.MaxTTL < 0 || opts.ActionTimeout < 0 || opts.MaxChars < 0 {
		return nil, errors.New("session: negative option")
	}
	if opts.MaxSessions == 0 {
		opts.MaxSessions = DefaultMaxSessions()
	}
	if opts.DefaultTTL == 0 {
		opts.DefaultTTL = 300 * time.Second
	}
	if opts.MaxTTL == 0 {
		opts.MaxTTL = time.Hour
	}
	if opts.DefaultTTL > opts.MaxTTL {
		return nil, fmt.Errorf("session: DefaultTTL %s is longer than MaxTTL %s", opts.DefaultTTL, opts.MaxTTL)
	}
	if opts.ActionTimeout == 0 {
		opts.ActionTimeout = 30 * time.Second
	}
	if opts.MaxChars == 0 {
		opts.MaxChars = 20_000
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	m := &Manager{
		opts:     opts,
		profiles: profiles{dir: opts.DataDir},
		sessions: map[string]*Session{},
		ended:    map[string]string{},
		stop:     make(chan struct{}),
	}
	m.wg.Go(m.expire)
	return m, nil
}

// CreateRequest is the body of POST /v1/sessions.
type CreateRequest struct {
	// TTL is how many seconds the session may stay idle before it ends.
	TTL       int              `json:"ttl,omitempty"`
	Viewport  *render.Viewport `json:"viewport,omitempty"`
	UserAgent string           `json:"userAgent,omitempty"`
	Locale    string           `json:"locale,omitempty"`
	Timezone  string           `json:"timezone,omitempty"`
	// StorageState starts the session with these cookies and local storage.
	StorageState *StorageState `json:"storageState,omitempty"`
	// Profile names a stored state: loaded at the start when it exists,
	// saved when the session ends.
	Profile string `json:"profile,omitempty"`
	// Secrets are values the session may type but never shows, by name.
	Secrets map[string]string `json:"secrets,omitempty"`
}

// Info describes an open session.
type Info struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt"`
	URL       string    `json:"url,omitempty"`
	Title     string    `json:"title,omitempty"`
	Tabs      []Tab     `json:"tabs,omitempty"`
	Profile   string    `json:"profile,omitempty"`
	// Watched is true while someone watches the live view.
	Watched bool `json:"watched"`
}

func (r *CreateRequest) check(maxTTL time.Duration) error {
	switch {
	case r.TTL < 0 || time.Duration(r.TTL)*time.Second > maxTTL:
		return fmt.Errorf("%w: ttl must be between 1 and %d seconds", render.ErrInvalidRequest, int(maxTTL/time.Second))
	case r.StorageState != nil && r.Profile != "":
		return fmt.Errorf("%w: give storageState or profile, not both", render.ErrInvalidRequest)
	case len(r.Secrets) > MaxSecrets:
		return fmt.Errorf("%w: %d secrets; the limit is %d", render.ErrInvalidRequest, len(r.Secrets), MaxSecrets)
	case len(r.UserAgent) > render.MaxUserAgent || len(r.Locale) > 64 || len(r.Timezone) > 64:
		return fmt.Errorf("%w: userAgent, locale or timezone is too long", render.ErrInvalidRequest)
	}
	if v := r.Viewport; v != nil && (v.Width < 100 || v.Height < 100 || v.Width > 4000 || v.Height > 4000) {
		return fmt.Errorf("%w: viewport must be between 100×100 and 4000×4000", render.ErrInvalidRequest)
	}
	for name, v := range r.Secrets {
		if !profileName.MatchString(name) {
			return fmt.Errorf("%w: secret name %q: a name is 1 to 64 letters, digits, '.', '_' or '-'", render.ErrInvalidRequest, name)
		}
		// A shorter value would be hidden wherever those characters
		// happen to appear, and show nothing useful.
		if len(v) < MinSecretLength || len(v) > MaxSecretLength {
			return fmt.Errorf("%w: secret %s must be %d to %d bytes", render.ErrInvalidRequest, name, MinSecretLength, MaxSecretLength)
		}
	}
	return r.StorageState.check()
}

// Create opens a session.
func (m *Manager) Create(ctx context.Context, req *CreateRequest) (*Info, error) {
	if req == nil {
		req = &CreateRequest{}
	}
	if err := req.check(m.opts.MaxTTL); err != nil {
		return nil, err
	}
	state := req.StorageState
	if req.Profile != "" {
		var err error
		if state, err = m.profiles.load(req.Profile); err != nil {
			return nil, err
		}
	}
	if err := m.reserve(); err != nil {
		return nil, err
	}
	reserved := true
	defer func() {
		if reserved {
			m.release()
		}
	}()
	bc, err := m.opts.Browser.OpenContext(ctx, ContextOptions{Viewport: req.Viewport, UserAgent: req.UserAgent, Locale: req.Locale, Timezone: req.Timezone})
	if err != nil {
		return nil, fmt.Errorf("open a browser context: %w", err)
	}
	if state != nil {
		if err := bc.SetStorageState(ctx, state); err != nil {
			bc.Close()
			return nil, fmt.Errorf("load the storage state: %w", err)
		}
	}
	ttl := m.opts.DefaultTTL
	if req.TTL > 0 {
		ttl = time.Duration(req.TTL) * time.Second
	}
	now := time.Now()
	s := &Session{
		id: newID(), ttl: ttl, profile: req.Profile, secrets: maps(req.Secrets), redact: newRedactor(req.Secrets),
		created: now, lastUsed: now, browser: bc, turn: make(chan struct{}, 1), url: "about:blank",
	}
	m.mu.Lock()
	m.opening--
	reserved = false
	if m.closed {
		m.mu.Unlock()
		bc.Close()
		return nil, render.ErrClosed
	}
	m.sessions[s.id] = s
	m.mu.Unlock()
	m.wg.Go(func() { m.watch(s) })
	m.opts.Logger.Info("session created", "session", s.short(), "ttl", ttl, "profile", req.Profile)
	return s.info(), nil
}

func maps(in map[string]string) map[string]string {
	out := make(map[string]string, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}

// reserve counts a session being opened against MaxSessions.
func (m *Manager) reserve() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return render.ErrClosed
	}
	if n := len(m.sessions) + m.opening; n >= m.opts.MaxSessions {
		return fmt.Errorf("%w: %d sessions are open, the most this service holds; close one (DELETE /v1/sessions/{id}) or wait for one to expire", render.ErrOverloaded, n)
	}
	m.opening++
	return nil
}

func (m *Manager) release() {
	m.mu.Lock()
	m.opening--
	m.mu.Unlock()
}

func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// short is the part of the id that log lines show: enough to tell sessions
// apart, not enough to use one.
func (s *Session) short() string { return s.id[:8] }

func (s *Session) info() *Info {
	s.mu.Lock()
	defer s.mu.Unlock()
	return &Info{
		ID: s.id, CreatedAt: s.created, ExpiresAt: s.lastUsed.Add(s.ttl), URL: s.redact.String(s.url), Title: s.redact.String(s.title),
		Tabs: slices.Clone(s.tabs), Profile: s.profile, Watched: s.watchers > 0,
	}
}

// watch ends s when its browser context ends by itself.
func (m *Manager) watch(s *Session) {
	select {
	case <-s.browser.Done():
		reason := "its browser context ended"
		if err := s.browser.Err(); err != nil {
			reason = s.redact.String(err.Error())
		}
		m.end(s, reason, false)
	case <-m.stop:
	}
}

// expire ends sessions idle past their TTL.
func (m *Manager) expire() {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
		case <-m.stop:
			return
		}
		now := time.Now()
		var idle []*Session
		m.mu.Lock()
		for _, s := range m.sessions {
			s.mu.Lock()
			if !s.busy && s.watchers == 0 && now.Sub(s.lastUsed) > s.ttl {
				idle = append(idle, s)
			}
			s.mu.Unlock()
		}
		m.mu.Unlock()
		for _, s := range idle {
			m.end(s, fmt.Sprintf("it was idle for longer than its ttl of %s", s.ttl), true)
		}
	}
}

// end removes s, saves its profile when save is set and it has one, and
// closes its browser context. why is what later requests for it are told.
func (m *Manager) end(s *Session, why string, save bool) {
	m.mu.Lock()
	if m.sessions[s.id] != s {
		m.mu.Unlock()
		return
	}
	delete(m.sessions, s.id)
	m.ended[s.id] = why
	m.endOrder = append(m.endOrder, s.id)
	if len(m.endOrder) > 1000 {
		delete(m.ended, m.endOrder[0])
		m.endOrder = m.endOrder[1:]
	}
	m.mu.Unlock()
	if save && s.profile != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		state, err := s.browser.StorageState(ctx)
		cancel()
		if err == nil {
			err = m.profiles.save(s.profile, state)
		}
		if err != nil {
			m.opts.Logger.Warn("saving a session's profile", "session", s.short(), "profile", s.profile, "err", s.redact.String(err.Error()))
		}
	}
	if err := s.browser.Close(); err != nil {
		m.opts.Logger.Debug("closing a session's browser context", "session", s.short(), "err", s.redact.String(err.Error()))
	}
	m.opts.Logger.Info("session ended", "session", s.short(), "why", why)
}

// lookup returns the open session id, or an error saying why there is none.
func (m *Manager) lookup(id string) (*Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok := m.sessions[id]; ok {
		return s, nil
	}
	if why, ok := m.ended[id]; ok {
		return nil, fmt.Errorf("%w: %s", ErrEnded, why)
	}
	if m.closed {
		return nil, render.ErrClosed
	}
	return nil, fmt.Errorf("%w: no session %q; sessions end when closed or idle past their ttl", render.ErrNotFound, id)
}

// take waits for s's turn, marking it busy so that it does not expire
// while in use; the returned function gives the turn back.
func (s *Session) take(ctx context.Context) (func(), error) {
	select {
	case s.turn <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: waiting for the session's previous request", render.ErrTimeout)
	}
	s.mu.Lock()
	s.busy = true
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		s.busy = false
		s.lastUsed = time.Now()
		s.mu.Unlock()
		<-s.turn
	}, nil
}

// Get describes the open session id.
func (m *Manager) Get(id string) (*Info, error) {
	s, err := m.lookup(id)
	if err != nil {
		return nil, err
	}
	return s.info(), nil
}

// List describes every open session, oldest first.
func (m *Manager) List() []*Info {
	m.mu.Lock()
	list := make([]*Session, 0, len(m.sessions))
	for _, s := range m.sessions {
		list = append(list, s)
	}
	m.mu.Unlock()
	slices.SortFunc(list, func(a, b *Session) int { return a.created.Compare(b.created) })
	out := make([]*Info, len(list))
	for i, s := range list {
		out[i] = s.info()
	}
	return out
}

// Storage exports the session's cookies and local storage, secrets
// redacted.
func (m *Manager) Storage(ctx context.Context, id string) (*StorageState, error) {
	s, err := m.lookup(id)
	if err != nil {
		return nil, err
	}
	done, err := s.take(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	ctx, cancel := context.WithTimeout(ctx, m.opts.ActionTimeout)
	defer cancel()
	state, err := s.browser.StorageState(ctx)
	if err != nil {
		return nil, s.redactError(fmt.Errorf("read storage state: %w", err))
	}
	return state.redacted(s.redact), nil
}

// CloseSession ends the session id, saving its profile if it has one.
func (m *Manager) CloseSession(ctx context.Context, id string) error {
	s, err := m.lookup(id)
	if err != nil {
		return err
	}
	done, err := s.take(ctx)
	if err != nil {
		return err
	}
	defer done()
	m.end(s, "it was closed", true)
	return nil
}

// Close ends every session, saving their profiles, and stops the Manager.
// It is safe to call more than once.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	list := make([]*Session, 0, len(m.sessions))
	for _, s := range m.sessions {
		list = append(list, s)
	}
	m.mu.Unlock()
	close(m.stop)
	var wg sync.WaitGroup
	for _, s := range list {
		wg.Go(func() { m.end(s, "the service shut down", true) })
	}
	wg.Wait()
	m.wg.Wait()
	return nil
}

// Stats is a snapshot of the Manager for metrics and /pressure.
type Stats struct {
	Open int
	Max  int
}

// Stats returns how many sessions are open and may be.
func (m *Manager) Stats() Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return Stats{Open: len(m.sessions), Max: m.opts.MaxSessions}
}

func (s *Session) redactError(err error) error {
	if err == nil {
		return nil
	}
	msg := s.redact.String(err.Error())
	if msg == err.Error() {
		return err
	}
	return &redactedError{msg: msg, sentinel: render.CodeOf(err).Err()}
}

// redactedError shows a message with secrets replaced, and still matches
// the sentinel of the error it stands for; it does not keep the original,
// whose text holds the secret.
type redactedError struct {
	msg      string
	sentinel error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.sentinel }
