// Package identity is how Sous says who it is to the sites it visits: Web
// Bot Auth (draft-ietf-webbotauth-httpsig-protocol, the architecture of
// draft-meunier-web-bot-auth-architecture), which signs every outgoing
// request with an Ed25519 key under RFC 9421 HTTP Message Signatures, and
// publishes the public keys in a key directory that sites fetch to check
// the signatures.
//
// A request signed here carries three headers:
//
//	Signature-Agent: sig1="https://sous.example.com"
//	Signature-Input: sig1=("@method" "@authority" "@path" "signature-agent";key="sig1");
//	    created=1735689600;expires=1735689660;keyid="poqk…";alg="ed25519";nonce="…";tag="web-bot-auth"
//	Signature: sig1=:…:
//
// keyid is the key's JWK SHA-256 thumbprint (RFC 7638, with the OKP members
// of RFC 8037), so a verifier picks the key out of the directory named by
// Signature-Agent without trusting any label. Signatures live 60 seconds
// by default and each has a fresh nonce.
//
// Keys are PKCS#8 PEM files (GenerateKey, WriteKeyFile, ReadKeyFile). A
// Signer holds one or more: all are published, the last (newest) signs,
// so a key is rotated by publishing the new one beside the old, then
// dropping the old once verifiers' caches of the directory have expired.
//
//	keys, err := identity.ReadKeyFile("sous.key")
//	s, err := identity.New(identity.Options{Keys: keys, AgentURL: "https://sous.example.com"})
//	client := &http.Client{Transport: s.Transport(http.DefaultTransport)}
//	mux.Handle(identity.DirectoryPath, s.DirectoryHandler())
//
// Browser requests are signed one by one through SignatureHeaders, since
// each has its own authority and path.
//
// The package also reads what sites say back: Content Signals in
// robots.txt are the crawl package's (it owns robots.txt); pay-per-crawl
// and x402 answers (HTTP 402) are read here (see Payment).
package identity
