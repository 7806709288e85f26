package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sous-dev/sous/render"
	"github.com/sous-dev/sous/session"
)

// A session is a browser context on one node, and cannot move. Sessions
// makes the cluster's sessions reachable from every node: each session's
// owner is recorded in a KV bucket under its id, and a call for a session
// that lives elsewhere is forwarded to its owner over NATS request/reply
// (subject sous.sessions.<node>), which runs it on its own Manager and
// answers with the result or the error's code. A session whose owner is
// gone answers not_found, saying so.
//
// What is forwarded is the session API (create stays local: a session
// lives where it was asked for). The live view and MCP sessions, which
// hold a connection, are not: they need the load balancer to keep a
// client on one node.

const (
	sessionsBucket  = "sous_sessions"  // KV: session id → owner node
	sessionsSubject = "sous.sessions." // + node name: calls forwarded to it
)

// Sessions is a node's session.API over the cluster (see above). Close stops
// answering other nodes' calls.
type Sessions struct {
	node  *Node
	local session.API
	kv    jetstream.KeyValue
	sub   *nats.Subscription
	// timeout bounds a forwarded call beyond its own context: an action's
	// longest run, plus the way there and back.
	timeout time.Duration

	mu    sync.Mutex
	owned map[string]bool // ids of this node's sessions recorded in kv
}

var _ session.API = (*Sessions)(nil)

// NewSessions shares local's sessions with the cluster and starts
// answering calls forwarded to this node. maxTTL is the longest a session
// may live idle, how long an owner's record is kept without a use.
func (n *Node) NewSessions(ctx context.Context, local session.API, maxTTL time.Duration) (*Sessions, error) {
	kv, err := ensure(ctx, n, "sessions bucket", func(ctx context.Context) (jetstream.KeyValue, error) {
		return n.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket: sessionsBucket, Description: "Sous sessions: which node holds each",
			TTL: maxTTL + time.Minute, Storage: jetstream.MemoryStorage,
		})
	})
	if err != nil {
		return nil, err
	}
	s := &Sessions{node: n, local: local, kv: kv, timeout: 2 * time.Minute, owned: map[string]bool{}}
	s.sub, err = n.nc.Subscribe(sessionsSubject+n.Name(), s.serve)
	if err != nil {
		return nil, fmt.Errorf("cluster: answer forwarded session calls: %w", err)
	}
	return s, nil
}

// Close stops answering forwarded calls; this node's sessions end with
// the Manager that holds them.
func (s *Sessions) Close() error { return s.sub.Unsubscribe() }

// Create makes a session on this node and records it as this node's.
func (s *Sessions) Create(ctx context.Context, req *session.CreateRequest) (*session.Info, error) {
	info, err := s.local.Create(ctx, req)
	if err != nil {
		return nil, err
	}
	s.record(ctx, info.ID)
	return info, nil
}

// record notes id as this node's, for the others; with the cluster out of
// reach, the session still works on this node.
func (s *Sessions) record(ctx context.Context, id string) {
	ctx, cancel := s.node.op(ctx)
	defer cancel()
	if _, err := s.kv.Put(ctx, id, []byte(s.node.Name())); err != nil {
		s.node.opts.Logger.Warn("session not shared with the cluster: other nodes cannot reach it", "err", err)
		return
	}
	s.mu.Lock()
	s.owned[id] = true
	s.mu.Unlock()
}

// forget drops id's record, once its session has ended here.
func (s *Sessions) forget(id string) {
	s.mu.Lock()
	owned := s.owned[id]
	delete(s.owned, id)
	s.mu.Unlock()
	if owned {
		ctx, cancel := s.node.op(context.Background())
		defer cancel()
		s.kv.Delete(ctx, id)
	}
}

// Act runs req in session id, wherever it lives.
func (s *Sessions) Act(ctx context.Context, id string, req *session.ActRequest) (*session.ActResult, error) {
	if s.isLocal(id) {
		return s.local.Act(ctx, id, req)
	}
	var res session.ActResult
	return &res, s.forward(ctx, id, call{Op: "act", ID: id, Act: req}, &res)
}

// Get describes session id, wherever it lives.
func (s *Sessions) Get(id string) (*session.Info, error) {
	if s.isLocal(id) {
		return s.local.Get(id)
	}
	var info session.Info
	return &info, s.forward(context.Background(), id, call{Op: "get", ID: id}, &info)
}

// List lists this node's sessions and those the cluster records elsewhere
// that still answer.
func (s *Sessions) List() []*session.Info {
	list := s.local.List()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	keys, err := s.kv.ListKeys(ctx)
	if err != nil {
		return list
	}
	for id := range keys.Keys() {
		if s.isLocal(id) {
			continue
		}
		var info session.Info
		if s.forward(ctx, id, call{Op: "get", ID: id}, &info) == nil {
			list = append(list, &info)
		}
	}
	return list
}

// Storage exports session id's storage state, wherever it lives.
func (s *Sessions) Storage(ctx context.Context, id string) (*session.StorageState, error) {
	if s.isLocal(id) {
		return s.local.Storage(ctx, id)
	}
	var state session.StorageState
	return &state, s.forward(ctx, id, call{Op: "storage", ID: id}, &state)
}

// CloseSession ends session id, wherever it lives.
func (s *Sessions) CloseSession(ctx context.Context, id string) error {
	if s.isLocal(id) {
		err := s.local.CloseSession(ctx, id)
		s.forget(id)
		return err
	}
	return s.forward(ctx, id, call{Op: "close", ID: id}, nil)
}

// isLocal reports whether session id lives on this node.
func (s *Sessions) isLocal(id string) bool {
	_, err := s.local.Get(id)
	if err != nil && errors.Is(err, render.ErrNotFound) {
		s.forget(id) // ended here: closed, idle past its ttl, or crashed
		return false
	}
	return true
}

// call is a forwarded session call; reply its answer.
type call struct {
	Op  string              `json:"op"` // act, get, storage, close
	ID  string              `json:"id"`
	Act *session.ActRequest `json:"act,omitempty"`
}

type reply struct {
	Result  json.RawMessage `json:"result,omitempty"`
	Code    render.Code     `json:"code,omitempty"`
	Message string          `json:"message,omitempty"`
}

// forward sends c to the node that owns session id and decodes its result
// into out.
func (s *Sessions) forward(ctx context.Context, id string, c call, out any) error {
	owner, err := s.owner(ctx, id)
	if err != nil {
		return err
	}
	data, err := json.Marshal(c)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	msg, err := s.node.nc.RequestWithContext(ctx, sessionsSubject+owner, data)
	switch {
	case errors.Is(err, nats.ErrNoResponders):
		return fmt.Errorf("%w: session %q lived on node %s, which is gone; its session ended with it", render.ErrNotFound, id, owner)
	case err != nil:
		return fmt.Errorf("%w: session %q lives on node %s, which did not answer: %v", render.ErrClosed, id, owner, err)
	}
	var r reply
	if err := json.Unmarshal(msg.Data, &r); err != nil {
		return fmt.Errorf("cluster: node %s's answer about session %q: %w", owner, id, err)
	}
	if r.Code != "" {
		if sentinel := r.Code.Err(); sentinel != nil {
			return fmt.Errorf("%w: %s", sentinel, r.Message)
		}
		return errors.New(r.Message)
	}
	if out == nil || len(r.Result) == 0 {
		return nil
	}
	return json.Unmarshal(r.Result, out)
}

// owner is the node that records session id as its own.
func (s *Sessions) owner(ctx context.Context, id string) (string, error) {
	ctx, cancel := s.node.op(ctx)
	defer cancel()
	e, err := s.kv.Get(ctx, id)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound), errors.Is(err, jetstream.ErrInvalidKey):
		return "", fmt.Errorf("%w: no session %q on any node; sessions end when closed or idle past their ttl", render.ErrNotFound, id)
	case err != nil:
		return "", fmt.Errorf("%w: session %q is not on this node, and the cluster cannot say where: %v", ErrUnavailable, id, err)
	}
	return string(e.Value()), nil
}

// serve answers a call another node forwarded to this one.
func (s *Sessions) serve(msg *nats.Msg) {
	var c call
	answer := func(result any, err error) {
		var r reply
		if err != nil {
			r.Code, r.Message = render.CodeOf(err), err.Error()
		} else if result != nil {
			r.Result, err = json.Marshal(result)
			if err != nil {
				r.Code, r.Message = render.CodeInternal, err.Error()
			}
		}
		data, _ := json.Marshal(r)
		if max := s.node.nc.MaxPayload(); int64(len(data)) > max {
			data, _ = json.Marshal(reply{Code: render.CodeTooLarge, Message: fmt.Sprintf(
				"the answer is %d bytes, more than NATS carries between nodes (max_payload %d); ask the node that holds the session, or raise max_payload", len(data), max)})
		}
		msg.Respond(data)
	}
	if err := json.Unmarshal(msg.Data, &c); err != nil {
		answer(nil, fmt.Errorf("%w: a forwarded session call: %v", render.ErrInvalidRequest, err))
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	switch c.Op {
	case "act":
		if c.Act == nil {
			answer(nil, fmt.Errorf("%w: a forwarded act without actions", render.ErrInvalidRequest))
			return
		}
		answer(s.local.Act(ctx, c.ID, c.Act))
	case "get":
		answer(s.local.Get(c.ID))
	case "storage":
		answer(s.local.Storage(ctx, c.ID))
	case "close":
		err := s.local.CloseSession(ctx, c.ID)
		s.forget(c.ID)
		answer(nil, err)
	default:
		answer(nil, fmt.Errorf("%w: unknown forwarded session call %q", render.ErrInvalidRequest, c.Op))
	}
}

// watcher is the live view of a session.API that has one.
type watcher interface {
	Watch(ctx context.Context, id string, frame func(jpeg []byte) error) error
	Input(ctx context.Context, id string, in *session.LiveInput) error
}

// Watch streams session id's tab for the live view. The live view holds a
// connection, so it is served by the node that holds the session only.
func (s *Sessions) Watch(ctx context.Context, id string, frame func(jpeg []byte) error) error {
	w, err := s.liveOn(ctx, id)
	if err != nil {
		return err
	}
	return w.Watch(ctx, id, frame)
}

// Input sends the live viewer's input to session id, on its own node only.
func (s *Sessions) Input(ctx context.Context, id string, in *session.LiveInput) error {
	w, err := s.liveOn(ctx, id)
	if err != nil {
		return err
	}
	return w.Input(ctx, id, in)
}

func (s *Sessions) liveOn(ctx context.Context, id string) (watcher, error) {
	w, ok := s.local.(watcher)
	if !ok {
		return nil, fmt.Errorf("%w: this node has no live view", render.ErrNotEnabled)
	}
	if s.isLocal(id) {
		return w, nil
	}
	owner, err := s.owner(ctx, id)
	if err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("%w: session %q lives on node %s, whose address serves its live view", render.ErrNotFound, id, owner)
}
