package extract_test

import (
	"strings"
	"testing"

	"github.com/sous-dev/sous/extract"
	"github.com/sous-dev/sous/render"
)

// prose is a paragraph long enough to count as an article's.
var prose = "<p>" + strings.Repeat("The committee met on Tuesday to discuss the proposal, and after a long debate it agreed to publish its findings next spring. ", 4) + "</p>"

func TestPageType(t *testing.T) {
	tests := []struct {
		name, url, html, want string
	}{
		{"tiny", "https://example.com/", `<p>Moved.</p>`, extract.PageOther},
		{"article by prose", "https://example.com/2024/story", strings.Repeat(prose, 5), extract.PageArticle},
		{"json-ld product", "https://shop.example/item", `<script type="application/ld+json">{"@type":"Product","name":"Mug"}</script>` + prose, extract.PageProduct},
		{"microdata product named twice is one product", "https://shop.example/item",
			`<script type="application/ld+json">{"@type":"Product"}</script><div itemscope itemtype="https://schema.org/Product">` + prose + `</div>`, extract.PageProduct},
		{"item list of products", "https://shop.example/mugs",
			`<script type="application/ld+json">{"@type":"ItemList","itemListElement":[{"@type":"ListItem","item":{"@type":"Product"}},{"@type":"ListItem","item":{"@type":"Product"}}]}</script>` + prose, extract.PageCollection},
		{"forum posting in a graph", "https://forum.example/x",
			`<script type="application/ld+json">{"@graph":[{"@type":"WebPage"},{"@type":"DiscussionForumPosting"}]}</script>` + prose, extract.PageForum},
		{"qa page", "https://q.example/x", `<script type="application/ld+json">{"@type":"QAPage"}</script>` + prose, extract.PageForum},
		{"tech article with code", "https://dev.example/x",
			`<script type="application/ld+json">{"@type":"TechArticle"}</script>` + prose + `<pre>go build</pre>`, extract.PageDocumentation},
		{"code under a docs path", "https://example.com/docs/install",
			prose + `<pre>a</pre><pre>b</pre><p>Run <code>make</code>.</p>`, extract.PageDocumentation},
		{"thread of posts", "https://example.com/t/help/42",
			strings.Repeat(`<div class="topic-post">`+prose+`</div>`, 3), extract.PageForum},
		{"a thread of two posts", "https://forum.example/viewtopic.php?id=309936",
			strings.Repeat(`<div class="topic-post">`+prose+`</div>`, 2), extract.PageForum},
		{"prices and a cart button", "https://example.com/mug",
			`<h1>Mug</h1><span>$12.00</span>` + prose + `<button>Add to cart</button>`, extract.PageProduct},
		{"one cart button among a carousel's prices", "https://example.com/mug",
			`<h1>Mug</h1><span>$12.00</span>` + prose + `<button>Add to cart</button>` +
				strings.Repeat(`<div><a href="/m">Bowl with a long name for the carousel</a><span>$9.00</span></div>`, 10), extract.PageProduct},
		{"a product whose reviews are named as posts", "https://example.com/tumbler",
			`<h1>Tumbler</h1><span>$35.00</span>` + prose + `<button>Add to cart</button>` +
				strings.Repeat(`<div class="review message">`+prose+`</div>`, 6), extract.PageProduct},
		{"a product that names an article too", "https://shop.example/guitar",
			`<meta property="og:type" content="product"><div itemscope itemtype="https://schema.org/Product"><h1>Guitar</h1></div>` +
				`<div itemscope itemtype="https://schema.org/Article">` + strings.Repeat(prose, 4) + `</div>`, extract.PageProduct},
		{"many prices", "https://example.com/mugs",
			strings.Repeat(`<div><a href="/m">Mug with a long name for the grid</a><span>$12.00</span></div>`, 10), extract.PageCollection},
		{"a product's address beside a grid of other products", "https://shop.example/lighting/pdp/beaded-pendant.html",
			`<h1>Beaded pendant</h1>` + prose + strings.Repeat(`<div><a href="/m">Lamp with a long name for the grid</a><span>$12.00</span></div>`, 10), extract.PageProduct},
		{"a category under a products path", "https://shop.example/products/shop/monitors/gaming.html",
			strings.Repeat(`<div><a href="/m">Monitor with a long name for the grid</a><span>$312.00</span></div>`, 10), extract.PageCollection},
		{"a buyer's guide: prices among long paragraphs", "https://example.com/best-mugs",
			strings.Repeat(prose+`<h3><a href="/m">Stoneware mug</a></h3><span>$12.00</span>`, 8), extract.PageArticle},
		{"sections of short text on a home page", "https://example.com/",
			strings.Repeat(`<section><h2>Fast</h2><p>We ship your order the same day, wherever you are in the country.</p></section>`, 4), extract.PageService},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := extractFormat(t, tt.url, tt.html, render.FormatMetadata).Metadata.PageType
			if got != tt.want {
				t.Errorf("page type %q, want %q", got, tt.want)
			}
		})
	}
}

// TestNoscriptShell checks that a page whose content is served inside
// <noscript>, for readers without script, yields that content, and that a
// page with content of its own leaves its <noscript> out.
func TestNoscriptShell(t *testing.T) {
	shell := `<body><div id="app"></div><noscript><div class="post"><p>The answer is to restart the service after the upgrade.</p></div></noscript></body>`
	if got := extractFormat(t, "https://forum.example/t/1", shell, render.FormatText).Text; !strings.Contains(got, "restart the service") {
		t.Errorf("the noscript content is missing: %q", got)
	}
	page := `<body><p>An article with content of its own, long enough to outweigh the notice.</p><noscript><p>Please enable JavaScript.</p></noscript></body>`
	if got := extractFormat(t, "https://example.com/a", page, render.FormatText).Text; strings.Contains(got, "JavaScript") {
		t.Errorf("the noscript notice was shown: %q", got)
	}
}

// TestMainContentKeepsEveryPost checks that the main content of a page of
// many sibling blocks — a thread's posts — is all of them, not the one
// that scores best as an article.
func TestMainContentKeepsEveryPost(t *testing.T) {
	var page strings.Builder
	page.WriteString(`<body><nav><a href="/">Home</a> <a href="/latest">Latest</a></nav><main>`)
	replies := []string{"I had the same problem after upgrading, and a restart fixed it.", "Thanks, that worked for me too.", "Marking this as solved."}
	page.WriteString(`<div class="topic-post"><p>` + strings.Repeat("The service stops after the upgrade and will not start again, whatever I try. ", 6) + `</p></div>`)
	for _, r := range replies {
		page.WriteString(`<div class="topic-post"><p>` + r + `</p></div>`)
	}
	page.WriteString(`</main><footer>© Forum</footer></body>`)
	res, err := extract.New().Extract(&render.Page{URL: "https://forum.example/t/upgrade/7", HTML: page.String()},
		&render.Request{Formats: []render.Format{render.FormatText}, OnlyMainContent: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range replies {
		if !strings.Contains(res.Text, r) {
			t.Errorf("reply %q is missing from:\n%s", r, res.Text)
		}
	}
	if strings.Contains(res.Text, "Latest") || strings.Contains(res.Text, "© Forum") {
		t.Errorf("furniture kept:\n%s", res.Text)
	}
}

// TestMainContentOfBlocks checks that a page nothing marks as an article,
// made of sections of which none holds much of the text, keeps all of
// them rather than the one that reads most like an article.
func TestMainContentOfBlocks(t *testing.T) {
	var page strings.Builder
	page.WriteString(`<body><header><a href="/">Studio</a></header><div class="wrap">`)
	page.WriteString(`<div class="intro"><p>` + strings.Repeat("Our teachers have played with orchestras, bands and choirs all over the world, and they love to teach. ", 5) + `</p></div>`)
	quotes := []string{"Josh is a wonderful teacher, patient and kind.", "My daughter passed her grade five exam with distinction.", "Lessons are fun, and I practise every day now.",
		"The best decision we made this year was to sign up.", "I finally play the songs I always wanted to play.", "Friendly, flexible and always on time.",
		"We tried three schools before this one, and this is the one we stayed with.", "Worth every penny, and the recitals are a joy."}
	for _, q := range quotes {
		page.WriteString(`<div class="quote"><blockquote>` + q + ` ` + q + `</blockquote><span>A student</span></div>`)
	}
	page.WriteString(`</div><footer>© Studio</footer></body>`)
	res, err := extract.New().Extract(&render.Page{URL: "https://studio.example/why-us/testimonials", HTML: page.String()},
		&render.Request{Formats: []render.Format{render.FormatText}, OnlyMainContent: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range quotes {
		if !strings.Contains(res.Text, q) {
			t.Errorf("%q is missing from:\n%s", q, res.Text)
		}
	}
}

// TestForumPostsWithoutMemberDetails checks that a thread keeps each
// post's author and text but not what the forum says about the member
// beside it (avatar, title, join date, message count), its buttons, votes
// and reactions, nor the list of other threads under it.
func TestForumPostsWithoutMemberDetails(t *testing.T) {
	post := func(name, text string) string {
		return `<article class="message"><div class="message-user"><div class="message-avatar"><a href="/members/` + name + `"><span class="avatar-u1-m">Q</span></a></div><div class="message-userDetails"><h4 class="message-name"><a href="/members/` + name + `">` + name + `</a></h4>` +
			`<h5 class="userTitle message-userTitle">Well-known member</h5></div>` +
			`<div class="message-userExtras"><dl class="pairs"><dt>Joined</dt><dd>Mar 3, 2019</dd></dl><dl class="pairs"><dt>Messages</dt><dd>4,211</dd></dl></div></div>` +
			`<div class="message-content"><div class="bbWrapper"><blockquote><div>An earlier post, quoted.</div><div class="bbCodeBlock-expandLink"><a>Click to expand...</a></div></blockquote>` + text + `</div></div>` +
			`<div class="reactionsBar"><a href="/reactions">Reactions: Zed, Yuki and Xavier</a></div>` +
			`<div class="vote-box"><a>Upvote</a> 7 <a>Downvote</a></div>` +
			`<ul class="actions"><li><a href="/reply">Reply with quote</a></li></ul></article>`
	}
	var page strings.Builder
	page.WriteString(`<html><body><nav><a href="/">Forums</a></nav><main><h1>Best closed headphones</h1>`)
	posts := map[string]string{
		"anna":  "I have used the same pair for five years and the pads are the only part I replaced.",
		"bruno": "For travel I would pick something lighter, even if the sound is a little thinner.",
		"chen":  "Measurements only tell half the story; try them on for an afternoon before you buy.",
	}
	for _, name := range []string{"anna", "bruno", "chen"} {
		page.WriteString(post(name, posts[name]))
	}
	page.WriteString(`<div class="block"><ul><li><a href="/threads/1">Which open headphones for the office?</a></li>` +
		`<li><a href="/threads/2">Replacing the pads of an old pair</a></li><li><a href="/threads/3">Headphones for a long flight</a></li>` +
		`<li><a href="/threads/4">Is an amplifier worth it for beginners?</a></li></ul></div>`)
	page.WriteString(`</main><footer>© Forum</footer></body></html>`)
	res, err := extract.New().Extract(&render.Page{URL: "https://forum.example/threads/best-closed-headphones.42/", HTML: page.String()},
		&render.Request{Formats: []render.Format{render.FormatText, render.FormatMetadata}, OnlyMainContent: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Metadata.PageType != extract.PageForum {
		t.Errorf("page type %q, want %q", res.Metadata.PageType, extract.PageForum)
	}
	for name, text := range posts {
		if !strings.Contains(res.Text, name) || !strings.Contains(res.Text, text) {
			t.Errorf("post of %s is missing from:\n%s", name, res.Text)
		}
	}
	for _, unwanted := range []string{"Well-known member", "Joined", "4,211", "Click to expand", "Reply with quote", "open headphones for the office",
		"Q\n", "Reactions:", "Upvote"} {
		if strings.Contains(res.Text, unwanted) {
			t.Errorf("kept %q:\n%s", unwanted, res.Text)
		}
	}
}

// TestRegionWithoutRepeatedCopies checks that a page which prints its
// description twice, once for narrow screens and once for wide ones,
// gives it once, and that a reply quoting a post keeps its own words.
func TestRegionWithoutRepeatedCopies(t *testing.T) {
	description := "Make each cup of tea or coffee feel special with this mug: wheel thrown, matte textured, " +
		"in a white speckle finish with a clear glazed interior, safe in the dishwasher and the microwave."
	page := `<html><head><script type="application/ld+json">{"@type":"Product","name":"Speckle mug"}</script></head><body>
		<nav><a href="/">Shop</a></nav><main><h1>Speckle mug</h1><span>$60.00</span><button>Add to cart</button>
		<div class="details mobile-only"><p>` + description + `</p><p>Volume: about 350 ml.</p></div>
		<div class="details desktop-only"><p>` + description + `</p><p>Volume: about 350 ml.</p></div>
		</main><footer>© Shop</footer></body></html>`
	res := extractMain(t, "https://shop.example/p/speckle-mug", page)
	if n := strings.Count(res.Text, "wheel thrown"); n != 1 {
		t.Errorf("the description is there %d times, want once:\n%s", n, res.Text)
	}

	post := func(text string) string { return `<div class="topic-post"><p>` + text + `</p></div>` }
	first := strings.Repeat("The service stops after the upgrade and will not start again, whatever I try to do. ", 2)
	thread := `<body><main>` + post(first) + post("Same here.") +
		`<div class="topic-post"><blockquote><p>` + first + `</p></blockquote><p>Did you check the lock file?</p></div>` +
		post("That was it, thanks.") + post("Marking this as solved.") + `</main></body>`
	res = extractMain(t, "https://forum.example/t/upgrade/7", thread)
	if n := strings.Count(res.Text, "whatever I try"); n != 2 {
		t.Errorf("the post should stay once (2 sentences) and its quotation go, found %d:\n%s", n, res.Text)
	}
	if !strings.Contains(res.Text, "Did you check the lock file?") {
		t.Errorf("lost the reply that quotes the post:\n%s", res.Text)
	}
}

func extractMain(t *testing.T, url, page string) *render.Result {
	t.Helper()
	res, err := extract.New().Extract(&render.Page{URL: url, HTML: page},
		&render.Request{Formats: []render.Format{render.FormatText}, OnlyMainContent: true})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestCardsWithoutTheirButtons checks that a grid of product cards keeps
// each card's name and price but not the labels of its buttons.
func TestCardsWithoutTheirButtons(t *testing.T) {
	var page strings.Builder
	page.WriteString(`<html><body><nav><a href="/">Shop</a></nav><main><h1>Mugs</h1><div class="grid">`)
	for _, name := range []string{"Speckle mug", "Blue glaze mug", "Espresso cup", "Travel tumbler", "Tea bowl", "Latte mug", "Stoneware jug", "Milk pitcher"} {
		page.WriteString(`<div class="card"><a href="/p/1">` + name + `</a><div>$24.00</div><div>Quick view</div><div>+ Wishlist</div></div>`)
	}
	page.WriteString(`</div></main><footer>© Shop</footer></body></html>`)
	res := extractMain(t, "https://shop.example/collections/mugs", page.String())
	mustKeep(t, res.Text, "Speckle mug", "Milk pitcher", "$24.00")
	mustDrop(t, res.Text, "Quick view", "Wishlist")
}
