package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sous-dev/sous/identity"
)

// sous keygen writes a key that --identity-key reads, prints its keyid,
// and never overwrites one.
func TestKeygen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sous.key")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"keygen", "--out", path}, nil, &out, &out); err != nil {
		t.Fatalf("keygen: %v\n%s", err, out.String())
	}
	keys, err := identity.ReadKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "keyid " + identity.Thumbprint(keys[0].Public().(ed25519.PublicKey)); !strings.Contains(out.String(), want) {
		t.Errorf("output %q lacks %q", out.String(), want)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"keygen", "--out", path}, nil, &out, &out); err == nil {
		t.Error("keygen overwrote a key")
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("the key changed")
	}
	if err := run(context.Background(), []string{"keygen"}, nil, &out, &out); err == nil {
		t.Error("keygen without --out succeeded")
	}
}
