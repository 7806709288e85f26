package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"

	"github.com/sous-dev/sous/crawl"

	"github.com/sous-dev/sous/identity"
)

// identityFlags are the flags of Sous's Web Bot Auth identity: the keys
// that sign every outgoing request, and where sites find their public
// halves.
type identityFlags struct {
	keyFiles stringList
	url      string
	// token is the User-Agent product token robots.txt groups are matched
	// against; respectSignals refuses renders whose purpose a site's
	// Content-Signal refuses.
	token          string
	respectSignals bool
	// maxPrice and paymentBudget, in USD, bound what pay-per-crawl sites
	// are paid: a page, and in all.
	maxPrice, paymentBudget float64
}

func (f *identityFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.token, "user-agent-token", "Sous/"+buildVersion(), "the product token robots.txt groups are matched against (without its /version), sent as the User-Agent of robots.txt and sitemap fetches")
	fs.Float64Var(&f.maxPrice, "max-price", 0, "pay a pay-per-crawl site's 402 (crawler-price) up to this many USD a page, e.g. 0.05, retrying signed with crawler-exact-price; needs --identity-key (0: pay nothing)")
	fs.Float64Var(&f.paymentBudget, "payment-budget", 0, "the USD this service may spend on pay-per-crawl pages in all, until it restarts")
	fs.BoolVar(&f.respectSignals, "respect-signals", false, "refuse a render whose purpose (search, ai-input, ai-train) its site's robots.txt Content-Signal refuses: code disallowed")
	fs.Var(&f.keyFiles, "identity-key", "sign every outgoing request with this Ed25519 key (from sous keygen) under Web Bot Auth; repeat to publish several, oldest first: the last signs")
	fs.StringVar(&f.url, "identity-url", "", "where sites find the public keys, sent as Signature-Agent: an https origin serving this service's "+identity.DirectoryPath+" (default: this service's own address)")
}

// signer returns the signer the flags describe, or nil without a key. The
// directory's default home is the service's own listener.
func (f *identityFlags) signer(listener net.Addr, logger *slog.Logger) (*identity.Signer, error) {
	if len(f.keyFiles) == 0 {
		if f.url != "" {
			return nil, &usageError{command: "serve", problem: "--identity-url needs --identity-key"}
		}
		return nil, nil
	}
	var keys []ed25519.PrivateKey
	for _, path := range f.keyFiles {
		k, err := identity.ReadKeyFile(path)
		if err != nil {
			return nil, fmt.Errorf("--identity-key: %w", err)
		}
		keys = append(keys, k...)
	}
	home := f.url
	if home == "" {
		home = "http://" + listener.String()
		if tcp, ok := listener.(*net.TCPAddr); ok && (tcp.IP.IsLoopback() || tcp.IP.IsUnspecified()) {
			logger.Warn("the key directory is named by this service's listening address, which sites cannot reach; set --identity-url to its public https origin", "agent", home)
		}
	}
	s, err := identity.New(identity.Options{Keys: keys, AgentURL: home})
	if err != nil {
		return nil, fmt.Errorf("--identity-url: %w", err)
	}
	logger.Info("signing outgoing requests (Web Bot Auth)", "keyid", s.KeyID(), "keys", len(keys), "directory", s.AgentURL())
	return s, nil
}

// rules wires what sites say into the engine: every render reads its
// site's Content Signals (robots.txt, once per site a while, fetched
// through the guard and signed like every other request), and crawls
// match robots.txt groups against the product token.
func (f *identityFlags) rules(eng *engineFlags) error {
	client, err := guardedClient(eng)
	if err != nil {
		return err
	}
	eng.agentToken = f.token
	eng.signals = crawl.NewSignalReader(client, productToken(f.token), f.token)
	eng.llmsTxt = crawl.NewLLMsTxtReader(client, f.token)
	eng.respectSignals = f.respectSignals
	return nil
}

// budget returns the pay-per-crawl budget the flags describe, or nil when
// nothing is to be paid.
func (f *identityFlags) budget() (*identity.Budget, error) {
	if f.maxPrice == 0 && f.paymentBudget == 0 {
		return nil, nil
	}
	if len(f.keyFiles) == 0 {
		return nil, &usageError{command: "serve", problem: "--max-price and --payment-budget need --identity-key: sites are paid only for signed requests"}
	}
	b, err := identity.NewBudget(f.maxPrice, f.paymentBudget)
	if err != nil {
		return nil, &usageError{command: "serve", problem: "--max-price must be more than 0 and --payment-budget 0 or more"}
	}
	return b, nil
}

// productToken is the name of a User-Agent product token, without its
// version: "Sous" of "Sous/1.2".
func productToken(token string) string {
	name, _, _ := strings.Cut(token, "/")
	return name
}

// keygen writes a new Ed25519 key for --identity-key and prints its public
// half as a JWK.
func keygen(_ context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("keygen", "keygen --out FILE", stdout)
	out := fs.String("out", "", "the new key's file (PKCS#8 PEM, mode 0600); never overwritten")
	if rest, err := fs.parse(args); err != nil {
		return err
	} else if len(rest) > 0 {
		return fs.usageError("keygen takes no arguments, got %q", rest)
	}
	if *out == "" {
		return fs.usageError("--out FILE is required")
	}
	key, err := identity.GenerateKey()
	if err != nil {
		return err
	}
	if err := identity.WriteKeyFile(*out, key); err != nil {
		return err
	}
	jwk, err := json.Marshal(identity.PublicJWK(key.Public().(ed25519.PublicKey)))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s\nkeyid %s\npublic key %s\n", *out, identity.Thumbprint(key.Public().(ed25519.PublicKey)), jwk)
	return nil
}
