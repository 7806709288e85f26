package identity

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// directoryComponents are what a directory response signature covers (the
// draft's appendix on domain binding): the authority the directory was
// asked for, so that the key set cannot be served again under another,
// and the digest of the body.
var directoryComponents = []component{
	{name: "@authority", req: true},
	{name: "content-digest"},
}

// directoryMaxAge is how long verifiers may cache the directory: it bounds
// how long a key dropped from it keeps verifying, so it is what an
// operator waits out when rotating keys.
const directoryMaxAge = time.Hour

// directorySignatureLife is how long a directory response signature
// stays valid; the draft advises long lives for it.
const directorySignatureLife = 24 * time.Hour

// DirectoryHandler serves the key directory: a JWKS of every published key
// (kid = thumbprint), with one signature per key proving its possession
// and binding the set to the authority asked for. Mount it at
// DirectoryPath.
func (s *Signer) DirectoryHandler() http.Handler {
	body, err := json.Marshal(struct {
		Keys []JWK `json:"keys"`
	}{s.Keys()})
	if err != nil {
		panic(fmt.Sprintf("identity: marshal directory: %v", err)) // JWKs are plain strings
	}
	sum := sha256.Sum256(body)
	digest := "sha-256=:" + base64.StdEncoding.EncodeToString(sum[:]) + ":"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		h := w.Header()
		h.Set("Content-Type", DirectoryMediaType)
		h.Set("Cache-Control", "max-age="+strconv.Itoa(int(directoryMaxAge/time.Second)))
		h.Set("Content-Digest", digest)
		h.Set("Access-Control-Allow-Origin", "*")
		sig, input, err := s.signDirectory(authority(scheme, r.Host), h)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		h.Set(HeaderSignature, sig)
		h.Set(HeaderSignatureInput, input)
		if r.Method == http.MethodGet {
			w.Write(body) // a client that hung up is no error of ours
		}
	})
}

// signDirectory signs a directory response, with every key, for a request
// to host: the Signature and Signature-Input fields.
func (s *Signer) signDirectory(host string, h http.Header) (signature, input string, err error) {
	created := s.now().Unix()
	m := &message{header: h, request: &message{authority: host}}
	var sigs, inputs []string
	for i, k := range s.keys {
		params := signatureParams(directoryComponents, []param{
			{"created", created},
			{"expires", created + int64(directorySignatureLife/time.Second)},
			{"keyid", k.kid},
			{"alg", "ed25519"},
			{"tag", DirectoryTag},
		})
		base, err := signatureBase(m, directoryComponents, params)
		if err != nil {
			return "", "", fmt.Errorf("identity: sign directory: %w", err)
		}
		name := "binding" + strconv.Itoa(i)
		sigs = append(sigs, name+"=:"+base64.StdEncoding.EncodeToString(ed25519.Sign(k.private, []byte(base)))+":")
		inputs = append(inputs, name+"="+params)
	}
	return strings.Join(sigs, ", "), strings.Join(inputs, ", "), nil
}
