package extract

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// narrowToMainContent replaces the children of doc's body by the page's
// main content: the text of the article, without the page's furniture
// (menus, banners, sidebars, related links, sharing and sign-up widgets,
// footers) and without the article's own headline, byline, date line and
// captions, which describe the text rather than belong to it (the
// headline is the metadata's title).
//
// It works in three steps, each a rule from the extractors that do best on
// the public article-extraction benchmarks:
//
//  1. Leave out what is furniture by its tag, ARIA role or visibility
//     (nav, aside, header, footer, forms, role="navigation", hidden
//     blocks), and, on a first attempt, blocks whose class or id names
//     furniture ("sidebar", "related", "cookie-banner") — unless the block
//     holds most of the page's text, as a "content-with-sidebar" wrapper
//     does.
//  2. Score every block by the paragraphs it holds, as Readability does
//     (length, commas, a bonus or malus for content-like or
//     furniture-like names, discounted by the share of its text that is
//     link text), and take the best block together with the siblings
//     that score nearly as well or read as prose.
//  3. Clean the chosen block: drop what inside it is furniture by name,
//     link lists and blocks with more widgets than text, headings that
//     repeat the title, and short lines that read like furniture
//     ("Advertisement", "Share this", photo credits).
//
// When an attempt finds little text (a page whose wrapper is called
// "main-sidebar-layout"), the next one is less strict: first without the
// furniture names of step 1, then without class weights, then without
// step 3's widget rule. The longest result wins if none finds enough.
//
// A small page with no wrapper around its blocks (a short "about us" page
// of sections side by side) has no article to find: it keeps its whole
// body, without furniture. A page with no text keeps its body.
//
// Pages of many blocks (forums, products, collections, listings,
// services, by classifyPage) keep their main region instead: the main
// landmark or the body, without furniture, cleaned without the widget
// rule, and without blocks that repeat an earlier one word for word (see
// region and dropRepeats). A page whose markup says it is an article
// gives way to its region too when the article found is plainly one of
// its blocks: a scrap beside three times its text, or under a third of
// the region's prose, or under half of it and a third of its paragraphs.
// An article found in one of a run of sibling sections alike in tag and
// class, the others holding a third of its prose or more, gives way to
// the run (sectionRun): a page builder's bands, each a part of the story.
func narrowToMainContent(doc *html.Node, kind pageKind) {
	body := find(doc, func(n *html.Node) bool { return isElement(n, "body") })
	if body == nil {
		return
	}
	summary := ""
	if kind.name == PageProduct {
		summary = shownSummary(doc, body)
	}
	f := newFinder(body, headlines(doc), kind.name)
	f.schema = kind.schema
	if regionKinds[kind.name] {
		if region := f.region(kind.name); region != nil && region.chars > 0 {
			region.replaceBody(body)
			addMissingDescription(body, kind.description)
			addMissingSummary(body, summary)
			return
		}
	}
	var best *mainBlock
	for _, mode := range []finderMode{
		{stripNames: true, weighClasses: true, cleanWidgets: true},
		{weighClasses: true, cleanWidgets: true},
		{cleanWidgets: true},
		{},
	} {
		found := f.find(mode)
		if found == nil {
			continue
		}
		if best == nil || found.chars > best.chars {
			best = found
		}
		if found.chars >= minArticleChars {
			break
		}
	}
	if prose := f.page.chars - f.page.linkChars; prose < smallPageChars && (best == nil || best.flat(body) && best.chars*2 < prose) {
		// A small page whose blocks sit straight in the body, none
		// holding much of the text, has no article in it (a short "about
		// us" with sections side by side): all of it is content, and only
		// its furniture goes.
		best = f.wholeBody()
	}
	if best == nil {
		return
	}
	if f.isOneComment(best) {
		// The article found is one comment among others: the page is a
		// thread whose post is a link or a line (a link aggregator's
		// story), and its comments are what it has to say, as a
		// forum's posts are.
		f.threadOfComments = true
		if region := f.region(PageForum); region != nil && region.chars > best.chars {
			region.replaceBody(body)
			return
		}
		f.threadOfComments = false
	}
	if !kind.sure {
		// Nothing says the page is an article, and the best article in
		// it is under four fifths of its main region: the page is made
		// of many blocks (testimonials, features, stories), and the
		// article found is one of them.
		if region := f.region(kind.name); region != nil && best.chars*5 < region.chars*4 {
			best = region
		}
	} else {
		// The page says it is an article, yet the article found is a
		// scrap beside a region three times its size, or holds no more
		// than a third of the region's prose, or half of it and a third
		// of its paragraphs: the markup is a CMS's default (every page
		// an Article), and the page is a service's sections or a
		// listing's cards, or a guide of many sections, one of which
		// was taken for the story. Prose, not all text, is compared: a
		// story beside a grid of links to other stories is still the
		// page's article.
		short := best.chars < shortArticleChars
		found := best.totals()
		prose := found.chars - found.linkChars
		// The region's prose is at most the page's: most articles hold
		// too much of it for the region to be worth finding.
		cards := f.headsCards(best)
		if short || cards || 2*prose <= f.page.chars-f.page.linkChars {
			region := f.region(kind.name)
			around := region.totals()
			regionProse := around.chars - around.linkChars
			switch {
			case region.chars == 0:
			case best.chars == 0, cards,
				short && region.chars >= 3*best.chars,
				regionProse >= 3*prose,
				regionProse >= 2*prose && around.paragraphs >= 3*found.paragraphs:
				best = region
			}
		}
	}
	if !best.region {
		if run := f.sectionRun(best); run != nil {
			best = run
		}
	}
	best.replaceBody(body)
}

// sectionRun returns the run of sections the article found is one of,
// when the page is a sequence of three or more sibling sections alike
// in tag and class (a page builder's containers, one per band of the
// page), two of the others or more hold paragraphs with few links, and
// those hold a third of the found one's prose or more: a service's page,
// whose story is told section by section, rather than an article beside
// its furniture. The run is cleaned without the widget rule, since a
// builder names every block a widget. It returns nil otherwise.
func (f *finder) sectionRun(m *mainBlock) *mainBlock {
	if len(m.parts) == 0 {
		return nil
	}
	found := m.totals()
	own := found.chars - found.linkChars
	for a, up := m.parts[0], 0; a != nil && a.Parent != nil && a != f.body && up < maxRunLevels; a, up = a.Parent, up+1 {
		key := sectionKey(a)
		if key == "" {
			continue
		}
		var run []*html.Node
		others, withProse := 0, 0
		for c := a.Parent.FirstChild; c != nil; c = c.NextSibling {
			s := f.stats[c]
			if c.Type != html.ElementNode || f.furniture[c] || s == nil || sectionKey(c) != key || s.chars == 0 {
				continue
			}
			run = append(run, c)
			if contains(c, m.parts[0]) {
				continue
			}
			if s.linkDensity() < 0.3 && s.paragraphs > 0 {
				others += s.chars - s.linkChars
				withProse++
			}
		}
		if len(run) < 3 {
			continue
		}
		if withProse < 2 || others*3 < own {
			return nil
		}
		r := &mainBlock{parts: run, skip: map[*html.Node]bool{}}
		for n := range f.furniture {
			r.skip[n] = true
		}
		for _, part := range run {
			r.chars += f.cleanInside(part, r.skip, finderMode{weighClasses: true}, nil)
		}
		r.parts = slices.DeleteFunc(r.parts, func(n *html.Node) bool { return r.skip[n] })
		return r
	}
	return nil
}

// maxRunLevels is how far above the article found a run of sections is
// looked for.
const maxRunLevels = 6

// sectionKey is what sibling sections share: their tag and first class.
// A block without a class has none.
func sectionKey(n *html.Node) string {
	class, _, _ := strings.Cut(strings.TrimSpace(attrOr(n, "class")), " ")
	if class == "" || !isElement(n, "div", "section") {
		return ""
	}
	return n.Data + "." + class
}

// headsCards reports whether the article found is a listing's cards: five
// headings or more, nine tenths of them links (each card's title leads
// to its story), and no more than two paragraphs a heading (each card's
// summary). A blog's front page marked up as an article is read so, its
// titles cleaned away as link lists and its summaries kept; a story's
// sections are headed by text, not links, and run to more paragraphs.
func (f *finder) headsCards(m *mainBlock) bool {
	headings, linked, paragraphs := 0, 0, 0
	for _, part := range m.parts {
		if s := f.stats[part]; s != nil {
			paragraphs += s.paragraphs
		}
		walkElements(part, func(n *html.Node) bool {
			if f.furniture[n] {
				return false
			}
			if !isElement(n, "h1", "h2", "h3", "h4", "h5", "h6") {
				return true
			}
			headings++
			if s := f.stats[n]; s != nil && s.chars > 0 && (s.linkChars == s.chars || hasAncestor(n, "a")) {
				linked++
			}
			return false
		})
	}
	return linked >= minCardTitles && linked*10 >= headings*9 && paragraphs <= 2*linked
}

// minCardTitles is the number of headings that are links from which an
// article found is taken for a listing's cards.
const minCardTitles = 5

// firstH1 is the page's first <h1>, which is its headline when it has no
// title to say so.
func (f *finder) firstH1() *html.Node {
	return find(f.body, func(n *html.Node) bool { return isElement(n, "h1") })
}

// shownSummary is the page's meta description when the page shows it too,
// word for word as a text of its own: a product's summary under its name
// (a game's blurb beside its trailer), which the region found may leave
// out with the header it sits in. A description the page does not show is
// written for search engines, and is not returned.
func shownSummary(doc, body *html.Node) string {
	head := find(doc, func(n *html.Node) bool { return isElement(n, "head") })
	if head == nil {
		return ""
	}
	description := ""
	walkElements(head, func(n *html.Node) bool {
		if isElement(n, "meta") && description == "" {
			name := strings.ToLower(attrOr(n, "name") + attrOr(n, "property"))
			if name == "description" || name == "og:description" {
				description = collapseSpace(attrOr(n, "content"))
			}
		}
		return true
	})
	if strings.Count(description, " ")+1 < minDescriptionWords {
		return ""
	}
	found := find(body, func(n *html.Node) bool {
		return n.Type == html.TextNode && len(n.Data) >= len(description) && collapseSpace(n.Data) == description
	})
	for n := found; n != nil && n != body; n = n.Parent {
		if n.Type == html.ElementNode && (hidden(n) || neverText(n)) {
			return ""
		}
	}
	if found == nil {
		return ""
	}
	return description
}

// addMissingSummary puts the summary the page shows (see shownSummary) at
// the top of the content when the content leaves it out.
func addMissingSummary(body *html.Node, summary string) {
	if summary == "" || strings.Contains(collapseSpace(textContent(body)), summary) {
		return
	}
	p := &html.Node{Type: html.ElementNode, Data: "p", DataAtom: atom.P}
	p.AppendChild(&html.Node{Type: html.TextNode, Data: summary})
	body.InsertBefore(p, body.FirstChild)
}

// addMissingDescription puts a product's description, as its JSON-LD
// gives it, at the head of the main content when the page does not show
// it: shops print it in a tab or a drawer their scripts fill, or under a
// "read more" their scripts expand, and the structured data is then the
// only copy in the HTML.
func addMissingDescription(body *html.Node, description string) {
	if strings.Contains(description, "<") {
		nodes, err := html.ParseFragment(strings.NewReader(description), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
		if err != nil {
			return
		}
		var b strings.Builder
		for _, n := range nodes {
			b.WriteString(textContent(n))
			b.WriteString(" ")
		}
		description = b.String()
	}
	description = collapseSpace(description)
	if !strings.Contains(description, " ") {
		return // escaped for an address ("An%20elegant%20sofa"), not written for people
	}
	words := strings.FieldsFunc(strings.ToLower(description), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if len(words) < minDescriptionWords {
		return
	}
	shown := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(textContent(body)), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		shown[w] = true
	}
	found := 0
	for _, w := range words {
		if shown[w] {
			found++
		}
	}
	if found*2 >= len(words) {
		return
	}
	p := &html.Node{Type: html.ElementNode, Data: "p", DataAtom: atom.P}
	p.AppendChild(&html.Node{Type: html.TextNode, Data: description})
	body.InsertBefore(p, body.FirstChild)
}

// minDescriptionWords is the length below which a product's description
// is a slogan rather than a description.
const minDescriptionWords = 10

// shortArticleChars is the length of text below which an article found on
// a page that says it is one is taken for a scrap of a page of many
// blocks, when the page's main region is three times as long.
const shortArticleChars = 1000

// minArticleChars is the length of text below which an attempt is taken to
// have missed the article and the next, less strict, one runs.
const minArticleChars = 500

// smallPageChars is the length of text outside links and furniture below
// which a page may have no article: too little to score reliably.
const smallPageChars = 1000

// finderMode says which of the rules an attempt applies.
type finderMode struct {
	stripNames   bool // leave out blocks with furniture names before scoring
	weighClasses bool // score blocks by their names
	cleanWidgets bool // drop blocks inside the article that hold more widgets than text
	// cards keeps, inside a region of many blocks, the parts of each
	// block that describe it (caption, category, author, date):
	// on a card or a post they are its content, not an article's
	// furniture.
	cards bool
}

// finder holds what the attempts share: the body, which elements are
// furniture by tag, role or visibility, and the headlines to recognise.
type finder struct {
	body      *html.Node
	headlines []string
	kind      string // the page's kind (classifyPage)
	schema    bool   // the page's schema.org types say its kind
	// furniture holds the elements left out by every attempt.
	furniture map[*html.Node]bool
	// stats are those of every element with the furniture left out,
	// which every attempt starts from; page is the body's.
	stats map[*html.Node]*blockStats
	page  *blockStats
	// names caches what each element's class and id say (classifyName),
	// asked of every element by every attempt.
	names map[*html.Node]nameClass
	// listed holds, in a region, the blocks of its main run of repeated
	// blocks (listedBlocks).
	listed map[*html.Node]bool
	// commentsArePosts says the blocks of a forum named for comments
	// are its posts (commentsArePosts).
	commentsArePosts bool
	// threadOfComments says the page is read as a thread of comments
	// whatever its kind (isOneComment): its blocks named for comments
	// may be its posts, as on a forum whose schema.org types say so.
	threadOfComments bool
	// inThread says the region being cleaned is a forum's thread.
	inThread bool
	// wrapsMain holds the ancestors of the page's main landmarks.
	wrapsMain map[*html.Node]bool
}

// name is classifyName(n), read once per element.
func (f *finder) name(n *html.Node) nameClass {
	c, ok := f.names[n]
	if !ok {
		c = classifyName(n)
		f.names[n] = c
	}
	return c
}

// blockStats are the measures of an element's text, furniture left out.
type blockStats struct {
	chars     int // characters other than spaces
	linkChars int // of which inside links
	commas    int
	// inlineChars is the text not inside a block child: what makes a div
	// with text of its own a paragraph.
	inlineChars int
	paragraphs  int
	quotes      int // blockquotes: quoted posts embedded in an article
	images      int
	listItems   int
	inputs      int
	embeds      int
	headings    int // characters inside headings
	links       int // <a> elements
	prices      int // short texts that read as a price
}

func (s *blockStats) add(c *blockStats) {
	s.chars += c.chars
	s.linkChars += c.linkChars
	s.commas += c.commas
	s.paragraphs += c.paragraphs
	s.quotes += c.quotes
	s.images += c.images
	s.listItems += c.listItems
	s.inputs += c.inputs
	s.embeds += c.embeds
	s.headings += c.headings
	s.links += c.links
	s.prices += c.prices
}

func (s *blockStats) linkDensity() float64 {
	if s.chars == 0 {
		return 0
	}
	return float64(s.linkChars) / float64(s.chars)
}

func newFinder(body *html.Node, headlines []string, kind string) *finder {
	f := &finder{body: body, headlines: headlines, kind: kind, furniture: map[*html.Node]bool{}, names: map[*html.Node]nameClass{}}
	// Sizes first, so that furniture which holds most of the page (a
	// <form> around an ASP.NET page, a <header> around everything) stays.
	stats := measure(body, nil, nil)
	var cards map[*html.Node]bool
	if kind != PageForum {
		// A post's header is its author's line, not what it says.
		cards = repeatedArticles(body)
	}
	f.wrapsMain = map[*html.Node]bool{}
	walkElements(body, func(n *html.Node) bool {
		if isMainLandmark(n) {
			for a := n.Parent; a != nil && a != body && !f.wrapsMain[a]; a = a.Parent {
				f.wrapsMain[a] = true
			}
		}
		return true
	})
	h1 := find(body, func(n *html.Node) bool { return isElement(n, "h1") })
	walkElements(body, func(n *html.Node) bool {
		if neverText(n) {
			f.furniture[n] = true
			return false
		}
		if isFurniture(n) && (!holdsMost(stats[n], stats[body]) || closesPage(n, stats[n]) || followsHeadline(n, h1)) && !headsCard(n, cards) && !formOfProse(n, stats[n]) {
			f.furniture[n] = true
			return false
		}
		if isDialog(n) && !holdsNearlyAll(stats[n], stats[body]) {
			// A cookie dialog's descriptions of its purposes can
			// outweigh a page of cards, whose text is links.
			f.furniture[n] = true
			return false
		}
		return true
	})
	f.stats = measure(body, f.furniture, nil)
	f.page = f.stats[body]
	return f
}

// closesPage reports whether n is the page's footer, by its tag or ARIA
// role, and mostly links: however much of the page's text it holds, it
// is furniture. A shop's page whose product its scripts draw holds
// nothing else, and its footer's lists of links are no product.
func closesPage(n *html.Node, s *blockStats) bool {
	return isFooter(n) && s != nil && s.linkDensity() > 0.5
}

// isFooter reports whether n is a footer by its tag or ARIA role.
func isFooter(n *html.Node) bool {
	return isElement(n, "footer") || strings.EqualFold(strings.TrimSpace(attrOr(n, "role")), "contentinfo")
}

// followsHeadline reports whether n is a footer that comes after the
// page's first <h1>, outside it: whatever it holds is the site's, however
// much text that is. A shop's theme puts its testimonials or its story in
// the footer of every product, and they outweigh a short description.
func followsHeadline(n, h1 *html.Node) bool {
	return h1 != nil && isFooter(n) && !contains(n, h1) && precedes(h1, n)
}

// formOfProse reports whether n is a form around paragraphs of prose
// rather than fields: forum software wraps a thread's posts in the form
// that lets moderators tick and act on several at once.
func formOfProse(n *html.Node, s *blockStats) bool {
	return isElement(n, "form") && s != nil && s.paragraphs >= minFormParagraphs && s.chars-s.linkChars >= minFormProseChars
}

const (
	minFormParagraphs = 3
	minFormProseChars = 1000
)

// isDialog reports whether n is a dialog: a <dialog>, role="dialog" or
// "alertdialog", or aria-modal="true".
func isDialog(n *html.Node) bool {
	if isElement(n, "dialog") || strings.EqualFold(strings.TrimSpace(attrOr(n, "aria-modal")), "true") {
		return true
	}
	role := strings.ToLower(strings.TrimSpace(attrOr(n, "role")))
	return role == "dialog" || role == "alertdialog"
}

// holdsMost reports whether a block holds so much of the text of within (a
// page, an article) that it must be or wrap the content, whatever its name
// says: more than half of the text outside links.
func holdsMost(s, within *blockStats) bool {
	return s != nil && within != nil && (s.chars-s.linkChars)*2 > within.chars-within.linkChars
}

// holdsNearlyAll reports whether a block holds nine tenths of the text of
// within outside links: it wraps the content rather than sits beside it.
func holdsNearlyAll(s, within *blockStats) bool {
	return s != nil && within != nil && (s.chars-s.linkChars)*10 > (within.chars-within.linkChars)*9
}

// measure computes the stats of root and every element under it, leaving
// out the elements in skip. With decide, elements are visited bottom-up
// and those for which decide returns true are added to skip and left out
// of their ancestors' stats.
func measure(root *html.Node, skip map[*html.Node]bool, decide func(n *html.Node, s *blockStats) bool) map[*html.Node]*blockStats {
	stats := map[*html.Node]*blockStats{}
	var walk func(n *html.Node, inLink bool) *blockStats
	walk = func(n *html.Node, inLink bool) *blockStats {
		s := &blockStats{}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			switch c.Type {
			case html.TextNode:
				chars, commas := countText(c.Data)
				s.chars += chars
				s.commas += commas
				s.inlineChars += chars
				if inLink {
					s.linkChars += chars
				}
				if chars > 0 && chars < 40 && readsAsPrice(c.Data) {
					s.prices++
				}
			case html.ElementNode:
				if skip[c] || neverText(c) {
					continue
				}
				cs := walk(c, inLink || isElement(c, "a"))
				if decide != nil && decide(c, cs) {
					skip[c] = true
					continue
				}
				s.add(cs)
				if !isBlock(c) {
					s.inlineChars += cs.inlineChars
				}
			}
		}
		switch {
		case isElement(n, "p", "pre"):
			s.paragraphs++
		case isElement(n, "blockquote"):
			s.paragraphs++
			s.quotes++
		case isElement(n, "img", "picture"):
			s.images++
		case isElement(n, "li"):
			s.listItems++
		case isElement(n, "input", "select", "textarea"), isElement(n, "button") && !titlesDisclosure(n):
			s.inputs++
		case isElement(n, "iframe", "object", "embed", "video", "audio"):
			s.embeds++
		case isElement(n, "a"):
			s.links++
		case isElement(n, "h1", "h2", "h3", "h4", "h5", "h6"):
			s.headings = s.chars
		}
		stats[n] = s
		return s
	}
	walk(root, false)
	return stats
}

// countText counts the characters other than spaces in s, and its commas
// (Latin, Arabic, CJK and ideographic ones).
func countText(s string) (chars, commas int) {
	for _, r := range s {
		switch {
		case isSpace(r) || r == '\u00a0':
		case r == ',' || r == '،' || r == '，' || r == '、':
			chars++
			commas++
		default:
			chars++
		}
	}
	return chars, commas
}

// isBlock reports whether n starts a block of its own rather than running
// inside a line of text.
func isBlock(n *html.Node) bool {
	if n.Type != html.ElementNode || n.Namespace != "" {
		return false
	}
	switch n.Data {
	case "br", "hr", "img", "picture", "table", "tr", "td", "th", "tbody", "thead", "tfoot":
		return true
	}
	return blockBreak(n) > 0
}

// mainBlock is what an attempt found: the elements that make up the main
// content, in document order, and what inside them to leave out.
type mainBlock struct {
	parts []*html.Node
	skip  map[*html.Node]bool
	chars int
	// region says the block is a region of many blocks (posts, cards,
	// sections) rather than an article.
	region bool
	// thread says the region is a forum's thread, whose posts quote
	// one another.
	thread bool
}

// flat reports whether the block's parts are children of the body, with
// no wrapper of their own.
func (m *mainBlock) flat(body *html.Node) bool {
	return len(m.parts) > 0 && m.parts[0].Parent == body
}

// totals are the stats of the block's parts together, what it leaves
// out left out.
func (m *mainBlock) totals() blockStats {
	var total blockStats
	for _, part := range m.parts {
		if s := measure(part, m.skip, nil)[part]; s != nil {
			total.add(s)
		}
	}
	return total
}

// replaceBody makes the body hold the parts, without what they leave out.
func (m *mainBlock) replaceBody(body *html.Node) {
	if m.region {
		m.dropRepeats()
	}
	if m.thread {
		m.dropQuotedPosts()
	}
	for _, part := range m.parts {
		removeSkipped(part, m.skip)
	}
	if len(m.parts) == 0 || contains(m.parts[0], body) {
		return // the body itself is the main block
	}
	for c := body.FirstChild; c != nil; c = body.FirstChild {
		body.RemoveChild(c)
	}
	for _, part := range m.parts {
		if part.Parent != nil {
			part.Parent.RemoveChild(part)
		}
		body.AppendChild(part)
	}
}

func removeSkipped(n *html.Node, skip map[*html.Node]bool) {
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		if skip[c] {
			n.RemoveChild(c)
		} else if c.Type == html.ElementNode {
			removeSkipped(c, skip)
		}
		c = next
	}
}

// wholeBody is the main block of a small page: the body without its
// furniture, cleaned inside as an article is.
func (f *finder) wholeBody() *mainBlock {
	skip := make(map[*html.Node]bool, len(f.furniture))
	for n := range f.furniture {
		skip[n] = true
	}
	m := &mainBlock{parts: []*html.Node{f.body}, skip: skip}
	// Widget rules judge a block against the article around it; here
	// there is none to judge against.
	m.chars = f.cleanInside(f.body, skip, finderMode{}, f.stats)
	return m
}

// namesSectionHeading reports whether n is a heading whose name reads as
// furniture for the layout it sits in ("section-header__title",
// "widget-heading"), not for what it says: the heading of a section,
// which the first attempt would otherwise strip before scoring. A
// heading named for a byline, a date line or a caption, or a class that
// hides it, is still furniture.
func (f *finder) namesSectionHeading(n *html.Node) bool {
	if !isElement(n, "h1", "h2", "h3", "h4", "h5", "h6") {
		return false
	}
	name := f.name(n)
	return !name.boilerplate || name.cardBoilerplate && !hasHidingClass(attrOr(n, "class"))
}

// find runs one attempt.
func (f *finder) find(mode finderMode) *mainBlock {
	skip := make(map[*html.Node]bool, len(f.furniture))
	for n := range f.furniture {
		skip[n] = true
	}
	stats := f.stats
	if mode.stripNames {
		walkElements(f.body, func(n *html.Node) bool {
			if skip[n] {
				return false
			}
			if isElement(n, "a", "table", "pre", "code", "article", "main") || f.namesSectionHeading(n) {
				return true
			}
			if name := f.name(n); name.boilerplate && !name.content && !holdsMost(stats[n], f.page) && !quotesPosts(stats[n]) && !f.leadsDocument(n) {
				skip[n] = true
				return false
			}
			return true
		})
		stats = measure(f.body, skip, nil)
	}
	top, scores := f.bestCandidate(stats, skip, mode)
	if top == nil {
		return nil
	}
	if f.kind == PageDocumentation {
		top = sectionAround(top)
	}
	parts := f.withSiblings(top, scores, stats, skip)
	if f.kind == PageDocumentation {
		if lead := f.leadBefore(parts[0]); lead != nil {
			delete(skip, lead)
			parts = append([]*html.Node{lead}, parts...)
		}
	}
	m := &mainBlock{parts: parts, skip: skip}
	for _, part := range parts {
		// The parts are apart, and cleaning one leaves the others'
		// stats as they were measured.
		m.chars += f.cleanInside(part, skip, mode, stats)
	}
	m.parts = slices.DeleteFunc(m.parts, func(n *html.Node) bool { return skip[n] })
	return m
}

// paragraphScore is what a paragraph of text contributes to the blocks
// around it: one point, one per comma, one per hundred characters up to
// three.
func paragraphScore(s *blockStats, chars int) float64 {
	return 1 + float64(s.commas) + float64(min(chars/100, 3))
}

// minParagraphChars is the length below which text is not a paragraph.
const minParagraphChars = 25

// bestCandidate scores the blocks of the body and returns the best one
// together with all scores.
func (f *finder) bestCandidate(stats map[*html.Node]*blockStats, skip map[*html.Node]bool, mode finderMode) (*html.Node, map[*html.Node]float64) {
	scores := map[*html.Node]float64{}
	initialise := func(n *html.Node) {
		if _, ok := scores[n]; ok {
			return
		}
		scores[n] = tagScore(n)
		// The body's class names the kind of page ("single-post"), not
		// what the body holds.
		if mode.weighClasses && n != f.body {
			scores[n] += float64(f.name(n).weight)
		}
		if v := attrOr(n, "itemprop"); strings.EqualFold(v, "articleBody") {
			scores[n] += 25
		}
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode || skip[c] || neverText(c) {
				continue
			}
			s := stats[c]
			chars := 0
			switch {
			case isElement(c, "p", "pre", "td", "blockquote"):
				chars = s.chars
			case isBlock(c) && !isElement(c, "li", "dt", "dd", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6"):
				chars = s.inlineChars
			}
			if chars >= minParagraphChars {
				score := paragraphScore(s, chars)
				level := 0
				for a := c.Parent; a != nil && a != f.body.Parent && level < 5; a = a.Parent {
					initialise(a)
					switch level {
					case 0:
						scores[a] += score
					case 1:
						scores[a] += score / 2
					default:
						scores[a] += score / float64(level*3)
					}
					level++
				}
			}
			walk(c)
		}
	}
	walk(f.body)

	// The final score is discounted by link density: a block of links
	// scores little however long it is.
	var top *html.Node
	for n, score := range scores {
		score *= 1 - stats[n].linkDensity()
		scores[n] = score
		if top == nil || score > scores[top] || score == scores[top] && precedes(n, top) {
			top = n
		}
	}
	if top == nil {
		return nil, scores
	}
	top = betterAncestor(top, scores, f.body)
	return top, scores
}

// precedes reports whether a comes before b in document order; it breaks
// ties between equal scores so that the result does not depend on map
// order.
func precedes(a, b *html.Node) bool {
	pathA, pathB := ancestry(a), ancestry(b)
	for i := 0; i < len(pathA) && i < len(pathB); i++ {
		if pathA[i] == pathB[i] {
			continue
		}
		if i == 0 {
			return false
		}
		for c := pathA[i-1].FirstChild; c != nil; c = c.NextSibling {
			if c == pathA[i] {
				return true
			}
			if c == pathB[i] {
				return false
			}
		}
		return false
	}
	return len(pathA) < len(pathB)
}

func ancestry(n *html.Node) []*html.Node {
	var path []*html.Node
	for ; n != nil; n = n.Parent {
		path = append(path, n)
	}
	slices.Reverse(path)
	return path
}

// tagScore is the score a block starts with: blocks that hold prose start
// above those that hold lists, headings or forms.
func tagScore(n *html.Node) float64 {
	switch n.Data {
	case "div", "article", "main", "section":
		return 5
	case "pre", "td", "blockquote":
		return 3
	case "address", "ol", "ul", "dl", "dd", "dt", "li", "form":
		return -3
	case "h1", "h2", "h3", "h4", "h5", "h6", "th":
		return -5
	}
	return 0
}

// betterAncestor moves up from top when the article's paragraphs are
// spread over several sibling blocks, as Readability does: to the parent
// of three or more candidates scoring nearly as well, and then up while
// the score keeps rising, since a parent that scores more than its best
// child holds more of the article.
func betterAncestor(top *html.Node, scores map[*html.Node]float64, body *html.Node) *html.Node {
	if top == body || !contains(body, top) {
		return body
	}
	topScore := scores[top]
	var close []*html.Node
	for n, s := range scores {
		if n != top && s >= topScore*0.75 {
			close = append(close, n)
		}
	}
	// Readability looks at the four runners-up only.
	slices.SortFunc(close, func(a, b *html.Node) int {
		switch {
		case scores[a] > scores[b]:
			return -1
		case scores[a] < scores[b]:
			return 1
		case precedes(a, b):
			return -1
		}
		return 1
	})
	close = close[:min(len(close), 4)]
	if len(close) >= 3 {
		for a := top.Parent; a != nil && a != body; a = a.Parent {
			within := 0
			for _, n := range close {
				if n != a && contains(a, n) {
					within++
				}
			}
			if within >= 3 {
				top = a
				break
			}
		}
	}
	last := scores[top]
	threshold := last / 3
	for a := top.Parent; a != nil && a != body; a = a.Parent {
		s, ok := scores[a]
		if !ok {
			continue
		}
		if s < threshold {
			break
		}
		if s > last {
			top = a
			break
		}
		last = s
	}
	// A block that is its parent's only child is as good as its parent.
	for top != body && top.Parent != body && onlyElementChild(top) {
		top = top.Parent
	}
	return top
}

func contains(ancestor, n *html.Node) bool {
	for ; n != nil; n = n.Parent {
		if n == ancestor {
			return true
		}
	}
	return false
}

func onlyElementChild(n *html.Node) bool {
	for c := n.Parent.FirstChild; c != nil; c = c.NextSibling {
		if c != n && c.Type == html.ElementNode {
			return false
		}
		if c.Type == html.TextNode && strings.TrimFunc(c.Data, isSpace) != "" {
			return false
		}
	}
	return true
}

// withSiblings returns top and those of its siblings that belong to the
// article too: blocks scoring at least a fifth of top (with a bonus for
// sharing its class), and paragraphs that read as prose.
func (f *finder) withSiblings(top *html.Node, scores map[*html.Node]float64, stats map[*html.Node]*blockStats, skip map[*html.Node]bool) []*html.Node {
	if top.Parent == nil || top == f.body {
		return []*html.Node{top}
	}
	threshold := max(10, scores[top]*0.2)
	class := attrOr(top, "class")
	var parts []*html.Node
	for c := top.Parent.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode || skip[c] || neverText(c) {
			continue
		}
		if c == top {
			parts = append(parts, c)
			continue
		}
		score, scored := scores[c]
		if scored && class != "" && attrOr(c, "class") == class {
			score += scores[top] * 0.2
		}
		s := stats[c]
		switch {
		case scored && score >= threshold:
			parts = append(parts, c)
		case f.kind == PageDocumentation && class != "" && c.Data == top.Data && attrOr(c, "class") == class &&
			startsWithHeading(c) && s.chars > 0 && s.linkDensity() < 0.5:
			// Sections of a manual, whatever their length.
			parts = append(parts, c)
		case isElement(c, "p") || (isBlock(c) && s.inlineChars == s.chars):
			density := s.linkDensity()
			if s.chars > 80 && density < 0.25 || s.chars > 0 && s.chars <= 80 && density == 0 && endsSentence(shortText(c)) {
				parts = append(parts, c)
			}
		}
	}
	return parts
}

// leadBefore returns the header of the document whose body first is in,
// when it stands before first or one of its three nearest ancestors.
func (f *finder) leadBefore(first *html.Node) *html.Node {
	for a, up := first, 0; a != nil && a != f.body && up < 3; a, up = a.Parent, up+1 {
		for c := a.PrevSibling; c != nil; c = c.PrevSibling {
			if c.Type == html.ElementNode && !f.furniture[c] && f.leadsDocument(c) {
				return c
			}
		}
	}
	return nil
}

// leadsDocument reports whether n is, on a documentation page, the
// header of the document: its title (h1) with the paragraphs that
// introduce what it documents, which a reference page puts in a wrapper
// of its own, named for its layout's header and so taken for furniture.
func (f *finder) leadsDocument(n *html.Node) bool {
	if f.kind != PageDocumentation {
		return false
	}
	s := f.stats[n]
	return s != nil && s.paragraphs >= 2 && s.linkDensity() < 0.3 && find(n, func(h *html.Node) bool { return isElement(h, "h1") }) != nil
}

// sectionAround returns the section of documentation that top is in, when
// the document is a run of sibling sections alike in tag and class, each
// under its heading (a manual page's NAME, SYNOPSIS, DESCRIPTION and
// OPTIONS): top is often the body of its longest section, and
// withSiblings takes its sections together from there.
func sectionAround(top *html.Node) *html.Node {
	for a, up := top, 0; a != nil && up < 3; a, up = a.Parent, up+1 {
		if isElement(a, "body") {
			break
		}
		if sameSections(a) {
			return a
		}
	}
	return top
}

// sameSections reports whether n starts with a heading and a sibling of
// the same tag and class does too.
func sameSections(n *html.Node) bool {
	class := attrOr(n, "class")
	if class == "" || !startsWithHeading(n) {
		return false
	}
	for _, next := range []func(*html.Node) *html.Node{
		func(c *html.Node) *html.Node { return c.PrevSibling },
		func(c *html.Node) *html.Node { return c.NextSibling },
	} {
		for c := next(n); c != nil; c = next(c) {
			if c.Type == html.ElementNode && c.Data == n.Data && attrOr(c, "class") == class && startsWithHeading(c) {
				return true
			}
		}
	}
	return false
}

// startsWithHeading reports whether n's first element child is a
// heading: n is a section of a document.
func startsWithHeading(n *html.Node) bool {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode {
			return isElement(c, "h1", "h2", "h3", "h4", "h5", "h6")
		}
	}
	return false
}

func endsSentence(text string) bool {
	r, _ := utf8.DecodeLastRuneInString(text)
	return strings.ContainsRune(".!?。！？", r)
}

// cleanInside leaves out what inside an article part is not article text
// (adding it to skip) and returns the length of the text that stays.
// before are the stats of the part and everything in it with skip left
// out, when the caller has them (nil to measure them here).
func (f *finder) cleanInside(part *html.Node, skip map[*html.Node]bool, mode finderMode, before map[*html.Node]*blockStats) int {
	if before == nil {
		before = measure(part, skip, nil)
	}
	whole := before[part]
	stats := measure(part, skip, func(n *html.Node, s *blockStats) bool {
		return f.leaveOut(n, s, before[n], whole, mode, skip)
	})
	if stats[part].chars == 0 && part != f.body {
		skip[part] = true
	}
	return stats[part].chars
}

// leaveOut decides, bottom-up, whether an element inside the article is
// furniture. s are its stats with its own furniture already left out,
// before those from before any was; whole are those of the whole article
// part, for the rule that a block holding most of it stays whatever its
// name.
func (f *finder) leaveOut(n *html.Node, s, before, whole *blockStats, mode finderMode, skip map[*html.Node]bool) bool {
	if s.chars == 0 && s.images == 0 {
		// Empty wrappers and spacers leave nothing to see; keep line
		// breaks and rules, which separate what is left.
		return !isElement(n, "br", "hr", "img", "picture", "td", "th", "tr", "source")
	}
	if isElement(n, "h1") && (!mode.cards || f.isHeadline(n) || len(f.headlines) == 0 && n == f.firstH1()) {
		// The article's headline is the metadata's title (or, on a
		// page without one, its first <h1>). In a region of many
		// blocks, an <h1> that does not repeat the page's title is
		// content: the heading of a product, a thread or a category
		// that names it otherwise, or a card's title, as HTML5 lets
		// each <article> have.
		return true
	}
	if isElement(n, "h2", "h3") && f.isHeadline(n) {
		return true
	}
	if isElement(n, "figure") && s.chars < 300 && s.paragraphs == 0 && find(n, func(c *html.Node) bool { return isElement(c, "table") }) == nil {
		return true // a picture and its caption, not text
	}
	if isElement(n, "pre", "code", "table") && s.linkDensity() < 0.5 {
		return false
	}
	if quotesPosts(s) {
		return false
	}
	if isElement(n, "table") && isDataTable(n) {
		// A table of data is named for how it looks ("sticky-header",
		// "table-meta"), not for where it sits: a list of laureates
		// whose names are links stays.
		return false
	}
	if isElement(n, "p") && s.chars < maxShortcodeChars && isShortcode(shortText(n)) {
		return true
	}
	if !mode.cards && standsAlone(n, s) {
		// A link that is a block of its own between the article's
		// paragraphs, not words of a sentence, is a teaser for
		// another story ("Also on ...") or an offer.
		return true
	}
	if isTicker(n, s) {
		return true
	}
	if !isBlock(n) && s.chars < maxLabelChars && isElement(n, "a", "span", "button") && amongElements(n) && isControlLabel(shortText(n)) {
		// A link or a badge with nothing but elements beside it is a
		// line of its own: a card's "Shop now", "Free shipping".
		return true
	}
	if !isBlock(n) {
		// Inside a line of text, a name like "date" or "author" marks
		// words of the sentence; only hover cards, share buttons and ads
		// go.
		return isInlineFurniture(n)
	}
	if mode.cards {
		// A block named both ways ("post-meta", "entry-footer") is
		// taken for the post's own, unless it is a list of links
		// ("article-tags").
		if name := f.name(n); f.namesCardFurniture(name, s) && (!name.cardContent || s.linkDensity() > 0.5) && !holdsMost(s, whole) && !isSectionTitle(before) && !holdsCards(n, s) && !f.listed[n] && !f.wrapsMain[n] {
			return true
		}
	} else if f.name(n).boilerplate && !holdsMost(s, whole) && !isSectionTitle(before) {
		return !f.leadsDocument(n)
	}
	if s.chars < maxMediaAddressChars && !isElement(n, "td", "th") && !hasAncestor(n, "table") && isScriptData(n) {
		return true
	}
	if s.chars < maxCookieNoticeChars {
		text := shortText(n)
		if isCookieNotice(text) {
			return true
		}
		if s.chars < 120 && isBoilerplatePhrase(text, s.headings > 0) && !sentenceAfterAdLabel(n, text, s, skip) {
			return true
		}
		if s.chars < 120 && mode.cards && f.inThread && (readsAsPosterDetail(text) || readsAsReplySubject(text)) {
			return true
		}
	}
	return mode.cleanWidgets && f.isWidget(n, s)
}

// standsAlone reports whether n is a link of some length (minTeaserChars)
// that stands alone between the paragraphs of its parent: nothing but
// blocks, or nothing, on either side of it, and two paragraphs or more
// beside it.
func standsAlone(n *html.Node, s *blockStats) bool {
	if !isElement(n, "a") || s.chars < minTeaserChars || n.Parent == nil {
		return false
	}
	paragraphs := 0
	for c := n.Parent.FirstChild; c != nil; c = c.NextSibling {
		if isElement(c, "p") {
			paragraphs++
		}
	}
	if paragraphs < 2 {
		return false
	}
	apart := func(next func(*html.Node) *html.Node) bool {
		for c := next(n); c != nil; c = next(c) {
			switch {
			case c.Type == html.TextNode && strings.TrimFunc(c.Data, isSpace) == "":
			case c.Type == html.TextNode:
				return false
			case c.Type == html.ElementNode:
				return isBlock(c)
			}
		}
		return true
	}
	return apart(func(c *html.Node) *html.Node { return c.PrevSibling }) && apart(func(c *html.Node) *html.Node { return c.NextSibling })
}

// isTicker reports whether n is a ticker: a block of minTickerCopies
// elements or more, each the same short words ("Book Now *"), and
// nothing else. A marquee scrolls its copies across the screen as a
// decoration; their text says nothing the page does not say once.
func isTicker(n *html.Node, s *blockStats) bool {
	if !isElement(n, "div", "section", "p") {
		return false
	}
	// Count first, reading no text: most blocks have few children, or
	// more text than copies of a label hold.
	elements := 0
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch {
		case c.Type == html.TextNode && strings.TrimFunc(c.Data, isSpace) != "":
			return false
		case c.Type == html.ElementNode:
			elements++
		}
	}
	if elements < minTickerCopies || s.chars > elements*maxLabelChars {
		return false
	}
	first := ""
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode {
			continue
		}
		text := shortText(c)
		if text == "" || len(text) > maxLabelChars || first != "" && text != first {
			return false
		}
		first = text
	}
	return true
}

// minTickerCopies is the number of copies of the same words from which a
// block is a ticker rather than a short list.
const minTickerCopies = 6

// maxLabelChars is the length of text above which an inline element is
// more than a label.
const maxLabelChars = 30

// amongElements reports whether n's siblings are elements or spaces: no
// words run into it from either side.
func amongElements(n *html.Node) bool {
	for _, c := range []*html.Node{n.PrevSibling, n.NextSibling} {
		if c != nil && c.Type == html.TextNode && strings.TrimFunc(c.Data, isSpace) != "" {
			return false
		}
	}
	return true
}

// isShortcode reports whether text is a WordPress shortcode the site
// failed to expand ("[button link=...]Send us your review[/button]"):
// markup for a widget, printed as it was written.
func isShortcode(text string) bool {
	m := shortcodePattern.FindStringSubmatch(text)
	return m != nil && m[1] == m[2]
}

var shortcodePattern = regexp.MustCompile(`^\[([a-z_-]+)\b[^\]]*\].*\[/([a-z_-]+)\]$`)

// maxShortcodeChars is the length of text above which a paragraph is
// prose, whatever brackets it opens and closes with.
const maxShortcodeChars = 300

// minTeaserChars is the length of text from which a link standing alone
// is a teaser rather than a label ("Next", "Gallery").
const minTeaserChars = 25

// isSectionTitle reports whether a block is, by its stats before cleaning,
// mostly a heading: the title of a section of the article, in a wrapper
// named "section-header" or the like. (A widget whose list was removed is
// all heading after cleaning, but was not before.)
func isSectionTitle(before *blockStats) bool {
	return before != nil && before.headings*2 > before.chars && before.chars < 200
}

// isWidget is Readability's conditional cleaning: a block inside the
// article that holds more links, images, list items or form fields than a
// passage of prose would, and few commas, is a widget (related links, an
// image gallery, a share bar, a sign-up box).
func (f *finder) isWidget(n *html.Node, s *blockStats) bool {
	if !isElement(n, "div", "section", "ul", "ol", "dl", "table", "aside", "header", "footer", "nav", "center", "p", "li", "span") {
		return false
	}
	if isElement(n, "table") && isDataTable(n) {
		return false
	}
	if s.commas >= 10 {
		return false
	}
	weight := f.name(n).weight
	if weight < 0 {
		return true
	}
	density := s.linkDensity()
	isList := isElement(n, "ul", "ol", "dl")
	switch {
	case isElement(n, "p", "li", "span"):
		// Prose runs need only the link test: a line that is all link
		// ("Read: Other story") is a teaser.
		return s.chars < 200 && density > 0.8
	case s.images > 1 && float64(s.paragraphs)/float64(s.images) < 0.5 && !hasAncestor(n, "figure"):
		return true
	case !isList && s.listItems-100 > s.paragraphs:
		return true
	case s.inputs > s.paragraphs/3:
		return true
	case !isList && s.chars < minParagraphChars && (s.images == 0 || s.images > 2) && !hasAncestor(n, "figure"):
		return true
	case !isList && weight < 25 && density > 0.2 && s.chars < 1000:
		return true
	case isList && density > 0.5:
		return true
	case weight >= 25 && density > 0.5:
		return true
	case s.embeds == 1 && s.chars < 75 || s.embeds > 1:
		return true
	}
	return false
}

// quotesPosts reports whether a block quotes something: posts quoted from
// social networks come in wrappers named "social-embed", and are part of
// what the article says.
func quotesPosts(s *blockStats) bool {
	return s.quotes > 0 && s.linkDensity() < 0.5
}

// shortText is the text of n, whitespace collapsed, when it is short: ""
// once n holds more than shortTextLimit bytes of text or elements. The
// bound keeps the callers, which ask for the text of blocks at every level
// of nesting, linear in the size of the page.
func shortText(n *html.Node) string {
	var b strings.Builder
	budget := shortTextLimit
	var walk func(*html.Node) bool
	walk = func(n *html.Node) bool {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if budget--; budget < 0 {
				return false
			}
			switch {
			case c.Type == html.TextNode:
				if budget -= len(c.Data); budget < 0 {
					return false
				}
				b.WriteString(c.Data)
			case c.Type == html.ElementNode && !neverText(c):
				if !walk(c) {
					return false
				}
			}
		}
		return true
	}
	if !walk(n) {
		return ""
	}
	return collapseSpace(b.String())
}

const shortTextLimit = 1024

// sentenceAfterAdLabel reports whether text, a block's, starts with an
// ad's label that is already left out ("Advertisement - Members don't
// see this ad"), and what stays of the block is a sentence without
// links: the post or paragraph that sat after the ad in one wrapper. A
// sign-up's label is not asked about: what follows it is its pitch.
func sentenceAfterAdLabel(n *html.Node, text string, s *blockStats, skip map[*html.Node]bool) bool {
	if s.linkChars > 0 || !strings.HasPrefix(strings.ToLower(text), "advertis") {
		return false
	}
	rest := shortTextWithout(n, skip)
	return rest != "" && endsSentence(rest) && !isBoilerplatePhrase(rest, s.headings > 0)
}

// shortTextWithout is shortText of n without the elements in skip.
func shortTextWithout(n *html.Node, skip map[*html.Node]bool) string {
	var b strings.Builder
	budget := shortTextLimit
	var walk func(*html.Node) bool
	walk = func(n *html.Node) bool {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if budget--; budget < 0 {
				return false
			}
			switch {
			case c.Type == html.TextNode:
				if budget -= len(c.Data); budget < 0 {
					return false
				}
				b.WriteString(c.Data)
			case c.Type == html.ElementNode && !neverText(c) && !skip[c]:
				if !walk(c) {
					return false
				}
			}
		}
		return true
	}
	if !walk(n) {
		return ""
	}
	return collapseSpace(b.String())
}

func hasAncestor(n *html.Node, tag string) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if isElement(p, tag) {
			return true
		}
	}
	return false
}

// isDataTable reports whether a table holds data rather than lays out a
// page: it has a caption, header cells, or rows of several cells.
func isDataTable(table *html.Node) bool {
	if attrOr(table, "role") == "presentation" {
		return false
	}
	data := false
	rows := 0
	find(table, func(n *html.Node) bool {
		switch {
		case isElement(n, "caption", "th", "thead", "tfoot", "colgroup", "col"):
			data = true
		case isElement(n, "table") && n != table:
			data = false
			return true
		case isElement(n, "tr"):
			rows++
		}
		return data
	})
	return data || rows >= 3
}

// headlines returns the texts a page's headline may have: its title, the
// title without the site's name, og:title and the first h1.
func headlines(doc *html.Node) []string {
	var out []string
	add := func(s string) {
		s = normaliseHeadline(s)
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	find(doc, func(n *html.Node) bool {
		switch {
		case isElement(n, "title"):
			title := textContent(n)
			add(title)
			for _, sep := range []string{" | ", " - ", " – ", " — ", " :: ", " · "} {
				if i := strings.Index(title, sep); i > 0 {
					add(title[:i])
				}
				if i := strings.LastIndex(title, sep); i > 0 {
					add(title[:i])
				}
			}
		case isElement(n, "meta"):
			if p := attrOr(n, "property"); p == "og:title" || attrOr(n, "name") == "twitter:title" {
				add(attrOr(n, "content"))
			}
		}
		return false
	})
	return out
}

func normaliseHeadline(s string) string {
	return strings.ToLower(strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}), " "))
}

func (f *finder) isHeadline(n *html.Node) bool {
	text := normaliseHeadline(shortText(n))
	return text != "" && slices.Contains(f.headlines, text)
}

// regionKinds are the kinds of page whose main content is a region of
// many blocks rather than one article: posts, cards, sections.
var regionKinds = map[string]bool{
	PageForum: true, PageProduct: true, PageCollection: true, PageListing: true, PageService: true,
}

// isLinkBlock reports whether n is a block of links: a list of related
// threads, a thread's tags, its pagination. In a thread, posts are prose
// with a link or two (the author, the date); a block of a hundred
// characters or more, seven tenths of them inside links, is not a post.
func isLinkBlock(n *html.Node, s *blockStats) bool {
	return s != nil && s.chars >= 100 && s.linkDensity() > 0.7 &&
		isElement(n, "div", "section", "ul", "ol", "aside", "table")
}

// isProductGrid reports whether n is a row or grid of other products'
// cards, as a product page shows under "related", "bought together" or
// "recently viewed" whatever it calls them: three or more children, two
// thirds of those with text, each a short block with a link and a price.
// The product's own price and options are one block, not cards with
// links of their own.
func isProductGrid(n *html.Node, stats map[*html.Node]*blockStats, skip map[*html.Node]bool) bool {
	if s := stats[n]; s == nil || s.prices < 3 || s.links < 3 {
		return false
	}
	cards, blocks := 0, 0
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		s := stats[c]
		if c.Type != html.ElementNode || skip[c] || s == nil || s.chars == 0 {
			continue
		}
		blocks++
		if s.prices > 0 && s.links > 0 && s.chars <= maxCardChars {
			cards++
		}
	}
	return cards >= 3 && cards*3 >= blocks*2
}

// maxCardChars is the length of text above which a block is more than a
// product card: a name, a price, a rating and a line or two.
const maxCardChars = 400

// region is the main block of a page made of many blocks: the page's main
// landmark (<main>, role="main") when it holds a good part of the text,
// else the body, without furniture by tag, role or name, and cleaned
// inside without the widget rule, since cards and posts are what a widget
// rule would take for link lists. The names that describe a block
// (caption, category, author, meta) do not make it furniture here: on a
// card or a post they are part of it. Nor do the kind's own furniture
// names (a product's reviews) stay.
func (f *finder) region(kind string) *mainBlock {
	skip := make(map[*html.Node]bool, len(f.furniture))
	for n := range f.furniture {
		skip[n] = true
	}
	stats := f.stats
	root := f.body
	walkElements(f.body, func(n *html.Node) bool {
		if skip[n] || root != f.body {
			return false
		}
		if isMainLandmark(n) {
			if s := stats[n]; s != nil && (s.chars-s.linkChars)*4 > f.page.chars-f.page.linkChars {
				root = n
			}
			return false
		}
		return true
	})
	f.listed = nil
	if regionKinds[kind] && kind != PageForum {
		// Posts are listed too, but their furniture is named in them
		// (signatures, notices) and goes.
		f.listed = listedBlocks(root, stats, skip)
	}
	f.commentsArePosts = kind == PageForum && (f.schema || f.threadOfComments) && commentsArePosts(root, stats, skip, f.name)
	f.inThread = kind == PageForum
	walkElements(root, func(n *html.Node) bool {
		if skip[n] {
			return false
		}
		if isElement(n, "a", "table", "pre", "code", "article", "main") {
			return true
		}
		if name := f.name(n); f.namesCardFurniture(name, stats[n]) && !name.cardContent && !titlesBlock(n, stats) && !holdsMost(stats[n], stats[root]) && !quotesPosts(stats[n]) && !holdsCards(n, stats[n]) && !f.listed[n] && !f.wrapsMain[n] {
			if title := titlesCards(n, stats); title != nil {
				// A titled section of cards stays, with its title,
				// through the cleaning too.
				if f.listed == nil {
					f.listed = map[*html.Node]bool{}
				}
				f.listed[n], f.listed[title] = true, true
				walkElements(title, func(d *html.Node) bool {
					if isElement(d, "h1", "h2", "h3", "h4", "h5", "h6") {
						f.listed[d] = true
					}
					return true
				})
				return true
			}
			skip[n] = true
			return false
		}
		// Reviews often outweigh a product's description; only a
		// wrapper of nearly all of the region stays for its name.
		if namesKindFurniture(n, kind) && !holdsNearlyAll(stats[n], stats[root]) {
			skip[n] = true
			return false
		}
		if titledElsewhere(n) && !holdsMost(stats[n], stats[root]) && !f.wrapsMain[n] {
			skip[n] = true
			return false
		}
		if isLinkTree(n, stats[n]) && !holdsMost(stats[n], stats[root]) {
			skip[n] = true
			return false
		}
		if namesFilters(n) && stats[n].paragraphs == 0 && !f.listed[n] && !f.wrapsMain[n] && !holdsMost(stats[n], stats[root]) {
			// A grid's filters and facets narrow what it shows; they
			// are the shop's controls, not what it lists.
			skip[n] = true
			return false
		}
		if kind == PageForum && isLinkBlock(n, stats[n]) && !holdsMost(stats[n], stats[root]) {
			skip[n] = true
			return false
		}
		// A product is described in text, not links: a block of links
		// beside it (news of it, other editions, the shop's guides)
		// leads elsewhere. One that holds a quarter of the region is
		// what the page lists: a category taken for a product.
		if kind == PageProduct && isLinkBlock(n, stats[n]) && stats[n].chars*4 < stats[root].chars {
			skip[n] = true
			return false
		}
		if kind == PageProduct && isProductGrid(n, stats, skip) && stats[n].chars*2 < stats[root].chars {
			skip[n] = true
			return false
		}
		return true
	})
	m := &mainBlock{parts: []*html.Node{root}, skip: skip, region: true, thread: kind == PageForum}
	m.chars = f.cleanInside(root, skip, finderMode{cards: true}, nil)
	if root != f.body && (kind != PageProduct || stats[root].prices >= minGridPrices) {
		// The guide under a category's grid is its content; under one
		// product, what follows <main> is the shop's.
		for _, after := range f.proseAfter(root, skip) {
			m.parts = append(m.parts, after)
			m.chars += f.cleanInside(after, skip, finderMode{cards: true}, nil)
		}
	}
	return m
}

// namesCardFurniture reports whether a block of a region of many blocks
// is furniture by its name. Where the comments are the posts, a block
// named for them is a post, or part of one, when it holds a paragraph;
// the post's number, permalink and date line still go.
func (f *finder) namesCardFurniture(name nameClass, s *blockStats) bool {
	return name.cardBoilerplate && !(f.commentsArePosts && name.comments && s != nil && s.paragraphs > 0)
}

// titlesBlock reports whether n, in a region of many blocks, is the
// title of the card or section it sits in: a short block (under
// maxTitleChars) more than half of whose text is one heading, named for
// its place in the card and for nothing else ("new-listing__header",
// "card-footer", "accordion-header"). A listing's cards put their title
// and date in a header of their own, which is not the page's header. A
// block named for more than its place (a trending strip's header, a
// follow box) is still furniture, and so is a hidden one.
func titlesBlock(n *html.Node, stats map[*html.Node]*blockStats) bool {
	s := stats[n]
	if s == nil || s.chars >= maxTitleChars {
		return false
	}
	h := find(n, func(d *html.Node) bool { return isElement(d, "h1", "h2", "h3", "h4", "h5", "h6") })
	if h == nil || stats[h] == nil || stats[h].chars*2 <= s.chars {
		return false
	}
	for _, a := range n.Attr {
		if a.Namespace != "" || (a.Key != "class" && a.Key != "id") {
			continue
		}
		if a.Key == "class" && hasHidingClass(a.Val) {
			return false
		}
		if nameWords(a.Val, func(word string) bool { return isBoilerplateWord(word) && !hasStem(word, placeStems) }) {
			return false
		}
	}
	return true
}

// placeStems begin the boilerplate words that name where a block sits in
// the card or section around it, not what it is for.
var placeStems = []string{"header", "footer"}

// commentsArePosts reports whether the blocks under root named for
// comments alone hold a third of its prose, in paragraphs, one a block or
// more: forum software that calls a thread's replies comments
// ("comment-container", "ItemComment"). A question-and-answer site's
// comments are one-line remarks under each post, with no paragraph, and
// go. Only a page whose schema.org types say it is a forum is asked: a
// story typed a forum for its long comment thread is still a story.
func commentsArePosts(root *html.Node, stats map[*html.Node]*blockStats, skip map[*html.Node]bool, name func(*html.Node) nameClass) bool {
	whole := stats[root]
	if whole == nil {
		return false
	}
	prose, blocks, paragraphs := 0, 0, 0
	walkElements(root, func(n *html.Node) bool {
		if skip[n] {
			return false
		}
		if name(n).comments {
			if s := stats[n]; s != nil && s.chars > 0 {
				prose += s.chars - s.linkChars
				blocks++
				paragraphs += s.paragraphs
			}
			return false
		}
		return true
	})
	return paragraphs >= blocks && prose*3 > whole.chars-whole.linkChars
}

// proseAfter returns the blocks of prose that follow the main landmark
// outside it, up to the body: a shop puts its category's guide under the
// grid of products, and often outside <main>. A block is prose when it
// holds three paragraphs or more and 1,000 characters, few links, no
// form fields and no furniture name (a sign-up, the footer, its legal
// notes).
func (f *finder) proseAfter(main *html.Node, skip map[*html.Node]bool) []*html.Node {
	var blocks []*html.Node
	for n := main; n != nil && n != f.body; n = n.Parent {
		for c := n.NextSibling; c != nil; c = c.NextSibling {
			s := f.stats[c]
			if c.Type != html.ElementNode || skip[c] || s == nil {
				continue
			}
			if s.chars >= 1000 && s.paragraphs >= 3 && s.inputs == 0 && s.linkDensity() < 0.3 && !f.name(c).boilerplate {
				blocks = append(blocks, c)
			}
		}
	}
	return blocks
}

// minGridPrices is the number of prices from which a page called a
// product's holds a grid of products: a shop's category.
const minGridPrices = 8

// holdsCards reports whether n is a grid of cards: three or more children
// of one tag and class holding most of its text, not all of it in links.
// A grid's wrapper is often named for what the site does around it
// ("hide-read-more-ad", "promo-grid"), and on a page of many blocks the
// cards are the content whatever their wrapper is called.
func holdsCards(n *html.Node, s *blockStats) bool {
	if s == nil || s.chars < minCardsChars || s.linkDensity() > 0.7 || namesElsewhere(n) {
		return false
	}
	type shape struct{ tag, class string }
	count := map[shape]int{}
	best := 0
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode {
			continue
		}
		class, _, _ := strings.Cut(strings.TrimSpace(attrOr(c, "class")), " ")
		k := shape{c.Data, class}
		count[k]++
		best = max(best, count[k])
	}
	return best >= 3
}

// titlesCards returns the title of n when n is a titled section of
// cards: a short block with a heading first, then a wrapper of nearly
// all the rest that holds, itself or in a wrapper of nearly all of it, a
// grid of cards (holdsCards). A listing's sections are often named for
// their header ("section-with-header"), and their cards are what the
// listing lists. A hidden block or a pop-up is no section.
func titlesCards(n *html.Node, stats map[*html.Node]*blockStats) *html.Node {
	s := stats[n]
	if s == nil || s.chars < minCardsChars || s.linkDensity() > 0.7 || namesElsewhere(n) || hasHidingClass(attrOr(n, "class")) || namesPopup(n) {
		return nil
	}
	var title, body *html.Node
	for c := n.FirstChild; c != nil && body == nil; c = c.NextSibling {
		cs := stats[c]
		switch {
		case c.Type != html.ElementNode || cs == nil || cs.chars == 0:
		case cs.chars*4 >= s.chars*3:
			body = c
		case title == nil && cs.headings > 0 && cs.chars < maxTitleChars:
			title = c
		default:
			return nil
		}
	}
	if title == nil {
		return nil
	}
	for d := body; d != nil; d = wrapperOfMost(d, stats) {
		if holdsCards(d, stats[d]) {
			return title
		}
	}
	return nil
}

// maxTitleChars is the length of text above which a block is more than a
// section's title: a heading and a "View all" link.
const maxTitleChars = 200

// wrapperOfMost returns n's child that holds nine tenths of its text, or
// nil.
func wrapperOfMost(n *html.Node, stats map[*html.Node]*blockStats) *html.Node {
	s := stats[n]
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if cs := stats[c]; c.Type == html.ElementNode && cs != nil && cs.chars*10 >= s.chars*9 {
			return c
		}
	}
	return nil
}

// isLinkTree reports whether n is a tree of links: a list whose items hold
// lists of their own, nearly all of its text links, and many items. It is
// a site's map or a menu of its sections printed outside a <nav>, not a
// block of the page's content.
func isLinkTree(n *html.Node, s *blockStats) bool {
	if !isElement(n, "ul", "ol") || s == nil || s.listItems < minTreeItems || s.linkDensity() < 0.9 {
		return false
	}
	return find(n, func(d *html.Node) bool { return d != n && isElement(d, "ul", "ol") && hasAncestor(d, "li") }) != nil
}

// titledElsewhere reports whether n is a block headed by a title that
// points elsewhere: "Related products", "Recently viewed", "Customers
// also bought", "Popular searches". Its heading opens it, as its first
// element or inside its first element, and what follows is other pages'
// cards or links, however the site names the block.
func titledElsewhere(n *html.Node) bool {
	if !isElement(n, "div", "section", "aside", "ul") {
		return false
	}
	first := firstElementChild(n)
	if first == nil {
		return false
	}
	heading := first
	if !isElement(first, "h1", "h2", "h3", "h4", "h5", "h6") {
		heading = firstElementChild(first)
		if heading == nil || !isElement(heading, "h1", "h2", "h3", "h4", "h5", "h6") || nextElement(heading) != nil {
			return false
		}
	}
	title := strings.ToLower(strings.TrimRight(shortText(heading), " :"))
	if title == "" || len(title) > maxTitleChars {
		return false
	}
	for _, p := range elsewhereTitles {
		if strings.HasPrefix(title, p) {
			return true
		}
	}
	if rest, ok := strings.CutPrefix(title, "related "); ok {
		word, _, _ := strings.Cut(rest, " ")
		return relatedNouns[word]
	}
	return false
}

// elsewhereTitles begin the titles of blocks of other pages' cards or
// links.
var elsewhereTitles = []string{
	"recently viewed", "similar items", "similar products", "customers also", "you may also", "you might also",
	"popular searches", "trending searches", "people also", "explore related",
}

// relatedNouns are the words that, after "related", title a block of
// links to other pages.
var relatedNouns = map[string]bool{
	"searches": true, "products": true, "items": true, "services": true, "pages": true, "topics": true,
	"content": true, "news": true, "posts": true, "articles": true, "stories": true, "reports": true,
	"categories": true, "links": true, "reading": true,
}

// firstElementChild is n's first element child, or nil.
func firstElementChild(n *html.Node) *html.Node {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode {
			return c
		}
	}
	return nil
}

// minTreeItems is the number of items from which a tree of links is a
// site's map rather than a short list of sub-pages.
const minTreeItems = 20

// filterStems begin the words that name the controls that narrow a grid
// of cards: its filters, facets and refinements.
var filterStems = []string{"facet", "filter", "refine"}

// namesFilters reports whether n's class or id names a grid's filters.
func namesFilters(n *html.Node) bool { return namedWithStem(n, filterStems) }

// popupStems begin the words that name pop-ups.
var popupStems = []string{"modal", "popup", "popover", "dialog", "overlay"}

// namesPopup reports whether n's class or id names a pop-up: a modal,
// a popover, a dialog.
func namesPopup(n *html.Node) bool { return namedWithStem(n, popupStems) }

// namedWithStem reports whether a word of n's class or id begins with one
// of stems.
func namedWithStem(n *html.Node, stems []string) bool {
	for _, a := range n.Attr {
		if a.Namespace != "" || (a.Key != "class" && a.Key != "id") {
			continue
		}
		if nameWords(a.Val, func(word string) bool { return hasStem(word, stems) }) {
			return true
		}
	}
	return false
}

// minCardsChars is the length of text below which a block is too slight
// to be a grid of cards.
const minCardsChars = 200

// elsewhereStems begin the words that name blocks set beside a page's
// content, whatever they hold: its sidebar, its menus, its footer, links
// to other pages and the comments under it.
var elsewhereStems = []string{"sidebar", "related", "recommend", "footer", "nav", "menu", "comment"}

// namesElsewhere reports whether n's class or id says it sits beside the
// content (elsewhereStems).
func namesElsewhere(n *html.Node) bool { return namedWithStem(n, elsewhereStems) }

// repeatedArticles returns the <article> elements of the page that share
// their class with two others or more, or their parent: the cards of a
// listing, each a story, a product or an event, rather than the page's
// one article. A blog's archive names each card for its post and its
// categories ("post-30149 category-recipes"), and its cards are siblings.
func repeatedArticles(body *html.Node) map[*html.Node]bool {
	type group struct {
		class  string
		parent *html.Node
	}
	groups := map[group][]*html.Node{}
	walkElements(body, func(n *html.Node) bool {
		if isElement(n, "article") {
			byClass, byParent := group{class: attrOr(n, "class")}, group{parent: n.Parent}
			groups[byClass] = append(groups[byClass], n)
			groups[byParent] = append(groups[byParent], n)
		}
		return true
	})
	cards := map[*html.Node]bool{}
	for _, articles := range groups {
		if len(articles) >= 3 {
			for _, n := range articles {
				cards[n] = true
			}
		}
	}
	return cards
}

// headsCard reports whether n is the <header> or <footer> of one of the
// cards: a card's header holds its title and summary, which are what the
// listing lists, and no page furniture (HTML makes a header a banner only
// outside articles).
func headsCard(n *html.Node, cards map[*html.Node]bool) bool {
	if len(cards) == 0 || !isElement(n, "header", "footer") {
		return false
	}
	for a := n.Parent; a != nil; a = a.Parent {
		if isElement(a, "article") {
			return cards[a]
		}
	}
	return false
}

// listedBlocks returns the blocks of root's main run: three or more
// siblings of one tag and class that together hold more than half of
// root's text. They are what a listing lists, whatever their name says
// ("recirc-list", "promo-card"): a page's furniture does not make up
// most of it.
func listedBlocks(root *html.Node, stats map[*html.Node]*blockStats, skip map[*html.Node]bool) map[*html.Node]bool {
	whole := stats[root]
	if whole == nil || whole.chars == 0 {
		return nil
	}
	type shape struct{ tag, class string }
	var listed map[*html.Node]bool
	walkElements(root, func(n *html.Node) bool {
		if skip[n] || listed != nil {
			return false
		}
		s := stats[n]
		if s == nil || s.chars*2 <= whole.chars {
			return false // no run under n holds enough
		}
		chars := map[shape]int{}
		count := map[shape]int{}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode || skip[c] || stats[c] == nil {
				continue
			}
			k := shape{c.Data, attrOr(c, "class")}
			count[k]++
			chars[k] += stats[c].chars
		}
		for k, total := range chars {
			if count[k] >= 3 && total*2 > whole.chars {
				listed = map[*html.Node]bool{}
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					if c.Type == html.ElementNode && !skip[c] && (shape{c.Data, attrOr(c, "class")}) == k {
						listed[c] = true
						// And the wrappers inside it that hold
						// nearly all of it.
						walkElements(c, func(d *html.Node) bool {
							if skip[d] || stats[d] == nil || stats[d].chars*10 < stats[c].chars*9 {
								return false
							}
							listed[d] = true
							return true
						})
					}
				}
				return false
			}
		}
		return true
	})
	return listed
}

// isOneComment reports whether the article found is, or lies inside, a
// block named for comments alone that holds under half of the page's
// text: one comment of a thread, not a wrapper of the page ("has-comments")
// nor a thread's whole list.
func (f *finder) isOneComment(m *mainBlock) bool {
	if len(m.parts) == 0 {
		return false
	}
	for n := m.parts[0]; n != nil && n != f.body; n = n.Parent {
		if n.Type == html.ElementNode && f.name(n).comments {
			s := f.stats[n]
			return s != nil && s.chars*2 < f.page.chars
		}
	}
	return false
}

// isScriptData reports whether n, a short block, is a CMS's data for its
// scripts printed as text, not words for a reader: the address of a
// picture or a video spelled out as a line, or a field of a description
// list whose name is a programmer's identifier ("cat_thumb_Navy:",
// "retail_price_tier1:") or whose value is such an address, and that
// field's value.
func isScriptData(n *html.Node) bool {
	if opensWithAddress(n) && namesMediaFile(shortText(n)) {
		return true
	}
	switch {
	case isElement(n, "dt"):
		next := nextElement(n)
		return isIdentifier(shortText(n)) || next != nil && isElement(next, "dd") && namesMediaFile(shortText(next))
	case isElement(n, "dd"):
		prev := previousElement(n)
		return prev != nil && isElement(prev, "dt") && isIdentifier(shortText(prev))
	}
	return false
}

// opensWithAddress reports whether n's first text opens with an
// address, a cheap test before its whole text is read.
func opensWithAddress(n *html.Node) bool {
	first := find(n, func(c *html.Node) bool { return c.Type == html.TextNode && strings.TrimSpace(c.Data) != "" })
	if first == nil {
		return false
	}
	text := strings.TrimLeftFunc(first.Data, isSpace)
	return strings.HasPrefix(text, "http") || strings.HasPrefix(text, "//")
}

// isIdentifier reports whether text is a label that is a name in snake
// case: lower-case letters first, words joined by underscores, no spaces,
// and a closing colon ("short_description:", "cat_thumb_Navy:"). Without
// the colon it is a term a reference defines ("table_name"), content.
func isIdentifier(text string) bool {
	text, labels := strings.CutSuffix(strings.TrimSpace(text), ":")
	if !labels || text == "" || text[0] < 'a' || text[0] > 'z' || !strings.Contains(text, "_") {
		return false
	}
	for _, r := range text {
		if r != '_' && (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// maxMediaAddressChars is the length beyond which a block is more than
// the address of a file.
const maxMediaAddressChars = 400

// mediaExtensions are the endings of the addresses of pictures and videos.
var mediaExtensions = []string{".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".svg", ".mp4", ".webm", ".mov"}

// namesMediaFile reports whether text is nothing but the absolute address
// of a picture or a video.
func namesMediaFile(text string) bool {
	text = strings.TrimSpace(text)
	if !strings.HasPrefix(text, "https://") && !strings.HasPrefix(text, "http://") && !strings.HasPrefix(text, "//") || strings.ContainsFunc(text, isSpace) {
		return false
	}
	if i := strings.IndexAny(text, "?#"); i >= 0 {
		text = text[:i]
	}
	text = strings.ToLower(text)
	for _, ext := range mediaExtensions {
		if strings.HasSuffix(text, ext) {
			return true
		}
	}
	return false
}

// previousElement is n's previous element sibling, or nil.
func previousElement(n *html.Node) *html.Node {
	for c := n.PrevSibling; c != nil; c = c.PrevSibling {
		if c.Type == html.ElementNode {
			return c
		}
	}
	return nil
}

// nextElement is n's next element sibling, or nil.
func nextElement(n *html.Node) *html.Node {
	for c := n.NextSibling; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode {
			return c
		}
	}
	return nil
}
