package metrics

import "github.com/prometheus/client_golang/prometheus"

// ClusterStats is what the metrics read from a node's part in a cluster
// (package cluster): its connection, its two-level cache and its crawls.
type ClusterStats struct {
	Connected bool
	// L1Hits, L2Hits and L2Misses are lookups answered by this node's
	// memory, by the shared JetStream cache, and by neither.
	L1Hits, L2Hits, L2Misses int64
	// Stored counts entries written to the shared cache; Errors its failed
	// operations; Unavailable those skipped while the cluster was away.
	Stored, Errors, Unavailable int64
	// Claims are renders this node claimed for the cluster, ClaimWaits
	// renders it took from another node instead, Takeovers claims taken
	// after the claimant went away.
	Claims, ClaimWaits, Takeovers int64
	// CrawlVisits are the cluster crawls' pages this node visited.
	CrawlVisits int64
}

// RegisterCluster adds the cluster's metrics, read from stats:
//
//	sous_cluster_connected                 1 while NATS is reachable
//	sous_cluster_cache_lookups_total{level}  l1, l2 and miss
//	sous_cluster_cache_stored_total, _errors_total, _unavailable_total
//	sous_cluster_claims_total{kind}        claimed, waited, takeover
//	sous_cluster_crawl_visits_total
//
// Call it at most once, before serving.
func (m *Metrics) RegisterCluster(stats func() ClusterStats) {
	counter := func(name, help string, labels prometheus.Labels, f func(ClusterStats) int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels},
			func() float64 { return float64(f(stats())) })
	}
	lookups := "Cache lookups of this node by where they were answered: l1 (memory), l2 (JetStream), miss."
	claims := "Renders this node claimed for the cluster (claimed), took from another node (waited), or took over from a node that went away (takeover)."
	m.registry.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sous_cluster_connected", Help: "1 while this node reaches NATS, else 0."},
			func() float64 {
				if stats().Connected {
					return 1
				}
				return 0
			}),
		counter("sous_cluster_cache_lookups_total", lookups, prometheus.Labels{"level": "l1"}, func(s ClusterStats) int64 { return s.L1Hits }),
		counter("sous_cluster_cache_lookups_total", lookups, prometheus.Labels{"level": "l2"}, func(s ClusterStats) int64 { return s.L2Hits }),
		counter("sous_cluster_cache_lookups_total", lookups, prometheus.Labels{"level": "miss"}, func(s ClusterStats) int64 { return s.L2Misses }),
		counter("sous_cluster_cache_stored_total", "Entries this node wrote to the shared cache.", nil, func(s ClusterStats) int64 { return s.Stored }),
		counter("sous_cluster_cache_errors_total", "Shared-cache operations that failed.", nil, func(s ClusterStats) int64 { return s.Errors }),
		counter("sous_cluster_cache_unavailable_total", "Shared-cache operations skipped while the cluster was out of reach.", nil, func(s ClusterStats) int64 { return s.Unavailable }),
		counter("sous_cluster_claims_total", claims, prometheus.Labels{"kind": "claimed"}, func(s ClusterStats) int64 { return s.Claims }),
		counter("sous_cluster_claims_total", claims, prometheus.Labels{"kind": "waited"}, func(s ClusterStats) int64 { return s.ClaimWaits }),
		counter("sous_cluster_claims_total", claims, prometheus.Labels{"kind": "takeover"}, func(s ClusterStats) int64 { return s.Takeovers }),
		counter("sous_cluster_crawl_visits_total", "Pages of cluster crawls this node visited.", nil, func(s ClusterStats) int64 { return s.CrawlVisits }),
	)
}
