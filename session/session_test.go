package session_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sous-dev/sous/fixtures"
	"github.com/sous-dev/sous/render"
	"github.com/sous-dev/sous/session"
)

// secrets are the secrets of every test session: the app's password, which
// has characters that URLs and HTML escape, and an API token.
var secrets = map[string]string{"PASSWORD": fixtures.AppPassword, "TOKEN": "tok-5f2b9e1c-very-private"}

// mustNotLeak fails the test when any secret's value, raw or escaped, is in
// what a session returned.
func mustNotLeak(t *testing.T, what string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	for name, value := range secrets {
		for _, form := range []string{value, "horse &amp; &lt;battery&gt;", "horse+%26", "horse%20%26", `horse \u0026 \u003cbattery\u003e`} {
			if name == "TOKEN" && form != value {
				continue
			}
			if strings.Contains(string(b), form) {
				t.Errorf("%s shows secret %s (as %q): %s", what, name, form, b)
			}
		}
	}
}

func navigate(url string) session.Action { return session.Action{Kind: session.DoNavigate, URL: url} }

// signIn opens a session and signs in to the app with the PASSWORD secret.
func signIn(t *testing.T, m *session.Manager) string {
	t.Helper()
	info, err := m.Create(testContext(t), &session.CreateRequest{Secrets: secrets})
	if err != nil {
		t.Fatal(err)
	}
	res := act(t, m, info.ID, &session.ActRequest{Actions: []session.Action{
		navigate(site.URL + "/app/login"),
		{Kind: session.DoType, Target: "#username", Text: fixtures.AppUser},
		{Kind: session.DoType, Target: "#password", Secret: "PASSWORD", Submit: true},
	}})
	mustNotLeak(t, "the sign-in reply", res)
	if !strings.HasSuffix(res.URL, "/app/account") || !strings.Contains(res.Snapshot, "Welcome, agent") {
		t.Fatalf("signing in led to %s:\n%s", res.URL, res.Snapshot)
	}
	return info.ID
}

// TestSignInStorageState is the flow of the "done when": a session
// signs in with a secret and reads the page behind the login; a second
// session started from the first one's storage state reads it without
// signing in; a third, started from nothing, is sent to the login page.
func TestSignInStorageState(t *testing.T) {
	m := newManager(t, session.Options{})
	first := signIn(t, m)
	state, err := m.Storage(testContext(t), first)
	if err != nil {
		t.Fatal(err)
	}
	mustNotLeak(t, "the storage state", state)
	if len(state.Cookies) == 0 || len(state.Origins) == 0 {
		t.Fatalf("storage state without cookies or local storage: %+v", state)
	}

	info, err := m.Create(testContext(t), &session.CreateRequest{StorageState: state})
	if err != nil {
		t.Fatal(err)
	}
	res := act(t, m, info.ID, &session.ActRequest{Actions: []session.Action{navigate(site.URL + "/app/account")}, Formats: []render.Format{render.FormatMarkdown}})
	if !strings.HasSuffix(res.URL, "/app/account") || !strings.Contains(res.Markdown, "Welcome, agent") {
		t.Errorf("the second session, from the storage state, is at %s:\n%s", res.URL, res.Markdown)
	}
	if !strings.Contains(res.Markdown, "Stored greeting: Good to see you again") {
		t.Errorf("the second session did not get the first one's local storage:\n%s", res.Markdown)
	}

	third, err := m.Create(testContext(t), &session.CreateRequest{})
	if err != nil {
		t.Fatal(err)
	}
	res = act(t, m, third.ID, &session.ActRequest{Actions: []session.Action{navigate(site.URL + "/app/account")}})
	if !strings.HasSuffix(res.URL, "/app/login") || strings.Contains(res.Snapshot, "Welcome") {
		t.Errorf("a fresh session reached %s:\n%s", res.URL, res.Snapshot)
	}
}

// TestSecretsNeverShown types secrets where pages show them back: in a
// field's value (snapshot), a URL (a GET form) and page text, and checks
// every reply, the storage state and the log.
func TestSecretsNeverShown(t *testing.T) {
	var log strings.Builder
	m := newManager(t, session.Options{Logger: newLogger(&log)})
	info, err := m.Create(testContext(t), &session.CreateRequest{Secrets: secrets})
	if err != nil {
		t.Fatal(err)
	}
	res := act(t, m, info.ID, &session.ActRequest{Actions: []session.Action{
		navigate(site.URL + "/app/wizard"),
		{Kind: session.DoFill, Fields: []session.Field{{Target: "#name", Value: "Ada"}, {Target: "#plan", Value: "Pro"}}},
		{Kind: session.DoClick, Target: "button[type=submit]"},
		{Kind: session.DoType, Target: "#token", Secret: "TOKEN"},
	}})
	mustNotLeak(t, "the reply with the token typed", res)
	if !strings.Contains(res.Snapshot, "«secret:TOKEN»") {
		t.Errorf("the token field does not show «secret:TOKEN»:\n%s", res.Snapshot)
	}
	res = act(t, m, info.ID, &session.ActRequest{Actions: []session.Action{
		{Kind: session.DoCheck, Target: "#terms"},
		{Kind: session.DoClick, Target: "button[type=submit]"},
	}, Formats: []render.Format{render.FormatMarkdown, render.FormatText, render.FormatHTML, render.FormatLinks}})
	mustNotLeak(t, "the summary page", res)
	if !strings.Contains(res.URL, "token=«secret:TOKEN»") || !strings.Contains(res.Text, "Token on file: «secret:TOKEN»") {
		t.Errorf("the summary does not show the token as «secret:TOKEN»: url %s\n%s", res.URL, res.Text)
	}
	if !strings.Contains(res.Text, "Thanks, Ada. Plan: pro. Terms agreed: yes.") {
		t.Errorf("the wizard's summary is wrong:\n%s", res.Text)
	}
	// An error that would quote the value: a target holding it.
	res, err = m.Act(testContext(t), info.ID, &session.ActRequest{Actions: []session.Action{{Kind: session.DoClick, Target: `[value="` + secrets["TOKEN"] + `"]`}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed() == nil {
		t.Fatal("clicking an element that is not there succeeded")
	}
	mustNotLeak(t, "a failed step", res)
	got, err := m.Get(info.ID)
	if err != nil {
		t.Fatal(err)
	}
	mustNotLeak(t, "the session's description", got)
	for _, s := range m.List() {
		mustNotLeak(t, "the session list", s)
	}
	m.Close()
	mustNotLeak(t, "the log", log.String())
}
