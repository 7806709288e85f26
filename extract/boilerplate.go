package extract

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// The vocabulary of class names and ids that say what a block of a page
// is for. Pages name their parts for their own styling, not for us, so
// these are words and word stems found in the wild, matched against the
// words of a class or id ("article-related-links", "relatedStories" and
// "related_2" all hold the word "related").

// boilerplateStems begin the words that name a page's furniture: menus,
// sharing widgets, related links, sign-up forms, advertising, comments,
// and the byline, date and caption lines that surround an article but are
// not its text.
var boilerplateStems = []string{
	"addthis", "advert", "agegate", "alert", "author", "banner", "breadcrumb", "byline",
	"caption", "categor", "comment", "consent", "cookie", "copyright", "credit",
	"dateline", "disqus", "footer", "follow", "gdpr", "header", "hovercard", "masthead", "menu",
	"meta", "modal", "nav", "newsletter", "outbrain", "pagination", "pager",
	"popover", "popular", "popup", "promo", "recirc", "recommend", "related", "revcontent", "rollover",
	"share", "sharing", "sidebar", "signup", "skip", "social", "sociable",
	"sponsor", "subnav", "subscri", "taboola", "tag", "timestamp", "toolbar", "tooltip",
	"trending", "widget", "zergnet",
}

// inlineFurnitureStems begin the names of elements that sit inside a line
// of text without being part of it: hover cards, share buttons, ads.
var inlineFurnitureStems = []string{
	"advert", "hovercard", "newsletter", "popover", "promo", "rollover", "share",
	"sharing", "social", "sponsor", "subscri", "tooltip",
}

// isInlineFurniture reports whether an inline element's class or id names
// furniture.
func isInlineFurniture(n *html.Node) bool {
	for _, a := range n.Attr {
		if a.Namespace != "" || (a.Key != "class" && a.Key != "id") {
			continue
		}
		if nameWords(a.Val, func(word string) bool {
			if word == "ad" || word == "ads" {
				return true
			}
			for _, stem := range inlineFurnitureStems {
				if strings.HasPrefix(word, stem) {
					return true
				}
			}
			return false
		}) {
			return true
		}
	}
	return false
}

// boilerplateWords are short words that would match too much as stems.
// "adv" is not one: it abbreviates "advanced" as often as "advert" (a
// WordPress block library names every heading and lead paragraph it
// styles "kt-adv-heading"), and ad slots have "ad", "ads" or "advert" too.
var boilerplateWords = map[string]bool{
	"ad": true, "ads": true, "adslot": true, "adunit": true,
	"aside": true, "date": true, "login": true, "overlay": true, "rail": true,
	"readmore": true, "rss": true, "sign": true, "print": true,
}

// contentWords name the blocks that hold an article. A block whose name
// has one of them is not dropped for also having a boilerplate word
// ("article-header" is dropped inside an article but "main-with-sidebar"
// is not dropped while looking for one).
var contentWords = map[string]bool{
	"article": true, "body": true, "content": true, "entry": true, "main": true,
	"post": true, "story": true, "text": true, "column": true, "blog": true,
	"hentry": true, "page": true,
}

// nameWords calls visit for each lower-cased word of a class or id value:
// words are split at anything but letters and digits, and at a lower-case
// letter followed by an upper-case one (relatedStories).
func nameWords(value string, visit func(word string) bool) bool {
	start := -1
	var prev rune
	emit := func(end int) bool {
		if start < 0 {
			return false
		}
		word := strings.ToLower(value[start:end])
		start = -1
		return visit(word)
	}
	for i, r := range value {
		alnum := r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
		switch {
		case !alnum:
			if emit(i) {
				return true
			}
		case start < 0:
			start = i
		case unicode.IsUpper(r) && unicode.IsLower(prev):
			if emit(i) {
				return true
			}
			start = i
		}
		prev = r
	}
	return emit(len(value))
}

func isBoilerplateWord(word string) bool {
	if word == "" {
		return false
	}
	if boilerplateWords[word] {
		return true
	}
	for _, stem := range boilerplateStemsByLetter[word[0]] {
		if strings.HasPrefix(word, stem) {
			return true
		}
	}
	return false
}

// boilerplateStemsByLetter holds boilerplateStems by their first letter:
// every class word of every element is looked up, and most share no
// first letter with most stems.
var boilerplateStemsByLetter = func() map[byte][]string {
	index := map[byte][]string{}
	for _, stem := range boilerplateStems {
		index[stem[0]] = append(index[stem[0]], stem)
	}
	return index
}()

// nameKind classifies an element by its class and id: whether they hold a
// boilerplate word, and whether they hold a content word.
func nameKind(n *html.Node) (boilerplate, content bool) {
	for _, a := range n.Attr {
		if a.Namespace != "" || (a.Key != "class" && a.Key != "id") {
			continue
		}
		if a.Key == "class" && hasHidingClass(a.Val) {
			boilerplate = true
		}
		nameWords(a.Val, func(word string) bool {
			if contentWords[word] {
				content = true
			} else if isBoilerplateWord(word) {
				boilerplate = true
			}
			return false
		})
	}
	return boilerplate, content
}

// describingStems begin the boilerplate words that name the parts of a
// block which describe it, and the blocks of a page built of blocks:
// around an article they are furniture (its byline, its caption, an ad
// banner, a sidebar widget), but on the cards of a listing and the posts
// of a thread they are part of each card or post, and a service page's
// "hero-banner" and "promo" sections are what it has to say.
var describingStems = []string{
	"author", "banner", "byline", "caption", "categor", "credit", "dateline", "meta", "promo", "timestamp", "widget",
}

func hasStem(word string, stems []string) bool {
	for _, stem := range stems {
		if strings.HasPrefix(word, stem) {
			return true
		}
	}
	return false
}

// hasHidingClass reports whether a class list holds a class that hides
// its element in the common frameworks: "hidden", "hide", "d-none", or
// "hidden" after a short prefix ("is-hidden", "u-hidden", "a-hidden"),
// or a utility class that spells out its rule ("display--none",
// "qu-display--none"), though not one for some screen widths only
// ("md:display-none", "display-none-mobile"). "hidden" inside a longer
// name ("overflow-hidden") clips, it does not hide.
func hasHidingClass(value string) bool {
	for _, c := range strings.Fields(strings.ToLower(value)) {
		switch {
		case c == "hidden" || c == "hide" || c == "d-none" || c == "invisible":
			return true
		case strings.HasSuffix(c, "-hidden") && len(c) <= len("aok-hidden"):
			return true
		case (strings.HasSuffix(c, "display-none") || strings.HasSuffix(c, "display--none")) && !strings.Contains(c, ":"):
			return true
		}
	}
	return false
}

// nameClass is what an element's class and id say about it.
type nameClass struct {
	// boilerplate and content are nameKind's answers.
	boilerplate, content bool
	// cardBoilerplate and cardContent are nameKind's answers for the
	// blocks of a region of many blocks, where the words that describe
	// a block (describingStems, "date") are not boilerplate.
	cardBoilerplate, cardContent bool
	// comments says cardBoilerplate is for comment words alone
	// ("comment-container", "ipsComment"): forum software calls the
	// posts of a thread comments.
	comments bool
	// weight is Readability's bonus for a block whose class or id says
	// it holds content, and malus for one whose name says it does not:
	// ±25 for the class and ±25 for the id.
	weight int
}

// classifyName reads n's class and id once for all of nameClass, which
// the finder asks of every element in every attempt.
func classifyName(n *html.Node) nameClass {
	var c nameClass
	var comment, other bool
	for _, a := range n.Attr {
		if a.Namespace != "" || (a.Key != "class" && a.Key != "id") {
			continue
		}
		if a.Key == "class" && hasHidingClass(a.Val) {
			c.boilerplate, c.cardBoilerplate, other = true, true, true
		}
		var good, bad bool
		nameWords(a.Val, func(word string) bool {
			switch {
			case contentWords[word]:
				good = true
			case isBoilerplateWord(word):
				bad = true
				if word != "date" && !hasStem(word, describingStems) {
					c.cardBoilerplate = true
					if strings.HasPrefix(word, "comment") {
						comment = true
					} else {
						other = true
					}
				}
			}
			return false
		})
		c.content = c.content || good
		c.cardContent = c.cardContent || good
		c.boilerplate = c.boilerplate || bad
		if bad {
			c.weight -= 25
		}
		if good {
			c.weight += 25
		}
	}
	c.comments = comment && !other
	return c
}

// landmarkRoles are ARIA roles of page furniture.
var landmarkRoles = map[string]bool{
	"navigation": true, "banner": true, "contentinfo": true, "complementary": true,
	"dialog": true, "alertdialog": true, "search": true, "menu": true, "menubar": true,
	"toolbar": true, "tablist": true, "alert": true,
}

// furnitureTags are elements that hold a page's furniture rather than its
// content: navigation, asides, site headers and footers, forms and their
// widgets, embedded media without text.
var furnitureTags = map[string]bool{
	"nav": true, "aside": true, "header": true, "footer": true, "menu": true,
	"dialog": true, "form": true, "button": true, "input": true, "select": true,
	"textarea": true, "label": true, "fieldset": true, "datalist": true, "option": true,
	"iframe": true, "object": true, "embed": true, "video": true, "audio": true,
	"canvas": true, "map": true, "figcaption": true, "address": true,
}

// isFurniture reports whether n is, by its tag, role or visibility, part
// of the page's furniture or invisible.
func isFurniture(n *html.Node) bool {
	if n.Namespace != "" {
		return n.Namespace == "svg"
	}
	if furnitureTags[n.Data] {
		// A disclosure's button inside a heading is the heading's text:
		// an accordion's section title, which a click opens ("Material
		// & care", "Size & fit").
		return !titlesDisclosure(n)
	}
	if role := strings.ToLower(strings.TrimSpace(attrOr(n, "role"))); landmarkRoles[role] {
		// A list of tabs holds the tabs' labels, and is furniture; one
		// that holds the panels too is the whole widget (an accordion
		// marked up as tabs), and its panels are content.
		return role != "tablist" || find(n, isTabPanel) == nil
	}
	if unseen(n) && !isElement(n, "meta", "link") {
		return true
	}
	if style, ok := attr(n, "style"); ok && hidesElement(style) {
		return true
	}
	for _, a := range n.Attr {
		if a.Key == "class" {
			for _, c := range strings.Fields(a.Val) {
				switch strings.ToLower(c) {
				case "sr-only", "visually-hidden", "screen-reader-text", "screenreader-only", "hidden-visually", "skip-link",
					"show-for-sr", "visuallyhidden", "element-invisible", "u-visually-hidden", "is-visually-hidden", "screen-reader-only", "assistive-text":
					return true
				}
			}
		}
	}
	return false
}

// hidesElement reports whether an inline style hides its element.
func hidesElement(style string) bool {
	s := strings.ToLower(style)
	s = strings.ReplaceAll(s, " ", "")
	return strings.Contains(s, "display:none") || strings.Contains(s, "visibility:hidden")
}

// boilerplatePhrases start short blocks that are furniture whatever their
// markup: labels of advertising and sharing, sign-up and follow prompts,
// photo credits, reading times.
var boilerplatePhrases = []string{
	"advertisement", "advertising", "sponsored", "share this", "share on", "share:",
	"follow us", "sign up", "subscribe", "click here", "read more", "read next",
	"related:", "related articles", "related stories", "related post", "recommended",
	"more from", "you may also like", "you might also like", "also read", "also on ",
	"see also", "watch:", "image:", "photo:", "photograph:", "image credit",
	"photo credit", "getty images", "©", "copyright", "all rights reserved",
	"skip to", "loading", "story continues", "continue reading", "scroll to",
	"filed under", "like this story", "reading time", "post a comment", "leave a comment",
	"leave a reply", "click to expand", "reply with quote",
	"you must log in", "you must be logged in", "log in or register", "create an account or sign in",
	"you need to be a member", "register a new account", "already have an account",
	"post a reply", "post reply", "more topics from", "top posters in this topic", "most popular posts",
	"please create an account or log in", "you're browsing", "you are browsing", "similar threads",
	"sort by", "sort:",
}

// boilerplateInfixes mark short furniture blocks wherever they appear in
// them.
var boilerplateInfixes = []string{
	"requires javascript", "enable javascript", "min read", "minute read",
}

// cookieNoticePhrases are what a site says when it tells its visitors
// about its cookies ("iFixit uses cookies to enhance site functionality",
// "The store will not work correctly when cookies are disabled"): a
// notice left in the page's text after its banner's markup, which names
// nothing, not content.
var cookieNoticePhrases = []string{
	"uses cookies", "we use cookies", "with our cookies", "cookie settings", "cookie preferences",
	"cookies are disabled", "manage cookies", "accept cookies", "accept all cookies",
}

// isCookieNotice reports whether a block's text reads as a notice of
// the site's cookies: one of cookieNoticePhrases in its first sentence
// or so (cookieNoticeLead). A card or post that holds such a notice
// after its own text (an embed blocked until cookies are allowed) is
// more than the notice, which goes on its own.
func isCookieNotice(text string) bool {
	t := strings.ToLower(text)
	if len(t) > cookieNoticeLead {
		t = t[:cookieNoticeLead]
	}
	if !strings.Contains(t, "cookie") {
		return false
	}
	for _, p := range cookieNoticePhrases {
		if strings.Contains(t, p) {
			return true
		}
	}
	return false
}

// cookieNoticeLead is how far into a block, in bytes, a cookie notice
// must begin.
const cookieNoticeLead = 120

// maxCookieNoticeChars is the length above which a block that speaks of
// cookies is more than a notice (a privacy policy's section, an article
// on tracking).
const maxCookieNoticeChars = 400

// boilerplateLabels are whole blocks that label a widget whose content is
// gone: a comment counter ("12 comments"), a "More:" over a list of links.
// (isBoilerplatePhrase also takes every one of controlLabels.)
var boilerplateLabels = map[string]bool{
	"comments": true, "comment": true, "more": true, "don't miss": true,
	"share": true, "print": true, "email": true, "tweet": true, "menu": true,
	"reply": true, "quote": true, "report": true,
	"view details": true, "wishlist": true, "+ wishlist": true,
	"add to wishlist": true, "compare": true, "add to compare": true,
	"back to top": true, "filter": true, "filters": true, "sort": true, "sort by": true,
}

// controlLabels are the whole texts of the controls, calls to action and
// badges of a grid of cards or a marketing page, left as text when
// their buttons are links or spans: furniture as a block of their own,
// and as a link or a badge with nothing but elements beside it.
var controlLabels = map[string]bool{
	"shop now": true, "apply now": true, "add to cart": true, "show more": true, "load more": true,
	"view more": true, "see more": true, "view all": true, "see details": true, "quick view": true,
	"quick shop": true, "start free trial": true, "start for free": true, "get started for free": true,
	"free shipping": true, "in stock": true,
}

// isControlLabel reports whether text is one of controlLabels.
func isControlLabel(text string) bool {
	return controlLabels[strings.TrimRight(strings.ToLower(strings.TrimSpace(text)), ":.…!")]
}

// resultCount matches the line over a grid or a list of results that
// counts them ("Showing 1–24 of 514 results", "Loaded 143 results", "22
// products"): the grid's furniture, which the cards themselves make plain.
var resultCount = regexp.MustCompile(`^(showing |loaded |displaying |viewing )?(items? )?\d[\d,.]*(\s*[-–]\s*\d[\d,.]*)?( (items|products|results))?( (of|out of) \d[\d,.]*)? (items|products|results|listings)\.?$`)

// isBoilerplatePhrase reports whether short text reads like furniture.
// The text of a block with a heading (titled) is furniture only when it
// starts so: a card's "3 min read" beside its title does not make the
// card a reading-time line.
func isBoilerplatePhrase(text string, titled bool) bool {
	t := strings.ToLower(strings.TrimSpace(text))
	if boilerplateLabels[strings.TrimLeft(strings.TrimRight(t, ":.…!"), "0123456789 ")] {
		return true
	}
	for _, p := range boilerplatePhrases {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	if isControlLabel(t) || resultCount.MatchString(t) {
		return true
	}
	for _, p := range boilerplateInfixes {
		if !titled && strings.Contains(t, p) {
			return true
		}
	}
	return false
}

// kindFurnitureStems begin the words that name furniture on one kind of
// page only: on a product page, its customers' reviews, the other
// products it shows (on an article, a "review" is the text) and the
// shop's delivery terms, the same for every product; on a forum,
// the signature under each post, the board's notices to guests, and
// what surrounds each post without being it: its author's avatar (often
// an initial in a coloured circle), its reactions bar ("Reactions: …")
// and its vote buttons and count.
var kindFurnitureStems = map[string][]string{
	PageProduct: {"review", "rating", "upsell", "crosssell", "recent", "similar", "feedback", "bought", "banner", "delivery"},
	PageForum:   {"signature", "notice", "avatar", "reaction", "vote"},
}

// namesKindFurniture reports whether n's class or id names furniture of
// the kind of page it is on.
func namesKindFurniture(n *html.Node, kind string) bool {
	if kind == PageForum && namesPosterDetails(n) {
		return true
	}
	if kind == PageProduct && namesCart(n) {
		return true
	}
	stems := kindFurnitureStems[kind]
	if len(stems) == 0 {
		return false
	}
	for _, a := range n.Attr {
		if a.Namespace != "" || (a.Key != "class" && a.Key != "id") {
			continue
		}
		if nameWords(a.Val, func(word string) bool {
			for _, stem := range stems {
				if strings.HasPrefix(word, stem) {
					return true
				}
			}
			return false
		}) {
			return true
		}
	}
	return false
}

func isTabPanel(n *html.Node) bool {
	return n.Type == html.ElementNode && strings.EqualFold(strings.TrimSpace(attrOr(n, "role")), "tabpanel")
}

// posterDetailWords name, next to "user", "profile" or "poster" in one
// class or id ("message-userExtras", "profile-joined", "userstats",
// "postbit-usertitle", "profile-custom-field"), the details a forum shows
// beside each post about its author: rank, title, badges, post count,
// join date, the fields a member fills in (operating system, location).
// The author's name stays ("username"); the rest describes the member,
// not the post.
var posterDetailWords = []string{"extra", "title", "stat", "banner", "rank", "posts", "joined", "badge", "reputation", "karma", "points", "custom", "field"}

// namesPosterDetails reports whether n's class or id names the details
// of a post's author.
func namesPosterDetails(n *html.Node) bool {
	for _, a := range n.Attr {
		if a.Namespace != "" || (a.Key != "class" && a.Key != "id") {
			continue
		}
		for _, token := range strings.Fields(strings.ToLower(a.Val)) {
			if !strings.Contains(token, "user") && !strings.Contains(token, "profile") && !strings.Contains(token, "poster") {
				continue
			}
			for _, w := range posterDetailWords {
				if strings.Contains(token, w) {
					return true
				}
			}
		}
	}
	return false
}

// posterDetailLabels open the lines a forum prints beside each post about
// its author rather than the post: "Posts: 4,032", "Registered:
// 2016-07-02", "Location: SIN". Forum software words them alike whatever
// its markup (a <dd>, a bare <div>, a list item).
var posterDetailLabels = []string{
	"posts", "messages", "registered", "joined", "join date", "member since",
	"reputation", "reaction score", "karma", "location",
}

// readsAsPosterDetail reports whether a short line is one of the details
// of a post's author: one of posterDetailLabels, a colon and a value.
func readsAsPosterDetail(text string) bool {
	if len(text) > maxPosterDetailChars {
		return false
	}
	label, value, ok := strings.Cut(text, ":")
	if !ok || strings.TrimSpace(value) == "" {
		return false
	}
	label = strings.ToLower(strings.TrimSpace(label))
	for _, l := range posterDetailLabels {
		if label == l {
			return true
		}
	}
	return false
}

// maxPosterDetailChars is the length above which a line is a sentence of
// a post, not a detail of its author.
const maxPosterDetailChars = 60

// readsAsReplySubject reports whether a short line is the subject a
// forum gives each reply, "Re: " and the thread's title: the title again,
// not what the reply says.
func readsAsReplySubject(text string) bool {
	t := strings.TrimSpace(text)
	return len(t) < maxReplySubjectChars && len(t) > 3 && strings.EqualFold(t[:3], "re:")
}

// maxReplySubjectChars is the length above which a line that opens with
// "Re:" is a post's sentence rather than its subject.
const maxReplySubjectChars = 150

// titlesDisclosure reports whether n is a button that opens and closes a
// panel (it has aria-expanded) inside a heading, as an accordion's
// sections are marked up.
func titlesDisclosure(n *html.Node) bool {
	if !isElement(n, "button") {
		return false
	}
	if _, ok := attr(n, "aria-expanded"); !ok {
		return false
	}
	p := n.Parent
	for range 3 {
		if p == nil || p.Type != html.ElementNode {
			return false
		}
		if isElement(p, "h1", "h2", "h3", "h4", "h5", "h6") {
			return true
		}
		p = p.Parent
	}
	return false
}

// namesCart reports whether n's class or id names the shop's cart (a
// mini cart, a cart drawer, its button and count): what the shopper has
// chosen so far, and the offers it pushes, not the product. The section
// that adds this product to the cart ("add-to-cart") is its offer, and is
// not named for the cart but for adding to it.
func namesCart(n *html.Node) bool {
	for _, a := range n.Attr {
		if a.Namespace != "" || (a.Key != "class" && a.Key != "id") {
			continue
		}
		prev := ""
		if nameWords(a.Val, func(word string) bool {
			cart := strings.HasPrefix(word, "cart") || strings.HasPrefix(word, "minicart")
			adding := prev == "to" || prev == "add"
			prev = word
			return cart && !adding
		}) {
			return true
		}
	}
	return false
}
