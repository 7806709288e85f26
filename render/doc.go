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
// all under one deadline.
//
// # One request, top down
//
// Read the code in this order; each step is one call:
//
//	Service.Render        service.go  Normalize the request, check it, then:
//	  renderCached        cache.go    a hit in the cache; else a result derived from a
//	                                  cached page; else join the identical render in
//	                                  flight, or start one (a flight: a goroutine the
//	                                  Service owns, ended by its last waiter leaving)
//	    fly, renderClaimed cache.go   with a Claimer, claim the key across the cluster
//	                                  (or take the result another node renders); then
//	      renderOnce      service.go  admit (a slot, or the queue, or ErrOverloaded)
//	                                  → load: fetch (engine choice and hand-over,
//	                                    engine.go), payFor a 402 (payment.go)
//	                                  → screen: detectObstacle (obstacle.go)
//	                                  → extract: Extractor.Extract and the artifacts
//	                                  → Meta; the Result, offered to the cache
//	  process             script.go   the request's script over the result
//	  Observer            the render's outcome, for metrics
//
// Close and Shutdown stop the Service: no render, nor goroutine of its
// own, outlives them.
//
// Adapters (browserpool, extract, …) implement the
// small interfaces declared here; transports (api, mcpbridge) call Service.
// The package imports nothing but the standard library.
//
//	svc, err := render.NewService(render.Options{Fetcher: pool, Extractor: extract.New()})
//	res, err := svc.Render(ctx, &render.Request{URL: "https://example.com", Formats: []render.Format{render.FormatMarkdown}})
package render
