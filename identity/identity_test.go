package identity

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// rfc9421Key is the Ed25519 test key of RFC 9421 appendix B.1.4.
func rfc9421Key(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	seed, err := base64.RawURLEncoding.DecodeString("n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU")
	if err != nil {
		t.Fatal(err)
	}
	key := ed25519.NewKeyFromSeed(seed)
	if x := base64.RawURLEncoding.EncodeToString(key.Public().(ed25519.PublicKey)); x != "JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs" {
		t.Fatalf("public key %s", x)
	}
	return key
}

func TestThumbprint(t *testing.T) {
	rfc8037, err := base64.RawURLEncoding.DecodeString("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		pub  ed25519.PublicKey
		want string
	}{
		// RFC 8037 appendix A.3.
		{"rfc8037", rfc8037, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"},
		// The keyid of the Web Bot Auth drafts' test vectors.
		{"rfc9421 key", rfc9421Key(t).Public().(ed25519.PublicKey), "poqkLGiymh_W0uP6PZFw-dvez3QJT5SolqXBCW38r0U"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Thumbprint(tc.pub); got != tc.want {
				t.Errorf("Thumbprint = %s, want %s", got, tc.want)
			}
		})
	}
}

// RFC 9421 appendix B.2.6: the signature base of the test request, and
// its Ed25519 signature (deterministic, so exactly the RFC's).
func TestRFC9421B26(t *testing.T) {
	m := &message{method: "POST", authority: "example.com", path: "/foo", header: http.Header{
		"Date":           {"Tue, 20 Apr 2021 02:07:55 GMT"},
		"Content-Type":   {"application/json"},
		"Content-Length": {"18"},
	}}
	comps := []component{{name: "date"}, {name: "@method"}, {name: "@path"}, {name: "@authority"}, {name: "content-type"}, {name: "content-length"}}
	params := signatureParams(comps, []param{{"created", int64(1618884473)}, {"keyid", "test-key-ed25519"}})
	base, err := signatureBase(m, comps, params)
	if err != nil {
		t.Fatal(err)
	}
	want := `"date": Tue, 20 Apr 2021 02:07:55 GMT
"@method": POST
"@path": /foo
"@authority": example.com
"content-type": application/json
"content-length": 18
"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"`
	if diff := cmp.Diff(want, base); diff != "" {
		t.Errorf("signature base (-want +got):\n%s", diff)
	}
	sig := base64.StdEncoding.EncodeToString(ed25519.Sign(rfc9421Key(t), []byte(base)))
	if want := "wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw=="; sig != want {
		t.Errorf("signature %s, want %s", sig, want)
	}
}

// The Web Bot Auth draft's Ed25519 test vector with a Signature-Agent
// member: the member's serialized value is what the base covers.
func TestWebBotAuthVector(t *testing.T) {
	m := &message{authority: "example.com", members: map[string]map[string]string{"signature-agent": {"agent2": `"https://signature-agent.test"`}}}
	comps := []component{{name: "@authority"}, {name: "signature-agent", key: "agent2"}}
	params := signatureParams(comps, []param{
		{"created", int64(1735689600)},
		{"keyid", "poqkLGiymh_W0uP6PZFw-dvez3QJT5SolqXBCW38r0U"},
		{"alg", "ed25519"},
		{"expires", int64(4889289600)},
		{"nonce", "n9p433xm+NJ3ph3upfBIGmsuwHw387YV7Q/F+6BSpGCVjYCqQw6rznNA8PVVLySrAWsv0hQtFioQb6E1YsauiA=="},
		{"tag", "web-bot-auth"},
	})
	if want := `("@authority" "signature-agent";key="agent2");created=1735689600;keyid="poqkLGiymh_W0uP6PZFw-dvez3QJT5SolqXBCW38r0U";alg="ed25519";expires=4889289600;nonce="n9p433xm+NJ3ph3upfBIGmsuwHw387YV7Q/F+6BSpGCVjYCqQw6rznNA8PVVLySrAWsv0hQtFioQb6E1YsauiA==";tag="web-bot-auth"`; params != want {
		t.Errorf("Signature-Input member\n got %s\nwant %s", params, want)
	}
	base, err := signatureBase(m, comps, params)
	if err != nil {
		t.Fatal(err)
	}
	sig := base64.StdEncoding.EncodeToString(ed25519.Sign(rfc9421Key(t), []byte(base)))
	if want := "RdNFx5Bj6au3YgAMQL/RzmUlZE8QZLIaXGRpw985hWnwPfMxT228NMk6ehRS1PSl4e8PhbNZACSanGdhEwYCCg=="; sig != want {
		t.Errorf("signature %s, want %s\nbase:\n%s", sig, want, base)
	}
}

func TestSignatureHeaders(t *testing.T) {
	key := rfc9421Key(t)
	now := time.Unix(1735689600, 0)
	for _, tc := range []struct {
		name, agentURL, rawURL       string
		wantAgent, wantBase          string
		wantAuthority, wantAgentsURL string
	}{
		{
			name:      "origin, default port",
			agentURL:  "https://Sous.Example.com:443/.well-known/http-message-signatures-directory",
			rawURL:    "https://Example.COM:443/a%20b/c?q=1",
			wantAgent: `sig1="https://sous.example.com"`,
			wantBase: `"@method": GET
"@authority": example.com
"@path": /a%20b/c
"signature-agent";key="sig1": "https://sous.example.com"
`,
			wantAgentsURL: "https://sous.example.com/.well-known/http-message-signatures-directory",
		},
		{
			name:      "jwks url, other port, empty path",
			agentURL:  "http://10.0.0.5:8080/keys.json",
			rawURL:    "http://site.test:8081",
			wantAgent: `sig1="http://10.0.0.5:8080/keys.json";type=jwks_uri`,
			wantBase: `"@method": GET
"@authority": site.test:8081
"@path": /
"signature-agent";key="sig1": "http://10.0.0.5:8080/keys.json";type=jwks_uri
`,
			wantAgentsURL: "http://10.0.0.5:8080/keys.json",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(Options{Keys: []ed25519.PrivateKey{key}, AgentURL: tc.agentURL, Now: func() time.Time { return now }, Rand: bytes.NewReader(make([]byte, 64))})
			if err != nil {
				t.Fatal(err)
			}
			if s.AgentURL() != tc.wantAgentsURL {
				t.Errorf("AgentURL = %s, want %s", s.AgentURL(), tc.wantAgentsURL)
			}
			req, err := http.NewRequest("GET", tc.rawURL, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Sign(req); err != nil {
				t.Fatal(err)
			}
			if got := req.Header.Get("Signature-Agent"); got != tc.wantAgent {
				t.Errorf("Signature-Agent %s, want %s", got, tc.wantAgent)
			}
			zeroNonce := base64.RawURLEncoding.EncodeToString(make([]byte, 64))
			wantInput := `sig1=("@method" "@authority" "@path" "signature-agent";key="sig1");created=1735689600;expires=1735689660;keyid="poqkLGiymh_W0uP6PZFw-dvez3QJT5SolqXBCW38r0U";alg="ed25519";nonce="` + zeroNonce + `";tag="web-bot-auth"`
			if got := req.Header.Get("Signature-Input"); got != wantInput {
				t.Errorf("Signature-Input\n got %s\nwant %s", got, wantInput)
			}
			base := tc.wantBase + `"@signature-params": ` + strings.TrimPrefix(wantInput, "sig1=")
			sig := req.Header.Get("Signature")
			raw, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(strings.TrimPrefix(sig, "sig1=:"), ":"))
			if err != nil {
				t.Fatalf("Signature %s: %v", sig, err)
			}
			if !ed25519.Verify(key.Public().(ed25519.PublicKey), []byte(base), raw) {
				t.Errorf("the signature does not verify over\n%s", base)
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	key := rfc9421Key(t)
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"no key", Options{AgentURL: "https://a.example"}},
		{"no agent url", Options{Keys: []ed25519.PrivateKey{key}}},
		{"ftp", Options{Keys: []ed25519.PrivateKey{key}, AgentURL: "ftp://a.example"}},
		{"relative", Options{Keys: []ed25519.PrivateKey{key}, AgentURL: "/keys"}},
		{"short key", Options{Keys: []ed25519.PrivateKey{key[:10]}, AgentURL: "https://a.example"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.opts); err == nil {
				t.Error("New accepted it")
			}
		})
	}
}

func TestKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sous.key")
	key, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteKeyFile(path, key); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", info.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "-----BEGIN PRIVATE KEY-----\n") {
		t.Errorf("not PKCS#8 PEM:\n%s", data)
	}
	if err := WriteKeyFile(path, key); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("overwrote a key: %v", err)
	}
	// A second key appended: both read, oldest first.
	second, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	more, err := MarshalKey(second)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(data, more...), 0o600); err != nil {
		t.Fatal(err)
	}
	keys, err := ReadKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || !keys[0].Equal(key) || !keys[1].Equal(second) {
		t.Errorf("read %d keys, not the two written in order", len(keys))
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadKeyFile(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("read a key others may read: %v", err)
	}
	if _, err := ParseKeys([]byte("not a key")); err == nil {
		t.Error("parsed a key from nothing")
	}
}
