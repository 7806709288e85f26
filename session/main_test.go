package session_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/sous-dev/sous/browserpool"
	"github.com/sous-dev/sous/extract"
	"github.com/sous-dev/sous/fixtures"
	"github.com/sous-dev/sous/session"
)

// One Chromium and one fixtures server for the whole test binary; each test
// opens its own sessions, each in its own browser context.
var (
	site *fixtures.Server
	pool *browserpool.Pool
)

func TestMain(m *testing.M) {
	site = fixtures.Start()
	var err error
	pool, err = browserpool.New(context.Background(), browserpool.Options{Tabs: 1, AllowPrivate: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	pool.Close()
	site.Close()
	os.Exit(code)
}

// newManager returns a Manager over the shared pool, closed with the test.
func newManager(t testing.TB, opts session.Options) *session.Manager {
	t.Helper()
	opts.Browser = pool
	if opts.Extractor == nil {
		opts.Extractor = extract.New()
	}
	if opts.ActionTimeout == 0 {
		opts.ActionTimeout = 20 * time.Second
	}
	m, err := session.NewManager(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// testContext is the deadline of one test's calls: generous, for a loaded
// machine.
func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// act runs actions and fails the test if a step failed.
func act(t testing.TB, m *session.Manager, id string, req *session.ActRequest) *session.ActResult {
	t.Helper()
	res, err := m.Act(testContext(t), id, req)
	if err != nil {
		t.Fatalf("act %v: %v", req.Actions, err)
	}
	if err := res.Failed(); err != nil {
		t.Fatalf("act: %v\nsnapshot:\n%s", err, res.Snapshot)
	}
	return res
}
