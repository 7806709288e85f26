package browserpool

import (
	"context"
	"fmt"
	"time"

	"github.com/chromedp/cdproto/cdp"
	jsonv2 "github.com/chromedp/cdproto/cdp/jsonv2"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"

	"github.com/sous-dev/sous/render"
	sessions "github.com/sous-dev/sous/session"
)

var _ sessions.Live = (*sessionContext)(nil)

// Screencast streams the active tab's frames (CDP's screencast, JPEG) to
// frame until ctx ends, the session closes or frame fails. When another tab
// becomes active, the stream moves to it.
func (sc *sessionContext) Screencast(ctx context.Context, frame func([]byte) error) error {
	for {
		st, err := sc.front(ctx)
		if err != nil {
			return err
		}
		switched, err := sc.castTab(ctx, st, frame)
		if err != nil || !switched {
			return err
		}
	}
}

// castTab streams st until another tab becomes active (switched) or the
// stream ends.
func (sc *sessionContext) castTab(ctx context.Context, st *sessionTab, frame func([]byte) error) (switched bool, err error) {
	frames, stop := st.s.Subscribe(page.ScreencastFrame.Method)
	defer stop()
	if _, err := cdp.Call(ctx, st.s, page.StartScreencast, page.StartScreencastParams{
		Format: page.StartScreencastFormatJpeg, Quality: ptr(int64(60)), MaxWidth: 1920, MaxHeight: 1920, EveryNthFrame: 1,
	}); err != nil {
		return false, fmt.Errorf("start screencast: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if _, err := cdp.Call(cctx, st.s, page.StopScreencast, cdp.Empty{}); err != nil {
			// Frames nobody acknowledges stop after the first: Chromium
			// sends the next only once the last is acknowledged.
			sc.pool.opts.Logger.Debug("stopping a screencast", "err", err)
		}
		cancel()
	}()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case raw, ok := <-frames:
			if !ok {
				return false, errConnClosed
			}
			var ev page.EventScreencastFrame
			if jsonv2.Unmarshal(raw, &ev) != nil {
				continue
			}
			if _, err := cdp.Call(ctx, st.s, page.ScreencastFrameAck, page.ScreencastFrameAckParams{SessionID: ev.SessionID}); err != nil {
				return false, fmt.Errorf("screencast: %w", err)
			}
			if err := frame(ev.Data); err != nil {
				return false, err
			}
		case <-tick.C:
			if now, _ := sc.current(); now != st {
				return true, nil
			}
		case <-sc.life.Done():
			return false, render.ErrClosed
		case <-ctx.Done():
			return false, nil
		}
	}
}

// Input sends a viewer's event to the active tab.
func (sc *sessionContext) Input(ctx context.Context, in *sessions.LiveInput) error {
	st, err := sc.front(ctx)
	if err != nil {
		return err
	}
	mouse := func(typ input.DispatchMouseEventType, extra func(*input.DispatchMouseEventParams)) error {
		p := input.DispatchMouseEventParams{Type: typ, X: in.X, Y: in.Y}
		if extra != nil {
			extra(&p)
		}
		_, err := cdp.Call(ctx, st.s, input.DispatchMouseEvent, p)
		return err
	}
	switch in.Type {
	case "move":
		return mouse(input.DispatchMouseEventTypeMouseMoved, nil)
	case "wheel":
		return mouse(input.DispatchMouseEventTypeMouseWheel, func(p *input.DispatchMouseEventParams) { p.DeltaX, p.DeltaY = in.DeltaX, in.DeltaY })
	case "click":
		return st.untilDialog(ctx, func(ctx context.Context) error {
			for _, typ := range []input.DispatchMouseEventType{input.DispatchMouseEventTypeMouseMoved, input.DispatchMouseEventTypeMousePressed, input.DispatchMouseEventTypeMouseReleased} {
				p := input.DispatchMouseEventParams{Type: typ, X: in.X, Y: in.Y}
				if typ != input.DispatchMouseEventTypeMouseMoved {
					p.Button, p.Buttons, p.ClickCount = input.MouseButtonLeft, 1, 1
				}
				if _, err := cdp.Call(ctx, st.s, input.DispatchMouseEvent, p); err != nil {
					return err
				}
			}
			return nil
		})
	case "key":
		return st.press(ctx, in.Key)
	case "text":
		_, err := cdp.Call(ctx, st.s, input.InsertText, input.InsertTextParams{Text: in.Text})
		return err
	}
	return fmt.Errorf("%w: unknown input %q", render.ErrInvalidRequest, in.Type)
}
