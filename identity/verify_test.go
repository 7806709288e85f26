package identity_test

import (
	"crypto/ed25519"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sous-dev/sous/identity"
	"github.com/sous-dev/sous/identity/identitytest"
)

// Requests signed by a Signer's transport, redirects included, verify with
// Cloudflare's reference implementation reading the Signer's directory;
// a wrong key, an expired signature and a tampered authority do not.
func TestIndependentVerifier(t *testing.T) {
	if testing.Short() {
		t.Skip("runs node")
	}
	old, err := identity.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	newest, err := identity.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	home := httptest.NewServer(mux)
	defer home.Close()
	signer, err := identity.New(identity.Options{Keys: []ed25519.PrivateKey{old, newest}, AgentURL: home.URL})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle(identity.DirectoryPath, signer.DirectoryHandler())
	dirURL := signer.AgentURL()

	rec := &identitytest.Recorder{}
	site := httptest.NewServer(rec.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, "/docs/page%20one?x=1", http.StatusFound)
			return
		}
		w.Write([]byte("ok"))
	})))
	defer site.Close()
	client := &http.Client{Transport: signer.Transport(nil), Timeout: 30 * time.Second}
	for _, path := range []string{"/", "/moved"} {
		resp, err := client.Get(site.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	reqs := rec.Requests()
	if len(reqs) != 3 {
		t.Fatalf("the site saw %d requests, want 3", len(reqs))
	}
	report := identitytest.Verify(t, dirURL, 0, reqs)
	if !report.Directory.OK || report.Directory.Keys != 2 {
		t.Fatalf("directory: %+v", report.Directory)
	}
	for i, r := range report.Requests {
		if !r.OK || r.KeyID != signer.KeyID() {
			t.Errorf("request %d (%s): %+v; want verified with the newest key %s", i, reqs[i].URL, r, signer.KeyID())
		}
	}

	// Negative cases, each of which the verifier must catch.
	other, err := identity.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := identity.New(identity.Options{Keys: []ed25519.PrivateKey{other}, AgentURL: home.URL})
	if err != nil {
		t.Fatal(err)
	}
	wrongKey := signedRequest(t, stranger, site.URL+"/")
	tampered := reqs[0]
	tampered.URL = strings.Replace(tampered.URL, "127.0.0.1", "localhost", 1)
	for _, tc := range []struct {
		name string
		req  identitytest.Request
		now  int64
		want string
	}{
		{"wrong key", wrongKey, 0, "not in the directory"},
		{"expired", reqs[0], time.Now().Add(2 * time.Minute).Unix(), "expired"},
		{"tampered authority", tampered, 0, "verification failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := identitytest.Verify(t, dirURL, tc.now, []identitytest.Request{tc.req}).Requests[0]
			if got.OK || !strings.Contains(got.Error, tc.want) {
				t.Errorf("verifier said %+v; want a failure about %q", got, tc.want)
			}
		})
	}
}

// signedRequest is a GET of rawURL as s signs it, as a server would see it.
func signedRequest(t *testing.T, s *identity.Signer, rawURL string) identitytest.Request {
	t.Helper()
	r, err := http.NewRequest("GET", rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Sign(r); err != nil {
		t.Fatal(err)
	}
	out := identitytest.Request{Method: "GET", URL: rawURL}
	for name, values := range r.Header {
		out.Headers = append(out.Headers, [2]string{name, values[0]})
	}
	return out
}
