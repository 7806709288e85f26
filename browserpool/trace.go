package browserpool

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/chromedp/cdproto/cdp"
	cdpio "github.com/chromedp/cdproto/io"
	"github.com/chromedp/cdproto/tracing"
)

// Trace starts a Chromium trace of the pool's current browser, every
// process of it, for benchmarks: where a render's processor time goes,
// task by task. categories are Chromium's trace categories; "toplevel"
// records every task each thread runs, with its thread time and the code
// that posted it. The returned stop ends the trace and writes it to w in
// the Trace Event Format (JSON, {"traceEvents": [...]}) that Perfetto and
// chrome://tracing open. A browser replaced while the trace runs takes its
// trace with it: stop then fails.
func (p *Pool) Trace(ctx context.Context, categories ...string) (stop func(ctx context.Context, w io.Writer) error, err error) {
	b, err := p.currentBrowser(ctx)
	if err != nil {
		return nil, err
	}
	bs := session{conn: b.proc.conn}
	complete, unsubscribe := bs.Subscribe(tracing.TracingComplete.Method)
	if _, err := cdp.Call(ctx, bs, tracing.Start, tracing.StartParams{
		TraceConfig:  &tracing.TraceConfig{IncludedCategories: categories, RecordMode: tracing.TraceConfigRecordModeRecordAsMuchAsPossible},
		TransferMode: tracing.StartTransferModeReturnAsStream,
		StreamFormat: tracing.StreamFormatJSON,
	}); err != nil {
		unsubscribe()
		return nil, fmt.Errorf("start tracing: %w", err)
	}
	return func(ctx context.Context, w io.Writer) error {
		defer unsubscribe()
		if _, err := cdp.Call(ctx, bs, tracing.End, cdp.Empty{}); err != nil {
			return fmt.Errorf("end tracing: %w", err)
		}
		var done tracing.EventTracingComplete
		if err := awaitEvent(ctx, complete, func(ev *tracing.EventTracingComplete) bool { done = *ev; return true }); err != nil {
			return fmt.Errorf("end tracing: %w", err)
		}
		if done.Stream == "" {
			return errors.New("end tracing: the browser returned no trace")
		}
		defer cdp.Call(context.WithoutCancel(ctx), bs, cdpio.Close, cdpio.CloseParams{Handle: done.Stream})
		for {
			chunk, err := cdp.Call(ctx, bs, cdpio.Read, cdpio.ReadParams{Handle: done.Stream, Size: 1 << 20})
			if err != nil {
				return fmt.Errorf("read the trace: %w", err)
			}
			if _, err := w.Write(chunk.Data); err != nil {
				return err
			}
			if chunk.EOF {
				break
			}
		}
		if done.DataLossOccurred {
			return errors.New("the trace lost data: its buffer filled")
		}
		return nil
	}, nil
}
