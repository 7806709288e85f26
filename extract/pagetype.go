package extract

import (
	"encoding/json"
	"net/url"
	"strings"

	"golang.org/x/net/html"
)

// The kinds of page, which decide what a page's main content is: the text
// of an article; every post of a forum thread; a product's description,
// specifications and key facts; every card of a collection (a shop's
// category grid) or a listing (of stories, events, jobs); the reference
// text and code of documentation; the sections of a service (marketing,
// pricing) page.
const (
	PageArticle       = "article"
	PageForum         = "forum"
	PageProduct       = "product"
	PageCollection    = "collection"
	PageListing       = "listing"
	PageDocumentation = "documentation"
	PageService       = "service"
	PageOther         = "other"
)

// schemaKinds maps schema.org types, as JSON-LD @type or microdata
// itemtype names them, to the kind of page they describe when they are
// the page's main entity.
var schemaKinds = map[string]string{
	"article": PageArticle, "newsarticle": PageArticle, "blogposting": PageArticle,
	"reportagenewsarticle": PageArticle, "analysisnewsarticle": PageArticle,
	"opinionnewsarticle": PageArticle, "scholarlyarticle": PageArticle, "report": PageArticle,
	"recipe": PageArticle, "review": PageArticle, "liveblogposting": PageArticle,
	"discussionforumposting": PageForum, "qapage": PageForum, "socialmediaposting": PageForum,
	"product": PageProduct, "productgroup": PageProduct, "individualproduct": PageProduct,
	"productmodel": PageProduct, "vehicle": PageProduct, "car": PageProduct,
	"collectionpage": PageCollection, "offercatalog": PageCollection,
	"searchresultspage": PageListing, "itemlist": PageListing,
	"techarticle": PageDocumentation, "apireference": PageDocumentation,
	"softwaresourcecode": PageDocumentation,
	"service":            PageService, "softwareapplication": PageService, "webapplication": PageService,
	"mobileapplication": PageService, "faqpage": PageService, "professionalservice": PageService,
	"financialproduct": PageService, "howto": PageDocumentation,
}

// pageSignals are what classifyPage reads from a page.
type pageSignals struct {
	// schema counts the page kinds its JSON-LD and microdata name, by
	// their main entities.
	schema map[string]int
	// productsLD and productsMicrodata count Product entities (several
	// make a collection); a page may name its one product both ways.
	productsLD, productsMicrodata int
	// productDescription is the description of the first Product its
	// JSON-LD names.
	productDescription string
	ogType             string
	published          bool   // an article:published_time
	path               string // the address's path, lower-cased

	pres, codes     int // <pre> blocks and <code> outside them
	prices          int // text nodes that read as a price
	cartButtons     int // "add to cart", "buy now"
	posts           int // elements named like a forum post
	articles        int // <article> elements
	paragraphChars  int // text in <p> of 80 characters or more
	linkChars       int
	chars           int
	sections        int // <section> elements
	headings        int // h2-h4
	timeElements    int
	sidebarNavLinks int // links inside nav and aside
}

// classifyPage says what kind of page doc is, from its schema.org types
// first (JSON-LD and microdata), its OpenGraph type and address, and
// then from its structure: code blocks for documentation, many posts for
// a forum, prices and a cart button for a product, repeated cards for a
// collection or listing, long paragraphs for an article. A page with none
// of these is a service page when it has sections of short text, else an
// article, which is the safe reading: its main content is found as an
// article's is.
func classifyPage(doc *html.Node, pageURL string) pageKind {
	s := readSignals(doc, pageURL)
	var kind pageKind
	if name := s.fromSchema(); name != "" {
		kind = pageKind{name: name, sure: true, schema: true}
	} else {
		name = s.fromStructure()
		// An OpenGraph type of "article" alone says little: CMSs give
		// it to every page. With a publication time, or prose, it is a
		// story.
		kind = pageKind{name: name, sure: name != PageArticle || s.ogType == "article" && (s.published || s.paragraphChars > 1000)}
	}
	if kind.name == PageProduct {
		kind.description = s.productDescription
	}
	return kind
}

// pageKind is a page's kind, and whether its markup says so (schema.org
// types, an OpenGraph type, long paragraphs) rather than it being the
// kind a page is when nothing says otherwise.
type pageKind struct {
	name string
	sure bool
	// schema says the kind is the one the page's schema.org types name.
	schema bool
	// description is a product's description, as its JSON-LD gives it.
	description string
}

func (s *pageSignals) fromSchema() string {
	products := max(s.productsLD, s.productsMicrodata)
	switch {
	case s.schema[PageForum] > 0:
		return PageForum
	case products > 1 || s.schema[PageCollection] > 0 && products > 0:
		return PageCollection
	case s.schema[PageProduct] > 0 && (s.schema[PageArticle] == 0 || s.ogType == "product"):
		// A shop's page may name an Article too (its buying guide's
		// teaser); its OpenGraph type says which is the page.
		return PageProduct
	case s.schema[PageDocumentation] > 0 && s.pres > 0:
		return PageDocumentation
	case s.schema[PageArticle] > 0 && s.paragraphChars > 1500:
		return PageArticle
	case s.schema[PageCollection] > 0:
		return PageCollection
	case s.schema[PageListing] > 0 && s.paragraphChars < 3000:
		return PageListing
	case s.ogType == "product":
		return PageProduct
	}
	return ""
}

func (s *pageSignals) fromStructure() string {
	prose := s.chars - s.linkChars
	switch {
	case s.chars < minTypedChars:
		return PageOther
	case s.posts >= 2 && pathHas(s.path, "/t/", "thread", "topic", "forum", "/questions/", "/comments/", "discussion", "/d/", "community"):
		return PageForum
	case s.cartButtons > 0 && s.prices >= 1 && (s.prices <= 6 || s.cartButtons <= 2):
		// Before the posts: a product's reviews are often named as a
		// thread's messages are.
		return PageProduct
	case s.posts >= 5:
		return PageForum
	case s.pres+s.codes >= 3 && pathHas(s.path, "doc", "api", "reference", "manual", "guide", "learn", "library", "tutorial", "/std/", "handbook"):
		return PageDocumentation
	case namesOneProduct(s.path):
		// Before the prices: a product's page may show more of them
		// in its grids of other products than a category does.
		return PageProduct
	case s.prices >= 8 && !s.prosy():
		return PageCollection
	case pathHas(s.path, productPathParts...):
		return PageProduct
	case pathHas(s.path, "/collections/", "/category/", "/categories/", "/shop/", "/c/", "product-category"):
		return PageCollection
	case s.pres+s.codes >= 5:
		return PageDocumentation
	case s.ogType == "article" || s.paragraphChars*2 > prose && s.paragraphChars > 1500:
		return PageArticle
	case s.articles >= 5 || s.timeElements >= 5 || s.linkChars*2 > s.chars && s.headings >= 5:
		return PageListing
	case s.path == "/" || s.path == "" || s.sections >= 3 && s.paragraphChars < 2000:
		return PageService
	}
	return PageArticle
}

// prosy reports whether most of a page's text outside links is long
// paragraphs: a buyer's guide that names prices is an article.
func (s *pageSignals) prosy() bool {
	return s.paragraphChars > 3000 && s.paragraphChars*2 > s.chars-s.linkChars
}

// minTypedChars is the length of text below which a page is too slight to
// be any kind: an error page, a redirect, a snippet.
const minTypedChars = 200

// productPathParts are the parts of an address's path that say it leads to
// a product.
var productPathParts = []string{"/product/", "/products/", "/dp/", "/p/", "/item/", "/pd/", "/pdp/"}

// namesOneProduct reports whether path ends in a product's name after
// one of productPathParts ("/products/sennheiser-hd-600",
// "/lighting/pdp/beaded-16-row.html"): one product, where
// "/products/shop/monitors/gaming.html" is a category of them.
func namesOneProduct(path string) bool {
	for _, part := range productPathParts {
		if _, rest, ok := strings.Cut(path, part); ok {
			rest = strings.Trim(rest, "/")
			return rest != "" && !strings.Contains(rest, "/")
		}
	}
	return false
}

func pathHas(path string, parts ...string) bool {
	for _, p := range parts {
		if strings.Contains(path, p) {
			return true
		}
	}
	return false
}

// readSignals walks doc once.
func readSignals(doc *html.Node, pageURL string) *pageSignals {
	s := &pageSignals{schema: map[string]int{}}
	if u, err := url.Parse(pageURL); err == nil {
		s.path = strings.ToLower(u.Path)
	}
	var walk func(n *html.Node, inLink, inNav, inPre bool)
	walk = func(n *html.Node, inLink, inNav, inPre bool) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			switch c.Type {
			case html.TextNode:
				chars, _ := countText(c.Data)
				s.chars += chars
				if inLink {
					s.linkChars += chars
				}
				if chars > 0 && chars < 40 && readsAsPrice(c.Data) {
					s.prices++
				}
				continue
			case html.ElementNode:
			default:
				continue
			}
			if c.Namespace != "" {
				continue
			}
			switch c.Data {
			case "script":
				if isJSONLD(attrOr(c, "type")) {
					s.readJSONLD(scriptText(c))
				}
				continue
			case "style", "template", "noscript":
				continue
			case "meta":
				switch attrOr(c, "property") {
				case "og:type":
					s.ogType = strings.ToLower(strings.TrimSpace(attrOr(c, "content")))
				case "article:published_time":
					s.published = strings.TrimSpace(attrOr(c, "content")) != ""
				}
			case "pre":
				s.pres++
			case "code":
				if !inPre {
					s.codes++
				}
			case "article":
				s.articles++
			case "section":
				s.sections++
			case "time":
				s.timeElements++
			case "h2", "h3", "h4":
				s.headings++
			case "p":
				if text := shortText(c); len(text) >= 80 || text == "" {
					chars, _ := countText(textContent(c))
					if chars >= 80 {
						s.paragraphChars += chars
					}
				}
			case "button", "input":
				label := strings.ToLower(collapseSpace(textContent(c) + " " + attrOr(c, "value") + " " + attrOr(c, "name")))
				if strings.Contains(label, "add to cart") || strings.Contains(label, "add to bag") ||
					strings.Contains(label, "add to basket") || strings.Contains(label, "buy now") || strings.Contains(label, "add-to-cart") {
					s.cartButtons++
				}
			case "a":
				if inNav {
					s.sidebarNavLinks++
				}
			}
			if t := attrOr(c, "itemtype"); t != "" {
				if s.addSchemaType(t) == "product" {
					s.productsMicrodata++
				}
			}
			if namesPost(c) {
				s.posts++
			}
			walk(c, inLink || c.Data == "a", inNav || c.Data == "nav" || c.Data == "aside", inPre || c.Data == "pre")
		}
	}
	walk(doc, false, false, false)
	return s
}

// namesPost reports whether an element's class or id names one post of a
// thread: "post", "message", "reply", "topic-post", "cooked".
func namesPost(n *html.Node) bool {
	if !isElement(n, "div", "article", "li", "section", "tr", "table") {
		return false
	}
	found := false
	for _, a := range n.Attr {
		if a.Key != "class" && a.Key != "id" && a.Key != "itemtype" {
			continue
		}
		if a.Key == "itemtype" {
			t := strings.ToLower(a.Val)
			found = found || strings.HasSuffix(t, "/comment") || strings.HasSuffix(t, "/answer") || strings.HasSuffix(t, "discussionforumposting")
			continue
		}
		for _, token := range strings.Fields(strings.ToLower(a.Val)) {
			switch {
			case token == "cooked" || token == "message" || token == "reply" || token == "answer" || token == "postbody" || token == "post-body":
				found = true
			case strings.Contains(token, "post") && (strings.Contains(token, "topic") || strings.Contains(token, "forum") ||
				strings.Contains(token, "thread") || strings.Contains(token, "reply") || strings.Contains(token, "message")):
				found = true
			}
		}
	}
	return found
}

// readsAsPrice reports whether a short text is a price: a currency sign or
// code next to digits.
func readsAsPrice(text string) bool {
	t := strings.TrimSpace(text)
	hasDigit := strings.ContainsAny(t, "0123456789")
	if !hasDigit {
		return false
	}
	for _, sign := range []string{"$", "€", "£", "¥", "₹", "USD", "EUR", "GBP", "kr", "zł", "R$"} {
		if strings.HasPrefix(t, sign) || strings.HasSuffix(t, sign) {
			return true
		}
	}
	return false
}

// readJSONLD counts the kinds the main entities of one JSON-LD block name:
// top-level objects, those of an array or @graph, and a WebPage's
// mainEntity.
func (s *pageSignals) readJSONLD(block string) {
	var raw any
	if json.Unmarshal([]byte(block), &raw) != nil {
		return
	}
	var visit func(v any, depth int)
	visit = func(v any, depth int) {
		if depth > 3 {
			return
		}
		switch v := v.(type) {
		case []any:
			for _, x := range v {
				visit(x, depth+1)
			}
		case map[string]any:
			for _, t := range schemaTypes(v["@type"]) {
				if s.addSchemaType(t) == "product" {
					s.productsLD++
					if d, ok := v["description"].(string); ok && s.productDescription == "" {
						s.productDescription = d
					}
				}
			}
			visit(v["@graph"], depth+1)
			visit(v["mainEntity"], depth+1)
			if list, ok := v["itemListElement"].([]any); ok {
				for _, item := range list {
					if m, ok := item.(map[string]any); ok {
						for _, t := range schemaTypes(m["@type"]) {
							if strings.EqualFold(t, "Product") {
								s.productsLD++
							}
						}
						if inner, ok := m["item"].(map[string]any); ok {
							for _, t := range schemaTypes(inner["@type"]) {
								if strings.EqualFold(t, "Product") {
									s.productsLD++
								}
							}
						}
					}
				}
			}
		}
	}
	visit(raw, 0)
}

func schemaTypes(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// addSchemaType counts the kind a schema.org type names and returns the
// type's name, lower-cased, without its vocabulary's address.
func (s *pageSignals) addSchemaType(t string) string {
	t = strings.ToLower(strings.TrimSpace(t))
	t = t[strings.LastIndexAny(t, "/:#")+1:]
	if kind, ok := schemaKinds[t]; ok {
		s.schema[kind]++
	}
	return t
}
