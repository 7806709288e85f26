// Package extract turns a rendered page (render.Page: the serialised DOM and
// the address it came from) into the text formats of a render.Result:
// markdown, plain text, cleaned HTML, links and metadata. It is the
// render.Extractor of Sous.
//
//	x := extract.New()
//	res, err := x.Extract(page, &render.Request{
//		Formats: []render.Format{render.FormatMarkdown, render.FormatLinks},
//	})
//	fmt.Println(res.Markdown, res.Links)
//
// Extraction is pure: no I/O, no clock, no shared mutable state, so one
// Extractor serves any number of goroutines and the same page always gives
// the same result (which is what makes the cache and the golden tests work).
//
// # One parse, several readers
//
// The HTML is parsed once per call and every format reads the same tree.
// Some formats need a pristine tree and others change it, so Extract runs
// them in a fixed order:
//
//  1. metadata and links read the document as parsed (JSON-LD lives in
//     <script> elements, which cleaning removes);
//  2. cleaning removes what is never content or is active (scripts, styles,
//     templates, frames, embedded objects, SVG, comments, on* handlers,
//     javascript: URLs) and makes every URL attribute absolute; the "html"
//     format is this tree serialised;
//  3. pruning then removes what a reader would not see (elements with the
//     hidden attribute or aria-hidden="true", image maps) and form widgets
//     whose text is a list of choices (select, datalist, textarea); table
//     spans are expanded into plain cells, and source line breaks inside
//     Chinese and Japanese text are dropped;
//  4. plain text is read from the pruned body, and markdown is converted
//     from it last, because the converter rewrites the tree as it goes.
//
// # Addresses
//
// Relative URLs resolve against the page's address, or against a <base
// href> when the document has one (itself resolved against the page's
// address, as a browser does). When there is no usable base — html input
// arrives as "about:blank" — relative URLs stay as they were written rather
// than becoming "about:blank/foo".
//
// This first version converts the whole body; picking the main content out
// of navigation and footers is a separate step.
package extract
