package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/dustin/go-humanize"

	"github.com/sous-dev/sous/isolate"
	"github.com/sous-dev/sous/render"
	"github.com/sous-dev/sous/session"
)

// scriptFlags are the flags of the isolates that run post-processing
// scripts (render's script) and code-mode programs (/v1/run, run_code).
type scriptFlags struct {
	workers    int
	script     isolate.Limits
	code       isolate.Limits
	maxRenders int
}

func (f *scriptFlags) register(fs *flag.FlagSet) {
	f.script, f.code = isolate.DefaultScriptLimits, isolate.DefaultCodeLimits
	fs.IntVar(&f.workers, "script-workers", 2, "isolate worker processes for scripts and code mode; 0 turns both off")
	fs.DurationVar(&f.script.Timeout, "script-timeout", f.script.Timeout, "wall time a post-processing script may take")
	fs.Func("script-memory", "memory a script or program may use, such as 64MiB (default 64MiB)", func(s string) error {
		n, err := humanize.ParseBytes(s)
		if err != nil || n < 1<<20 || n > 1<<40 {
			return fmt.Errorf("want a size of at least 1MiB, such as 64MiB")
		}
		f.script.Memory, f.code.Memory = int64(n), int64(n)
		return nil
	})
	fs.Func("script-max-output", "largest JSON a script or program may return, such as 4MiB (default 4MiB)", func(s string) error {
		n, err := humanize.ParseBytes(s)
		if err != nil || n < 1 || n > 64<<20 {
			return fmt.Errorf("want a size between 1B and 64MiB, such as 4MiB")
		}
		f.script.Output, f.code.Output = int(n), int(n)
		return nil
	})
	fs.DurationVar(&f.code.Timeout, "code-timeout", f.code.Timeout, "wall time a code-mode program may take, its renders included (also the most timeoutMs may ask for)")
	fs.IntVar(&f.maxRenders, "code-max-renders", isolate.DefaultMaxRenders, "sous.* calls one code-mode program may make")
}

// start starts the worker pool, or returns nil when --script-workers is 0.
func (f *scriptFlags) start(ctx context.Context, logger *slog.Logger, observer render.ScriptObserver) (*isolate.Pool, error) {
	switch {
	case f.workers == 0:
		return nil, nil
	case f.workers < 0:
		return nil, fmt.Errorf("--script-workers must not be negative")
	case f.script.Timeout <= 0 || f.code.Timeout <= 0:
		return nil, fmt.Errorf("--script-timeout and --code-timeout must be positive")
	case f.maxRenders < 1:
		return nil, fmt.Errorf("--code-max-renders must be at least 1")
	}
	script, code := f.script, f.code
	script.CPUTime = min(script.CPUTime, script.Timeout)
	code.CPUTime = min(code.CPUTime, code.Timeout)
	return isolate.New(ctx, isolate.Options{
		Workers:    f.workers,
		Script:     script,
		Code:       code,
		MaxRenders: f.maxRenders,
		Observer:   observer,
		Logger:     logger,
	})
}

// programs is code mode over svc, with sous.session over sessions when
// there are any, or nil without a pool.
func programs(pool *isolate.Pool, svc *render.Service, sessions *session.Manager) render.ProgramRunner {
	if pool == nil {
		return nil
	}
	if sessions == nil {
		return pool.Programs(svc)
	}
	return pool.Programs(svc).WithSessions(sessions)
}

// isolateWorker is `sous isolate-worker`, which the pool starts: it is not
// for people, and not in the usage.
func isolateWorker(stdin io.Reader, stdout io.Writer) error {
	return isolate.ServeWorker(stdin, stdout)
}
