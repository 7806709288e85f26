// Package render is the domain of Sous: what a caller asks for (Request), what
// it gets back (Result), the errors it can see, and Service, which runs one
// request through its stages:
//
//	admission (concurrency and queue limits)
//	  → Fetcher  (a browser or plain HTTP turns the request into a Page)
//	  → Extractor (the Page becomes markdown, text, links, metadata …)
//	  → Processor (the request's script over the result, in an isolate;
//	    after the cache, so a new script does not render the page again)
//
// all under one deadline. Adapters (browserpool, extract, …) implement the
// small interfaces declared here; transports (api, mcpbridge) call Service.
// The package imports nothing but the standard library.
//
//	svc, err := render.NewService(render.Options{Fetcher: pool, Extractor: extract.New()})
//	res, err := svc.Render(ctx, &render.Request{URL: "https://example.com", Formats: []render.Format{render.FormatMarkdown}})
package render
