// Package cluster runs several Sous nodes as one service on NATS
// JetStream: nodes behind one load balancer share their cache, render a
// page once between them, and (see Crawls) share crawl jobs. One node needs
// none of it; a node joins with `sous serve --nats URL`.
//
//	node, err := cluster.Join(ctx, cluster.Options{URL: "nats://10.0.0.5:4222", Name: "sous-1"})
//	defer node.Close()
//	shared, err := node.NewCache(ctx, localCache, cluster.CacheOptions{})
//	svc, err := render.NewService(render.Options{..., Cache: shared})
//
// The cache has two levels. L1 is the node's own memory (package cache),
// L2 is JetStream: a KV bucket for entries up to CacheOptions.SmallMax,
// each key expiring with the entry's cacheTTL, and an object store for
// larger ones, which KV points to. A lookup tries L1, then L2, and copies
// an L2 hit into L1.
//
// One render per key across the cluster: before a render, the node claims
// the key with a create-if-absent write to a KV bucket whose entries live
// CacheOptions.ClaimTTL. The claimant refreshes its claim while it renders,
// stores the result, then deletes the claim. The others poll for the result
// and, when a claim lapses with no result (its node died), claim the key
// themselves. Within a node, identical requests already share one flight
// (render.Service), so at most one request per node waits on the cluster.
//
// When NATS is out of reach, every operation is skipped at once: renders
// use L1 alone and claim nothing, and Node.Ready fails, for /readyz.
package cluster
