package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/sous-dev/sous/api"
	"github.com/sous-dev/sous/browserpool"
	"github.com/sous-dev/sous/extract"
	"github.com/sous-dev/sous/render"
)

// engineFlags are the flags of every command that renders in-process.
type engineFlags struct {
	chrome       string
	concurrency  int
	queue        int
	allowPrivate bool
	timeout      time.Duration
	maxTimeout   time.Duration
	tabReuse     int
}

func (e *engineFlags) register(fs interface {
	StringVar(*string, string, string, string)
	IntVar(*int, string, int, string)
	BoolVar(*bool, string, bool, string)
	DurationVar(*time.Duration, string, time.Duration, string)
}, concurrency int) {
	fs.StringVar(&e.chrome, "chrome", "", "Chromium executable (default: $SOUS_CHROME, else chromium, chromium-browser or google-chrome on PATH)")
	fs.IntVar(&e.concurrency, "concurrency", concurrency, "renders in flight at once, one browser tab each")
	fs.IntVar(&e.queue, "queue", -1, "renders that may wait for a tab before callers get 429; 0: none (default 4 × concurrency)")
	fs.BoolVar(&e.allowPrivate, "allow-private", false, "let pages load from loopback and private network addresses (for local testing)")
	fs.DurationVar(&e.timeout, "timeout", 30*time.Second, "deadline of a request that sets none (gotoOptions.timeout)")
	fs.DurationVar(&e.maxTimeout, "max-timeout", 60*time.Second, "longest deadline a request may ask for")
	fs.IntVar(&e.tabReuse, "tab-reuse", 50, "renders a tab serves, wiped between each, before its browser context is replaced (1: a fresh context per render)")
}

// start launches the pool and the service.
func (e *engineFlags) start(ctx context.Context, logger *slog.Logger) (*render.Service, *browserpool.Pool, error) {
	if e.concurrency < 1 {
		return nil, nil, fmt.Errorf("--concurrency must be at least 1")
	}
	pool, err := browserpool.New(ctx, browserpool.Options{
		ExecPath:     e.chrome,
		Tabs:         e.concurrency,
		TabReuse:     e.tabReuse,
		AllowPrivate: e.allowPrivate,
		Logger:       logger,
	})
	if err != nil {
		return nil, nil, err
	}
	queue := e.queue // render.Options: 0 is the default, negative is none
	switch {
	case queue < 0:
		queue = 0
	case queue == 0:
		queue = -1
	}
	svc, err := render.NewService(render.Options{
		Fetcher:        pool,
		Extractor:      extract.New(),
		Concurrency:    e.concurrency,
		Queue:          queue,
		DefaultTimeout: e.timeout,
		MaxTimeout:     e.maxTimeout,
		Logger:         logger,
	})
	if err != nil {
		pool.Close()
		return nil, nil, err
	}
	return svc, pool, nil
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", "serve [flags]", stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	var eng engineFlags
	eng.register(fs, render.DefaultConcurrency())
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("serve takes no arguments, got %q", fs.Args())
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	svc, pool, err := eng.start(ctx, logger)
	if err != nil {
		return err
	}
	defer pool.Close()
	defer svc.Close()

	srv := api.New(svc, api.Options{Logger: logger, RetryAfter: svc.RetryAfter})
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	concurrency, queue := svc.Limits()
	logger.Info("serving", "addr", "http://"+ln.Addr().String(), "concurrency", concurrency, "queue", queue, "allowPrivate", eng.allowPrivate)

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), eng.maxTimeout+5*time.Second)
	defer cancel()
	svc.Close()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}
