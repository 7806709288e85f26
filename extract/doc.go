// Package extract turns a rendered page (render.Page: the serialised DOM and
// the address it came from) into the text formats of a render.Result:
// markdown, plain text, cleaned HTML, links, metadata, scraped elements and
// an outline. It is the render.Extractor of Sous.
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
// # What each format holds
//
//   - rawHtml: the page's HTML, unchanged.
//   - html: the document without what runs or never shows (scripts, styles,
//     templates, frames, embedded objects, SVG, comments, on* handlers,
//     javascript: URLs), every URL made absolute; structure and other
//     attributes stay.
//   - markdown: GitHub-flavoured markdown of the body: ATX headings, fenced
//     code with its language, pipe tables (spans expanded, pipes escaped),
//     absolute links and images, at most one blank line in a row.
//   - text: the body as readable text, like a browser's innerText: blocks
//     on their own lines, paragraphs apart by a blank line, table cells
//     separated by tabs.
//   - links: each http(s) page the body links to, once, in order, without
//     #fragment, with the text a reader sees (or the link's accessible name).
//   - links also say whether each is internal (the page's registrable
//     domain, by the public suffix list); visibleLinksOnly leaves out those
//     inside elements hidden by markup, excludeExternalLinks the others.
//   - metadata: title, description, language, canonical address, author,
//     published and modified times, site name and favicon, each with
//     fallbacks; OpenGraph and Twitter tags; JSON-LD objects.
//   - scrape: for each selector of the request's elements, its matches in
//     document order (at most 1000), each with its text, inner HTML and
//     attributes, and the box the browser measured when the page was
//     rendered in one (render.Page.Boxes); text and HTML are capped at
//     4 MiB a request, shared between the selectors. See scraper.scrape.
//   - outline: one line per landmark, heading, link, button, form field
//     and image, indented under its landmark, each with a ref (e1, e2, …
//     in document order); see readOutline for the syntax.
//
// Markdown and text leave out what a reader would not see: hidden and
// aria-hidden elements, form widgets' choices.
//
// # Main content, selectors and budgets
//
// Three request fields narrow markdown, text and html (links and metadata
// always read the whole page):
//
//   - includeTags and excludeTags are CSS selectors (cascadia's dialect)
//     applied first: excluded elements go, and with includeTags the body
//     keeps only the elements they match, in document order. A selector
//     that does not parse is the caller's error (render.ErrInvalidRequest;
//     CheckRequest makes the same check before a render), and so are
//     nested :has() and, on pages where one element has thousands of
//     children, the selectors whose matching scans all siblings.
//   - onlyMainContent keeps the article: the text a person would mark as
//     the page's content, without menus, cookie banners, sidebars,
//     related links, sharing and sign-up widgets, comments and footers,
//     and without the article's headline (the metadata's title), byline,
//     date line and picture captions. Headings, lists, tables, quotes and
//     code inside the article stay, so its markdown keeps its structure.
//     See narrowToMainContent for how; on the 88 pages of the shared
//     article-extraction corpus it scores 0.985 word-4-gram F1 (go
//     trafilatura 0.965 with its fallbacks, Readability 0.955), measured
//     with "sous eval extraction".
//   - maxChars caps markdown and text, cut where a block ends (never
//     inside fenced code), with a last line saying how many characters
//     were left out.
//
// # One parse, several readers
//
// The HTML is parsed once per call and every format reads the same tree.
// Some formats need a pristine tree and others change it, so Extract runs
// them in a fixed order:
//
//  1. metadata, links, scrape and outline read the document as parsed
//     (JSON-LD lives in <script> elements, which cleaning removes);
//  2. includeTags and excludeTags narrow the body, cleaning removes what
//     is never content or is active and makes every URL attribute
//     absolute, and onlyMainContent narrows the body to the article; the
//     "html" format is this tree serialised;
//  3. pruning then removes what a reader would not see (elements with the
//     hidden attribute or aria-hidden="true", image maps) and form widgets
//     whose text is a list of choices (select, datalist, textarea); table
//     spans are expanded into plain cells, and source line breaks inside
//     Chinese and Japanese text are dropped;
//  4. plain text is read from the pruned body, and markdown is converted
//     from it last, because the converter rewrites the tree as it goes;
//     maxChars cuts both.
//
// # Addresses
//
// Relative URLs resolve against the page's address, or against a <base
// href> when the document has one (itself resolved against the page's
// address, as a browser does). When there is no usable base — html input
// arrives as "about:blank" — relative URLs stay as they were written rather
// than becoming "about:blank/foo".
//
// # Bounded work
//
// Pages are untrusted, so every stage is linear in the size of the page or
// capped: documents nested deeper than the parser accepts are flattened
// rather than refused, and documents that would keep the parser searching
// deep stacks for seconds are flattened before it starts (parseDocument);
// table spans, which the markdown table plugin would expand without limit,
// are expanded here within a budget (expandTableSpans); text nodes left
// side by side by removals are joined once, not by the converter's
// quadratic merging (mergeText). Extract takes no context: an 8 MB page of
// tag soup still takes a few seconds, bounded by these rules. Finding the
// main content is linear too: a few passes over the tree, each measuring
// every element once.
package extract
