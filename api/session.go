package api

import (
	"context"
	"fmt"
	"mime"
	"net/http"
	"strconv"

	"github.com/sous-dev/sous/render"
	"github.com/sous-dev/sous/session"
)

// Sessions, interactive browsing (see package session):
//
//	POST   /v1/sessions                 a session.CreateRequest → {success, result: session.Info}
//	GET    /v1/sessions                 → {success, result: [session.Info]}
//	GET    /v1/sessions/{id}            → {success, result: session.Info}
//	POST   /v1/sessions/{id}/actions    a session.ActRequest → {success, result: session.ActResult, errors}
//	GET    /v1/sessions/{id}/storage    → {success, result: session.StorageState} (Playwright's shape)
//	DELETE /v1/sessions/{id}            ends it (saving its profile) → {success}
//	GET    /v1/sessions/{id}/downloads/{index}  a file the session downloaded
//
// An actions request whose step fails still answers 200 with the page as
// it is, so that the agent can choose what to do next: success is false,
// the step carries its error, and errors repeats it. A session past its
// ttl, closed or crashed is 404 with the reason. Past --max-sessions,
// creating one is 429 with Retry-After.

// Sessions runs sessions: session.Manager, or a cluster's view of every
// node's (cluster.Sessions). One that is also a Watcher serves the live
// view (live.go).
type Sessions = session.API

var _ Sessions = (*session.Manager)(nil)

// SessionEnvelope is the JSON shape of every session route's reply.
type SessionEnvelope[T any] struct {
	Success bool    `json:"success"`
	Result  T       `json:"result"`
	Errors  []Error `json:"errors"`
}

// errNoSessions is the answer of every session route on a server without them.
var errNoSessions = fmt.Errorf("%w: sessions are not enabled on this service", render.ErrNotEnabled)

func (s *Server) registerSessions() {
	s.handle("POST /v1/sessions", s.sessionCreate)
	s.handle("GET /v1/sessions", s.sessionList)
	s.handle("GET /v1/sessions/{id}", s.sessionGet)
	s.handle("DELETE /v1/sessions/{id}", s.sessionClose)
	s.handle("POST /v1/sessions/{id}/actions", s.sessionAct)
	s.handle("GET /v1/sessions/{id}/storage", s.sessionStorage)
	s.handle("GET /v1/sessions/{id}/downloads/{index}", s.sessionDownload)
}

// Downloads serves a session's downloaded files: session.Manager.
type Downloads interface {
	Download(ctx context.Context, id string, index int) (session.Download, []byte, error)
}

var _ Downloads = (*session.Manager)(nil)

// sessionDownload sends a file the session downloaded, as an attachment.
func (s *Server) sessionDownload(w http.ResponseWriter, r *http.Request) error {
	d, ok := s.opts.Sessions.(Downloads)
	if !ok || s.opts.Sessions == nil {
		return errNoSessions
	}
	index, err := strconv.Atoi(r.PathValue("index"))
	if err != nil {
		return fmt.Errorf("%w: a download's index is a number, as in the reply's downloads", render.ErrInvalidRequest)
	}
	info, content, err := d.Download(r.Context(), r.PathValue("id"), index)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": info.Name}))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Length", strconv.Itoa(len(content)))
	w.Write(content)
	return nil
}

func (s *Server) sessionCreate(w http.ResponseWriter, r *http.Request) error {
	var req session.CreateRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		return err
	}
	if s.opts.Sessions == nil {
		return errNoSessions
	}
	info, err := s.opts.Sessions.Create(r.Context(), &req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, SessionEnvelope[*session.Info]{Success: true, Result: info, Errors: []Error{}})
	return nil
}

func (s *Server) sessionList(w http.ResponseWriter, _ *http.Request) error {
	if s.opts.Sessions == nil {
		return errNoSessions
	}
	writeJSON(w, http.StatusOK, SessionEnvelope[[]*session.Info]{Success: true, Result: s.opts.Sessions.List(), Errors: []Error{}})
	return nil
}

func (s *Server) sessionGet(w http.ResponseWriter, r *http.Request) error {
	if s.opts.Sessions == nil {
		return errNoSessions
	}
	info, err := s.opts.Sessions.Get(r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, SessionEnvelope[*session.Info]{Success: true, Result: info, Errors: []Error{}})
	return nil
}

func (s *Server) sessionClose(w http.ResponseWriter, r *http.Request) error {
	if s.opts.Sessions == nil {
		return errNoSessions
	}
	if err := s.opts.Sessions.CloseSession(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, SessionEnvelope[any]{Success: true, Errors: []Error{}})
	return nil
}

func (s *Server) sessionAct(w http.ResponseWriter, r *http.Request) error {
	var req session.ActRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		return err
	}
	if s.opts.Sessions == nil {
		return errNoSessions
	}
	res, err := s.opts.Sessions.Act(r.Context(), r.PathValue("id"), &req)
	if err != nil {
		return err
	}
	env := SessionEnvelope[*session.ActResult]{Success: true, Result: res, Errors: []Error{}}
	for _, st := range res.Steps {
		if st.Error != nil {
			env.Success = false
			env.Errors = append(env.Errors, Error{Code: string(st.Error.Code), Message: st.Action + ": " + st.Error.Message})
		}
	}
	writeJSON(w, http.StatusOK, env)
	return nil
}

func (s *Server) sessionStorage(w http.ResponseWriter, r *http.Request) error {
	if s.opts.Sessions == nil {
		return errNoSessions
	}
	state, err := s.opts.Sessions.Storage(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, SessionEnvelope[*session.StorageState]{Success: true, Result: state, Errors: []Error{}})
	return nil
}
