package cluster_test

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/sous-dev/sous/cache"
	"github.com/sous-dev/sous/cluster"
	"github.com/sous-dev/sous/extract"
	"github.com/sous-dev/sous/httpfetch"
	"github.com/sous-dev/sous/render"
)

// natsServer is a real nats-server with JetStream, in this process, on a
// random loopback port, storing in a temporary directory the test removes.
// Restart keeps the port and the store, as a restarted server would.
type natsServer struct {
	t    testing.TB
	dir  string
	port int
	srv  *server.Server
	URL  string
}

func startNATS(t testing.TB) *natsServer {
	t.Helper()
	n := &natsServer{t: t, dir: t.TempDir(), port: -1}
	n.start()
	t.Cleanup(n.stop)
	return n
}

func (n *natsServer) start() {
	n.t.Helper()
	srv, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: n.port, JetStream: true, StoreDir: n.dir,
		NoLog: true, NoSigs: true, MaxPayload: 2 << 20,
	})
	if err != nil {
		n.t.Fatal(err)
	}
	srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		n.t.Fatal("nats-server did not start")
	}
	n.srv = srv
	n.port = srv.Addr().(*net.TCPAddr).Port
	n.URL = fmt.Sprintf("nats://127.0.0.1:%d", n.port)
}

func (n *natsServer) stop() {
	if n.srv != nil {
		n.srv.Shutdown()
		n.srv.WaitForShutdown()
		n.srv = nil
	}
}

// restart stops the server and starts it again on the same port and store.
func (n *natsServer) restart() {
	n.stop()
	n.start()
}

// node is one Sous node of a test: a cluster member with a render service
// (the http engine) behind a two-level cache.
type node struct {
	member *cluster.Node
	cache  *cluster.Cache
	local  *cache.Cache
	svc    *render.Service
}

type nodeOptions struct {
	claimTTL time.Duration
}

func startNode(t testing.TB, ns *natsServer, name string, o nodeOptions) *node {
	t.Helper()
	ctx := context.Background()
	member, err := cluster.Join(ctx, cluster.Options{URL: ns.URL, Name: name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { member.Close() })
	local, err := cache.New(cache.Options{MaxBytes: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { local.Close() })
	shared, err := member.NewCache(ctx, local, cluster.CacheOptions{ClaimTTL: o.claimTTL})
	if err != nil {
		t.Fatal(err)
	}
	fetcher := httpfetch.New(httpfetch.Options{}) // loopback fixtures: no guard
	svc, err := render.NewService(render.Options{Fetcher: fetcher, HTTPFetcher: fetcher, Extractor: extract.New(), Cache: shared})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	return &node{member: member, cache: shared, local: local, svc: svc}
}
