package extract

import (
	"bytes"
	"encoding/json"
	"strings"

	"golang.org/x/net/html"

	"github.com/sous-dev/sous/render"
)

// readMetadata collects what the document says about itself. Every field
// has a fallback, because pages fill in some of the many places a title or
// a description can live and rarely all of them:
//
//   - Title: <title>, else og:title, else the first <h1>;
//   - Description: <meta name="description">, else og:description;
//   - Language: <html lang>, else <meta http-equiv="content-language">;
//   - Canonical: <link rel="canonical">, made absolute;
//   - OpenGraph: og:* from <meta property> (or <meta name>, a common
//     mistake), keys without "og:", the first value of each key;
//   - Twitter: twitter:* from <meta name> or <meta property>, likewise;
//   - Author: <meta name="author">, else the JSON-LD author's name;
//   - PublishedTime: article:published_time, else JSON-LD datePublished,
//     else the first <time datetime>; ModifiedTime: article:modified_time,
//     else og:updated_time, else JSON-LD dateModified — as written;
//   - SiteName: og:site_name, else <meta name="application-name">;
//   - Favicon: <link rel="icon"> (or "shortcut icon"), else
//     apple-touch-icon, made absolute; only http(s) addresses count;
//   - JSONLD: each application/ld+json script that parses, compacted; an
//     array contributes its objects, an object (even one with @graph)
//     itself. Blocks that do not parse are skipped, not reported: a page's
//     broken structured data is not the caller's error.
//
// Values are the document's own, with whitespace collapsed; og:image and
// the like are not resolved, since they are content, not this page's links.
func readMetadata(doc *html.Node, resolve resolver) *render.Metadata {
	m := &render.Metadata{}
	var (
		title, firstH1, httpEquivLanguage string
		foundTitle, foundH1               bool
		firstTime, icon, touchIcon        string
	)
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type != html.ElementNode && n.Type != html.DocumentNode {
			return
		}
		switch {
		case isElement(n, "html"):
			if lang, _ := attr(n, "lang"); m.Language == "" {
				m.Language = strings.TrimSpace(lang)
			}
		case isElement(n, "title"):
			if !foundTitle {
				title, foundTitle = collapseSpace(textContent(n)), true
			}
		case isElement(n, "h1"):
			if !foundH1 {
				firstH1, foundH1 = collapseSpace(textContent(n)), true
			}
		case isElement(n, "meta"):
			readMeta(n, m, &httpEquivLanguage)
		case isElement(n, "link"):
			rel, _ := attr(n, "rel")
			href, ok := attr(n, "href")
			if ok && m.Canonical == "" && hasToken(rel, "canonical") && cleanURL(href) != "" {
				m.Canonical = resolve.absolute(cleanURL(href))
			}
			if ok && hasToken(rel, "icon") && icon == "" {
				icon = webAddress(resolve, href)
			}
			if ok && (hasToken(rel, "apple-touch-icon") || hasToken(rel, "apple-touch-icon-precomposed")) && touchIcon == "" {
				touchIcon = webAddress(resolve, href)
			}
		case isElement(n, "time"):
			if v := collapseSpace(attrOr(n, "datetime")); v != "" && firstTime == "" {
				firstTime = v
			}
		case isElement(n, "script"):
			if typ, _ := attr(n, "type"); isJSONLD(typ) {
				m.JSONLD = appendJSONLD(m.JSONLD, scriptText(n))
			}
			return
		case neverText(n):
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)

	m.Title = firstNonEmpty(title, m.OpenGraph["title"], firstH1)
	m.Description = firstNonEmpty(m.Description, m.OpenGraph["description"])
	m.Language = firstNonEmpty(m.Language, httpEquivLanguage)
	ld := readJSONLDFacts(m.JSONLD)
	m.Author = firstNonEmpty(m.Author, ld.author)
	m.PublishedTime = firstNonEmpty(m.PublishedTime, ld.published, firstTime)
	m.ModifiedTime = firstNonEmpty(m.ModifiedTime, m.OpenGraph["updated_time"], ld.modified)
	m.SiteName = firstNonEmpty(m.OpenGraph["site_name"], m.SiteName)
	m.Favicon = firstNonEmpty(icon, touchIcon)
	return m
}

// webAddress is href made absolute if it is an http(s) address (a page
// without an address keeps a relative one as written), else "".
func webAddress(resolve resolver, href string) string {
	href = cleanURL(href)
	if href == "" {
		return ""
	}
	switch scheme(href) {
	case "http", "https":
		return resolve.absolute(href)
	case "":
		if u := resolve.absolute(href); resolve.base == nil || strings.HasPrefix(u, "http") {
			return u
		}
	}
	return ""
}

// jsonLDFacts are what the JSON-LD of a page says about its author and dates.
type jsonLDFacts struct{ author, published, modified string }

// readJSONLDFacts looks through the JSON-LD objects, and the objects of
// their @graph, for the first author name, datePublished and dateModified.
func readJSONLDFacts(objects []json.RawMessage) jsonLDFacts {
	var f jsonLDFacts
	var visit func(raw json.RawMessage, depth int)
	visit = func(raw json.RawMessage, depth int) {
		var o struct {
			Graph         []json.RawMessage `json:"@graph"`
			Author        json.RawMessage   `json:"author"`
			DatePublished any               `json:"datePublished"`
			DateModified  any               `json:"dateModified"`
		}
		if depth > 2 || json.Unmarshal(raw, &o) != nil {
			return
		}
		if s, ok := o.DatePublished.(string); ok && f.published == "" {
			f.published = collapseSpace(s)
		}
		if s, ok := o.DateModified.(string); ok && f.modified == "" {
			f.modified = collapseSpace(s)
		}
		if f.author == "" {
			f.author = authorName(o.Author)
		}
		for _, g := range o.Graph {
			visit(g, depth+1)
		}
	}
	for _, raw := range objects {
		visit(raw, 0)
	}
	return f
}

// authorName reads a JSON-LD author: a name, a Person, or a list of either
// (names joined by commas).
func authorName(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var name string
	if json.Unmarshal(raw, &name) == nil {
		return collapseSpace(name)
	}
	var person struct {
		Name string `json:"name"`
	}
	if json.Unmarshal(raw, &person) == nil && person.Name != "" {
		return collapseSpace(person.Name)
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		return ""
	}
	var names []string
	for _, a := range list[:min(len(list), 10)] {
		var one string
		if json.Unmarshal(a, &one) == nil && collapseSpace(one) != "" {
			names = append(names, collapseSpace(one))
		} else if json.Unmarshal(a, &person) == nil && collapseSpace(person.Name) != "" {
			names = append(names, collapseSpace(person.Name))
		}
		person.Name = ""
	}
	return strings.Join(names, ", ")
}

func readMeta(n *html.Node, m *render.Metadata, httpEquivLanguage *string) {
	content, ok := attr(n, "content")
	if !ok {
		return
	}
	content = collapseSpace(content)
	name, _ := attr(n, "name")
	name = strings.ToLower(strings.TrimSpace(name))
	property, _ := attr(n, "property")
	property = strings.ToLower(strings.TrimSpace(property))
	httpEquiv, _ := attr(n, "http-equiv")

	if name == "description" && m.Description == "" {
		m.Description = content
	}
	if name == "author" && m.Author == "" {
		m.Author = content
	}
	if name == "application-name" && m.SiteName == "" {
		m.SiteName = content
	}
	switch {
	case (property == "article:published_time" || name == "article:published_time") && m.PublishedTime == "":
		m.PublishedTime = content
	case (property == "article:modified_time" || name == "article:modified_time") && m.ModifiedTime == "":
		m.ModifiedTime = content
	}
	if strings.EqualFold(strings.TrimSpace(httpEquiv), "content-language") && *httpEquivLanguage == "" {
		*httpEquivLanguage = content
	}
	for _, key := range []string{property, name} {
		switch {
		case strings.HasPrefix(key, "og:"):
			m.OpenGraph = setFirst(m.OpenGraph, strings.TrimPrefix(key, "og:"), content)
		case strings.HasPrefix(key, "twitter:"):
			m.Twitter = setFirst(m.Twitter, strings.TrimPrefix(key, "twitter:"), content)
		}
	}
}

// setFirst sets m[key] unless it is set already: og:image and friends may
// repeat, and the first is the one a page means most.
func setFirst(m map[string]string, key, value string) map[string]string {
	if key == "" {
		return m
	}
	if m == nil {
		m = make(map[string]string)
	}
	if _, ok := m[key]; !ok {
		m[key] = value
	}
	return m
}

func isJSONLD(scriptType string) bool {
	mediaType, _, _ := strings.Cut(scriptType, ";")
	return strings.EqualFold(strings.TrimSpace(mediaType), "application/ld+json")
}

// appendJSONLD parses one JSON-LD block and appends its objects to list,
// compacted. Authors sometimes wrap the block in an HTML comment or a CDATA
// section from the XHTML days; those wrappers are peeled off first.
func appendJSONLD(list []json.RawMessage, block string) []json.RawMessage {
	block = strings.TrimSpace(block)
	for _, wrapper := range [][2]string{{"<!--", "-->"}, {"//<![CDATA[", "//]]>"}, {"<![CDATA[", "]]>"}} {
		if strings.HasPrefix(block, wrapper[0]) && strings.HasSuffix(block, wrapper[1]) {
			block = strings.TrimSpace(block[len(wrapper[0]) : len(block)-len(wrapper[1])])
		}
	}
	var value json.RawMessage
	if err := json.Unmarshal([]byte(block), &value); err != nil {
		return list
	}
	elements := []json.RawMessage{value}
	if value[0] == '[' {
		if err := json.Unmarshal(value, &elements); err != nil {
			return list
		}
	}
	for _, e := range elements {
		// JSON-LD nodes are objects; a stray string or number in the list
		// describes nothing.
		if len(e) == 0 || e[0] != '{' {
			continue
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, e); err != nil {
			continue
		}
		list = append(list, json.RawMessage(compact.Bytes()))
	}
	return list
}

// scriptText is the source of a script element: its text children (the
// parser makes one, but a DOM built by scripts may hold several).
func scriptText(n *html.Node) string {
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	}
	return b.String()
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
