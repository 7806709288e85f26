package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"

	"github.com/sous-dev/sous/cluster"
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
type member struct {
	node  *cluster.Node
	cache *cluster.Cache
}

// join joins the cluster the flags name, when they name one, and puts the
// shared cache behind this node's memory cache in ops and eng.
func (f *clusterFlags) join(ctx context.Context, ops *operations, eng *engineFlags, logger *slog.Logger) (*member, error) {
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
	shared, err := node.NewCache(ctx, ops.cache, cluster.CacheOptions{})
	if err != nil {
		node.Close()
		return nil, err
	}
	eng.cache = shared
	logger.Info("joined the cluster", "node", node.Name())
	return &member{node: node, cache: shared}, nil
}

// Close leaves the cluster; on a nil member it does nothing.
func (m *member) Close() error {
	if m == nil {
		return nil
	}
	return m.node.Close()
}
