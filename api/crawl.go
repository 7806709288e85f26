package api

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v3"

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
		s.app.Post(prefix, func(c fiber.Ctx) error { return s.crawlStart(c, d) })
		s.app.Get(prefix+"/:id", func(c fiber.Ctx) error { return s.crawlGet(c, d) })
		s.app.Delete(prefix+"/:id", func(c fiber.Ctx) error { return s.crawlCancel(c, d) })
		s.app.Get(prefix+"/:id/events", func(c fiber.Ctx) error { return s.crawlEvents(c, d) })
	}
	routes("/v1/crawl", crawlDialect{})
	for _, prefix := range []string{"/client/v4/accounts/:account/browser-rendering", "/browser-rendering"} {
		routes(prefix+"/crawl", crawlDialect{cloudflare: true})
	}
}

// errNoCrawler is the answer of every crawl route on a server without one.
var errNoCrawler = fmt.Errorf("%w: crawl jobs are not enabled on this service", render.ErrClosed)

func (s *Server) crawlStart(c fiber.Ctx, d crawlDialect) error {
	var req crawl.Request
	if d.cloudflare {
		if err := json.Unmarshal(c.Body(), &req); err != nil {
			return s.crawlFail(c, d, fmt.Errorf("%w: the body is not a crawl request: %v", render.ErrInvalidRequest, err))
		}
	} else {
		if err := decodeJSON(c, &req); err != nil {
			return err
		}
		if err := req.Strict(); err != nil {
			return err
		}
	}
	if s.opts.Crawler == nil {
		return s.crawlFail(c, d, errNoCrawler)
	}
	j, err := s.opts.Crawler.Start(c.Context(), &req)
	if err != nil {
		return s.crawlFail(c, d, err)
	}
	if d.cloudflare {
		messages := []string{}
		if len(req.Unknown) > 0 {
			messages = append(messages, "ignored fields Sous does not support: "+strings.Join(req.Unknown, ", "))
		}
		return c.JSON(cloudflareEnvelope{Success: true, Result: j.ID(), Errors: []cloudflareError{}, Messages: messages})
	}
	return c.JSON(crawlEnvelope{Success: true, Result: j.ID(), Errors: []Error{}})
}

func (s *Server) crawlGet(c fiber.Ctx, d crawlDialect) error {
	j, err := s.crawlJob(c)
	if err != nil {
		return s.crawlFail(c, d, err)
	}
	var page crawl.Page
	for name, dst := range map[string]*int{"cursor": &page.Cursor, "limit": &page.Limit} {
		if q := c.Query(name); q != "" {
			n, err := strconv.Atoi(q)
			if err != nil || n < 0 {
				return s.crawlFail(c, d, fmt.Errorf("%w: the %s query parameter must be a whole number, not %q", render.ErrInvalidRequest, name, q))
			}
			*dst = n
		}
	}
	if q := c.Query("status"); q != "" {
		switch st := crawl.RecordStatus(q); st {
		case crawl.RecordQueued, crawl.RecordCompleted, crawl.RecordErrored, crawl.RecordDisallowed, crawl.RecordSkipped, crawl.RecordCancelled:
			page.Status = st
		default:
			return s.crawlFail(c, d, fmt.Errorf("%w: status must be queued, completed, errored, disallowed, skipped or cancelled, not %q", render.ErrInvalidRequest, q))
		}
	}
	return s.crawlReply(c, d, j.Result(page))
}

func (s *Server) crawlCancel(c fiber.Ctx, d crawlDialect) error {
	if s.opts.Crawler == nil {
		return s.crawlFail(c, d, errNoCrawler)
	}
	j, err := s.opts.Crawler.Cancel(c.Params("id"))
	if err != nil {
		return s.crawlFail(c, d, err)
	}
	return s.crawlReply(c, d, struct {
		JobID   string `json:"job_id"`
		Message string `json:"message"`
	}{j.ID(), "the crawl job is cancelled"})
}

// crawlEvents streams a job's progress as Server-Sent Events: a "record"
// event for each URL that reaches a final state (its url, status, depth
// and error; fetch GET /crawl/{id} for the content), a "progress" event
// with the counts after each change, and "done" with the final counts,
// after which the stream ends. A comment every 15 s keeps proxies from
// closing a quiet stream and tells the server when the client has left.
func (s *Server) crawlEvents(c fiber.Ctx, d crawlDialect) error {
	j, err := s.crawlJob(c)
	if err != nil {
		return s.crawlFail(c, d, err)
	}
	c.Set(fiber.HeaderContentType, "text/event-stream")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set("X-Accel-Buffering", "no")
	return c.SendStreamWriter(func(w *bufio.Writer) {
		keepAlive := time.NewTicker(15 * time.Second)
		defer keepAlive.Stop()
		seen, last := 0, crawl.Progress{}
		for {
			u, next, changed := j.Since(seen)
			seen = next
			for _, r := range u.Records {
				ev := recordEvent{URL: r.URL, Status: r.Status, Depth: r.Depth, Error: r.Error}
				if r.Metadata != nil {
					ev.HTTPStatus, ev.Title = r.Metadata.Status, r.Metadata.Title
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
			if w.Flush() != nil || u.Ended() {
				return
			}
			select {
			case <-changed:
			case <-keepAlive.C:
				w.WriteString(": keep-alive\n\n")
				if w.Flush() != nil {
					return // the client has gone
				}
			}
		}
	})
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

func writeEvent(w *bufio.Writer, event string, data any) {
	b, _ := json.Marshal(data) // plain structs: cannot fail
	fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b)
}

func (s *Server) crawlJob(c fiber.Ctx) (*crawl.Job, error) {
	if s.opts.Crawler == nil {
		return nil, errNoCrawler
	}
	return s.opts.Crawler.Job(c.Params("id"))
}

// crawlEnvelope is the native reply of the crawl routes.
type crawlEnvelope struct {
	Success bool    `json:"success"`
	Result  any     `json:"result,omitempty"`
	Errors  []Error `json:"errors"`
}

func (s *Server) crawlReply(c fiber.Ctx, d crawlDialect, result any) error {
	if d.cloudflare {
		return c.JSON(cloudflareEnvelope{Success: true, Result: result, Errors: []cloudflareError{}, Messages: []string{}})
	}
	return c.JSON(crawlEnvelope{Success: true, Result: result, Errors: []Error{}})
}

// crawlFail answers a failed crawl call in the route's dialect: a job that
// is not known is a 404 (code not_found), the rest as the render routes.
func (s *Server) crawlFail(c fiber.Ctx, d crawlDialect, err error) error {
	status, code := statusOf(err), render.Code(err)
	if d.cloudflare {
		status = cloudflareStatus(err)
	}
	if errors.Is(err, crawl.ErrNotFound) {
		status, code = fiber.StatusNotFound, "not_found"
	}
	s.setRetryAfter(c, status)
	if d.cloudflare {
		return cfFail(c, status, err.Error())
	}
	return fail(c, status, code, err.Error())
}
