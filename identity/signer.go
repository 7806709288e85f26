package identity

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Names Web Bot Auth gives things.
const (
	// DirectoryPath is the well-known path of a key directory.
	DirectoryPath = "/.well-known/http-message-signatures-directory"
	// DirectoryMediaType is the content type of a key directory.
	DirectoryMediaType = "application/http-message-signatures-directory+json"
	// RequestTag is the tag parameter of a request signature.
	RequestTag = "web-bot-auth"
	// DirectoryTag is the tag parameter of a directory response signature.
	DirectoryTag = "http-message-signatures-directory"
	// DefaultLifetime is how long a request signature is valid.
	DefaultLifetime = 60 * time.Second
	// label names Sous's signature in Signature, Signature-Input and
	// Signature-Agent.
	label = "sig1"
	// nonceBytes is the size of a nonce before encoding, as the reference
	// implementation makes them.
	nonceBytes = 64
)

// The headers a signed request carries.
const (
	HeaderSignature      = "Signature"
	HeaderSignatureInput = "Signature-Input"
	HeaderSignatureAgent = "Signature-Agent"
)

// requestComponents are what a request signature covers: the authority and
// the Signature-Agent member that the protocol requires, and the method and
// path, which narrow a signature to one resource so that whoever sees it
// cannot reuse it for another until it expires.
var requestComponents = []component{
	{name: "@method"},
	{name: "@authority"},
	{name: "@path"},
	{name: "signature-agent", key: label},
}

// Options configure a Signer.
type Options struct {
	// Keys are the signing keys, oldest first. All are published in the
	// directory; the last signs.
	Keys []ed25519.PrivateKey
	// AgentURL names where verifiers find the keys, sent as the
	// Signature-Agent header. An origin (https://sous.example.com), or the
	// well-known directory URL at one, is sent as an origin, the draft's
	// "directory" type; any other URL is sent as a JWKS URL
	// (type=jwks_uri). The draft asks for https; http is accepted for
	// services on a private network.
	AgentURL string
	// Lifetime is how long a request signature is valid; default 60 s.
	Lifetime time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Rand is the source of nonces; default crypto/rand.
	Rand io.Reader
}

// signingKey is a key with its public half and thumbprint.
type signingKey struct {
	private ed25519.PrivateKey
	public  ed25519.PublicKey
	kid     string
}

// Signer signs outgoing requests with Web Bot Auth and serves the key
// directory. It is safe for concurrent use.
type Signer struct {
	keys     []signingKey
	agentURL string
	// agentHeader is the Signature-Agent field, agentMember the serialized
	// value of Sous's member of it, which the signature base covers.
	agentHeader string
	agentMember string
	lifetime    time.Duration
	now         func() time.Time
	rand        io.Reader
}

// New returns a Signer, or an error for no keys or a bad AgentURL.
func New(opts Options) (*Signer, error) {
	if len(opts.Keys) == 0 {
		return nil, errors.New("identity: no signing key")
	}
	s := &Signer{lifetime: opts.Lifetime, now: opts.Now, rand: opts.Rand}
	if s.lifetime <= 0 {
		s.lifetime = DefaultLifetime
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	for i, k := range opts.Keys {
		if len(k) != ed25519.PrivateKeySize {
			return nil, fmt.Errorf("identity: key %d is not an Ed25519 private key", i+1)
		}
		pub := k.Public().(ed25519.PublicKey)
		s.keys = append(s.keys, signingKey{private: k, public: pub, kid: Thumbprint(pub)})
	}
	member, agentURL, err := agentMember(opts.AgentURL)
	if err != nil {
		return nil, err
	}
	s.agentURL, s.agentMember = agentURL, member
	s.agentHeader = label + "=" + member
	return s, nil
}

// agentMember is the Signature-Agent member value for raw: an origin for
// the directory type, any other URL as a JWKS URL. It also returns the
// URL where the keys are.
func agentMember(raw string) (member, keysURL string, err error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.Fragment != "" {
		return "", "", fmt.Errorf("identity: the agent URL %q is not an http(s) URL", raw)
	}
	origin := strings.ToLower(u.Scheme) + "://" + authority(strings.ToLower(u.Scheme), u.Host)
	if (u.Path == "" || u.Path == "/" || u.Path == DirectoryPath) && u.RawQuery == "" {
		return quoteString(origin), origin + DirectoryPath, nil
	}
	return quoteString(u.String()) + ";type=jwks_uri", u.String(), nil
}

// KeyID returns the thumbprint of the key that signs.
func (s *Signer) KeyID() string { return s.keys[len(s.keys)-1].kid }

// AgentURL returns the URL where verifiers find the keys.
func (s *Signer) AgentURL() string { return s.agentURL }

// Keys returns the published keys as JWKs, oldest first.
func (s *Signer) Keys() []JWK {
	out := make([]JWK, len(s.keys))
	for i, k := range s.keys {
		out[i] = PublicJWK(k.public)
	}
	return out
}

// Headers are the three fields of a signed request.
type Headers struct {
	Signature, SignatureInput, SignatureAgent string
}

// Set writes the headers into h, replacing any of the same names.
func (hs Headers) Set(h http.Header) {
	h.Set(HeaderSignature, hs.Signature)
	h.Set(HeaderSignatureInput, hs.SignatureInput)
	h.Set(HeaderSignatureAgent, hs.SignatureAgent)
}

// SignatureHeaders signs a request of method to u, which must be an
// absolute http(s) URL.
func (s *Signer) SignatureHeaders(method string, u *url.URL) (Headers, error) {
	scheme := strings.ToLower(u.Scheme)
	if (scheme != "http" && scheme != "https") || u.Host == "" {
		return Headers{}, fmt.Errorf("identity: sign %s: not an absolute http(s) URL", u.Redacted())
	}
	return s.sign(method, scheme, u.Host, u.EscapedPath())
}

// RequestHeaders signs a request of method to rawURL and returns the
// headers by name, for clients that take headers as a map (a browser's
// request interception).
func (s *Signer) RequestHeaders(method, rawURL string) (map[string]string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("identity: sign: %w", err)
	}
	hs, err := s.SignatureHeaders(method, u)
	if err != nil {
		return nil, err
	}
	return map[string]string{HeaderSignature: hs.Signature, HeaderSignatureInput: hs.SignatureInput, HeaderSignatureAgent: hs.SignatureAgent}, nil
}

// sign signs a request of method to host and path (as sent on the wire).
func (s *Signer) sign(method, scheme, host, path string) (Headers, error) {
	if path == "" {
		path = "/"
	}
	nonce := make([]byte, nonceBytes)
	if _, err := io.ReadFull(s.rand, nonce); err != nil {
		return Headers{}, fmt.Errorf("identity: nonce: %w", err)
	}
	key := s.keys[len(s.keys)-1]
	created := s.now().Unix()
	params := signatureParams(requestComponents, []param{
		{"created", created},
		{"expires", created + int64(s.lifetime/time.Second)},
		{"keyid", key.kid},
		{"alg", "ed25519"},
		{"nonce", base64.RawURLEncoding.EncodeToString(nonce)},
		{"tag", RequestTag},
	})
	m := &message{
		method:    strings.ToUpper(method),
		authority: authority(scheme, host),
		path:      path,
		members:   map[string]map[string]string{"signature-agent": {label: s.agentMember}},
	}
	base, err := signatureBase(m, requestComponents, params)
	if err != nil {
		return Headers{}, fmt.Errorf("identity: %w", err)
	}
	sig := ed25519.Sign(key.private, []byte(base))
	return Headers{
		Signature:      label + "=:" + base64.StdEncoding.EncodeToString(sig) + ":",
		SignatureInput: label + "=" + params,
		SignatureAgent: s.agentHeader,
	}, nil
}

// Sign adds the signature headers to r, for the host it goes to.
func (s *Signer) Sign(r *http.Request) error {
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	hs, err := s.sign(method, strings.ToLower(r.URL.Scheme), host, r.URL.EscapedPath())
	if err != nil {
		return err
	}
	hs.Set(r.Header)
	return nil
}

// Transport returns a RoundTripper that signs each request, redirects
// included (each hop is a request of its own, to its own authority),
// before base sends it. A nil base is http.DefaultTransport.
func (s *Signer) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &signingTransport{signer: s, base: base}
}

type signingTransport struct {
	signer *Signer
	base   http.RoundTripper
}

// RoundTrip signs a copy of r (a RoundTripper must not change its
// request) and sends it.
func (t *signingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	signed := r.Clone(r.Context())
	if err := t.signer.Sign(signed); err != nil {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, err
	}
	return t.base.RoundTrip(signed)
}
