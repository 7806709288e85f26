package cluster

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sous-dev/sous/crawl"
)

const hostsBucket = "sous_crawl_hosts" // KV: when each host may next be fetched

// HostGate is a crawl.HostGate over the cluster: a host's fetches are
// spaced out over every node, through one KV key per host holding when the
// next fetch may start, moved forward with compare-and-set. How many fetches
// from a host run at once is bounded per node. While the cluster is out of
// reach, this node spaces its own fetches alone.
type HostGate struct {
	node  *Node
	kv    jetstream.KeyValue
	local *crawl.HostGates
}

var _ crawl.HostGate = (*HostGate)(nil)

// NewHostGate returns the cluster's host gate, letting concurrency fetches
// from one host run at once on this node.
func (n *Node) NewHostGate(ctx context.Context, concurrency int) (*HostGate, error) {
	kv, err := ensure(ctx, n, "hosts bucket", func(ctx context.Context) (jetstream.KeyValue, error) {
		return n.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket: hostsBucket, Description: "Sous crawl: when each host may next be fetched",
			TTL: 10 * time.Minute, Storage: jetstream.MemoryStorage,
		})
	})
	if err != nil {
		return nil, err
	}
	return &HostGate{node: n, kv: kv, local: crawl.NewHostGates(concurrency)}, nil
}

// Acquire waits for a slot on host on this node, and for delay to have
// passed since the last fetch from host started on any node.
func (g *HostGate) Acquire(ctx context.Context, host string, delay time.Duration) (func(), error) {
	if delay <= 0 || !g.node.Connected() {
		return g.local.Acquire(ctx, host, delay)
	}
	release, err := g.local.Acquire(ctx, host, 0)
	if err != nil {
		return nil, err
	}
	start, err := g.reserve(ctx, host, delay)
	if err != nil {
		release()
		return g.local.Acquire(ctx, host, delay) // the cluster went away meanwhile
	}
	if wait := time.Until(start); wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			release()
			return nil, context.Cause(ctx)
		}
	}
	return release, nil
}

// reserve takes the next start time of host and moves it on by delay.
func (g *HostGate) reserve(ctx context.Context, host string, delay time.Duration) (time.Time, error) {
	key := storeKey("h", host)
	for {
		octx, cancel := g.node.op(ctx)
		e, err := g.kv.Get(octx, key)
		var next time.Time
		var rev uint64
		switch {
		case err == nil:
			rev = e.Revision()
			_ = next.UnmarshalText(e.Value())
		case !errors.Is(err, jetstream.ErrKeyNotFound):
			cancel()
			return time.Time{}, err
		}
		start := time.Now()
		if next.After(start) {
			start = next
		}
		value, _ := start.Add(delay).MarshalText()
		if rev == 0 {
			_, err = g.kv.Create(octx, key, value)
		} else {
			_, err = g.kv.Update(octx, key, value, rev)
		}
		cancel()
		if err == nil {
			return start, nil
		}
		if !isConflict(err) {
			return time.Time{}, err
		}
	}
}
