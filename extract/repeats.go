package extract

import (
	"hash/fnv"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/net/html"
)

// minRepeatWords is the length, in words, from which a block that repeats
// an earlier one word for word is taken for a copy: shorter ones (a
// price, a date, the terms under each of a page's coupons) repeat on
// purpose.
const minRepeatWords = 25

// textKey identifies a block's text: a hash of its words in order, and
// how many there are.
type textKey struct {
	hash  uint64
	words int
}

// dropRepeats leaves out each block of a region whose text repeats, word
// for word, that of an earlier block: pages print some of their content
// twice, one copy for narrow screens and one for wide ones (a product's
// description, a card carousel's clones), and a stylesheet we do not
// apply shows one of them. Quotations and code are copies on purpose (an
// example repeated), so nothing inside a blockquote, pre, code or table
// is compared here; a thread's quotations of its own posts go by
// dropQuotedPosts. Articles are left as they
// are: a story may repeat a passage (a recipe's steps, a meal plan's
// days), and an article is one block, not a page's blocks side by side.
//
// The words of every element are hashed bottom-up, each element's hash
// combined from its children's, so the work is linear in the size of the
// block however deep it nests.
func (m *mainBlock) dropRepeats() {
	keys := map[*html.Node]textKey{}
	for _, part := range m.parts {
		m.hashText(part, keys)
	}
	seen := map[textKey]*html.Node{}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode || m.skip[c] || isElement(c, "blockquote", "pre", "code", "table") {
				continue
			}
			if key, ok := keys[c]; ok && isBlock(c) {
				if first, ok := seen[key]; ok && !contains(first, c) {
					m.skip[c] = true
					continue
				}
				if _, ok := seen[key]; !ok {
					seen[key] = c
				}
			}
			walk(c)
		}
	}
	for _, part := range m.parts {
		walk(part)
	}
	m.dropNearbyCopies()
}

// nearbyLines is how many lines back a line is looked for: a card printed
// twice, once for narrow screens and once for wide ones, repeats its
// title and date a line or three apart.
const nearbyLines = 4

// dropNearbyCopies leaves out each line of a region (a block with no block
// inside it) of two words or more that repeats one of the few lines just
// before it: a card's title and date printed once per layout. A line
// repeated further away (each card's "Free shipping") stays, and so does a
// sentence, which a page repeats on purpose (each coupon's terms).
func (m *mainBlock) dropNearbyCopies() {
	var recent []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode || m.skip[c] || neverText(c) || isElement(c, "blockquote", "pre", "code", "table") {
				continue
			}
			if !isBlock(c) || find(c, func(d *html.Node) bool { return d != c && isBlock(d) }) != nil {
				walk(c)
				continue
			}
			text := shortText(c)
			if !strings.Contains(text, " ") || endsSentence(text) {
				continue
			}
			if slices.Contains(recent, text) {
				m.skip[c] = true
				continue
			}
			recent = append(recent, text)
			if len(recent) > nearbyLines {
				recent = recent[1:]
			}
		}
	}
	for _, part := range m.parts {
		walk(part)
	}
}

// hashText returns the rolling hash of n's words (h), base to the power of
// their number (power), and that number, recording in keys the elements
// with at least minRepeatWords words.
func (m *mainBlock) hashText(n *html.Node, keys map[*html.Node]textKey) (h, power uint64, words int) {
	const base = 1099511628211
	power = 1
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch {
		case c.Type == html.TextNode:
			for _, word := range strings.Fields(c.Data) {
				hw := fnv.New64a()
				hw.Write([]byte(word))
				h = h*base + hw.Sum64()
				power *= base
				words++
			}
		case c.Type == html.ElementNode && !m.skip[c] && !neverText(c):
			ch, cp, cw := m.hashText(c, keys)
			h = h*cp + ch
			power *= cp
			words += cw
		}
	}
	if words >= minRepeatWords && n.Type == html.ElementNode {
		keys[n] = textKey{hash: h, words: words}
	}
	return h, power, words
}

// quoteShingleWords is the length, in words, of the runs of words that
// dropQuotedPosts compares.
const quoteShingleWords = 4

// dropQuotedPosts leaves out each quotation in a thread whose words, run
// by run, mostly appear earlier in the thread outside quotations: a reply
// that quotes a post above it repeats that post, which the thread already
// holds. The quoting site adds its own words (who said it, "Click to
// expand...") and may cut the post short, so three fifths of the
// quotation's runs of four words are enough. A quotation of something the
// page does not hold (a post on an earlier page, a manual) stays.
func (m *mainBlock) dropQuotedPosts() {
	seen := map[uint64]bool{}
	var recent []string // the last words outside quotations
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			switch {
			case c.Type == html.TextNode:
				for _, w := range lowerWords(c.Data) {
					recent = append(recent, w)
					if len(recent) > quoteShingleWords {
						recent = recent[1:]
					}
					if len(recent) == quoteShingleWords {
						seen[shingleHash(recent)] = true
					}
				}
			case c.Type != html.ElementNode || m.skip[c] || neverText(c):
			case isElement(c, "blockquote"):
				if m.quotesEarlierText(c, seen) {
					m.skip[c] = true
				}
			default:
				walk(c)
			}
		}
	}
	for _, part := range m.parts {
		walk(part)
	}
}

// quotesEarlierText reports whether three fifths or more of the runs of
// words of quote are in seen.
func (m *mainBlock) quotesEarlierText(quote *html.Node, seen map[uint64]bool) bool {
	var words []string
	var collect func(n *html.Node)
	collect = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			switch {
			case c.Type == html.TextNode:
				words = append(words, lowerWords(c.Data)...)
			case c.Type == html.ElementNode && !m.skip[c] && !neverText(c):
				collect(c)
			}
		}
	}
	collect(quote)
	runs, found := 0, 0
	for i := 0; i+quoteShingleWords <= len(words); i++ {
		runs++
		if seen[shingleHash(words[i:i+quoteShingleWords])] {
			found++
		}
	}
	return runs > 0 && found*5 >= runs*3
}

// lowerWords splits text into lower-cased runs of letters and digits.
func lowerWords(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// shingleHash hashes a run of words.
func shingleHash(words []string) uint64 {
	h := fnv.New64a()
	for _, w := range words {
		h.Write([]byte(w))
		h.Write([]byte{0})
	}
	return h.Sum64()
}
