package browserpool

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/chromedp/cdproto"
	"github.com/chromedp/cdproto/cdp"
	jsonv2 "github.com/chromedp/cdproto/cdp/jsonv2"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// conn multiplexes one DevTools protocol connection (chromedp's pipe
// transport) between the browser session and the flattened sessions of its
// tabs.
//
// Why not chromedp.Target: chromedp enables the DOM, CSS, Log, Inspector and
// Network domains, target discovery and auto-attach on every tab it opens, and
// keeps a DOM mirror up to date. Measured on this project's 2-core machine with
// Chromium 156, that halved throughput (13.5 pages/s against 24.9 pages/s for a
// session that enables only what a render needs). conn enables nothing by itself.
type conn struct {
	transport chromedp.Transport
	nextID    atomic.Int64

	mu       sync.Mutex
	pending  map[int64]chan *cdproto.Message
	subs     map[subKey][]*subscription
	closed   bool
	closeErr error

	done chan struct{} // closed when the read loop ends
}

type subKey struct {
	session target.SessionID
	method  string
}

type subscription struct {
	ch chan jsonv2.Value
}

// errConnClosed is the error of calls on a connection whose browser is gone.
var errConnClosed = errors.New("browser connection closed")

// awaitEvent waits for an event from events, a subscription to one method,
// whose parameters decode into a T that match accepts.
func awaitEvent[T any](ctx context.Context, events <-chan jsonv2.Value, match func(*T) bool) error {
	for {
		select {
		case raw, ok := <-events:
			if !ok {
				return errConnClosed
			}
			var ev T
			if jsonv2.Unmarshal(raw, &ev) == nil && match(&ev) {
				return nil
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// buffered takes the events a subscription holds now, without waiting.
// full reports that its buffer was full, so that the connection may have
// dropped some (see readLoop).
func buffered(events <-chan jsonv2.Value) (got []jsonv2.Value, full bool) {
	full = cap(events) > 0 && len(events) == cap(events)
	for {
		select {
		case raw, ok := <-events:
			if !ok {
				return got, full
			}
			got = append(got, raw)
		default:
			return got, full
		}
	}
}

func newConn(transport chromedp.Transport) *conn {
	c := &conn{
		transport: transport,
		pending:   make(map[int64]chan *cdproto.Message),
		subs:      make(map[subKey][]*subscription),
		done:      make(chan struct{}),
	}
	go c.readLoop()
	return c
}

func (c *conn) readLoop() {
	defer close(c.done)
	for {
		msg := new(cdproto.Message)
		if err := c.transport.Read(context.Background(), msg); err != nil {
			c.shutdown(fmt.Errorf("%w: %v", errConnClosed, err))
			return
		}
		if msg.ID != 0 {
			c.mu.Lock()
			ch := c.pending[msg.ID]
			delete(c.pending, msg.ID)
			c.mu.Unlock()
			if ch != nil {
				ch <- msg
			}
			continue
		}
		c.mu.Lock()
		for _, s := range c.subs[subKey{msg.SessionID, string(msg.Method)}] {
			select {
			case s.ch <- msg.Params:
			default:
				// A subscriber that does not keep up loses events rather
				// than stalling every tab of the browser. Buffers are sized
				// so that this does not happen for the events a render reads.
			}
		}
		c.mu.Unlock()
	}
}

// shutdown fails every pending call and ends every subscription.
func (c *conn) shutdown(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.closed = true
	c.closeErr = err
	for id, ch := range c.pending {
		close(ch)
		delete(c.pending, id)
	}
	for k, subs := range c.subs {
		for _, s := range subs {
			close(s.ch)
		}
		delete(c.subs, k)
	}
}

// call sends one command and waits for its answer or for ctx.
func (c *conn) call(ctx context.Context, session target.SessionID, method string, params, result any) error {
	var raw jsonv2.Value
	if params != nil {
		b, err := jsonv2.Marshal(params)
		if err != nil {
			return fmt.Errorf("encode %s: %w", method, err)
		}
		raw = b
	}
	id := c.nextID.Add(1)
	ch := make(chan *cdproto.Message, 1)
	c.mu.Lock()
	if c.closed {
		err := c.closeErr
		c.mu.Unlock()
		return err
	}
	c.pending[id] = ch
	c.mu.Unlock()

	msg := &cdproto.Message{ID: id, SessionID: session, Method: cdproto.MethodType(method), Params: raw}
	if err := c.transport.Write(ctx, msg); err != nil {
		c.forget(id)
		return fmt.Errorf("%w: %v", errConnClosed, err)
	}
	select {
	case reply, ok := <-ch:
		if !ok {
			c.mu.Lock()
			defer c.mu.Unlock()
			return c.closeErr
		}
		if reply.Error != nil {
			return fmt.Errorf("%s: %w", method, reply.Error)
		}
		if result != nil && len(reply.Result) > 0 {
			if err := jsonv2.Unmarshal(reply.Result, result); err != nil {
				return fmt.Errorf("decode %s: %w", method, err)
			}
		}
		return nil
	case <-ctx.Done():
		c.forget(id)
		return ctx.Err()
	}
}

func (c *conn) forget(id int64) {
	c.mu.Lock()
	delete(c.pending, id)
	c.mu.Unlock()
}

// subscribe buffers the events of method on session until cancel is called.
func (c *conn) subscribe(session target.SessionID, method string) (<-chan jsonv2.Value, func()) {
	s := &subscription{ch: make(chan jsonv2.Value, 256)}
	k := subKey{session, method}
	c.mu.Lock()
	if c.closed {
		close(s.ch)
		c.mu.Unlock()
		return s.ch, func() {}
	}
	c.subs[k] = append(c.subs[k], s)
	c.mu.Unlock()
	var once sync.Once
	return s.ch, func() {
		once.Do(func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			subs := c.subs[k]
			for i, x := range subs {
				if x == s {
					c.subs[k] = append(subs[:i:i], subs[i+1:]...)
					close(s.ch)
					break
				}
			}
			if len(c.subs[k]) == 0 {
				delete(c.subs, k)
			}
		})
	}
}

// session is one DevTools session: the browser's (empty ID) or a tab's. It
// satisfies cdp.Session, so cdproto's typed commands and events work on it:
//
//	res, err := cdp.Call(ctx, s, page.Navigate, page.NavigateParams{URL: u})
type session struct {
	conn *conn
	id   target.SessionID
}

var _ cdp.Session = session{}

func (s session) Call(ctx context.Context, method string, params, result any) error {
	return s.conn.call(ctx, s.id, method, params, result)
}

func (s session) Subscribe(method string) (<-chan jsonv2.Value, func()) {
	return s.conn.subscribe(s.id, method)
}

// transportClose closes the pipe to the browser and waits for the read loop.
func (c *conn) transportClose() {
	c.transport.Close()
	<-c.done
}
