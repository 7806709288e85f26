package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/sous-dev/sous/render"
)

// Cloudflare Browser Rendering's REST routes, so that a client written for
// Cloudflare works against Sous by changing its base URL:
//
//	POST /client/v4/accounts/{account}/browser-rendering/{action}
//	POST /browser-rendering/{action}
//
// Request bodies are Cloudflare's (render.Request uses its names); fields
// Sous does not know are accepted and listed under meta.ignored rather than
// refused, since they are valid for Cloudflare. Replies use Cloudflare's
// envelope {success, result, errors, messages}, or raw bytes for screenshot
// and pdf, and its numeric error codes: the HTTP status of the failure.

// cloudflareAction says what one route renders and how it replies.
type cloudflareAction struct {
	formats []render.Format
	reply   func(w cfWriter, req *render.Request, res *render.Result)
}

// cfWriter writes one Cloudflare reply, naming the request fields that were
// ignored.
type cfWriter struct {
	http.ResponseWriter
	ignored []string
}

var cloudflareActions = map[string]cloudflareAction{
	"content": {
		formats: []render.Format{render.FormatRawHTML},
		reply:   func(w cfWriter, _ *render.Request, res *render.Result) { w.result(res, res.RawHTML) },
	},
	"markdown": {
		formats: []render.Format{render.FormatMarkdown},
		reply:   func(w cfWriter, _ *render.Request, res *render.Result) { w.result(res, res.Markdown) },
	},
	"links": {
		formats: []render.Format{render.FormatLinks},
		reply: func(w cfWriter, _ *render.Request, res *render.Result) {
			urls := make([]string, len(res.Links))
			for i, l := range res.Links {
				urls[i] = l.URL
			}
			w.result(res, urls)
		},
	},
	"snapshot": {
		formats: []render.Format{render.FormatRawHTML, render.FormatScreenshot},
		reply: func(w cfWriter, _ *render.Request, res *render.Result) {
			w.result(res, map[string]string{
				"content":    res.RawHTML,
				"screenshot": base64.StdEncoding.EncodeToString(res.Screenshot),
			})
		},
	},
	"screenshot": {
		formats: []render.Format{render.FormatScreenshot},
		reply: func(w cfWriter, req *render.Request, res *render.Result) {
			typ := "png"
			if o := req.ScreenshotOptions; o != nil && o.Type != "" {
				typ = o.Type
			}
			w.send("image/"+typ, res.Screenshot)
		},
	},
	"scrape": {
		formats: []render.Format{render.FormatScrape},
		reply: func(w cfWriter, _ *render.Request, res *render.Result) {
			scraped := res.Scrape
			if scraped == nil {
				scraped = []render.Scraped{}
			}
			w.result(res, scraped)
		},
	},
	"accessibilityTree": {
		formats: []render.Format{render.FormatAccessibilityTree},
		reply: func(w cfWriter, _ *render.Request, res *render.Result) {
			w.result(res, map[string]*render.AXNode{"accessibilityTree": res.AccessibilityTree})
		},
	},
	// json asks a language model (Options.JSON) for JSON about the page's
	// main content; the reply is written by the handler.
	"json": {formats: []render.Format{render.FormatMarkdown}},
	"pdf": {
		formats: []render.Format{render.FormatPDF},
		reply: func(w cfWriter, _ *render.Request, res *render.Result) {
			w.send("application/pdf", res.PDF)
		},
	},
}

// cloudflarePrefixes are where Cloudflare's routes are served: under an
// account, as Cloudflare serves them, and without one.
var cloudflarePrefixes = []string{"/client/v4/accounts/{account}/browser-rendering", "/browser-rendering"}

func (s *Server) registerCloudflare() {
	for _, prefix := range cloudflarePrefixes {
		s.mux.HandleFunc("POST "+prefix+"/{action}", s.cloudflare)
	}
}

// cloudflareEnvelope is Cloudflare's v4 reply.
type cloudflareEnvelope struct {
	Success  bool              `json:"success"`
	Result   any               `json:"result,omitempty"`
	Errors   []cloudflareError `json:"errors"`
	Messages []string          `json:"messages"`
	Meta     *cloudflareMeta   `json:"meta,omitempty"`
}

type cloudflareError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// cloudflareMeta is Sous's addition to the envelope.
type cloudflareMeta struct {
	render.Meta
	// Ignored lists request fields Cloudflare knows and Sous does not.
	Ignored []string `json:"ignored,omitempty"`
}

func (s *Server) cloudflare(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("action")
	action, ok := cloudflareActions[name]
	if !ok {
		cfFail(w, http.StatusNotFound, fmt.Sprintf("no browser-rendering route %q; Sous serves %s", name, strings.Join(cloudflareRoutes(), ", ")))
		return
	}
	body, err := s.readBody(w, r)
	if err != nil {
		s.cfError(w, err)
		return
	}
	req, extra, err := decodeCloudflare(body)
	if err != nil {
		s.cfError(w, err)
		return
	}
	req.Formats = action.formats
	var ask *JSONRequest
	if name == "json" {
		if ask, err = s.jsonRequest(req, extra); err != nil {
			s.cfError(w, err)
			return
		}
	}
	res, err := s.renderRequest(w, r, req)
	if err != nil {
		s.cfError(w, err)
		return
	}
	cw := cfWriter{ResponseWriter: w, ignored: names(extra)}
	if ask != nil {
		ask.Content = res.Markdown
		out, err := s.opts.JSON.ExtractJSON(r.Context(), *ask)
		if err != nil {
			cfFail(w, http.StatusUnprocessableEntity, "json: "+err.Error())
			return
		}
		cw.result(res, out)
		return
	}
	action.reply(cw, req, res)
}

// result writes a successful reply carrying result.
func (w cfWriter) result(res *render.Result, result any) {
	writeJSON(w, http.StatusOK, cloudflareEnvelope{Success: true, Result: result, Errors: []cloudflareError{}, Messages: []string{},
		Meta: &cloudflareMeta{Meta: res.Meta, Ignored: w.ignored}})
}

// send writes a successful reply of raw bytes (a screenshot, a PDF).
func (w cfWriter) send(contentType string, b []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

// cfError answers a failure in Cloudflare's envelope.
// cfError answers a failed call, with the meta of the page when the error
// carries one (an obstacle: what stood in the way, and where).
func (s *Server) cfError(w http.ResponseWriter, err error) {
	status := cloudflareStatus(err)
	s.setRetryAfter(w, status)
	env := cloudflareEnvelope{Errors: []cloudflareError{{Code: status, Message: err.Error()}}, Messages: []string{}}
	if m := render.MetaOf(err); m != nil {
		env.Meta = &cloudflareMeta{Meta: *m}
	}
	writeJSON(w, status, env)
}

func cfFail(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, cloudflareEnvelope{Errors: []cloudflareError{{Code: status, Message: message}}, Messages: []string{}})
}

// cloudflareStatus is Cloudflare's status for a failure: the native one,
// except that a page that could not be rendered (a timeout, a failed
// navigation, a blocked address) is Cloudflare's 422.
func cloudflareStatus(err error) int {
	switch status := statusOf(err); status {
	case http.StatusGatewayTimeout, http.StatusBadGateway, http.StatusForbidden:
		return http.StatusUnprocessableEntity
	default:
		return status
	}
}

func cloudflareRoutes() []string {
	names := make([]string, 0, len(cloudflareActions))
	for n := range cloudflareActions {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// requestFields are the JSON names of render.Request's fields.
var requestFields = func() map[string]bool {
	m := map[string]bool{}
	t := reflect.TypeFor[render.Request]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			m[name] = true
		}
	}
	return m
}()

// decodeCloudflare decodes a Cloudflare request body. Fields render.Request
// knows are decoded strictly (a wrong type is still a 400); the others are
// returned by name, to be ignored.
func decodeCloudflare(body []byte) (*render.Request, map[string]json.RawMessage, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil, fmt.Errorf("%w: the request body is empty; send a JSON object such as {\"url\": \"https://example.com\"}", render.ErrInvalidRequest)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return nil, nil, fmt.Errorf("%w: the body is not a JSON object: %v", render.ErrInvalidRequest, err)
	}
	unknown := map[string]json.RawMessage{}
	for name, v := range fields {
		if !requestFields[name] || name == "formats" {
			unknown[name] = v
			delete(fields, name)
		}
	}
	known, _ := json.Marshal(fields)
	var req render.Request
	dec := json.NewDecoder(bytes.NewReader(known))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) {
			return nil, nil, fmt.Errorf("%w: field %q must be %s, not JSON %s", render.ErrInvalidRequest, typ.Field, typ.Type, typ.Value)
		}
		return nil, nil, fmt.Errorf("%w: %v", render.ErrInvalidRequest, err)
	}
	return &req, unknown, nil
}

// names lists the keys of m in order.
func names(m map[string]json.RawMessage) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// JSONRequest is one question to Options.JSON: Cloudflare's /json route.
type JSONRequest struct {
	// Content is the page's main content, as markdown.
	Content string
	// Prompt and Schema (response_format.json_schema) say what to extract.
	Prompt string
	Schema json.RawMessage
	// Model and Authorization come from custom_ai, and override the
	// service's model for this request.
	Model, Authorization string
}

// JSONExtractor turns page content into JSON with a language model.
type JSONExtractor interface {
	ExtractJSON(ctx context.Context, req JSONRequest) (json.RawMessage, error)
}

// jsonRequest reads the /json route's own fields out of extra.
func (s *Server) jsonRequest(req *render.Request, extra map[string]json.RawMessage) (*JSONRequest, error) {
	var ask JSONRequest
	var format struct {
		Type       string          `json:"type"`
		JSONSchema json.RawMessage `json:"json_schema"`
	}
	var custom []struct {
		Model         string `json:"model"`
		Authorization string `json:"authorization"`
	}
	for name, dst := range map[string]any{"prompt": &ask.Prompt, "response_format": &format, "custom_ai": &custom} {
		if raw, ok := extra[name]; ok {
			if err := json.Unmarshal(raw, dst); err != nil {
				return nil, fmt.Errorf("%w: %s: %v", render.ErrInvalidRequest, name, err)
			}
			delete(extra, name)
		}
	}
	ask.Schema = format.JSONSchema
	if len(custom) > 0 {
		ask.Model, ask.Authorization = custom[0].Model, custom[0].Authorization
	}
	if ask.Prompt == "" && len(ask.Schema) == 0 {
		return nil, fmt.Errorf("%w: json needs a prompt, a response_format with a json_schema, or both", render.ErrInvalidRequest)
	}
	if s.opts.JSON == nil {
		return nil, fmt.Errorf("%w: the json route needs a language model: start sous with --llm-url and --llm-model", render.ErrInvalidRequest)
	}
	req.OnlyMainContent = true
	return &ask, nil
}
