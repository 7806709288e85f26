package render

import (
	"context"
	"errors"
	"fmt"
)

// ErrNotHTML is returned by the browser Fetcher when the URL serves a
// document that is not a web page (a PDF): the browser would show a viewer
// or start a download, with no text. Service then fetches the document with
// the HTTP Fetcher, which turns it into text; callers see this error only
// when they asked for what needs a web page (a screenshot of a PDF).
var ErrNotHTML = errors.New("not a web page")

// documentByHTTP fetches a document the browser could not show (notHTML
// says what it was) with the HTTP Fetcher, which reads PDFs and text.
func (s *Service) documentByHTTP(ctx context.Context, req *Request, notHTML error) (*Page, error) {
	for _, f := range []Format{FormatScreenshot, FormatPDF, FormatAccessibilityTree} {
		if req.Wants(f) {
			return nil, invalid("%v: the %s format needs a web page; ask for markdown, text or metadata", notHTML, f)
		}
	}
	if s.opts.HTTPFetcher == nil {
		return nil, fmt.Errorf("%w: %v, and this service has no http engine to read it", ErrNavigation, notHTML)
	}
	plain := *req
	plain.Engine = EngineHTTP // the document as it is: no hand-over back to the browser
	return s.opts.HTTPFetcher.Fetch(ctx, &plain)
}
