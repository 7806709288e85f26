package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/sous-dev/sous/api"
	"github.com/sous-dev/sous/extract"
	"github.com/sous-dev/sous/render"
)

func TestTokens(t *testing.T) {
	svc, err := render.NewService(render.Options{Fetcher: pool, Extractor: extract.New(), Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	directory := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(`{"keys":[]}`)) })
	srv := api.New(svc, api.Options{Tokens: []string{"first-secret", "second-secret"}, KeyDirectory: directory})
	// A route that answers CORS preflights, as /mcp does for the origins an
	// operator allows.
	srv.Handle("OPTIONS /cors", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	srv.Handle("POST /cors", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) }))
	base := serveAPI(t, srv)

	tests := []struct {
		name, method, path, auth string
		want                     int
	}{
		{"health needs no token", "GET", "/healthz", "", 200},
		{"nor does the key directory, which sites read", "GET", api.KeyDirectoryPath, "", 200},
		{"but only it", "GET", api.KeyDirectoryPath + "x", "", 401},
		{"render without a token", "POST", "/v1/render", "", 401},
		{"wrong token", "POST", "/v1/render", "Bearer first-secreT", 401},
		{"token without Bearer", "POST", "/v1/render", "first-secret", 401},
		{"first token", "POST", "/v1/render", "Bearer first-secret", 200},
		{"second token", "POST", "/v1/render", "Bearer second-secret", 200},
		{"readyz is protected", "GET", "/readyz", "", 401},
		{"a CORS preflight needs no token", "OPTIONS", "/cors", "preflight", 204},
		{"the request after it does", "POST", "/cors", "", 401},
		{"OPTIONS without CORS headers does", "OPTIONS", "/cors", "", 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, base+tc.path, strings.NewReader(`{"html": "<p>hi</p>", "formats": ["text"]}`))
			switch tc.auth {
			case "":
			case "preflight":
				req.Header.Set("Origin", "https://app.example")
				req.Header.Set("Access-Control-Request-Method", "POST")
			default:
				req.Header.Set("Authorization", tc.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tc.want)
			}
			if tc.want == 401 {
				if resp.Header.Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
				var env api.Envelope
				json.NewDecoder(resp.Body).Decode(&env)
				if len(env.Errors) != 1 || env.Errors[0].Code != "unauthorized" {
					t.Errorf("errors = %+v", env.Errors)
				}
			}
		})
	}
}
