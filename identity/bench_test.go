package identity_test

import (
	"crypto/ed25519"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/sous-dev/sous/identity"
)

func benchSigner(b *testing.B) *identity.Signer {
	b.Helper()
	key, err := identity.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	s, err := identity.New(identity.Options{Keys: []ed25519.PrivateKey{key}, AgentURL: "https://sous.example.com"})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkSignatureHeaders is the cost of signing one request: a nonce,
// the signature base and an Ed25519 signature.
func BenchmarkSignatureHeaders(b *testing.B) {
	s := benchSigner(b)
	u, err := url.Parse("https://www.example.com/docs/page?q=1")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.SignatureHeaders("GET", u); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFetch is one GET over a kept-alive loopback connection, plain
// and signed: what signing adds to each fetch of the http engine.
func BenchmarkFetch(b *testing.B) {
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<html><body><p>ok</p></body></html>"))
	}))
	defer site.Close()
	for _, tc := range []struct {
		name      string
		transport http.RoundTripper
	}{
		{"plain", &http.Transport{}},
		{"signed", benchSigner(b).Transport(&http.Transport{})},
	} {
		b.Run(tc.name, func(b *testing.B) {
			client := &http.Client{Transport: tc.transport}
			b.ReportAllocs()
			for b.Loop() {
				resp, err := client.Get(site.URL + "/page")
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
}
