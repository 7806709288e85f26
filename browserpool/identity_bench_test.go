package browserpool_test

import (
	"context"
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/sous-dev/sous/browserpool"
	"github.com/sous-dev/sous/identity"
	"github.com/sous-dev/sous/render"
)

// BenchmarkSignedPage renders a page with four subresources in a pool that
// signs every request and in one that signs none: the difference is what
// Web Bot Auth costs a browser render (each request paused, signed and
// continued over the protocol).
func BenchmarkSignedPage(b *testing.B) {
	key, err := identity.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	signer, err := identity.New(identity.Options{Keys: []ed25519.PrivateKey{key}, AgentURL: "https://sous.example.com"})
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		signer browserpool.RequestSigner
	}{
		{"plain", nil},
		{"signed", signer},
	} {
		b.Run(tc.name, func(b *testing.B) {
			p, err := browserpool.New(context.Background(), browserpool.Options{Tabs: 1, AllowPrivate: true, Signer: tc.signer})
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			req := &render.Request{URL: site.URL + "/resources.html"}
			render := func() {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				if _, err := p.Fetch(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
			render() // the browser's start is not the page's cost
			for b.Loop() {
				render()
			}
		})
	}
}
