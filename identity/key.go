package identity

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// pemType is the PEM block type of a PKCS#8 private key.
const pemType = "PRIVATE KEY"

// GenerateKey makes a new Ed25519 signing key from the system's random
// source.
func GenerateKey() (ed25519.PrivateKey, error) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate ed25519 key: %w", err)
	}
	return key, nil
}

// MarshalKey writes key as a PKCS#8 PEM block.
func MarshalKey(key ed25519.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("marshal key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemType, Bytes: der}), nil
}

// WriteKeyFile writes key to a new file at path, readable by its owner
// only (mode 0600). It refuses to replace an existing file: a key that
// signs for a published identity is not to be lost to a slip of the
// keyboard.
func WriteKeyFile(path string, key ed25519.PrivateKey) error {
	data, err := MarshalKey(key)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("write key: %s exists; choose another file (keys are never overwritten)", path)
		}
		return fmt.Errorf("write key: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write key %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write key %s: %w", path, err)
	}
	return nil
}

// ParseKeys reads every PKCS#8 Ed25519 private key in PEM data, in order.
func ParseKeys(data []byte) ([]ed25519.PrivateKey, error) {
	var keys []ed25519.PrivateKey
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != pemType {
			continue
		}
		parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse key %d: %w", len(keys)+1, err)
		}
		key, ok := parsed.(ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("key %d is a %T; Web Bot Auth keys here are Ed25519", len(keys)+1, parsed)
		}
		keys = append(keys, key)
	}
	if len(keys) == 0 {
		return nil, errors.New("no PKCS#8 PRIVATE KEY block")
	}
	return keys, nil
}

// ReadKeyFile reads the keys of a PEM file written by WriteKeyFile (or
// several such files concatenated, oldest first). It refuses a file that
// others may read.
func ReadKeyFile(path string) ([]ed25519.PrivateKey, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read key: %w", err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("read key %s: mode %v lets others read it; chmod 600 it", path, info.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read key: %w", err)
	}
	keys, err := ParseKeys(data)
	if err != nil {
		return nil, fmt.Errorf("read key %s: %w", path, err)
	}
	return keys, nil
}

// JWK is the public half of an Ed25519 key as a JSON Web Key (RFC 8037).
type JWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	// Kid is the key's thumbprint (see Thumbprint), which is also the
	// keyid of the signatures it makes.
	Kid string `json:"kid,omitempty"`
	X   string `json:"x"`
	Use string `json:"use,omitempty"`
}

// PublicJWK returns pub as a JWK whose kid is its thumbprint.
func PublicJWK(pub ed25519.PublicKey) JWK {
	return JWK{Kty: "OKP", Crv: "Ed25519", Kid: Thumbprint(pub), X: base64.RawURLEncoding.EncodeToString(pub), Use: "sig"}
}

// Thumbprint is the JWK SHA-256 thumbprint of pub (RFC 7638 over the
// required OKP members crv, kty and x, RFC 8037 appendix A.3), in
// unpadded base64url: the keyid Web Bot Auth signatures carry.
func Thumbprint(pub ed25519.PublicKey) string {
	// The members in lexicographic order, no spaces: the canonical form.
	canonical := `{"crv":"Ed25519","kty":"OKP","x":"` + base64.RawURLEncoding.EncodeToString(pub) + `"}`
	sum := sha256.Sum256([]byte(canonical))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
