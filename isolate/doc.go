// Package isolate runs untrusted JavaScript: post-processing scripts over a
// render result, and code-mode programs that render pages through a sous
// object. Each run gets a fresh goja runtime in one of a small pool of
// pre-started worker processes, never in the service's own process, because
// goja has no memory limit and a regular expression in regexp2 does not
// stop when interrupted: a worker can be killed and replaced, the service
// cannot.
//
// A run is bounded four ways. The worker's watchdog interrupts the runtime
// at the wall-time and CPU-time limits and when the heap grows past the
// memory cap; RLIMIT_AS turns a single huge allocation into the worker's
// death; the parent kills a worker that has not answered shortly after the
// deadline; and output and logs are capped. Workers get no environment, no
// host objects (no require, process, fetch, timers or filesystem), their
// own process group, and die with the service (Pdeathsig). Errors are
// *render.ScriptError wrapping render.ErrScript, ErrScriptTimeout,
// ErrScriptMemory or ErrScriptOutput.
//
//	pool, err := isolate.New(ctx, isolate.Options{}) // workers: this binary, "isolate-worker"
//	defer pool.Close()
//	svc, err := render.NewService(render.Options{…, Processor: pool})
//	programs := pool.Programs(svc) // code mode: render.ProgramRunner
//	res, err := programs.Run(ctx, &render.Program{Code: `return (await sous.links("https://example.com")).length`})
//
// The binary that starts a pool must serve workers: cmd/sous does on
// `sous isolate-worker`, and a test binary does from its TestMain:
//
//	if len(os.Args) > 1 && os.Args[1] == isolate.WorkerCommand {
//		isolate.ServeWorker(os.Stdin, os.Stdout)
//		os.Exit(0)
//	}
package isolate
