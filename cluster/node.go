package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ErrUnavailable is the cluster out of reach: NATS is down or this node has
// lost its connection. Callers fall back to what this node can do alone.
var ErrUnavailable = errors.New("the cluster is unreachable")

// Options configure a Node. Zero values mean the documented defaults.
type Options struct {
	// URL is the NATS server (or a comma-separated list of a cluster's
	// servers) with JetStream enabled. Required.
	URL string
	// Name names this node in claims, job state and metrics; default the
	// host name and process id.
	Name string
	// OpTimeout bounds one JetStream operation; default 2 s. A cache
	// lookup that takes longer counts as a miss.
	OpTimeout time.Duration
	// ConnectTimeout bounds Join's first connection and setup; default 10 s.
	ConnectTimeout time.Duration

	Logger *slog.Logger
}

// Node is this process's membership of a cluster: one NATS connection and
// the JetStream buckets and streams the nodes share. It is safe for
// concurrent use.
type Node struct {
	opts Options
	nc   *nats.Conn
	js   jetstream.JetStream

	closeOnce sync.Once
}

// Join connects to NATS and makes sure the shared buckets and streams
// exist (every node creates them alike, so the first to start does).
// NATS may still be starting, as when a node and its server start
// together: Join fails only when NATS cannot be reached within
// Options.ConnectTimeout. Later outages are survived: the connection
// retries for ever.
func Join(ctx context.Context, opts Options) (*Node, error) {
	if opts.URL == "" {
		return nil, errors.New("cluster: Options.URL is required")
	}
	if opts.Name == "" {
		host, _ := os.Hostname()
		opts.Name = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	if strings.ContainsAny(opts.Name, " .*>\t\n") {
		return nil, fmt.Errorf("cluster: node name %q may not contain spaces, dots, * or >", opts.Name)
	}
	if opts.OpTimeout <= 0 {
		opts.OpTimeout = 2 * time.Second
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = 10 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	nc, err := connect(ctx, opts)
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("cluster: %w", err)
	}
	n := &Node{opts: opts, nc: nc, js: js}
	ctx, cancel := context.WithTimeout(ctx, opts.ConnectTimeout)
	defer cancel()
	if _, err := js.AccountInfo(ctx); err != nil {
		nc.Close()
		return nil, fmt.Errorf("cluster: NATS at %s answers but JetStream does not (start nats-server with -js): %w", nc.ConnectedUrlRedacted(), err)
	}
	return n, nil
}

// Name is this node's name.
func (n *Node) Name() string { return n.opts.Name }

// Connected reports whether this node can reach the cluster now.
func (n *Node) Connected() bool { return n.nc.Status() == nats.CONNECTED }

// Ready checks that JetStream answers, for /readyz.
func (n *Node) Ready(ctx context.Context) error {
	if !n.Connected() {
		return fmt.Errorf("%w: %s", ErrUnavailable, strings.ToLower(n.nc.Status().String()))
	}
	ctx, cancel := context.WithTimeout(ctx, n.opts.OpTimeout)
	defer cancel()
	if _, err := n.js.AccountInfo(ctx); err != nil {
		return fmt.Errorf("%w: jetstream: %v", ErrUnavailable, err)
	}
	return nil
}

// Close leaves the cluster. What this node claimed expires on its own.
// It is safe to call more than once.
func (n *Node) Close() error {
	n.closeOnce.Do(n.nc.Close)
	return nil
}

// op is a context for one JetStream operation: ctx's, bounded by OpTimeout.
func (n *Node) op(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, n.opts.OpTimeout)
}

// ensure runs create, retrying it while the cluster is momentarily out of
// reach, within ConnectTimeout.
func ensure[T any](ctx context.Context, n *Node, what string, create func(context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, n.opts.ConnectTimeout)
	defer cancel()
	for {
		v, err := create(ctx)
		if err == nil {
			return v, nil
		}
		select {
		case <-ctx.Done():
			return v, fmt.Errorf("cluster: create %s: %w", what, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// connect dials NATS, again and again until it answers or
// Options.ConnectTimeout (or ctx) runs out.
func connect(ctx context.Context, opts Options) (*nats.Conn, error) {
	logger := opts.Logger
	ctx, cancel := context.WithTimeout(ctx, opts.ConnectTimeout)
	defer cancel()
	for {
		nc, err := nats.Connect(opts.URL,
			nats.Name("sous "+opts.Name),
			nats.Timeout(opts.ConnectTimeout),
			nats.MaxReconnects(-1),
			nats.ReconnectWait(250*time.Millisecond),
			nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
				logger.Warn("cluster connection lost; working alone until it is back", "err", err)
			}),
			nats.ReconnectHandler(func(nc *nats.Conn) {
				logger.Info("cluster connection back", "server", nc.ConnectedUrlRedacted())
			}),
		)
		if err == nil {
			return nc, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("cluster: connect to NATS: %w: %v", ErrUnavailable, err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}
