package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sous-dev/sous/crawl"
	"github.com/sous-dev/sous/render"
)

// Crawl jobs, natively and in Cloudflare's shape:
//
//	POST   /v1/crawl                 a crawl.Request → {success, result: job id, errors}
//	GET    /v1/crawl/{id}            ?cursor=N&limit=N&status=S → {success, result: crawl.Result, errors}
//	DELETE /v1/crawl/{id}            cancels → {success, result: {job_id, message}, errors}
//	GET    /v1/crawl/{id}/events     progress as Server-Sent Events, until the job ends
//
// and the same under /client/v4/accounts/{account}/browser-rendering/crawl
// and /browser-rendering/crawl, with Cloudflare's envelope and numeric error
// codes. The native route refuses fields it does not know; Cloudflare's
// ignores them and names them in messages.

// Crawler runs crawl jobs: crawl.Manager.
type Crawler interface {
	Start(ctx context.Context, req *crawl.Request) (*crawl.Job, error)
	Job(id string) (*crawl.Job, error)
	Cancel(id string) (*crawl.Job, error)
}

var _ Crawler = (*crawl.Manager)(nil)

// crawlDialect is what differs between the native and Cloudflare routes.
type crawlDialect struct {
	cloudflare bool
}

func (s *Server) registerCrawl() {
	routes := func(prefix string, d crawlDialect) {
		for pattern, h := range map[string]func(http.ResponseWriter, *http.Request, crawlDialect) error{
			"POST " + prefix:                 s.crawlStart,
			"GET " + prefix + "/{id}":        s.crawlGet,
			"DELETE " + prefix + "/{id}":     s.crawlCancel,
			"GET " + prefix + "/{id}/events": s.crawlEvents,
		} {
			s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
				if err := h(w, r, d); err != nil {
					s.crawlFail(w, d, err)
				}
			})
		}
	}
	routes("/v1/crawl", crawlDialect{})
	for _, prefix := range cloudflarePrefixes {
		routes(prefix+"/crawl", crawlDialect{cloudflare: true})
	}
}

// errNoCrawler is the answer of every crawl route on a server without one.
var errNoCrawler = fmt.Errorf("%w: crawl jobs are not enabled on this service", render.ErrNotEnabled)

func (s *Server) crawlStart(w http.ResponseWriter, r *http.Request, d crawlDialect) error {
	var req crawl.Request
	if d.cloudflare {
		body, err := s.readBody(w, r)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(body, &req); err != nil {
			return fmt.Errorf("%w: the body is not a crawl request: %v", render.ErrInvalidRequest, err)
		}
	} else {
		if err := s.decodeJSON(w, r, &req); err != nil {
			return err
		}
		if err := req.Strict(); err != nil {
			return err
		}
	}
	if s.opts.Crawler == nil {
		return errNoCrawler
	}
	j, err := s.opts.Crawler.Start(r.Context(), &req)
	if err != nil {
		return err
	}
	if d.cloudflare {
		messages := []string{}
		if len(req.Unknown) > 0 {
			messages = append(messages, "ignored fields Sous does not support: "+strings.Join(req.Unknown, ", "))
		}
		writeJSON(w, http.StatusOK, cloudflareEnvelope{Success: true, Result: j.ID(), Errors: []cloudflareError{}, Messages: messages})
		return nil
	}
	writeJSON(w, http.StatusOK, crawlEnvelope{Success: true, Result: j.ID(), Errors: []Error{}})
	return nil
}

func (s *Server) crawlGet(w http.ResponseWriter, r *http.Request, d crawlDialect) error {
	j, err := s.crawlJob(r)
	if err != nil {
		return err
	}
	var page crawl.Page
	for name, dst := range map[string]*int{"cursor": &page.Cursor, "limit": &page.Limit} {
		if q := r.URL.Query().Get(name); q != "" {
			n, err := strconv.Atoi(q)
			if err != nil || n < 0 {
				return (fmt.Errorf("%w: the %s query parameter must be a whole number, not %q", render.ErrInvalidRequest, name, q))
			}
			*dst = n
		}
	}
	if q := r.URL.Query().Get("status"); q != "" {
		switch st := crawl.RecordStatus(q); st {
		case crawl.RecordQueued, crawl.RecordCompleted, crawl.RecordErrored, crawl.RecordDisallowed, crawl.RecordSkipped, crawl.RecordCancelled:
			page.Status = st
		default:
			return (fmt.Errorf("%w: status must be queued, completed, errored, disallowed, skipped or cancelled, not %q", render.ErrInvalidRequest, q))
		}
	}
	s.crawlReply(w, d, j.Result(page))
	return nil
}

func (s *Server) crawlCancel(w http.ResponseWriter, r *http.Request, d crawlDialect) error {
	if s.opts.Crawler == nil {
		return errNoCrawler
	}
	type reply struct {
		JobID   string `json:"job_id"`
		Message string `json:"message"`
		Status  string `json:"status"`
	}
	// A job that has ended stays as it ended: say so rather than claim a
	// cancellation its status will never show.
	if j, err := s.opts.Crawler.Job(r.PathValue("id")); err == nil {
		if p := j.Progress(); p.Ended() {
			s.crawlReply(w, d, reply{j.ID(), fmt.Sprintf("the crawl job had already ended (%s); nothing to cancel", p.Status), string(p.Status)})
			return nil
		}
	}
	j, err := s.opts.Crawler.Cancel(r.PathValue("id"))
	if err != nil {
		return err
	}
	s.crawlReply(w, d, reply{j.ID(), "the crawl job is cancelled", string(crawl.JobCancelledByUser)})
	return nil
}

// crawlEvents streams a job's progress as Server-Sent Events: a "record"
// event for each URL that reaches a final state (its url, status, depth
// and error; fetch GET /crawl/{id} for the content), a "progress" event
// with the counts after each change, and "done" with the final counts,
// after which the stream ends. A comment every 15 s keeps proxies from
// closing a quiet stream and tells the server when the client has left.
func (s *Server) crawlEvents(w http.ResponseWriter, r *http.Request, d crawlDialect) error {
	j, err := s.crawlJob(r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	flush := http.NewResponseController(w).Flush
	keepAlive := time.NewTicker(15 * time.Second)
	defer keepAlive.Stop()
	seen, last := 0, crawl.Progress{}
	for {
		u, next, changed := j.Since(seen)
		seen = next
		for _, rec := range u.Records {
			ev := recordEvent{URL: rec.URL, Status: rec.Status, Depth: rec.Depth, Error: rec.Error}
			if rec.Metadata != nil {
				ev.HTTPStatus, ev.Title = rec.Metadata.Status, rec.Metadata.Title
			}
			writeEvent(w, "record", ev)
		}
		switch {
		case u.Ended():
			writeEvent(w, "done", u.Progress)
		case u.Progress != last:
			writeEvent(w, "progress", u.Progress)
		}
		last = u.Progress
		if flush() != nil || u.Ended() {
			return nil
		}
		select {
		case <-changed:
		case <-keepAlive.C:
			io.WriteString(w, ": keep-alive\n\n")
			if flush() != nil {
				return nil // the client has gone
			}
		case <-r.Context().Done():
			return nil // the client has gone, or the server is closing
		}
	}
}

// recordEvent is the data of a "record" event.
type recordEvent struct {
	URL        string             `json:"url"`
	Status     crawl.RecordStatus `json:"status"`
	Depth      int                `json:"depth"`
	HTTPStatus int                `json:"httpStatus,omitempty"`
	Title      string             `json:"title,omitempty"`
	Error      string             `json:"error,omitempty"`
}

func writeEvent(w io.Writer, event string, data any) {
	b, _ := json.Marshal(data) // plain structs: cannot fail
	fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b)
}

func (s *Server) crawlJob(r *http.Request) (*crawl.Job, error) {
	if s.opts.Crawler == nil {
		return nil, errNoCrawler
	}
	return s.opts.Crawler.Job(r.PathValue("id"))
}

// crawlEnvelope is the native reply of the crawl routes.
type crawlEnvelope struct {
	Success bool    `json:"success"`
	Result  any     `json:"result,omitempty"`
	Errors  []Error `json:"errors"`
}

func (s *Server) crawlReply(w http.ResponseWriter, d crawlDialect, result any) {
	if d.cloudflare {
		writeJSON(w, http.StatusOK, cloudflareEnvelope{Success: true, Result: result, Errors: []cloudflareError{}, Messages: []string{}})
		return
	}
	writeJSON(w, http.StatusOK, crawlEnvelope{Success: true, Result: result, Errors: []Error{}})
}

// crawlFail answers a failed crawl call in the route's dialect.
func (s *Server) crawlFail(w http.ResponseWriter, d crawlDialect, err error) {
	if d.cloudflare {
		s.cfError(w, err)
		return
	}
	status := statusOf(err)
	s.setRetryAfter(w, status)
	writeJSON(w, status, Envelope{Errors: []Error{errorOf(err)}})
}
