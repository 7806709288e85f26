package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/sous-dev/sous/identity"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dustin/go-humanize"

	"github.com/sous-dev/sous/api"
	"github.com/sous-dev/sous/browserpool"
	"github.com/sous-dev/sous/cache"
	"github.com/sous-dev/sous/isolate"
	"github.com/sous-dev/sous/metrics"
	"github.com/sous-dev/sous/render"
)

// opsFlags are serve's flags for running the service: its cache and logs.
type opsFlags struct {
	cacheSize uint64
	logFormat string
	logLevel  slog.Level
}

func (o *opsFlags) register(fs *flag.FlagSet) {
	o.cacheSize = cache.DefaultMaxBytes
	fs.Func("cache-size", "memory for cached results, such as 64MiB or 1GiB; 0 turns the cache off (default 256MiB)", func(s string) error {
		n, err := humanize.ParseBytes(s)
		if err != nil {
			return fmt.Errorf("want a size such as 256MiB: %w", err)
		}
		o.cacheSize = n
		return nil
	})
	fs.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	fs.TextVar(&o.logLevel, "log-level", slog.LevelInfo, "least severe level logged: debug, info, warn or error")
}

// logger returns the logger the flags ask for, writing to w.
func (o *opsFlags) logger(w io.Writer) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: o.logLevel}
	switch o.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format: want text or json, not %q", o.logFormat)
}

// operations are the parts of a served instance that operators look at:
// the cache in front of the service, its metrics, readiness and pressure.
type operations struct {
	cache   *cache.Cache // nil when --cache-size is 0
	metrics *metrics.Metrics
	cpu     cpuSampler

	// Set by attach before serving; read by the metrics and /pressure.
	svc  *render.Service
	pool *browserpool.Pool
	// isolates run scripts; nil when --script-workers is 0.
	isolates *isolate.Pool
	// member is this node's part in a cluster; nil when it runs alone.
	member *member
	// budget is what pay-per-crawl sites may still be paid; nil when none is.
	budget *identity.Budget
}

func newOperations(f *opsFlags, budget *identity.Budget) (*operations, error) {
	o := &operations{budget: budget}
	if f.cacheSize > 0 {
		c, err := cache.New(cache.Options{MaxBytes: int64(min(f.cacheSize, 1<<62))})
		if err != nil {
			return nil, err
		}
		o.cache = c
	}
	opts := metrics.Options{
		Pool: func() metrics.PoolStats {
			st := o.pool.Stats()
			return metrics.PoolStats{Browsers: st.Browsers, Tabs: st.Tabs, IdleTabs: st.Idle, Restarts: st.Restarts}
		},
		Load: func() (int, int) { return o.svc.Load() },
		Isolate: func() metrics.IsolateStats {
			if o.isolates == nil {
				return metrics.IsolateStats{}
			}
			st := o.isolates.Stats()
			return metrics.IsolateStats{Workers: st.Workers, Busy: st.Busy, Restarts: st.Restarts}
		},
	}
	if o.cache != nil {
		opts.Cache = func() metrics.CacheStats {
			st := o.cache.Stats()
			return metrics.CacheStats{Bytes: st.Bytes, MaxBytes: st.MaxBytes, Evictions: st.Evictions}
		}
	}
	if budget != nil {
		opts.Payments = func() metrics.PaymentStats {
			st := budget.Stats()
			return metrics.PaymentStats{Charges: st.Charges, Spent: st.Spent, Left: st.Left}
		}
	}
	o.metrics = metrics.New(opts)
	return o, nil
}

// wire gives the engine the cache and the metrics, before it starts.
func (o *operations) wire(e *engineFlags) {
	if o.cache != nil { // not a typed nil in the interface
		e.cache = o.cache
	}
	e.observer = o.metrics
}

// attach records the service and pool that the metrics and /pressure read.
func (o *operations) attach(svc *render.Service, pool *browserpool.Pool) { o.svc, o.pool = svc, pool }

// apiOptions adds the operators' routes to opts.
func (o *operations) apiOptions(opts api.Options) api.Options {
	opts.Ready = o.ready
	opts.Metrics = o.metrics.Handler()
	opts.Pressure = o.pressure
	return opts
}

// ready is /readyz: a browser takes tabs and, in a cluster, NATS answers.
func (o *operations) ready(ctx context.Context) error {
	if !o.pool.Ready() {
		return errors.New("no browser is ready; one is starting")
	}
	if err := o.member.ready(ctx); err != nil {
		return err
	}
	return nil
}

func (o *operations) pressure() api.Pressure {
	running, waiting := o.svc.Load()
	concurrency, queue := o.svc.Limits()
	p := api.Pressure{
		Running:       running,
		Queued:        waiting,
		MaxConcurrent: concurrency,
		MaxQueued:     queue,
		IsAvailable:   true,
		CPU:           o.cpu.percent(),
		Memory:        memoryPercent(),
		Date:          time.Now().UnixMilli(),
		Cluster:       o.member.pressure(),
	}
	if o.budget != nil {
		left := o.budget.Stats().Left
		p.PaymentBudgetLeft = &left
	}
	switch {
	case !o.pool.Ready():
		p.IsAvailable, p.Reason, p.Message = false, "no_browser", "no browser is running; one is starting"
	case p.Cluster != nil && !p.Cluster.Connected:
		p.IsAvailable, p.Reason, p.Message = false, "no_cluster", "this node cannot reach the cluster; it serves from its own cache and browsers meanwhile"
	case running >= concurrency && waiting >= queue:
		p.IsAvailable, p.Reason, p.Message = false, "full", "every render slot and queue place is taken"
	}
	return p
}

func (o *operations) Close() error {
	if o.cache != nil {
		return o.cache.Close()
	}
	return nil
}

// cpuSampler measures the machine's CPU use from /proc/stat between two
// calls, so that it needs no goroutine of its own.
type cpuSampler struct {
	mu          sync.Mutex
	busy, total uint64 // at the last sample
	last        int    // percent at the last sample
}

// percent returns the CPU use since the previous sample, or the previous
// answer if too little time has passed to tell; 0 where there is no /proc.
func (c *cpuSampler) percent() int {
	busy, total, ok := readCPU()
	if !ok {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	const minTicks = 20 // a fifth of a second of one core, at 100 Hz
	if total-c.total < minTicks {
		return c.last
	}
	c.last = int(100 * (busy - c.busy) / (total - c.total))
	c.busy, c.total = busy, total
	return c.last
}

// readCPU returns the ticks all CPUs spent busy and in all, from /proc/stat.
func readCPU() (busy, total uint64, ok bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, false
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	fields := strings.Fields(string(line))
	if len(fields) < 9 || fields[0] != "cpu" {
		return 0, 0, false
	}
	// user nice system idle iowait irq softirq steal
	for i, f := range fields[1:9] {
		n, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return 0, 0, false
		}
		total += n
		if i != 3 && i != 4 { // idle and iowait are not busy
			busy += n
		}
	}
	return busy, total, true
}

// memoryPercent is the share of the machine's memory in use, from
// /proc/meminfo; 0 where there is none.
func memoryPercent() int {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	var total, available uint64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		n, _ := strconv.ParseUint(fields[1], 10, 64)
		switch fields[0] {
		case "MemTotal:":
			total = n
		case "MemAvailable:":
			available = n
		}
	}
	if total == 0 || available > total {
		return 0
	}
	return int(100 * (total - available) / total)
}
