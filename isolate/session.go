package isolate

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/dop251/goja"

	"github.com/sous-dev/sous/render"
	"github.com/sous-dev/sous/session"
)

// Code mode's sessions: sous.session(opts) opens an interactive session
// (session.Manager, the same as /v1/sessions) and returns an object whose
// methods act in it:
//
//	const s = await sous.session({secrets: {PASSWORD: "…"}});
//	await s.navigate("https://example.com/login");
//	await s.type("#user", "agent");
//	await s.type("#password", {secret: "PASSWORD"}, {submit: true});
//	return await s.markdown();
//
// A failed action rejects with its message and code (err.code). Every
// session a program opens ends with the program.

// The calls the session object makes to the parent; underscored, since a
// program uses sous.session and not them.
const (
	sessionCreate  = "_sessionCreate"
	sessionAct     = "_sessionAct"
	sessionStorage = "_sessionStorage"
	sessionClose   = "_sessionClose"
)

// sessionPrelude defines sous.session over the calls above.
const sessionPrelude = `(function (sous) {
  sous.session = async function (opts) {
    const info = await sous._sessionCreate(opts || {});
    const id = info.id;
    const act = async (actions, extra) => {
      const res = await sous._sessionAct(id, Object.assign({actions: actions}, extra || {}));
      for (const s of res.steps) {
        if (!s.ok) { const e = new Error(s.action + ": " + s.error.message); e.code = s.error.code; throw e; }
      }
      return res;
    };
    const one = (a) => act([a]);
    const typed = (target, text, o) => one(Object.assign({action: "type", target: target},
      typeof text === "object" && text !== null ? text : {text: String(text)}, o || {}));
    const read = async (format) => (await act([], {snapshot: "none", formats: [format]}))[format];
    return {
      id: id,
      act: act,
      navigate: (url) => one({action: "navigate", url: url}),
      click: (target) => one({action: "click", target: target}),
      type: typed,
      fill: (fields) => one({action: "fill", fields: fields}),
      select: (target, values) => one({action: "select", target: target, values: [].concat(values)}),
      check: (target) => one({action: "check", target: target}),
      uncheck: (target) => one({action: "uncheck", target: target}),
      press: (key) => one({action: "press", key: key}),
      hover: (target) => one({action: "hover", target: target}),
      scroll: (o) => one(Object.assign({action: "scroll"}, typeof o === "string" ? {target: o} : (o || {}))),
      wait: (o) => one(Object.assign({action: "wait"}, typeof o === "number" ? {timeMs: o} : typeof o === "string" ? {selector: o} : o)),
      back: () => one({action: "back"}),
      forward: () => one({action: "forward"}),
      tab: (index) => one({action: "tab", index: index}),
      dialog: (accept, text) => one({action: "dialog", accept: !!accept, text: text}),
      snapshot: async () => (await act([], {snapshot: "full"})).snapshot,
      markdown: () => read("markdown"),
      text: () => read("text"),
      html: () => read("html"),
      links: async () => (await read("links")) || [],
      screenshot: () => read("screenshot"),
      storage: () => sous._sessionStorage(id),
      close: () => sous._sessionClose(id),
    };
  };
})`

// addSessions defines sous.session on a program's binding.
func addSessions(vm *goja.Runtime, sous *goja.Object) {
	v, err := vm.RunString(sessionPrelude)
	if err != nil {
		panic(err) // a constant: a programming error
	}
	define, ok := goja.AssertFunction(v)
	if !ok {
		panic("isolate: the session prelude is not a function")
	}
	if _, err := define(goja.Undefined(), sous); err != nil {
		panic(err)
	}
}

// Sessions runs the sessions of code mode: session.Manager.
type Sessions interface {
	Create(ctx context.Context, req *session.CreateRequest) (*session.Info, error)
	Act(ctx context.Context, id string, req *session.ActRequest) (*session.ActResult, error)
	Storage(ctx context.Context, id string) (*session.StorageState, error)
	CloseSession(ctx context.Context, id string) error
}

var _ Sessions = (*session.Manager)(nil)

// WithSessions returns a Runner whose programs may open sessions in s
// (sous.session); without it, sous.session says sessions are not enabled.
func (r *Runner) WithSessions(s Sessions) *Runner {
	c := *r
	c.sessions = s
	return &c
}

// opened are the sessions one program opened, closed when it ends.
type opened struct {
	mu  sync.Mutex
	ids map[string]bool
}

// closeAll ends every session the program left open.
func (o *opened) closeAll(s Sessions) {
	o.mu.Lock()
	ids := o.ids
	o.ids = nil
	o.mu.Unlock()
	for id := range ids {
		ctx, cancel := context.WithTimeout(context.Background(), sessionCloseTimeout)
		s.CloseSession(ctx, id)
		cancel()
	}
}

// mine refuses a session id the program did not open: a program acts only
// in its own sessions.
func (o *opened) mine(id string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.ids[id] {
		return fmt.Errorf("%w: session %q was not opened by this program", render.ErrInvalidRequest, id)
	}
	return nil
}

// sessionCall answers the session calls of a program.
func (r *Runner) sessionCall(ctx context.Context, method string, args []json.RawMessage, own *opened) (json.RawMessage, error) {
	if r.sessions == nil {
		return nil, fmt.Errorf("%w: sessions are not enabled on this service", render.ErrNotEnabled)
	}
	if method == sessionCreate {
		var req session.CreateRequest
		if len(args) > 0 && string(args[0]) != "null" {
			if err := strictJSON(args[0], &req); err != nil {
				return nil, fmt.Errorf("%w: sous.session: %v", render.ErrInvalidRequest, err)
			}
		}
		info, err := r.sessions.Create(ctx, &req)
		if err != nil {
			return nil, err
		}
		own.mu.Lock()
		if own.ids == nil {
			own.ids = map[string]bool{}
		}
		own.ids[info.ID] = true
		own.mu.Unlock()
		return json.Marshal(info)
	}
	var id string
	if len(args) == 0 || json.Unmarshal(args[0], &id) != nil {
		return nil, fmt.Errorf("%w: a session call without its session", render.ErrInvalidRequest)
	}
	if err := own.mine(id); err != nil {
		return nil, err
	}
	switch method {
	case sessionAct:
		var req session.ActRequest
		if len(args) < 2 || strictJSON(args[1], &req) != nil {
			return nil, fmt.Errorf("%w: a session action is {actions, formats, snapshot}", render.ErrInvalidRequest)
		}
		res, err := r.sessions.Act(ctx, id, &req)
		if err != nil {
			return nil, err
		}
		return json.Marshal(res)
	case sessionStorage:
		state, err := r.sessions.Storage(ctx, id)
		if err != nil {
			return nil, err
		}
		return json.Marshal(state)
	case sessionClose:
		own.mu.Lock()
		delete(own.ids, id)
		own.mu.Unlock()
		return json.RawMessage("true"), r.sessions.CloseSession(ctx, id)
	}
	return nil, fmt.Errorf("%w: no sous.%s", render.ErrInvalidRequest, method)
}

func strictJSON(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
