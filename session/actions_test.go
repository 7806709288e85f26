package session_test

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sous-dev/sous/browserpool"
	"github.com/sous-dev/sous/render"
	"github.com/sous-dev/sous/session"
)

func newSession(t *testing.T, m *session.Manager, req *session.CreateRequest) string {
	t.Helper()
	info, err := m.Create(testContext(t), req)
	if err != nil {
		t.Fatal(err)
	}
	return info.ID
}

func index(i int) *int { return &i }

// untilTabs asks for the page until it has n tabs, within a minute: a
// window opens a moment after the click that opens it.
func untilTabs(t *testing.T, m *session.Manager, id string, res *session.ActResult, n int) *session.ActResult {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); len(res.Tabs) < n && time.Now().Before(deadline); {
		res = act(t, m, id, &session.ActRequest{Actions: []session.Action{{Kind: session.DoWait, TimeMs: 100}}})
	}
	return res
}

// openPopup follows /app/popup's target=_blank link and waits for its
// tab, checking that the opener stays the active one.
func openPopup(t *testing.T, m *session.Manager, id string) {
	t.Helper()
	res := act(t, m, id, &session.ActRequest{Actions: []session.Action{
		navigate(site.URL + "/app/popup"),
		{Kind: session.DoClick, Target: "a[target=_blank]"},
	}})
	res = untilTabs(t, m, id, res, 2)
	if len(res.Tabs) != 2 || !res.Tabs[0].Active {
		t.Fatalf("after a target=_blank link, tabs %+v", res.Tabs)
	}
}

func TestPopupsAreTabs(t *testing.T) {
	m := newManager(t, session.Options{})
	id := newSession(t, m, nil)
	openPopup(t, m, id)
	res := act(t, m, id, &session.ActRequest{Actions: []session.Action{{Kind: session.DoTab, Index: index(1)}, {Kind: session.DoWait, Text: "Opened by"}}})
	if !strings.Contains(res.Snapshot, "Opened by the link.") || !strings.Contains(res.URL, "/app/popup-child") || res.SnapshotMode != session.SnapshotFull {
		t.Errorf("the new tab reads %s (%s):\n%s", res.URL, res.SnapshotMode, res.Snapshot)
	}
	res = act(t, m, id, &session.ActRequest{Actions: []session.Action{{Kind: session.DoCloseTab}, {Kind: session.DoClick, Target: "button"}}})
	untilTabs(t, m, id, res, 2)
	res = act(t, m, id, &session.ActRequest{Actions: []session.Action{{Kind: session.DoTab, Index: index(1)}, {Kind: session.DoWait, Text: "Opened by"}}})
	if len(res.Tabs) != 2 || !strings.Contains(res.Snapshot, "Opened by the button.") {
		t.Errorf("window.open: tabs %+v\n%s", res.Tabs, res.Snapshot)
	}
}

// A link with target=_blank brings its new tab to the front, hiding the
// opener: when the agent goes back to the opener, actions on it work, as
// they would for a person. (Chromium draws no frames for a hidden tab, and
// a click waits for one.)
func TestActionsReachATabBehindAnother(t *testing.T) {
	m := newManager(t, session.Options{ActionTimeout: 10 * time.Second})
	id := newSession(t, m, nil)
	openPopup(t, m, id)
	// Read the new tab, then go back to the opener and use it.
	act(t, m, id, &session.ActRequest{Actions: []session.Action{{Kind: session.DoTab, Index: index(1)}, {Kind: session.DoWait, Text: "Opened by"}}})
	res := act(t, m, id, &session.ActRequest{Actions: []session.Action{{Kind: session.DoTab, Index: index(0)}}})
	if !strings.Contains(res.Snapshot, "This page is visible") {
		t.Errorf("the opener, made active again, is not in front:\n%s", res.Snapshot)
	}
	res = act(t, m, id, &session.ActRequest{Actions: []session.Action{{Kind: session.DoClick, Target: "button"}}})
	if res = untilTabs(t, m, id, res, 3); len(res.Tabs) != 3 {
		t.Errorf("the opener's button opened no window: tabs %+v", res.Tabs)
	}
}

func TestDialogs(t *testing.T) {
	m := newManager(t, session.Options{})
	id := newSession(t, m, nil)
	res := act(t, m, id, &session.ActRequest{Actions: []session.Action{navigate(site.URL + "/app/dialog"), {Kind: session.DoClick, Target: "#delete"}}})
	if res.Dialog == nil || res.Dialog.Type != "confirm" || res.Dialog.Message != "Delete the item?" || res.Snapshot != "" {
		t.Fatalf("after a click that opens a confirm: dialog %+v, snapshot %q", res.Dialog, res.Snapshot)
	}
	// Until it is answered, other actions are refused with the reason.
	res, err := m.Act(testContext(t), id, &session.ActRequest{Actions: []session.Action{{Kind: session.DoClick, Target: "#rename"}}})
	if err != nil || res.Failed() == nil || !strings.Contains(res.Steps[0].Error.Message, "confirm dialog is open") {
		t.Fatalf("an action while a dialog is open: %v %+v", err, res)
	}
	yes, no := true, false
	res = act(t, m, id, &session.ActRequest{Actions: []session.Action{{Kind: session.DoDialog, Accept: &yes}}})
	if res.Dialog != nil || !strings.Contains(res.Snapshot, "Deleted.") {
		t.Errorf("after accepting: %+v\n%s", res.Dialog, res.Snapshot)
	}
	res = act(t, m, id, &session.ActRequest{Actions: []session.Action{
		{Kind: session.DoClick, Target: "#rename"}, {Kind: session.DoDialog, Accept: &yes, Text: "Rye"},
		{Kind: session.DoClick, Target: "#delete"}, {Kind: session.DoDialog, Accept: &no},
	}, Formats: []render.Format{render.FormatText}})
	if !strings.Contains(res.Text, "Kept.") {
		t.Errorf("after cancelling: %s", res.Text)
	}
	res = act(t, m, id, &session.ActRequest{Actions: []session.Action{{Kind: session.DoClick, Target: "#rename"}, {Kind: session.DoDialog, Accept: &yes, Text: "Rye"}}})
	if !strings.Contains(res.Snapshot, "Renamed to Rye.") {
		t.Errorf("after answering the prompt:\n%s", res.Snapshot)
	}
}

func TestUpload(t *testing.T) {
	m := newManager(t, session.Options{})
	id := newSession(t, m, nil)
	content := "name,loaves\nada,42\n"
	res := act(t, m, id, &session.ActRequest{Actions: []session.Action{
		navigate(site.URL + "/app/upload"),
		{Kind: session.DoUpload, Target: "#file", Name: "loaves.csv", ContentBase64: base64.StdEncoding.EncodeToString([]byte(content))},
		{Kind: session.DoClick, Target: "button[type=submit]"},
	}, Formats: []render.Format{render.FormatText}})
	if !strings.Contains(res.Text, "Received loaves.csv, 19 bytes") || !strings.Contains(res.Text, "ada,42") {
		t.Errorf("after uploading: %s", res.Text)
	}
}

// TestSnapshotDiff: a change on the same page comes back as a diff naming
// only what changed; a new page comes back whole; refs stay with their
// elements.
func TestSnapshotDiff(t *testing.T) {
	m := newManager(t, session.Options{})
	id := newSession(t, m, nil)
	full := act(t, m, id, &session.ActRequest{Actions: []session.Action{navigate(site.URL + "/app/dialog")}})
	if full.SnapshotMode != session.SnapshotFull {
		t.Fatalf("first snapshot is %s", full.SnapshotMode)
	}
	ref := refOf(t, full.Snapshot, `button "Show notice"`)
	yes := true
	res := act(t, m, id, &session.ActRequest{Actions: []session.Action{{Kind: session.DoClick, Target: ref}, {Kind: session.DoDialog, Accept: &yes}}})
	if res.SnapshotMode != session.SnapshotDiff || !strings.Contains(res.Snapshot, "+ ") || !strings.Contains(res.Snapshot, "Alert seen.") ||
		strings.Contains(res.Snapshot, "Show notice") || len(res.Snapshot) >= len(full.Snapshot) {
		t.Errorf("the diff after a change:\n%s\n(full was:\n%s)", res.Snapshot, full.Snapshot)
	}
	res = act(t, m, id, &session.ActRequest{Actions: []session.Action{{Kind: session.DoWait, TimeMs: 1}}})
	if res.Snapshot != "[no change since the last snapshot]" {
		t.Errorf("no change reads %q", res.Snapshot)
	}
	res = act(t, m, id, &session.ActRequest{Snapshot: session.SnapshotFull})
	if res.SnapshotMode != session.SnapshotFull || !strings.Contains(res.Snapshot, "[ref="+ref+"]") {
		t.Errorf("a full snapshot of the same page lost ref %s:\n%s", ref, res.Snapshot)
	}
	res = act(t, m, id, &session.ActRequest{Actions: []session.Action{navigate(site.URL + "/app/upload")}})
	if res.SnapshotMode != session.SnapshotFull {
		t.Errorf("a new page's snapshot is %s", res.SnapshotMode)
	}
	res, err := m.Act(testContext(t), id, &session.ActRequest{Actions: []session.Action{{Kind: session.DoClick, Target: ref}}})
	if err != nil || res.Failed() == nil || res.Steps[0].Error.Code != render.CodeInvalidRequest {
		t.Errorf("a ref of the previous page: %v %+v", err, res.Steps)
	}
}

// refOf finds the ref of the snapshot line that holds what.
func refOf(t *testing.T, snapshot, what string) string {
	t.Helper()
	for line := range strings.Lines(snapshot) {
		if strings.Contains(line, what) {
			if _, rest, ok := strings.Cut(line, "[ref="); ok {
				return rest[:strings.IndexByte(rest, ']')]
			}
		}
	}
	t.Fatalf("no %s in:\n%s", what, snapshot)
	return ""
}

func TestFormControls(t *testing.T) {
	m := newManager(t, session.Options{})
	id := newSession(t, m, nil)
	res := act(t, m, id, &session.ActRequest{Actions: []session.Action{
		navigate(site.URL + "/app/wizard"),
		{Kind: session.DoType, Target: "#name", Text: "Grace"},
		{Kind: session.DoSelect, Target: "#plan", Values: []string{"team"}},
		{Kind: session.DoPress, Key: "Enter"},
	}})
	if !strings.Contains(res.URL, "/app/wizard/2") {
		t.Fatalf("Enter in the form went to %s", res.URL)
	}
	res = act(t, m, id, &session.ActRequest{Actions: []session.Action{
		{Kind: session.DoHover, Target: "#terms"},
		{Kind: session.DoCheck, Target: "#terms"}, {Kind: session.DoUncheck, Target: "#terms"}, {Kind: session.DoCheck, Target: "#terms"},
		{Kind: session.DoScroll, Direction: "down"},
		{Kind: session.DoClick, Target: "button[type=submit]"},
	}, Formats: []render.Format{render.FormatText}})
	if !strings.Contains(res.Text, "Thanks, Grace. Plan: team. Terms agreed: yes.") {
		t.Errorf("summary: %s", res.Text)
	}
	res = act(t, m, id, &session.ActRequest{Actions: []session.Action{{Kind: session.DoBack}}})
	if !strings.Contains(res.URL, "/app/wizard/2") {
		t.Errorf("back went to %s", res.URL)
	}
	res = act(t, m, id, &session.ActRequest{Actions: []session.Action{{Kind: session.DoForward}}})
	if !strings.Contains(res.URL, "/app/wizard/3") {
		t.Errorf("forward went to %s", res.URL)
	}
	res, err := m.Act(testContext(t), id, &session.ActRequest{Actions: []session.Action{
		{Kind: session.DoWait, Selector: "#summary"}, {Kind: session.DoSelect, Target: "#summary", Values: []string{"x"}}, {Kind: session.DoBack},
	}})
	if err != nil || len(res.Steps) != 2 || !res.Steps[0].OK || res.Steps[1].Error == nil || res.Steps[1].Error.Code != render.CodeInvalidRequest {
		t.Errorf("a failing step stops the request: %v %+v", err, res.Steps)
	}
}

// TestIsolation: two sessions share no cookies, and a one-shot render
// sees neither.
func TestIsolation(t *testing.T) {
	m := newManager(t, session.Options{})
	signedIn := signIn(t, m)
	other := newSession(t, m, nil)
	res := act(t, m, other, &session.ActRequest{Actions: []session.Action{navigate(site.URL + "/app/account")}})
	if !strings.HasSuffix(res.URL, "/app/login") {
		t.Errorf("another session reached %s", res.URL)
	}
	page, err := pool.Fetch(testContext(t), &render.Request{URL: site.URL + "/app/account"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(page.HTML, "Welcome") {
		t.Errorf("a one-shot render saw a session's login")
	}
	res = act(t, m, signedIn, &session.ActRequest{Actions: []session.Action{navigate(site.URL + "/app/account")}})
	if !strings.Contains(res.Snapshot, "Welcome, agent") {
		t.Errorf("the signed-in session lost its login:\n%s", res.Snapshot)
	}
}

func TestLimits(t *testing.T) {
	m := newManager(t, session.Options{MaxSessions: 2, DefaultTTL: time.Second})
	a := newSession(t, m, nil)
	newSession(t, m, nil)
	_, err := m.Create(testContext(t), nil)
	if !errors.Is(err, render.ErrOverloaded) || render.CodeOf(err).Status() != 429 {
		t.Fatalf("a session past the limit: %v", err)
	}
	// Idle past their ttl, both end, and their places are free again.
	deadline := time.Now().Add(30 * time.Second)
	for len(m.List()) > 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if n := len(m.List()); n != 0 {
		t.Fatalf("%d sessions still open past their ttl", n)
	}
	_, err = m.Act(testContext(t), a, &session.ActRequest{})
	if !errors.Is(err, render.ErrNotFound) || !strings.Contains(err.Error(), "idle for longer than its ttl") {
		t.Errorf("an expired session: %v", err)
	}
	newSession(t, m, nil)
	if _, err := m.Create(testContext(t), &session.CreateRequest{TTL: 7200}); !errors.Is(err, render.ErrInvalidRequest) {
		t.Errorf("a ttl over the maximum: %v", err)
	}
}

func TestProfiles(t *testing.T) {
	if _, err := newManager(t, session.Options{}).Create(testContext(t), &session.CreateRequest{Profile: "work"}); !errors.Is(err, render.ErrNotEnabled) {
		t.Errorf("a profile without a data directory: %v", err)
	}
	dir := t.TempDir()
	m := newManager(t, session.Options{DataDir: dir})
	id := newSession(t, m, &session.CreateRequest{Profile: "work", Secrets: secrets})
	act(t, m, id, &session.ActRequest{Actions: []session.Action{
		navigate(site.URL + "/app/login"),
		{Kind: session.DoFill, Fields: []session.Field{{Target: "#username", Value: "agent"}, {Target: "#password", Secret: "PASSWORD"}}},
		{Kind: session.DoPress, Key: "Enter"},
	}})
	if err := m.CloseSession(testContext(t), id); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, "profiles", "work.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("profile file: %v %v", fi, err)
	}
	id = newSession(t, m, &session.CreateRequest{Profile: "work"})
	res := act(t, m, id, &session.ActRequest{Actions: []session.Action{navigate(site.URL + "/app/account")}})
	if !strings.Contains(res.Snapshot, "Welcome, agent") {
		t.Errorf("a session from the profile:\n%s", res.Snapshot)
	}
	if _, err := m.Create(testContext(t), &session.CreateRequest{Profile: "../etc"}); !errors.Is(err, render.ErrInvalidRequest) {
		t.Errorf("a profile name with a path: %v", err)
	}
}

// TestGuard: a session's pages go through the network guard like every
// render: with private addresses not allowed, the fixtures on loopback are
// refused, whether navigated to or loaded by a page.
func TestGuard(t *testing.T) {
	guarded, err := browserpool.New(context.Background(), browserpool.Options{Tabs: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer guarded.Close()
	m, err := session.NewManager(session.Options{Browser: guarded})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	id := newSession(t, m, nil)
	res, err := m.Act(testContext(t), id, &session.ActRequest{Actions: []session.Action{navigate(site.URL + "/app/login")}})
	if err != nil || res.Failed() == nil || res.Steps[0].Error.Code != render.CodeBlocked {
		t.Errorf("navigating to loopback: %v %+v", err, res)
	}
}

// TestMemoryCapEndsSession: a page past the per-renderer memory cap is
// killed, which ends its session with a reason that says so; other
// sessions go on.
func TestMemoryCapEndsSession(t *testing.T) {
	capped, err := browserpool.New(context.Background(), browserpool.Options{Tabs: 1, AllowPrivate: true, RendererMemory: 256 << 20, BrowserMemory: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer capped.Close()
	bomb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, `<button onclick="const held = []; for (let i = 0; i < 16; i++) held.push(new Uint8Array(64 << 20).fill(1)); window.held = held;">Allocate</button>`)
	}))
	defer bomb.Close()
	m, err := session.NewManager(session.Options{Browser: capped, ActionTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	id := newSession(t, m, nil)
	other := newSession(t, m, nil)
	act(t, m, id, &session.ActRequest{Actions: []session.Action{navigate(bomb.URL)}})
	m.Act(testContext(t), id, &session.ActRequest{Actions: []session.Action{{Kind: session.DoClick, Target: "button"}}})
	deadline := time.Now().Add(60 * time.Second)
	var got error
	for time.Now().Before(deadline) {
		if _, got = m.Get(id); got != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !errors.Is(got, render.ErrNotFound) || !strings.Contains(got.Error(), "memory") {
		t.Fatalf("the session of a page past the memory cap: %v", got)
	}
	res := act(t, m, other, &session.ActRequest{Actions: []session.Action{navigate(site.URL + "/app/login")}})
	if !strings.Contains(res.Snapshot, "Sign in") {
		t.Errorf("the other session after the crash:\n%s", res.Snapshot)
	}
}

func TestDownloads(t *testing.T) {
	m := newManager(t, session.Options{})
	id := newSession(t, m, nil)
	res := act(t, m, id, &session.ActRequest{Actions: []session.Action{navigate(site.URL + "/app/"), {Kind: session.DoClick, Target: "#export"}}})
	for i := 0; i < 100 && (len(res.Downloads) == 0 || res.Downloads[0].State == "inProgress"); i++ {
		res = act(t, m, id, &session.ActRequest{Actions: []session.Action{{Kind: session.DoWait, TimeMs: 100}}})
	}
	if len(res.Downloads) != 1 || res.Downloads[0].State != "completed" || res.Downloads[0].Name != "loaves.csv" {
		t.Fatalf("downloads: %+v", res.Downloads)
	}
	info, content, err := m.Download(testContext(t), id, 0)
	if err != nil || info.Name != "loaves.csv" || string(content) != "name,loaves\nada,42\ngrace,7\n" {
		t.Errorf("download 0: %+v %q %v", info, content, err)
	}
	if _, _, err := m.Download(testContext(t), id, 1); !errors.Is(err, render.ErrNotFound) {
		t.Errorf("a download that is not there: %v", err)
	}
}

// An action whose navigation starts a moment later, from a task the page
// queued, as a form's submission does, is followed to the next page: on a
// busy machine that task ran after the quiet period that ends an action,
// and the agent was shown the page it had left.
func TestActionFollowsALateNavigation(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		if r.URL.Path == "/done" {
			io.WriteString(w, `<title>Done</title><p>Arrived.</p>`)
			return
		}
		// The page is busy for 400 ms (a slow machine) before it submits.
		io.WriteString(w, `<title>Form</title><form action=/done><button type=button onclick="setTimeout(() => {
  for (const end = Date.now() + 400; Date.now() < end;);
  this.form.submit();
})">Go</button></form>`)
	}))
	defer srv.Close()
	m := newManager(t, session.Options{})
	id := newSession(t, m, nil)
	res := act(t, m, id, &session.ActRequest{Actions: []session.Action{navigate(srv.URL + "/form"), {Kind: session.DoClick, Target: "button"}}})
	if !strings.Contains(res.URL, "/done") || !strings.Contains(res.Snapshot, "Arrived.") {
		t.Errorf("after the click the agent sees %s:\n%s", res.URL, res.Snapshot)
	}
}
