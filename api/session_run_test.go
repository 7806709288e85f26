package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sous-dev/sous/api"
	"github.com/sous-dev/sous/extract"
	"github.com/sous-dev/sous/fixtures"
	"github.com/sous-dev/sous/isolate"
	"github.com/sous-dev/sous/render"
	"github.com/sous-dev/sous/session"
)

// TestCodeModeSession is the flow in one code-mode program
// (POST /v1/run): sign in with a secret, read the page behind the login,
// export the storage state, read it again from a second session started
// from that state, and see the login page from a third. The sessions the
// program opened end with it, and the reply shows no secret.
func TestCodeModeSession(t *testing.T) {
	// The program opens three sessions and signs in: 30 s, the default
	// limit, ran out beside four busy processes.
	isolates, err := isolate.New(context.Background(), isolate.Options{Command: isolate.SelfCommand(), Code: isolate.Limits{Timeout: 2 * time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := render.NewService(render.Options{Fetcher: pool, Extractor: extract.New(), Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	m, err := session.NewManager(session.Options{Browser: pool, Extractor: extract.New(), ActionTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		m.Close()
		svc.Close()
		isolates.Close()
	})
	base := serveAPI(t, api.New(svc, api.Options{Programs: isolates.Programs(svc).WithSessions(m), Sessions: m}))
	program := fmt.Sprintf(`
const s = await sous.session({secrets: {PASSWORD: %q}});
await s.navigate(%q);
await s.type("#username", "agent");
const signedIn = await s.type("#password", {secret: "PASSWORD"}, {submit: true});
const account = await s.text();
const state = await s.storage();
const again = await sous.session({storageState: state});
await again.navigate(%q);
const second = await again.markdown();
const fresh = await sous.session();
const third = await fresh.navigate(%q);
let failed = "";
try { await fresh.click("#nothing"); } catch (e) { failed = e.code; }
return {url: signedIn.url, account, second, third: third.url, failed, snapshot: signedIn.snapshot, cookies: state.cookies.length};`,
		fixtures.AppPassword, site.URL+"/app/login", site.URL+"/app/account", site.URL+"/app/account")
	body, err := json.Marshal(map[string]any{"code": program, "timeoutMs": 30000})
	if err != nil {
		t.Fatal(err)
	}
	var reply struct {
		Success bool `json:"success"`
		Result  struct {
			URL      string `json:"url"`
			Account  string `json:"account"`
			Second   string `json:"second"`
			Third    string `json:"third"`
			Failed   string `json:"failed"`
			Snapshot string `json:"snapshot"`
			Cookies  int    `json:"cookies"`
		} `json:"result"`
		Errors []api.Error `json:"errors"`
	}
	status, _ := post(t, base+"/v1/run", string(body), &reply)
	if status != 200 || !reply.Success {
		t.Fatalf("status %d: %+v", status, reply)
	}
	r := reply.Result
	if !strings.HasSuffix(r.URL, "/app/account") || !strings.Contains(r.Account, "Your balance: 42 loaves") || !strings.Contains(r.Second, "Welcome, agent") ||
		!strings.HasSuffix(r.Third, "/app/login") || r.Failed != "invalid_request" || r.Cookies == 0 {
		t.Errorf("the program's result: %+v", r)
	}
	if n := len(m.List()); n != 0 {
		t.Errorf("%d sessions outlived their program", n)
	}
	raw, _ := json.Marshal(reply)
	if strings.Contains(string(raw), "horse") {
		t.Errorf("the reply shows the password: %s", raw)
	}
}
