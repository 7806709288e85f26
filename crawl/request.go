package crawl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/sous-dev/sous/render"
)

// Format is one representation a record carries.
type Format string

// The formats a crawl may ask for. HTML is the page as the browser
// serialised it (Cloudflare's default); JSON asks a language model for
// structured data about the page, as Cloudflare's /json route does.
const (
	FormatHTML     Format = "html"
	FormatMarkdown Format = "markdown"
	FormatJSON     Format = "json"
)

// Source says where a crawl finds the URLs it visits after the first.
type Source string

// The sources of URLs.
const (
	SourceAll      Source = "all"      // sitemaps, then links found on pages
	SourceSitemaps Source = "sitemaps" // only the site's sitemaps
	SourceLinks    Source = "links"    // only links found on pages
	SourceLLMs     Source = "llms"     // only the links of the site's /llms.txt and /llms-full.txt
)

// Limits on a request, Cloudflare's.
const (
	DefaultLimit  = 10
	MaxDepth      = 100_000
	DefaultMaxAge = 86_400  // seconds: a day
	MaxMaxAge     = 604_800 // seconds: a week
)

// Request is one crawl, in the shape of Cloudflare's POST
// /browser-rendering/crawl body. Its JSON form puts Page's fields (gotoOptions,
// waitForSelector, cookies, setExtraHTTPHeaders, rejectResourceTypes, …) at
// the top level beside the crawl's own, as Cloudflare does.
type Request struct {
	// URL is where the crawl starts. It is always visited, whatever the
	// patterns say.
	URL string `json:"url"`
	// Limit is the most URLs the job takes on (its total): each is fetched,
	// or marked disallowed or cancelled. Default 10.
	Limit int `json:"limit,omitempty"`
	// Depth is how many links away from URL the crawl goes: 0 visits URL
	// alone; sitemap entries count as one link away. Default 100,000.
	Depth *int `json:"depth,omitempty"`
	// Source is all (default), sitemaps, links or llms.
	Source Source `json:"source,omitempty"`
	// Formats each record carries; default html.
	Formats []Format `json:"formats,omitempty"`
	// Render false fetches pages with a plain HTTP client and runs no
	// script (render.EngineHTTP); default true, the browser
	// (render.EngineBrowser).
	Render *bool `json:"render,omitempty"`
	// MaxAge is how many seconds old a cached render of a page may be;
	// default a day. The service's cache keeps renders at most a day.
	MaxAge *int `json:"maxAge,omitempty"`
	// JSONOptions say what the json format extracts.
	JSONOptions *JSONOptions `json:"jsonOptions,omitempty"`
	// Options choose which discovered URLs are visited.
	Options Scope `json:"options,omitzero"`
	// CrawlPurposes are what the crawl's content is for: search, ai-input,
	// ai-train (Cloudflare's field). A page whose site's robots.txt
	// Content-Signal refuses one of them is recorded as disallowed, with
	// the reason, and never fetched. None declared: signals are not read.
	CrawlPurposes []string `json:"crawlPurposes,omitempty"`

	// Page holds how each page is loaded and extracted: every field of
	// render.Request but URL, HTML, Formats, Engine and CacheTTL, which
	// the crawl sets.
	Page render.Request `json:"-"`
	// Unknown lists the fields of a decoded JSON body that neither the crawl
	// nor render knows, sorted. Transports decide whether that is an error.
	Unknown []string `json:"-"`
}

// Scope chooses which discovered URLs a crawl visits. By default only
// those on the starting URL's host (any scheme, the same port).
type Scope struct {
	// IncludeExternalLinks follows links to any host.
	IncludeExternalLinks bool `json:"includeExternalLinks,omitempty"`
	// IncludeSubdomains follows links to subdomains of the starting host
	// (without its www.).
	IncludeSubdomains bool `json:"includeSubdomains,omitempty"`
	// IncludePatterns, when given, are the only URLs visited;
	// ExcludePatterns are never visited, and win over IncludePatterns.
	// In a pattern * matches anything but /, and ** anything at all. A
	// pattern with :// matches the whole URL, one without matches its path
	// (and query, if the pattern has a ?).
	IncludePatterns []string `json:"includePatterns,omitempty"`
	ExcludePatterns []string `json:"excludePatterns,omitempty"`
}

// JSONOptions are Cloudflare's /json route's fields, for the json format.
type JSONOptions struct {
	Prompt         string          `json:"prompt,omitempty"`
	ResponseFormat *ResponseFormat `json:"response_format,omitempty"`
	CustomAI       []CustomAI      `json:"custom_ai,omitempty"`
}

// ResponseFormat carries the JSON schema an answer must satisfy.
type ResponseFormat struct {
	Type       string          `json:"type"`
	JSONSchema json.RawMessage `json:"json_schema,omitempty"`
}

// CustomAI names a model for the json format, served by the service's
// language model server; the first one is used.
type CustomAI struct {
	Model         string `json:"model"`
	Authorization string `json:"authorization,omitempty"`
}

// ownFields and pageFields are the JSON names a body's fields are sorted by.
var (
	ownFields  = jsonNames(reflect.TypeFor[Request]())
	pageFields = func() map[string]bool {
		m := jsonNames(reflect.TypeFor[render.Request]())
		// The crawl's to set; cacheTTL is Cloudflare's query parameter,
		// and maxAge its crawl body's equivalent.
		for _, name := range []string{"url", "html", "formats", "engine", "cacheTTL", "script"} {
			delete(m, name)
		}
		return m
	}()
)

func jsonNames(t reflect.Type) map[string]bool {
	m := map[string]bool{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			m[name] = true
		}
	}
	return m
}

// plainRequest is Request without its JSON methods.
type plainRequest Request

// UnmarshalJSON decodes a flat body: the crawl's fields into r, render's
// into r.Page, and the names of any others into r.Unknown. A known field
// of the wrong type is an error.
func (r *Request) UnmarshalJSON(b []byte) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return err
	}
	own, page := map[string]json.RawMessage{}, map[string]json.RawMessage{}
	var unknown []string
	for name, v := range fields {
		switch {
		case ownFields[name]:
			own[name] = v
		case pageFields[name]:
			page[name] = v
		default:
			unknown = append(unknown, name)
		}
	}
	var p plainRequest
	if err := decodeStrict(own, &p); err != nil {
		return err
	}
	if err := decodeStrict(page, &p.Page); err != nil {
		return err
	}
	slices.Sort(unknown)
	p.Unknown = unknown
	*r = Request(p)
	return nil
}

func decodeStrict(fields map[string]json.RawMessage, v any) error {
	b, err := json.Marshal(fields)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// MarshalJSON writes the flat body UnmarshalJSON reads.
func (r Request) MarshalJSON() ([]byte, error) {
	own, err := json.Marshal(plainRequest(r))
	if err != nil {
		return nil, err
	}
	page, err := json.Marshal(r.Page)
	if err != nil {
		return nil, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(page, &fields); err != nil {
		return nil, err
	}
	for name := range fields {
		if !pageFields[name] {
			delete(fields, name)
		}
	}
	if err := json.Unmarshal(own, &fields); err != nil {
		return nil, err
	}
	return json.Marshal(fields)
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", render.ErrInvalidRequest, fmt.Sprintf(format, args...))
}

// Validate fills in r's defaults and reports the first problem a caller
// must fix, wrapped in render.ErrInvalidRequest. maxLimit is the largest
// Limit allowed; haveModel says whether the json format can be served.
func (r *Request) Validate(maxLimit int, haveModel bool) error {
	r.URL = strings.TrimSpace(r.URL)
	if r.URL == "" {
		return invalid("url is required: the page the crawl starts from")
	}
	if err := render.ValidateURL(r.URL); err != nil {
		return err
	}
	if r.Page.HTML != "" {
		return invalid("a crawl starts from a url, not html")
	}
	switch {
	case r.Limit < 0:
		return invalid("limit must not be negative")
	case r.Limit == 0:
		r.Limit = DefaultLimit
	case r.Limit > maxLimit:
		return invalid("limit %d is more than this service's maximum of %d pages a crawl", r.Limit, maxLimit)
	}
	if r.Depth == nil {
		d := MaxDepth
		r.Depth = &d
	} else if *r.Depth < 0 || *r.Depth > MaxDepth {
		return invalid("depth must be between 0 and %d", MaxDepth)
	}
	for _, p := range r.CrawlPurposes {
		if p != PurposeSearch && p != PurposeAIInput && p != PurposeAITrain {
			return invalid("crawlPurposes: want search, ai-input or ai-train, not %q", p)
		}
	}
	switch r.Source {
	case "":
		r.Source = SourceAll
	case SourceAll, SourceSitemaps, SourceLinks, SourceLLMs:
	default:
		return invalid("source: want all, sitemaps, links or llms, not %q", r.Source)
	}
	if len(r.Formats) == 0 {
		r.Formats = []Format{FormatHTML}
	}
	for i, f := range r.Formats {
		switch f {
		case FormatHTML, FormatMarkdown:
		case FormatJSON:
			if o := r.JSONOptions; o == nil || o.Prompt == "" && (o.ResponseFormat == nil || len(o.ResponseFormat.JSONSchema) == 0) {
				return invalid("the json format needs jsonOptions with a prompt, a response_format with a json_schema, or both")
			}
			if !haveModel {
				return invalid("the json format needs a language model, and this service has none: start sous with --llm-url and --llm-model")
			}
		default:
			return invalid("formats[%d]: want html, markdown or json, not %q", i, f)
		}
	}
	if r.MaxAge == nil {
		a := DefaultMaxAge
		r.MaxAge = &a
	} else if *r.MaxAge < 0 || *r.MaxAge > MaxMaxAge {
		return invalid("maxAge must be between 0 and %d seconds", MaxMaxAge)
	}
	for name, list := range map[string][]string{"includePatterns": r.Options.IncludePatterns, "excludePatterns": r.Options.ExcludePatterns} {
		if len(list) > render.MaxSelectors {
			return invalid("options.%s has %d patterns; the limit is %d", name, len(list), render.MaxSelectors)
		}
		for i, p := range list {
			if strings.TrimSpace(p) == "" || len(p) > render.MaxURLLength || !utf8.ValidString(p) {
				return invalid("options.%s[%d] is empty, too long or not UTF-8", name, i)
			}
		}
	}
	// Every page's request is this one with another URL: check it once.
	if err := r.pageRequest(r.URL).Validate(); err != nil {
		return err
	}
	return nil
}

// wants reports whether f is among r's formats.
func (r *Request) wants(f Format) bool { return slices.Contains(r.Formats, f) }

// pageRequest is the render request for one page of the crawl.
func (r *Request) pageRequest(u string) *render.Request {
	p := r.Page // a shallow copy: render treats a request's lists as read-only
	p.URL, p.HTML = u, ""
	// Links to go on with, and metadata for the page's canonical URL.
	p.Formats = []render.Format{render.FormatLinks, render.FormatMetadata}
	if r.wants(FormatMarkdown) || r.wants(FormatJSON) {
		p.Formats = append(p.Formats, render.FormatMarkdown)
	}
	if r.wants(FormatHTML) {
		p.Formats = append(p.Formats, render.FormatRawHTML)
	}
	// render: true (the default) is Cloudflare's headless browser.
	p.Engine = render.EngineBrowser
	if r.Render != nil && !*r.Render {
		p.Engine = render.EngineHTTP
	}
	if r.MaxAge != nil {
		ttl := min(*r.MaxAge, int(render.MaxCacheTTL.Seconds()))
		p.CacheTTL = &ttl
	}
	return &p
}

// errUnknownFields is wrapped by Strict.
var errUnknownFields = errors.New("unknown fields")

// Strict reports r.Unknown as an error, for transports that refuse
// fields they do not know.
func (r *Request) Strict() error {
	if len(r.Unknown) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w: %s", render.ErrInvalidRequest, errUnknownFields, strings.Join(r.Unknown, ", "))
}
