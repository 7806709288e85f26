package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/sous-dev/sous/api"
	"github.com/sous-dev/sous/cluster"
	"github.com/sous-dev/sous/crawl"
	"github.com/sous-dev/sous/metrics"
	"github.com/sous-dev/sous/session"
)

// clusterFlags join serve to a cluster of nodes on NATS JetStream.
type clusterFlags struct {
	url  string
	name string
}

func (f *clusterFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.url, "nats", "", "join a cluster: NATS server URL(s) with JetStream, e.g. nats://10.0.0.5:4222 (default: run alone, in memory)")
	fs.StringVar(&f.name, "node-name", "", "this node's name in the cluster (default: host name and process id)")
}

// member is this process's part in a cluster, or nil when it runs alone.
// Its methods are safe on a nil member and then do what a lone node does.
type member struct {
	node   *cluster.Node
	cache  *cluster.Cache
	crawls *cluster.Crawls // set by crawler
}

// join joins the cluster the flags name, when they name one: the shared
// cache goes behind this node's memory cache in eng, crawls' fetches are
// spaced over the cluster, and the metrics gain the cluster's figures.
func (f *clusterFlags) join(ctx context.Context, ops *operations, eng *engineFlags, crawls *crawlFlags, logger *slog.Logger) (*member, error) {
	if f.url == "" {
		if f.name != "" {
			return nil, errors.New("--node-name needs --nats")
		}
		return nil, nil
	}
	if ops.cache == nil {
		return nil, errors.New("--nats needs a memory cache in front of the shared one: leave --cache-size above 0")
	}
	node, err := cluster.Join(ctx, cluster.Options{URL: f.url, Name: f.name, Logger: logger})
	if err != nil {
		return nil, err
	}
	m := &member{node: node}
	if m.cache, err = node.NewCache(ctx, ops.cache, cluster.CacheOptions{}); err != nil {
		node.Close()
		return nil, err
	}
	gate, err := node.NewHostGate(ctx, crawlHostConcurrency)
	if err != nil {
		node.Close()
		return nil, err
	}
	eng.cache = m.cache
	crawls.hosts = gate
	ops.member = m
	ops.metrics.RegisterCluster(m.stats)
	logger.Info("joined the cluster", "node", node.Name())
	return m, nil
}

// crawlHostConcurrency is how many pages of one host a node renders at
// once in a cluster crawl: crawl.Options' default.
const crawlHostConcurrency = 2

// crawler returns what runs serve's crawl jobs: m, the manager of this
// node alone, or the cluster's crawls, which every node's workers share
// and whose jobs every node can read and cancel.
func (m *member) crawler(ctx context.Context, local *crawl.Manager) (api.Crawler, error) {
	if m == nil {
		return local, nil
	}
	c, err := m.node.NewCrawls(ctx, local, cluster.CrawlOptions{})
	if err != nil {
		return nil, fmt.Errorf("cluster crawls: %w", err)
	}
	m.crawls = c
	return c, nil
}

// sessions shares this node's sessions with the cluster, so that any
// node answers for them; nil for a lone node.
func (m *member) sessions(ctx context.Context, local *session.Manager) (*cluster.Sessions, error) {
	if m == nil {
		return nil, nil
	}
	s, err := m.node.NewSessions(ctx, local, time.Hour)
	if err != nil {
		return nil, fmt.Errorf("cluster sessions: %w", err)
	}
	return s, nil
}

// ready reports whether the cluster answers; a lone node always is.
func (m *member) ready(ctx context.Context) error {
	if m == nil {
		return nil
	}
	return m.node.Ready(ctx)
}

// pressure is the cluster part of /pressure; nil for a lone node.
func (m *member) pressure() *api.ClusterPressure {
	if m == nil {
		return nil
	}
	st := m.stats()
	return &api.ClusterPressure{
		Node: m.node.Name(), Connected: st.Connected,
		SharedHits: st.L2Hits, SharedMisses: st.L2Misses, ClaimWaits: st.ClaimWaits, CrawlVisits: st.CrawlVisits,
	}
}

func (m *member) stats() metrics.ClusterStats {
	cs := m.cache.Stats()
	st := metrics.ClusterStats{
		Connected: m.node.Connected(),
		L1Hits:    cs.L1Hits, L2Hits: cs.L2Hits, L2Misses: cs.L2Misses,
		Stored: cs.Stored, Errors: cs.Errors, Unavailable: cs.Unavailable,
		Claims: cs.Claims, ClaimWaits: cs.ClaimWaits, Takeovers: cs.Takeovers,
	}
	if m.crawls != nil {
		st.CrawlVisits = m.crawls.Visits()
	}
	return st
}

// closeCrawls stops this node's crawl workers; a page in flight goes back
// to the cluster's queue for another node. Safe on a nil member.
func (m *member) closeCrawls() {
	if m != nil && m.crawls != nil {
		m.crawls.Close()
	}
}

// Close leaves the cluster; on a nil member it does nothing.
func (m *member) Close() error {
	if m == nil {
		return nil
	}
	m.closeCrawls()
	return m.node.Close()
}
