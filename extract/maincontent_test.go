package extract_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sous-dev/sous/extract"
	"github.com/sous-dev/sous/render"
)

// mainPages are the pages in testdata/main: articles surrounded by the
// furniture of real sites (menus, cookie banners, share bars, sidebars,
// related links, comments, footers), with what must and must not survive
// onlyMainContent. The golden files hold the whole markdown and text.
var mainPages = []struct {
	name    string
	url     string
	keep    []string // must be in both markdown and text
	dropped []string // must be in neither
	// headline is left out of the text, as the benchmarks' ground truth
	// does, and heads the markdown.
	headline string
	// kind is the page type the metadata must report.
	kind string
}{
	{
		name:     "news",
		url:      "https://news.example.com/local/2024/05/02/riverside-park",
		headline: "City council approves the riverside park plan",
		keep: []string{
			"The city council voted 7 to 2", "What the plan includes", "one for cricket",
			"Soil clean-up", "Promenade | fields", "biggest new green space",
			"put out to tender in the autumn",
		},
		dropped: []string{
			"cookies", "Accept all", "Skip to content", "Politics", "Advertisement",
			"Jane Roe", "May 2, 2024", "Share on", "Photo: John Doe", "Park vote delayed",
			"Get the city newsletter", "Subscribe", "Parks", "Comments", "Who is paying",
			"Most read", "Bridge closed", "More from Local", "All rights reserved", "Privacy",
		},
	},
	{
		name:     "guide",
		url:      "https://engineering.example.com/blog/graceful-shutdown",
		headline: "Graceful shutdown in Go",
		keep: []string{
			"A server that stops the moment", "Listening for signals", "signal.NotifyContext",
			"<-ctx.Done()", "it closes idle connections", "hijacked (WebSocket)",
			"RegisterOnShutdown", "save your users from failed requests",
		},
		dropped: []string{
			"We're hiring", "uses cookies", "On this page",
			"Sam Lee", "6 min read", "Share this post", "LinkedIn", "You might also like",
			"complete guide to HTTP timeouts", "RSS",
		},
	},
	{
		name:     "forum",
		url:      "https://forum.example.com/t/service-will-not-start-after-upgrade/4711",
		headline: "Service will not start after upgrade",
		kind:     extract.PageForum,
		keep: []string{
			"the log says the database is locked", "systemctl status example",
			"Another process still held the lock file", "A backup job was still running",
		},
		dropped: []string{"Latest", "Log in", "Related topics", "Lock file errors", "All rights reserved",
			"browsing as a guest", "three nodes on old laptops"},
	},
	{
		name:     "product",
		url:      "https://shop.example.com/p/stoneware-mug",
		headline: "Stoneware mug",
		kind:     extract.PageProduct,
		keep: []string{
			"glazed by hand, so no two mugs", "350 ml", "Dishwasher safe", "take returns for thirty days",
		},
		// Reviews are what customers say of the product, not the
		// product's own description.
		dropped: []string{"Free shipping", "Cart", "You may also like", "Stoneware bowl",
			"Customer reviews", "out of 5", "Lovely weight", "for my parents", "Chipped on arrival"},
	},
	{
		name:     "collection",
		url:      "https://shop.example.com/mugs",
		headline: "Mugs",
		kind:     extract.PageCollection,
		keep: []string{
			"made by small workshops", "Stoneware mug", "Enamel mug", "Porcelain cup", "Travel mug",
			"Keeps tea hot for four hours", "€29.00",
			// In blocks named "category-description" and "product-caption",
			// which around an article would be furniture.
			"Glazed by hand, 350 ml.", "Light enough for a rucksack.",
		},
		dropped: []string{"Bowls", "Privacy", "© Example Shop"},
	},
	{
		// A consultancy's page of sections, which its CMS calls an
		// article (og:type) with no publication time: every section is
		// the content, not the longest one alone.
		name:     "service",
		url:      "https://northwind.example/services/data-analytics",
		headline: "Data analytics consulting",
		keep: []string{
			"Turn the data you already collect", "Why analytics projects stall", "a shared definition of the numbers",
			"Data strategy", "warehouses and pipelines", "a semantic layer", "from nine days to four",
			"How long does an engagement take?", "only what holds you back", "within two working days",
		},
		dropped: []string{"Industries", "Related services", "Cloud migration", "All rights reserved", "Privacy"},
	},
	{
		// A job board's search results: every card is the content, with
		// its link; the filters, the result count, the controls and the
		// related searches are not.
		name:     "listing",
		url:      "https://jobs.example.org/jobs/go?remote=1",
		headline: "Remote Go jobs",
		kind:     extract.PageListing,
		keep: []string{
			"posted or refreshed in the last seven days", "Senior Go engineer, payments platform",
			"Backend developer (Go, gRPC)", "Site reliability engineer", "Go developer, open-source maintainer",
			"a lot of careful retries", "Fernhill Foundation", "€90k–€110k",
		},
		dropped: []string{"remember your searches", "Log in", "Filter results", "Full-time (38)",
			"Showing 1–4 of 47", "Sort by", "Apply now", "Related searches", "Remote Rust jobs",
			"Get new Go jobs", "Privacy"},
	},
	{
		// A documentation page: its prose, code, table and warning, and
		// none of the sidebar, breadcrumbs, table of contents, "edit this
		// page", pager or feedback widget.
		name:     "docs",
		url:      "https://tern.example.dev/docs/clients/retries",
		headline: "Configuring retries",
		kind:     extract.PageDocumentation,
		keep: []string{
			"never retries a request whose body it cannot replay", "The retry policy", "full jitter",
			"MaxAttempts: 4,", "the longest delay between two attempts", "can apply it twice",
			"tern.WithRetry(ctx",
		},
		dropped: []string{"Installation", "Quickstart", "Tracing", "Docs / Clients", "On this page",
			"Edit this page", "Last updated", "« Timeouts", "Was this page helpful", "Search docs", "Privacy"},
	},
}

// TestMainContentGolden extracts the main content of each page in
// testdata/main as markdown and text and compares them with
// NAME.golden.md and NAME.golden.txt (run with -update to rewrite them, then
// read the diff).
func TestMainContentGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "main", "*.html"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(mainPages) {
		t.Errorf("testdata/main has %d pages, mainPages lists %d", len(files), len(mainPages))
	}
	x := extract.New()
	for _, page := range mainPages {
		t.Run(page.name, func(t *testing.T) {
			input, err := os.ReadFile(filepath.Join("testdata", "main", page.name+".html"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := x.Extract(&render.Page{URL: page.url, HTML: string(input)}, &render.Request{
				Formats:         []render.Format{render.FormatMarkdown, render.FormatText, render.FormatMetadata},
				OnlyMainContent: true,
			})
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			if page.kind != "" && got.Metadata.PageType != page.kind {
				t.Errorf("page type %q, want %q", got.Metadata.PageType, page.kind)
			}
			for _, want := range page.keep {
				for format, out := range map[string]string{"markdown": got.Markdown, "text": got.Text} {
					// Markdown escapes the pipe inside a table cell.
					if !strings.Contains(out, want) && !strings.Contains(out, strings.ReplaceAll(want, "|", `\|`)) {
						t.Errorf("%s lost %q", format, want)
					}
				}
			}
			for _, unwanted := range page.dropped {
				for format, out := range map[string]string{"markdown": got.Markdown, "text": got.Text} {
					if strings.Contains(out, unwanted) {
						t.Errorf("%s kept %q", format, unwanted)
					}
				}
			}
			if !strings.HasPrefix(got.Markdown, "# "+page.headline+"\n") {
				t.Errorf("markdown does not start with the headline %q", page.headline)
			}
			if strings.Contains(got.Text, page.headline) {
				t.Errorf("text kept the headline %q", page.headline)
			}
			compareGolden(t, filepath.Join("testdata", "main", page.name+".golden.md"), got.Markdown)
			compareGolden(t, filepath.Join("testdata", "main", page.name+".golden.txt"), got.Text)
		})
	}
}

func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(strings.TrimSuffix(string(want), "\n"), got); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

// TestMainContentFallbacks covers pages without an article to find: the
// body is kept rather than nothing.
func TestMainContentFallbacks(t *testing.T) {
	tests := []struct {
		name, html, want string
	}{
		{"no body text", `<html><body></body></html>`, ""},
		{"one short line", `<p>Hello, world.</p>`, "Hello, world."},
		{"text straight in the body", `<body>Just some words in the body, no markup at all, and quite a few of them.</body>`, "Just some words in the body, no markup at all, and quite a few of them."},
		{"all in a navigation wrapper", `<nav><p>Everything on this page sits inside a nav element, which is unusual but happens on small sites.</p></nav>`,
			"Everything on this page sits inside a nav element, which is unusual but happens on small sites."},
		{"an ASP.NET form around the page", `<body><form id="aspnetForm"><ul class="menu"><li><a href="/">Home</a></li></ul>
			<div class="text"><p>The article of an ASP.NET page lives inside the one form that wraps the whole page, with its viewstate.</p>
			<p>A second paragraph, so that there is something like an article to find here, with commas, and more.</p></div></form></body>`,
			"The article of an ASP.NET page lives inside the one form that wraps the whole page, with its viewstate.\n\nA second paragraph, so that there is something like an article to find here, with commas, and more."},
		{"a small page of sections side by side", `<body><nav><a href="/">Home</a> <a href="/about">About</a></nav>
			<h1>About us</h1><p>We make widgets in Lyon, since 1998.</p><h2>Our offices</h2>
			<section><h3>Lyon</h3><p>Our workshop and head office, by the river, with forty people.</p></section>
			<section><h3>Montréal</h3><p>Sales for the Americas, opened in 2015, with six people.</p></section>
			<section><h3>Osaka</h3><p>Sales for Asia, opened in 2021, with three people so far.</p></section>
			<footer>© Widgets SA</footer></body>`,
			"We make widgets in Lyon, since 1998.\n\nOur offices\n\nLyon\n\nOur workshop and head office, by the river, with forty people.\n\nMontréal\n\nSales for the Americas, opened in 2015, with six people.\n\nOsaka\n\nSales for Asia, opened in 2021, with three people so far."},
	}
	x := extract.New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := x.Extract(&render.Page{URL: "https://example.com/", HTML: tt.html}, &render.Request{
				Formats: []render.Format{render.FormatText}, OnlyMainContent: true,
			})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got.Text); diff != "" {
				t.Errorf("text (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMainContentHTML checks that the html format is narrowed too, and
// stays cleaned.
func TestMainContentHTML(t *testing.T) {
	input, err := os.ReadFile(filepath.Join("testdata", "main", "news.html"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := extract.New().Extract(&render.Page{URL: "https://news.example.com/", HTML: string(input)}, &render.Request{
		Formats: []render.Format{render.FormatHTML}, OnlyMainContent: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got.HTML, "<table>") || !strings.Contains(got.HTML, `href="https://news.example.com/topics/parks-department"`) {
		t.Errorf("html lost the article's table or its absolute link:\n%s", got.HTML)
	}
	for _, unwanted := range []string{"<script", "cookie", "<nav", "Most read", "<footer"} {
		if strings.Contains(got.HTML, unwanted) {
			t.Errorf("html kept %q", unwanted)
		}
	}
}

func TestTagFilters(t *testing.T) {
	const page = `<html><head><title>T</title></head><body>
		<nav class="menu"><a href="/a">Menu link</a></nav>
		<div id="intro"><p>Intro paragraph.</p></div>
		<article><h2>Heading</h2><p class="lead">Lead paragraph.</p><p>Body paragraph.</p>
			<div class="ad">Buy things</div></article>
		<footer><p>Footer text.</p></footer>
	</body></html>`
	tests := []struct {
		name             string
		include, exclude []string
		want             string
	}{
		{"no filters", nil, nil, "Menu link\n\nIntro paragraph.\n\nHeading\n\nLead paragraph.\n\nBody paragraph.\n\nBuy things\n\nFooter text."},
		{"exclude", nil, []string{"nav", "footer", ".ad"}, "Intro paragraph.\n\nHeading\n\nLead paragraph.\n\nBody paragraph."},
		{"include", []string{"article"}, nil, "Heading\n\nLead paragraph.\n\nBody paragraph.\n\nBuy things"},
		{"include several, in document order", []string{"p.lead", "#intro"}, nil, "Intro paragraph.\n\nLead paragraph."},
		{"a selector list in one string", []string{"#intro, footer"}, nil, "Intro paragraph.\n\nFooter text."},
		{"include and exclude", []string{"article"}, []string{".ad", "h2"}, "Lead paragraph.\n\nBody paragraph."},
		{"an excluded ancestor wins", []string{"p"}, []string{"article"}, "Intro paragraph.\n\nFooter text."},
		{"nothing matches", []string{"table"}, nil, ""},
		{"a direct child of body", []string{"footer"}, nil, "Footer text."},
	}
	x := extract.New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := x.Extract(&render.Page{URL: "https://example.com/", HTML: page}, &render.Request{
				Formats:     []render.Format{render.FormatText, render.FormatLinks},
				IncludeTags: tt.include,
				ExcludeTags: tt.exclude,
			})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got.Text); diff != "" {
				t.Errorf("text (-want +got):\n%s", diff)
			}
			// Links read the whole page whatever the filters.
			if len(got.Links) != 1 {
				t.Errorf("links = %v, want the menu link", got.Links)
			}
		})
	}
}

func TestTagFilterErrors(t *testing.T) {
	x := extract.New()
	for _, req := range []*render.Request{
		{IncludeTags: []string{"div["}},
		{ExcludeTags: []string{"p", ":nth-child(x)"}},
		{IncludeTags: []string{"a >"}},
	} {
		_, err := x.Extract(&render.Page{HTML: "<p>x</p>"}, req)
		if !errors.Is(err, render.ErrInvalidRequest) {
			t.Errorf("Extract with %q / %q: error %v, want one wrapping ErrInvalidRequest", req.IncludeTags, req.ExcludeTags, err)
			continue
		}
		if err := x.CheckRequest(req); !errors.Is(err, render.ErrInvalidRequest) {
			t.Errorf("CheckRequest with %q / %q: error %v, want one wrapping ErrInvalidRequest", req.IncludeTags, req.ExcludeTags, err)
		}
		if !strings.Contains(err.Error(), "Tags[") {
			t.Errorf("error %q does not say which selector is wrong", err)
		}
	}
	if err := x.CheckRequest(&render.Request{IncludeTags: []string{"main article > p:first-of-type", "[data-x='1']"}}); err != nil {
		t.Errorf("CheckRequest refused valid selectors: %v", err)
	}
	if err := x.CheckRequest(&render.Request{ExcludeTags: []string{"div:has(p:has(a))"}}); !errors.Is(err, render.ErrInvalidRequest) {
		t.Errorf("nested :has(): error %v, want one wrapping ErrInvalidRequest", err)
	}
}

// TestTagFilterCost checks that selectors whose matching scans every
// sibling are refused on pages where that would be quadratic, and only
// there.
func TestTagFilterCost(t *testing.T) {
	wide := "<ul>" + strings.Repeat("<li>item</li>", 5000) + "</ul>"
	narrow := "<ul>" + strings.Repeat("<li>item</li>", 50) + "</ul>"
	x := extract.New()
	tests := []struct {
		selector string
		page     string
		refused  bool
	}{
		{"li:nth-child(2n)", wide, true},
		{"li ~ li", wide, true},
		{"li:last-of-type", wide, true},
		{"li:nth-child(2n)", narrow, false},
		{"li + li", wide, false},
		{"[class~=x]", wide, false},
		{"ul > li", wide, false},
	}
	for _, tt := range tests {
		_, err := x.Extract(&render.Page{HTML: tt.page}, &render.Request{Formats: []render.Format{render.FormatText}, ExcludeTags: []string{tt.selector}})
		if refused := errors.Is(err, render.ErrInvalidRequest); refused != tt.refused || (err != nil && !refused) {
			t.Errorf("%q on %d bytes: error %v, want refused=%v", tt.selector, len(tt.page), err, tt.refused)
		}
	}
}

func TestMaxChars(t *testing.T) {
	const page = `<h1>Title</h1><p>First paragraph, short.</p><p>Second paragraph, a little longer than the first.</p>
		<pre><code class="language-sh">echo one

echo two

echo three

echo four</code></pre><p>Last paragraph, which is long enough to push the whole page well past the budget of this test case.</p>`
	tests := []struct {
		name     string
		maxChars int
		format   render.Format
		want     string
	}{
		{"no cap", 0, render.FormatText, "Title\n\nFirst paragraph, short.\n\nSecond paragraph, a little longer than the first.\n\necho one\n\necho two\n\necho three\n\necho four\n\nLast paragraph, which is long enough to push the whole page well past the budget of this test case."},
		{"cap above the length", 1000, render.FormatText, "Title\n\nFirst paragraph, short.\n\nSecond paragraph, a little longer than the first.\n\necho one\n\necho two\n\necho three\n\necho four\n\nLast paragraph, which is long enough to push the whole page well past the budget of this test case."},
		{"text cut after a paragraph", 90, render.FormatText, "Title\n\nFirst paragraph, short.\n\n[… 195 more characters left out by maxChars]"},
		{"markdown cut after a paragraph", 100, render.FormatMarkdown, "# Title\n\nFirst paragraph, short.\n\n[… 205 more characters left out by maxChars]"},
		// The budget ends inside the code block, after its blank line:
		// the cut goes before the fence instead.
		{"markdown never cut inside fenced code", 166, render.FormatMarkdown, "# Title\n\nFirst paragraph, short.\n\nSecond paragraph, a little longer than the first.\n\n[… 154 more characters left out by maxChars]"},
		{"budget below the marker", 10, render.FormatText, "[… 225 more characters left out by maxChars]"},
	}
	x := extract.New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := x.Extract(&render.Page{HTML: page}, &render.Request{Formats: []render.Format{tt.format}, MaxChars: tt.maxChars})
			if err != nil {
				t.Fatal(err)
			}
			out := got.Text + got.Markdown
			if diff := cmp.Diff(tt.want, out); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if n := len([]rune(out)); tt.maxChars > 50 && n > tt.maxChars {
				t.Errorf("%d characters, over the cap of %d", n, tt.maxChars)
			}
		})
	}
}

// TestUtilityClassesAreNotFurniture checks that a block is not left out
// for a utility class that merely holds a furniture word: "overflow-hidden"
// clips a card, it does not hide it, where "is-hidden" does.
func TestUtilityClassesAreNotFurniture(t *testing.T) {
	card := func(title, text string) string {
		return `<article class="overflow-hidden p24 rounded"><h2><a href="/p/` + title + `">` + title + `</a></h2><p>` + text + `</p></article>`
	}
	page := `<html><head><script type="application/ld+json">{"@type":"ItemList"}</script></head><body>
		<nav><a href="/">Home</a> <a href="/blog">Blog</a></nav><main><h1>Latest articles</h1>` +
		card("Making AI tools people use", "A recap of what we learned at the conference, from interoperability to knowledge architecture.") +
		card("Commit messages that age well", "Even commit messages must heed the sands of time, and a few habits help them do so.") +
		`<div class="is-hidden"><p>Brief content visible, double tap to read the full content.</p></div></main><footer>© Example</footer></body></html>`
	got, err := extract.New().Extract(&render.Page{URL: "https://blog.example/", HTML: page}, &render.Request{
		Formats: []render.Format{render.FormatText}, OnlyMainContent: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	mustKeep(t, got.Text, "from interoperability", "sands of time")
	if strings.Contains(got.Text, "double tap") {
		t.Errorf("kept the block its class hides: %q", got.Text)
	}
}

// TestServiceSections checks that the sections of a page built of blocks
// stay, whatever their builder calls them ("hero-banner", "promo-block",
// "elementor-widget-heading"), while the page's furniture goes.
func TestServiceSections(t *testing.T) {
	page := `<html><head><title>Pest control – Acme</title></head><body>
		<header><nav><a href="/">Home</a> <a href="/services">Services</a> <a href="/contact">Contact</a></nav></header>
		<main>
		<section class="hero-banner"><h2>Pest control you can count on</h2><p>Local technicians, same-day visits and a guarantee on every treatment.</p></section>
		<section class="features"><div class="elementor-widget-heading"><h2>Why homeowners choose us</h2></div>
		<div class="elementor-widget-text-editor"><p>We treat the cause, not the symptom, so the ants do not come back next month.</p></div></section>
		<section class="promo-block"><h2>Spring offer</h2><p>Book a first inspection before May and it is free of charge.</p></section>
		<section class="services"><h2>What we treat</h2><ul><li>Ants and cockroaches</li><li>Mice and rats</li><li>Wasps and bees</li><li>Bed bugs</li></ul></section>
		</main>
		<div class="newsletter-signup"><p>Sign up for seasonal pest alerts.</p></div>
		<footer><p>© Acme Pest Control</p></footer></body></html>`
	got, err := extract.New().Extract(&render.Page{URL: "https://acme.example/", HTML: page}, &render.Request{
		Formats: []render.Format{render.FormatText, render.FormatMetadata}, OnlyMainContent: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Metadata.PageType != extract.PageService {
		t.Errorf("page type %q, want %q", got.Metadata.PageType, extract.PageService)
	}
	mustKeep(t, got.Text, "Local technicians", "Why homeowners choose us", "not the symptom", "Spring offer", "free of charge", "Bed bugs")
	mustDrop(t, got.Text, "Contact", "seasonal pest alerts", "Acme Pest Control")
}

// TestArticleMarkupOnAPageOfSections checks that a page its CMS marks as
// an article (og:type, a publication time), whose one paragraph of prose is a scrap beside sections of
// short lines three times its size, keeps its sections: the markup is the
// CMS's default, not a story.
func TestArticleMarkupOnAPageOfSections(t *testing.T) {
	section := func(title string, items ...string) string {
		return `<section class="offer"><h2>` + title + `</h2><ul><li>` + strings.Join(items, `</li><li>`) + `</li></ul></section>`
	}
	page := `<html><head><meta property="og:type" content="article"><meta property="article:published_time" content="2024-03-01T09:00:00Z"></head><body>
		<nav><a href="/">Home</a> <a href="/services">Services</a></nav><main>
		<div class="intro"><p>Our consultants help growing companies build human resources practices that fit them, from hiring and onboarding to pay, policy and compliance, so that leaders can spend their time on the business.</p></div>` +
		section("Workforce planning", "Headcount forecasts for each department", "Succession plans for key roles", "Skills gap reviews every year") +
		section("Compensation", "Salary benchmarks against your industry", "Bonus and equity plan design", "Pay equity audits with remediation") +
		section("Compliance", "Handbook reviews by employment lawyers", "Leave and overtime policy updates", "Training for managers on investigations") +
		section("Outsourced HR", "A named HR business partner", "Payroll and benefits administration", "Employee relations casework handled") +
		`</main><footer>© Example Advisors</footer></body></html>`
	got, err := extract.New().Extract(&render.Page{URL: "https://advisors.example/services/hr-consulting/", HTML: page}, &render.Request{
		Formats: []render.Format{render.FormatText}, OnlyMainContent: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	mustKeep(t, got.Text, "build human resources practices", "Succession plans", "Pay equity audits", "Handbook reviews", "named HR business partner")
	if strings.Contains(got.Text, "Example Advisors") {
		t.Errorf("kept the footer: %q", got.Text)
	}
}

// TestAccordionMarkedAsTabs checks that an accordion whose wrapper says
// role="tablist" keeps its panels: a list of tabs is furniture, but one
// that holds its panels is the whole widget, and the panels are content.
func TestAccordionMarkedAsTabs(t *testing.T) {
	panel := func(id, title, text string) string {
		return `<div class="accordion-item" role="tab"><h2><button aria-controls="` + id + `">` + title + `</button></h2>` +
			`<div id="` + id + `" class="collapse" role="tabpanel"><ul><li>` + text + `</li></ul></div></div>`
	}
	page := `<html><body><nav><a href="/">Home</a> <a href="/rebates">Rebates</a></nav><main>
		<div class="intro"><p>A smart thermostat learns your schedule, and households that use one save about fifty dollars a year on heating and cooling.</p>
		<p>It turns the heating down when the house is empty, and warms it up again before anyone comes home, so no one notices the savings but the bill.</p>
		<p>Most models work with an app, so the temperature can be changed from anywhere, and they report how much energy the home used each month.</p></div>
		<div class="accordion" role="tablist">` +
		panel("p1", "Eligibility", "The thermostat must control a system with electric or gas heating, or central air conditioning.") +
		panel("p2", "How to apply", "Send the application with a copy of the invoice within ninety days of the purchase.") +
		`</div></main><footer>© Example Energy</footer></body></html>`
	got, err := extract.New().Extract(&render.Page{URL: "https://energy.example/smart-thermostats", HTML: page}, &render.Request{
		Formats: []render.Format{render.FormatText}, OnlyMainContent: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	mustKeep(t, got.Text, "learns your schedule", "electric or gas heating", "within ninety days")
}

// TestArticleMarkupBesideLongerSections checks that a page whose markup
// says it is an article, where the article found is one block of prose
// beside sections of lists holding twice as much, keeps the sections:
// the page is a service's sections, and its introduction was taken for
// the story.
func TestArticleMarkupBesideLongerSections(t *testing.T) {
	var page strings.Builder
	page.WriteString(`<html><head><script type="application/ld+json">{"@type":"Article","headline":"Marketing and advertising"}</script></head><body>
		<nav><a href="/">Home</a> <a href="/services">Services</a></nav><main>
		<section class="intro-wrap"><div class="container"><div class="intro"><p>` +
		strings.Repeat("Marketing and advertising, done together, build a brand that customers know, trust and come back to, year after year. ", 17) +
		`</p></div></div></section>`)
	benefits := []string{"Greater brand visibility", "Greater customer interaction", "More sales and revenue", "A competitive advantage", "Loyal customers", "Better decisions"}
	for _, section := range []string{"Strategy", "Campaigns", "Measurement", "Support", "Content", "Search"} {
		page.WriteString(`<section class="benefits"><div class="container"><h2>` + section + `</h2><ul>`)
		for _, b := range benefits {
			page.WriteString(`<li>` + section + `: ` + strings.ToLower(b) + ` comes from campaigns that reach the right people with a clear message at the right time.</li>`)
		}
		page.WriteString(`</ul></div></section>`)
	}
	page.WriteString(`</main><footer>© Example Agency</footer></body></html>`)
	got, err := extract.New().Extract(&render.Page{URL: "https://agency.example/services/marketing/", HTML: page.String()}, &render.Request{
		Formats: []render.Format{render.FormatText}, OnlyMainContent: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	mustKeep(t, got.Text, "build a brand", "Strategy: greater customer interaction comes from", "Support: better decisions comes from")
	if strings.Contains(got.Text, "Example Agency") {
		t.Errorf("kept the footer: %q", got.Text)
	}
}

// TestGuideOfManySections checks that a page marked as an article, where
// the best-scoring block of prose holds under half of the main region's
// prose and under a third of its paragraphs, keeps the whole region: the
// page is a guide of many sections, and the finder took one of them for
// the story.
func TestGuideOfManySections(t *testing.T) {
	var page strings.Builder
	page.WriteString(`<html><head><script type="application/ld+json">{"@type":"Article","headline":"A year in the garden"}</script></head><body>
		<nav><a href="/">Home</a> <a href="/posts">Posts</a></nav><main>
		<div class="intro-wrap"><div class="container"><section class="intro">`)
	for i := 0; i < 3; i++ {
		page.WriteString(`<p>` + strings.Repeat("Looking back, with joy, on roses, tulips, dahlias, beans, and the rest, ", 12) + `</p>`)
	}
	page.WriteString(`</section></div></div>`)
	for _, month := range []string{"Spring", "Summer", "Autumn"} {
		page.WriteString(`<div class="guide"><div class="container"><section><h2>` + month + `</h2>`)
		for i := 0; i < 9; i++ {
			page.WriteString(`<p>In ` + strings.ToLower(month) + ` the beds needed work number ` + string(rune('a'+i)) +
				` and we did it before the rain came back again. The soil was heavy and wet so we added compost and sand to every bed and waited for a dry week to plant.</p>`)
		}
		page.WriteString(`</section></div></div>`)
	}
	page.WriteString(`</main><footer>© Example Garden</footer></body></html>`)
	got, err := extract.New().Extract(&render.Page{URL: "https://garden.example/posts/a-year-in-the-garden", HTML: page.String()}, &render.Request{
		Formats: []render.Format{render.FormatText, render.FormatMetadata}, OnlyMainContent: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	mustKeep(t, got.Text, "roses, tulips", "In spring the beds needed work number a", "In autumn the beds needed work number i")
	if strings.Contains(got.Text, "Example Garden") {
		t.Errorf("kept the footer: %q", got.Text)
	}
}

// TestCookieDialogOutweighingCards checks that a consent dialog stays out
// even when its descriptions hold more prose than the page's cards,
// whose text is links.
func TestCookieDialogOutweighingCards(t *testing.T) {
	var page strings.Builder
	page.WriteString(`<html><body><nav><a href="/">Recipes</a></nav><main><h1>Tomato sauce recipes</h1>
		<p>Our collection of tomato sauce recipes has something for every dish.</p><ul>`)
	for _, r := range []string{"Slow-cooker pork ragù", "Spaghetti and meatballs", "Sweet and spicy tomato chutney", "Pasta with nduja sauce", "Butter chicken"} {
		page.WriteString(`<li class="card"><a href="/r/1"><span class="card-title">` + r + `</span></a></li>`)
	}
	page.WriteString(`</ul></main><div id="privacy-center"><div role="dialog" aria-label="Your privacy">`)
	for _, purpose := range []string{"measure traffic", "personalise advertising", "remember your settings"} {
		page.WriteString(`<h4>Cookies that ` + purpose + `</h4><p>These cookies let us and our partners ` + purpose +
			`, build a profile of your interests and show you relevant content on other sites, and they cannot be switched off in our systems without consequences for the site.</p>`)
	}
	page.WriteString(`</div></div><footer>© Recipes</footer></body></html>`)
	res := extractMain(t, "https://recipes.example/tomato-sauce-recipes", page.String())
	mustKeep(t, res.Text, "something for every dish", "Spaghetti and meatballs", "Butter chicken")
	if strings.Contains(res.Text, "cookies") {
		t.Errorf("kept the cookie dialog:\n%s", res.Text)
	}
}

// TestOtherProductsCards checks that a product page's row of other
// products' cards (a link and a price each) is left out, whatever its
// heading calls it, while the product's own price and description stay.
func TestOtherProductsCards(t *testing.T) {
	var page strings.Builder
	page.WriteString(`<html><head><script type="application/ld+json">{"@type":"Product","name":"Iris dress"}</script></head>
		<body><nav><a href="/">Shop</a></nav><main><h1>Iris dress</h1><p class="price">$149.00</p>
		<div class="summary"><p>We are in love with the Iris dress: three layers of flowy hemp, a side zip, and a pocket on the right side.</p>
		<ul><li>Materials: 100% hemp</li><li>Care: dry clean only</li></ul></div>
		<section><h2>Pairs well with</h2><div class="grid">`)
	for _, p := range []string{"Coffee bags dress", "Red short dress", "Lenzing shirt dress", "Ichigo dress"} {
		page.WriteString(`<div class="item"><a href="/p/x"><img src="/x.jpg" alt=""><span>` + p + `</span></a><span class="amount">$213.12</span><span>In stock</span></div>`)
	}
	page.WriteString(`</div></section></main><footer>© Shop</footer></body></html>`)
	res := extractMain(t, "https://shop.example/p/iris-dress", page.String())
	mustKeep(t, res.Text, "$149.00", "three layers of flowy hemp", "dry clean only")
	mustDrop(t, res.Text, "Coffee bags dress", "$213.12")
}

// TestCardGridNamedForAds checks that on a listing the grid of its story
// cards stays though its wrapper's name says it also places ads, while a
// grid of related links beside it goes.
func TestCardGridNamedForAds(t *testing.T) {
	var page strings.Builder
	page.WriteString(`<html><body><nav><a href="/">News</a></nav><main><h1>Science</h1><div class="grid">`)
	for _, story := range []string{"The CDC has a leadership crisis", "Digital twins help people manage diabetes", "Big tech signs a data center pledge", "What the Artemis crew eats"} {
		page.WriteString(`<div class="card"><h3><a href="/story/2">` + story + `</a></h3><p>Why it happened, who is involved, and what comes next for the people it touches.</p><time>March 5</time></div>`)
	}
	page.WriteString(`</div><div class="grid with-ads">`)
	for _, story := range []string{"Left-handed people are more competitive", "Sleep apnea often goes undetected", "A galaxy made of dark matter", "The physics of the quadruple axel"} {
		page.WriteString(`<div class="card"><h3><a href="/story/1">` + story + `</a></h3><p>What the study found, who ran it, and what it means for the rest of us.</p><time>March 6</time></div>`)
	}
	page.WriteString(`</div><div class="related-grid with-ads">`)
	for _, other := range []string{"Gear we tested", "The best laptops", "Our favourite headphones"} {
		page.WriteString(`<div class="card"><h3><a href="/gear/1">` + other + `</a></h3><p>Reviews and buying advice from the people who tried them.</p></div>`)
	}
	page.WriteString(`</div></main><footer>© News</footer></body></html>`)
	res := extractMain(t, "https://news.example/category/science/", page.String())
	mustKeep(t, res.Text, "Left-handed people", "quadruple axel", "what it means for the rest of us")
	if strings.Contains(res.Text, "Gear we tested") {
		t.Errorf("kept the related grid:\n%s", res.Text)
	}
}

// TestCardHeaders checks that the cards of a listing, each an <article>
// whose title and summary sit in its <header>, keep them: a header is the
// page's banner only outside an article.
func TestCardHeaders(t *testing.T) {
	var page strings.Builder
	page.WriteString(`<html><body><header><nav><a href="/">Tech news</a> <a href="/mac">Mac</a></nav></header><main><h1>Headphones</h1><section>`)
	for _, story := range []string{"Beats Solo 4 gains new colours", "Hands on with live translation", "New firmware for the USB-C model", "The Lightning adapter is discontinued"} {
		page.WriteString(`<article class="river-article"><header><h2><a href="/articles/1">` + story + `</a></h2>
			<p><a href="/articles/1">What changed, what it costs and when it ships, from our editors.</a></p></header></article>`)
	}
	page.WriteString(`</section><button>Load more</button></main><footer><p>© Tech news</p></footer></body></html>`)
	res := extractMain(t, "https://technews.example/topic/headphones", page.String())
	mustKeep(t, res.Text, "Beats Solo 4 gains new colours", "The Lightning adapter is discontinued", "what it costs")
	if strings.Contains(res.Text, "Mac") {
		t.Errorf("kept the page's header:\n%s", res.Text)
	}
}

// TestCardsWithReadingTimes checks that the short cards of a blog's
// listing, each a title, an author and "3 min read", stay: the reading
// time makes a line of its own furniture, not the card it sits in.
func TestCardsWithReadingTimes(t *testing.T) {
	var page strings.Builder
	page.WriteString(`<html><body><nav><a href="/">Tech blog</a> <a href="/about">About</a></nav><main><div class="feed">`)
	for _, story := range []string{"Scaling global storytelling", "Vector API for recommendations", "Modernizing localization analytics", "A faster image diff tool"} {
		page.WriteString(`<article><div class="card"><a href="/p/1"><h2>` + story + `</h2></a><p>Ann Writer</p><span>3 min read</span></div></article>`)
	}
	page.WriteString(`</div></main><footer><p>© Tech blog</p></footer></body></html>`)
	res := extractMain(t, "https://blog.example/", page.String())
	mustKeep(t, res.Text, "Scaling global storytelling", "A faster image diff tool")
}

// TestListedBlocksNamedAsFurniture checks that a category page's run of
// repeated blocks, most of its text, stays though each block's name reads
// as furniture ("recirc-list"), wrappers within them and all.
func TestListedBlocksNamedAsFurniture(t *testing.T) {
	var page strings.Builder
	page.WriteString(`<html><body><nav><a href="/">Recipes</a></nav><main><h1>Dinner recipes</h1>
		<p>What's for dinner? Take the work out of searching with these popular five-star dinner recipes.</p><div class="lists">`)
	for _, group := range []string{"Gumbo", "Tacos", "Casseroles", "Soups"} {
		page.WriteString(`<div class="recirc-list-container"><div class="recirc-list card-list">`)
		for _, n := range []string{"Ten must-make", "Our favourite", "Easy weeknight"} {
			page.WriteString(`<a class="card" href="/r/1"><span class="card-title">` + n + ` ` + group + ` recipes</span></a>`)
		}
		page.WriteString(`</div></div>`)
	}
	page.WriteString(`</div><div class="recirc-widget"><a href="/x">Subscribe to our magazine</a></div></main><footer>© Recipes</footer></body></html>`)
	res := extractMain(t, "https://recipes.example/collections/dinner", page.String())
	mustKeep(t, res.Text, "Ten must-make Gumbo recipes", "Easy weeknight Soups recipes", "five-star dinner recipes")
	if strings.Contains(res.Text, "magazine") {
		t.Errorf("kept the widget:\n%s", res.Text)
	}
}

// TestManualOfSections checks that a documentation page made of sibling
// sections alike in class, each under its heading, keeps all of them,
// not only its longest one.
func TestManualOfSections(t *testing.T) {
	var page strings.Builder
	page.WriteString(`<html><body><nav><a href="/docs">Docs</a></nav><div id="main"><h1>git-commit(1)</h1>
		<div class="sect1"><h2>NAME</h2><div class="sectionbody"><p>git-commit - Record changes to the repository</p></div></div>
		<div class="sect1"><h2>SYNOPSIS</h2><div class="sectionbody"><pre>git commit [-a] [--amend] [-m msg]</pre></div></div>
		<div class="sect1"><h2>DESCRIPTION</h2><div class="sectionbody"><p>Create a new commit containing the current contents of the index and the given log message describing the changes.</p></div></div>
		<div class="sect1"><h2>OPTIONS</h2><div class="sectionbody"><dl>`)
	for i := range 40 {
		o := "option-" + strconv.Itoa(i)
		page.WriteString(`<dt><code>--` + o + `</code></dt><dd><p>Tell the command to ` + o + `, which changes how the commit is made, recorded, or shown, in the ways described here at some length.</p></dd>`)
	}
	page.WriteString(`</dl></div></div></div><footer>© Git</footer></body></html>`)
	res := extractMain(t, "https://git.example/docs/git-commit", page.String())
	mustKeep(t, res.Text, "Record changes to the repository", "git commit [-a]", "Create a new commit", "--option-39")
}

// TestDocumentLeadInItsHeader checks that a reference page's
// introduction, which sits with its title in a wrapper named for the
// layout's header, stays with the reference below it.
func TestDocumentLeadInItsHeader(t *testing.T) {
	var page strings.Builder
	page.WriteString(`<html><body><nav><a href="/docs">Docs</a></nav><main><div class="layout__header"><h1>WebSocket</h1>
		<section><p>The WebSocket object provides the API for creating and managing a connection to a server, and for sending and receiving data on it.</p>
		<p>To construct a WebSocket, use the WebSocket() constructor.</p></section></div><div class="layout__body">`)
	for _, s := range []string{"Constructor", "Instance properties", "Instance methods", "Events", "Examples"} {
		page.WriteString(`<section class="content-section"><h2>` + s + `</h2><p>The ` + s + ` of the interface, each with what it does, its arguments, and what it returns when called, in a few sentences.</p><pre><code>const socket = new WebSocket("ws://localhost:8080");</code></pre></section>`)
	}
	page.WriteString(`</div></main><footer>© Docs</footer></body></html>`)
	res := extractMain(t, "https://developer.example/docs/Web/API/WebSocket", page.String())
	mustKeep(t, res.Text, "provides the API for creating", "WebSocket() constructor", "Instance methods")
}

// TestCardsPrintedTwice checks that a listing whose cards print their
// title and date twice, once per layout, reads each once, while a
// sentence each card repeats stays in each.
func TestCardsPrintedTwice(t *testing.T) {
	var page strings.Builder
	page.WriteString(`<html><body><nav><a href="/">Events</a></nav><main><h1>Tech conferences</h1><ul class="results">`)
	for _, event := range []string{"Tech writing meetup", "Women in tech day", "Green tech pitch night", "STEM educators clinic"} {
		page.WriteString(`<li class="event"><div class="small"><h3>` + event + `</h3><p>Wed, Apr 1, 10:00 AM</p></div>
			<div class="wide"><h3>` + event + `</h3><p>Wed, Apr 1, 10:00 AM</p><p>Free</p></div><p>Bring a laptop and a friend.</p></li>`)
	}
	page.WriteString(`</ul></main><footer>© Events</footer></body></html>`)
	res := extractMain(t, "https://events.example/category/tech-conferences/", page.String())
	if n := strings.Count(res.Text, "Women in tech day"); n != 1 {
		t.Errorf("the title %d times:\n%s", n, res.Text)
	}
	if n := strings.Count(res.Text, "Bring a laptop"); n != 4 {
		t.Errorf("the repeated sentence %d times:\n%s", n, res.Text)
	}
}

// TestDataTableNamedForItsLook checks that a table of data whose class
// names how it looks ("sticky-header") stays in an article, its cells
// links and all.
func TestDataTableNamedForItsLook(t *testing.T) {
	var page strings.Builder
	page.WriteString(`<html><head><title>List of laureates</title></head><body><nav><a href="/">Encyclopedia</a></nav><div id="content">
		<h1>List of laureates</h1>
		<p>The prizes are awarded annually by the academies, for outstanding contributions in physics, chemistry, medicine and literature, and they have been since the first ceremony in 1901.</p>
		<p>Different organisations are responsible for awarding the individual prizes, and each announces its laureates in October, before the ceremony in December.</p>
		<table class="wikitable sortable sticky-header"><tr><th>Year</th><th>Physics</th><th>Chemistry</th></tr>`)
	for _, row := range [][3]string{{"1901", "Wilhelm Röntgen", "Jacobus van 't Hoff"}, {"1902", "Hendrik Lorentz", "Emil Fischer"}, {"1903", "Marie Curie", "Svante Arrhenius"}} {
		page.WriteString(`<tr><td>` + row[0] + `</td><td><a href="/w/1">` + row[1] + `</a></td><td><a href="/w/2">` + row[2] + `</a></td></tr>`)
	}
	page.WriteString(`</table></div><footer>© Encyclopedia</footer></body></html>`)
	res := extractMain(t, "https://encyclopedia.example/wiki/List_of_laureates", page.String())
	mustKeep(t, res.Text, "Wilhelm Röntgen", "Svante Arrhenius", "before the ceremony")
}

// TestPostsInAModerationForm checks that a thread whose posts sit in the
// form moderators tick them in keeps them: the form is prose, not fields.
func TestPostsInAModerationForm(t *testing.T) {
	var page strings.Builder
	page.WriteString(`<html><head><title>New case ports</title><script type="application/ld+json">{"@type":"DiscussionForumPosting","headline":"New case ports"}</script></head><body>
		<header><a href="/">Forums</a> <a href="/latest">Latest</a> <a href="/members">Members</a><p>Welcome to the community forums, where owners help each other with builds, questions and troubleshooting of all kinds.</p>
		<p>Sign in to post, follow threads and get notified of replies; guests can read every board, but cannot vote or answer.</p><p>Read the rules before posting, and search first: most questions have been answered before, often more than once.</p></header>
		<aside><h2>Community guidelines</h2><p>Be kind to one another: everyone here was new once, and a question that seems simple to you may have cost someone an evening.</p>
		<p>Stay on topic in each board, and start a new thread for a new question rather than adding it to an old one that happens to be close.</p>
		<p>Do not post serial numbers, order numbers or other personal details; the support team will ask for them privately when it needs them.</p>
		<p>Advertising, referral links and offers to buy or sell are removed, and the members who post them may lose the right to post at all.</p>
		<p>Mark the answer that solved your problem, so that the next member with the same question finds it at the top of the thread.</p>
		<p>Report posts that break these rules instead of answering them; the moderators read every report, usually within a day.</p></aside>
		<main><h1>New case ports</h1><form action="/topic/1?do=multimod" method="post"><input type="hidden" name="csrf" value="x">`)
	for i, post := range []string{
		"Does anyone know what the two ports on the new case are for? The manual says nothing about them, but they both look very intentional.",
		"I have heard a rumour that the rear one is for an external connection to the lighting hub, so that it can be reached from outside the case.",
		"The one on the bottom, beside the fans, is for the fan hub's cable, which can then run under the shroud without being seen at all.",
		"Thanks, both of you: that explains it, and the fan hub's cable now runs where it should, under the shroud and out of sight.",
		"Worth adding to the manual, if anyone from the company reads this: I spent an hour looking for what the ports were meant for.",
	} {
		page.WriteString(`<article class="post"><div class="author">member` + strconv.Itoa(i) + `</div><p>` + post + `</p><p>Posted from the app; edited once, for spelling and to add the model number of the case, which the first version of this post left out.</p><input type="checkbox" name="multimod[]"></article>`)
	}
	page.WriteString(`</form></main><footer><p>These forums are run by the company for its customers, who answer one another; staff join in when they can, but are not obliged to answer every question.</p>
		<p>What members post is their own, and neither the company's advice nor a promise: check with support before opening the case of a product still under warranty.</p>
		<p>© Forums. Cookies keep you signed in and count visits; the privacy policy says which, and how to refuse those that are not needed.</p></footer></body></html>`)
	res := extractMain(t, "https://forum.example/topic/1-new-case-ports/", page.String())
	mustKeep(t, res.Text, "two ports on the new case", "rumour that the rear one", "beside the fans", "now runs where it should")
}

// TestRepliesNamedComments checks that a thread whose software calls its
// replies comments keeps them, while the one-line remarks under a post,
// which hold no paragraph, still go.
func TestRepliesNamedComments(t *testing.T) {
	var page strings.Builder
	page.WriteString(`<html><head><title>Is consulting worth it?</title><script type="application/ld+json">{"@type":"DiscussionForumPosting","headline":"Is consulting worth it?"}</script></head><body>
		<nav><a href="/">Forums</a> <a href="/consulting">Consulting</a></nav><main><h1>Is consulting worth it?</h1>
		<div class="post"><div class="author">analyst_42</div><p>I have an offer from a consulting firm and another from a bank; the pay is close, the hours are not. Which would you take, and why?</p>
		<ul class="comments-list"><li class="comment"><span>Which firm? It matters a lot.</span></li><li class="comment"><span>Same question here last year.</span></li></ul></div>
		<div class="comments">`)
	for i, reply := range []string{
		"Consulting, if the firm is a good one: you see many industries in a few years, and the exits are wide.",
		"The bank, if you already know you want finance: consulting's travel wears most people out by the third year.",
		"I did both. Consulting taught me more, the bank paid me more, and I would still choose consulting again.",
	} {
		page.WriteString(`<div class="comment comment-container" id="cid-` + strconv.Itoa(i) + `"><div class="author">member` + strconv.Itoa(i) + `</div><p>` + reply + `</p></div>`)
	}
	page.WriteString(`</div></main><footer>© Forums</footer></body></html>`)
	res := extractMain(t, "https://forum.example/consulting/is-consulting-worth-it", page.String())
	mustKeep(t, res.Text, "the hours are not", "the exits are wide", "wears most people out", "choose consulting again")
	if strings.Contains(res.Text, "It matters a lot") {
		t.Errorf("kept a remark under the post:\n%s", res.Text)
	}
}

// TestProductDescriptionOnlyInStructuredData checks that a product whose
// description only its JSON-LD holds (the page's drawer is filled by a
// script) has it in its main content, once, and that one the page shows
// is not added again.
func TestProductDescriptionOnlyInStructuredData(t *testing.T) {
	const description = "Our everyday quarter socks, cushioned where you need it and ventilated where you sweat, with a honeycomb arch support that holds them in place."
	for _, tc := range []struct {
		name, drawer string
	}{
		{name: "not shown", drawer: `<div class="drawer" data-fill="description"></div>`},
		{name: "shown", drawer: `<div class="drawer"><p>` + description + `</p></div>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page := `<html><head><title>Quarter socks</title><script type="application/ld+json">{"@type":"Product","name":"Quarter socks","description":"` + description + `","offers":{"price":"14.00"}}</script></head>
				<body><nav><a href="/">Socks</a> <a href="/men">Men</a></nav><main><h1>Quarter socks</h1><p>$14.00</p><button>Add to cart</button>
				<ul><li>Size M</li><li>Size L</li></ul>` + tc.drawer + `</main><footer>© Socks</footer></body></html>`
			res := extractMain(t, "https://shop.example/products/quarter-socks", page)
			if n := strings.Count(res.Text, "honeycomb arch support"); n != 1 {
				t.Errorf("the description %d times:\n%s", n, res.Text)
			}
		})
	}
}

// TestTitledSectionsOfCards checks that a listing made of titled
// sections of cards, each named for its header ("section-with-header")
// and styled its own way, keeps every section's title and cards: a section that opens with a
// heading and holds a grid of cards is the listing, whatever it is
// called.
func TestTitledSectionsOfCards(t *testing.T) {
	var page strings.Builder
	page.WriteString(`<html><head><script type="application/ld+json">{"@type":"ItemList"}</script></head><body>
		<nav><a href="/">Engineering blog</a> <a href="/about">About</a></nav><main>`)
	for _, section := range []struct{ style, title, first string }{{"light", "Latest", "How we rebuilt search"}, {"dark", "Security", "Scanning for leaked tokens"}, {"dimmed", "Open source", "Ten years of our parser"}} {
		page.WriteString(`<div class="section-with-header is-style-` + section.style + `"><div class="section-with-header__top"><h2 class="section-with-header__heading">` + section.title + `</h2>
			<a href="/category">View all</a></div><div class="group"><ul>`)
		for _, story := range []string{section.first, "What we learned running it for a year", "A field guide for new maintainers"} {
			page.WriteString(`<li class="post"><h3><a href="/p/1">` + story + `</a></h3><p>From the engineers who built it, with the numbers behind each decision.</p></li>`)
		}
		page.WriteString(`</ul></div></div>`)
	}
	page.WriteString(`</main><footer>© Engineering blog</footer></body></html>`)
	res := extractMain(t, "https://engineering.example/", page.String())
	mustKeep(t, res.Text, "Latest", "How we rebuilt search", "Security", "Scanning for leaked tokens", "Open source", "Ten years of our parser")
	if strings.Contains(res.Text, "About") {
		t.Errorf("kept the menu:\n%s", res.Text)
	}
}

// TestArchiveCardsBesideASidebar checks that a blog's archive keeps its
// cards, each an <article> named for its post and categories whose title
// is a link in its <header>, though the wrapper of the page's <main> is
// named for the sidebar beside it ("content-sidebar-wrap") and holds
// nothing but links: what wraps the main landmark is no furniture.
func TestArchiveCardsBesideASidebar(t *testing.T) {
	var page strings.Builder
	page.WriteString(`<html><head><script type="application/ld+json">{"@type":"CollectionPage"}</script></head><body>
		<header class="site-header"><nav><a href="/">Fit recipes</a> <a href="/recipes">Recipes</a></nav></header>
		<div class="archive-description"><h1>Air fryer recipes</h1>
		<p>Quick and healthy air fryer recipes, everything from breakfast to snacks to dinners, crispy and delicious in record time with little to no oil.</p>
		<p>For meal prep we love making turkey bacon and hard boiled eggs, and do not miss the reader favourite, sticky chicken thighs, juicy and simple.</p></div>
		<div class="content-sidebar-wrap"><main class="content">`)
	for i, recipe := range []string{"Sticky chicken thighs", "Cottage cheese bagels", "Roasted honeynut squash", "Crispy sweet potato fries"} {
		page.WriteString(`<article class="post-` + strconv.Itoa(30100+i) + ` post category-recipes category-airfryer entry"><header class="entry-header">
			<h2 class="entry-title"><a href="/r/` + strconv.Itoa(i) + `">` + recipe + `</a></h2></header></article>`)
	}
	page.WriteString(`</main><aside class="sidebar"><p>Hi, I am the cook behind this site.</p></aside></div><footer>© Fit recipes</footer></body></html>`)
	res := extractMain(t, "https://recipes.example/category/airfryer/", page.String())
	mustKeep(t, res.Text, "Quick and healthy", "Sticky chicken thighs", "Crispy sweet potato fries")
	if strings.Contains(res.Text, "the cook behind") {
		t.Errorf("kept the sidebar:\n%s", res.Text)
	}
}

// TestSectionHeadingsNamedForTheLayout checks that an article keeps the
// headings of its sections whose class names the layout's parts
// ("section-header__title"), while a heading named for the byline goes.
func TestSectionHeadingsNamedForTheLayout(t *testing.T) {
	page := `<html><head><title>Caching guide</title></head><body><nav><a href="/">Docs</a> <a href="/guides">Guides</a></nav>
		<div class="content"><h1>Caching guide</h1><h3 class="byline">By Sam Lee</h3>
		<p>A cache keeps the answers to expensive questions close at hand, so that the second asker does not pay what the first one did, and the database rests.</p>
		<h2 class="section-header__title">Choosing what to cache</h2>
		<p>Cache what is read far more often than it is written, and what is slow to compute; a value that changes on every request gains nothing from a cache.</p>
		<h2 class="section-header__title">Expiring entries</h2>
		<p>Give every entry a time to live, and prefer a short one with a refresh in the background to a long one that serves stale answers for hours.</p>
		<p>When the data behind an entry changes, delete the entry rather than update it: the next reader fills it again, and two writers cannot race to leave the older value.</p>
		<h2 class="section-header__title">Measuring the cache</h2>
		<p>Count hits and misses for every kind of entry, and watch the ratio over a week; a cache that rarely hits costs memory and a network hop, and saves nothing at all.</p>
		<p>Watch the size of the entries too, since a few large ones can push out thousands of small ones, and the hit ratio falls without anything else having changed.</p></div>
		<footer>© Docs</footer></body></html>`
	res := extractMain(t, "https://docs.example/guides/caching", page)
	mustKeep(t, res.Text, "Choosing what to cache", "Expiring entries", "Measuring the cache", "slow to compute", "stale answers")
	if strings.Contains(res.Text, "Sam Lee") {
		t.Errorf("kept the byline:\n%s", res.Text)
	}
}

// TestCategoryGuideAfterTheGrid checks that a shop's category keeps the
// guide it puts under its grid of products, outside <main>, while a
// sign-up form there and the footer go.
func TestCategoryGuideAfterTheGrid(t *testing.T) {
	var page strings.Builder
	page.WriteString(`<html><head><script type="application/ld+json">{"@type":"CollectionPage"}</script></head><body>
		<header><nav><a href="/">Grill shop</a> <a href="/gas">Gas grills</a></nav></header><main><h1>Gas grills</h1><div class="grid">`)
	for i, grill := range []string{"Spirit 425", "Genesis 325", "Baron 490", "Rogue 365", "Siesta 412", "Pro S3", "Traveler", "Q 1200", "Crown 310"} {
		page.WriteString(`<article class="card"><h2><a href="/p/` + strconv.Itoa(i) + `">Gas grill ` + grill + `</a></h2><p>Cast iron grates, a lid thermometer and a side table that folds away.</p><span class="price">$` + strconv.Itoa(400+50*i) + `.00</span></article>`)
	}
	page.WriteString(`</div></main>
		<div class="description-bottom"><h2>Choosing a gas grill</h2>
		<p>A gas grill lights at the push of a button and is ready in five minutes, which is why most people who grill on weeknights choose one over charcoal.</p>
		<h3>Burners and heat</h3><p>Count the burners and look at the searing zone: two burners cook for a couple, four feed a family, and a searing burner marks a steak as a restaurant's grill does.</p>
		<h3>Propane or natural gas</h3><p>Propane comes in bottles and goes anywhere in the garden; natural gas needs a line to the house, but the bottle never runs out halfway through the cooking.</p>
		<h3>Looking after it</h3><p>Brush the grates while they are hot, empty the grease tray every few weeks, and keep the grill under a cover in winter: a well kept grill lasts ten years or more.</p>
		<p>Check the hose for cracks each spring with soapy water on the joints; bubbles mean a leak, and the hose is cheap to replace before the season starts.</p>
		<h3>Size and space</h3><p>Measure the terrace before you order: leave a metre on every side of the grill, away from walls, fences and anything under the eaves that could catch a flame.</p>
		<p>A cart with wheels moves out of the way when the terrace is needed for a party, and a built-in grill needs a stone base and a cover made to its measure.</p>
		<p>Every grill here ships free, and our team answers questions about fitting and gas connections by phone seven days a week.</p></div>
		<div class="signup"><h2>Grilling tips by email</h2><p>Recipes and offers every week.</p><form><input type="email" name="email"><button>Subscribe</button></form></div>
		<footer><p>© Grill shop. Prices include taxes.</p></footer></body></html>`)
	res := extractMain(t, "https://grills.example/gas-grills", page.String())
	mustKeep(t, res.Text, "Gas grill Spirit 425", "Gas grill Crown 310", "Choosing a gas grill", "searing burner", "never runs out")
	mustDrop(t, res.Text, "Recipes and offers", "Prices include taxes")
}

// TestScreenReaderTextOfOtherFrameworks checks that the labels a page
// writes for screen readers only stay out of its main content whichever
// framework names them: Foundation's show-for-sr, the HTML5 Boilerplate's
// visuallyhidden, Drupal's element-invisible, as Bootstrap's sr-only.
func TestScreenReaderTextOfOtherFrameworks(t *testing.T) {
	var page strings.Builder
	page.WriteString(`<html><head><script type="application/ld+json">{"@type":"ItemList"}</script></head><body><nav><a href="/">Courses</a></nav><main><h1>Data science courses</h1><div class="results">`)
	for i, course := range []string{"Probability", "Inference and modeling", "Linear regression", "Machine learning"} {
		page.WriteString(`<article class="course"><h2><a href="/c/` + strconv.Itoa(i) + `">` + course + `</a></h2><p>Learn the ideas behind it with case studies from finance, medicine and sport.</p>
			<div><span class="show-for-sr">Price</span> Free</div><div><span class="visuallyhidden">Duration</span> 8 weeks</div><div><span class="element-invisible">Level</span> Introductory</div></article>`)
	}
	page.WriteString(`</div></main><footer>© Courses</footer></body></html>`)
	res := extractMain(t, "https://courses.example/subject/data-science", page.String())
	mustKeep(t, res.Text, "Inference and modeling", "8 weeks", "Introductory")
	for _, unwanted := range []string{"Price", "Duration", "Level"} {
		if strings.Contains(res.Text, unwanted) {
			t.Errorf("kept the screen readers' %q:\n%s", unwanted, res.Text)
		}
	}
}

// TestShellWithOnlyItsFooter checks that a page whose content its
// scripts draw, holding nothing but its footer's lists of links and a
// hidden skip link, has no main content: the footer is furniture however
// much of the page it holds, and the hidden line is no wrapper that a
// script shows.
func TestShellWithOnlyItsFooter(t *testing.T) {
	var page strings.Builder
	page.WriteString(`<html><head><title>Ceramic vase</title><meta property="og:type" content="product"></head><body>
		<div style="display:none;"><h1>Shop</h1><ul><li><a href="#search" accesskey="h">I'm shopping for...</a></li></ul></div>
		<div id="root"></div><footer><div class="site-footer">`)
	for _, group := range []string{"Help", "Sites in other languages", "Browse by category", "Our group"} {
		page.WriteString(`<dl><dt><h5>` + group + `</h5></dt><dd>`)
		for i := range 8 {
			page.WriteString(`<a href="/` + strconv.Itoa(i) + `">` + group + ` link number ` + strconv.Itoa(i) + `</a>, `)
		}
		page.WriteString(`</dd></dl>`)
	}
	page.WriteString(`</div></footer></body></html>`)
	res := extractMain(t, "https://shop.example/item/1005.html", page.String())
	if strings.TrimSpace(res.Text) != "" {
		t.Errorf("kept furniture of a page with no content:\n%s", res.Text)
	}
}

// TestQuotedPostsInAThread checks that a reply quoting a post above it
// keeps its own words but not the copy of the post, which the thread
// already holds, while a quotation of something the page does not hold
// stays.
func TestQuotedPostsInAThread(t *testing.T) {
	const first = "The fan on my new case rattles at low speed, and only when the case stands on the carpet rather than on the desk."
	const manual = "Place the case on a hard, level surface, away from soft furnishings that may block its vents."
	var page strings.Builder
	page.WriteString(`<html><head><title>Rattling fan</title><script type="application/ld+json">{"@type":"DiscussionForumPosting","headline":"Rattling fan"}</script></head><body>
		<nav><a href="/">Forums</a> <a href="/cases">Cases</a></nav><main><h1>Rattling fan</h1>`)
	for i, post := range []string{
		`<p>` + first + `</p>`,
		`<blockquote><div class="quote-title">member0 said:</div><div>` + first + `</div><div>Click to expand...</div></blockquote><p>Mine did that too: the carpet pushes the bottom panel against the fan's frame, so raise it on its feet.</p>`,
		`<blockquote><cite>The manual says:</cite> ` + manual + `</blockquote><p>So the manual agrees with the answer above, in its own dry way, and the carpet was the problem all along.</p>`,
	} {
		page.WriteString(`<article class="message"><div class="username">member` + strconv.Itoa(i) + `</div><div class="message-body">` + post + `</div></article>`)
	}
	page.WriteString(`</main><footer>© Forums</footer></body></html>`)
	res := extractMain(t, "https://forum.example/threads/rattling-fan.42/", page.String())
	if n := strings.Count(res.Text, "rattles at low speed"); n != 1 {
		t.Errorf("the first post %d times:\n%s", n, res.Text)
	}
	mustKeep(t, res.Text, "raise it on its feet", "away from soft furnishings", "the carpet was the problem")
	if strings.Contains(res.Text, "Click to expand") {
		t.Errorf("kept the quotation's frame:\n%s", res.Text)
	}
}

// TestCardTitlesInTheirHeaders checks that a listing keeps the title of
// each card, which sits with its date in a block named for the card's
// header, while a block named for a trending strip's header goes.
func TestCardTitlesInTheirHeaders(t *testing.T) {
	var page strings.Builder
	page.WriteString(`<html><head><script type="application/ld+json">{"@type":"ItemList"}</script></head><body><nav><a href="/">Remote jobs</a></nav><main><h1>Programming jobs</h1><ul class="jobs">`)
	for i, job := range []string{"Senior software engineer", "Platform engineer", "Frontend developer", "Data engineer"} {
		page.WriteString(`<li class="job"><a href="/jobs/` + strconv.Itoa(i) + `"><div class="job__header"><h3 class="job__header__title">` + job + `</h3><p>14d</p></div>
			<p class="job__company">Acme Remote</p><p>Full-Time</p><p>$50,000 - $74,999 USD</p><p>Anywhere in the World</p></a></li>`)
	}
	page.WriteString(`</ul><div class="trending-header"><h2>Hot right now</h2></div></main><footer>© Remote jobs</footer></body></html>`)
	res := extractMain(t, "https://jobs.example/categories/programming", page.String())
	mustKeep(t, res.Text, "Senior software engineer", "Data engineer", "Anywhere in the World")
	if strings.Contains(res.Text, "Hot right now") {
		t.Errorf("kept the trending strip:\n%s", res.Text)
	}
}

// TestThreadNoticesToGuests checks that the notices a thread shows
// visitors who are not signed in, under its posts, are left out.
func TestThreadNoticesToGuests(t *testing.T) {
	var page strings.Builder
	page.WriteString(`<html><head><title>Quiet fans</title><script type="application/ld+json">{"@type":"DiscussionForumPosting","headline":"Quiet fans"}</script></head><body><main><h1>Quiet fans</h1>`)
	for i, post := range []string{
		"Which case fans are the quietest at full speed? Mine sound like a hair dryer when the graphics card warms up.",
		"Larger fans turn slower for the same airflow: two 140 mm fans are quieter than three 120 mm ones.",
		"Set a fan curve in the firmware too, so that they only speed up when the temperature really calls for it.",
	} {
		page.WriteString(`<article class="message"><div class="username">member` + strconv.Itoa(i) + `</div><div class="message-body"><p>` + post + `</p></div></article>`)
	}
	page.WriteString(`<div class="block-outer"><div class="blockMessage">You must log in or register to reply here.</div></div>
		<div class="guest-box"><h3>Create an account or sign in to comment</h3><p>You need to be a member in order to leave a comment</p>
		<a href="/register">Register a new account</a><p>Already have an account? Sign in here.</p></div></main></body></html>`)
	res := extractMain(t, "https://forum.example/threads/quiet-fans.7/", page.String())
	if !strings.Contains(res.Text, "only speed up when") {
		t.Errorf("lost a post:\n%s", res.Text)
	}
	mustDrop(t, res.Text, "You must log in", "Create an account", "You need to be a member", "Register a new account", "Already have an account")
}

// TestUnrenderedTemplateExpressions checks that the expressions of a
// client-side template left in the HTML, one to a text node, are not
// content, while braces inside a sentence or in code stay.
func TestUnrenderedTemplateExpressions(t *testing.T) {
	var page strings.Builder
	page.WriteString(`<html><body><main><h1>Simple method</h1>`)
	for i, post := range []string{
		"Could a simple landing page and one product from a marketplace be enough for a beginner to make a first sale?",
		"It could, but traffic is the hard part: write about the problem the product solves, and {{ readers }} will follow.",
		"Agreed. Start with one channel you understand, and measure before you spend anything on advertising at all.",
	} {
		page.WriteString(`<div class="post"><p>` + post + `</p><div class="error">{{ DiscussionBoard.errors[` + strconv.Itoa(i) + `].message }}</div></div>`)
	}
	page.WriteString(`<pre><code>{{ .Title }}</code></pre></main></body></html>`)
	res := extractMain(t, "https://forum.example/beginners/1488296-simple-method.html", page.String())
	if strings.Contains(res.Text, "DiscussionBoard") {
		t.Errorf("kept a template expression:\n%s", res.Text)
	}
	mustKeep(t, res.Text, "{{ readers }} will follow", "{{ .Title }}")
}

// TestPosterProfileFields checks that the fields a member fills in for
// the card beside each post (phpBB's profile-custom-field) go with the
// rest of the card's details, and the post and its author's name stay.
func TestPosterProfileFields(t *testing.T) {
	var page strings.Builder
	page.WriteString(`<html><head><script type="application/ld+json">{"@type":"DiscussionForumPosting","headline":"Release 7.1"}</script></head><body><main><h1>Release 7.1</h1>`)
	for i, post := range []string{
		"The new release finally brings the ARM hosts the same features as the others, which is what I waited for.",
		"Shared folders are faster here too, though the guest additions had to be installed again after the upgrade.",
		"Thanks for the note about the guest additions: that was exactly what broke my clipboard this morning.",
	} {
		page.WriteString(`<div class="post"><dl class="postprofile"><dt><a class="username">member` + strconv.Itoa(i) + `</a></dt>
			<dd class="profile-custom-field profile-primary_os"><strong>Primary OS:</strong> Mac OS X other</dd>
			<dd class="profile-custom-field profile-location"><strong>Location:</strong> An Ant Farm</dd></dl>
			<div class="postbody"><p>` + post + `</p></div></div>`)
	}
	page.WriteString(`</main></body></html>`)
	res := extractMain(t, "https://forums.example/viewtopic.php?t=112320", page.String())
	mustKeep(t, res.Text, "member1", "guest additions had to be installed")
	mustDrop(t, res.Text, "Primary OS", "An Ant Farm")
}

// TestPostAfterAnAdInItsWrapper checks that a post whose text follows an
// ad's label in one wrapper keeps its text once the ad is left out, while
// a sign-up box that opens with its label still goes.
func TestPostAfterAnAdInItsWrapper(t *testing.T) {
	const first = "I heard the first school has already sent out invitations, so I figured we should get this started."
	var page strings.Builder
	page.WriteString(`<html><head><script type="application/ld+json">{"@type":"DiscussionForumPosting","headline":"Applications"}</script></head><body><main><h1>Applications</h1>`)
	for i, post := range []string{first, "Congratulations! Did they say how many places there are this year?", "Not yet, but the list should be out by the end of the month."} {
		page.WriteString(`<article class="message"><div class="username">member` + strconv.Itoa(i) + `</div><div class="message-body"><div>`)
		if i == 0 {
			page.WriteString(`<div class="ad-unit"><input type="hidden" name="slot"><div>Advertisement - Members don't see this ad</div></div>`)
		}
		page.WriteString(`<div class="bbWrapper">` + post + `</div></div></div></article>`)
	}
	page.WriteString(`<div><div class="ad-unit">Advertisement</div><p>Subscribe for the weekly digest.</p></div></main></body></html>`)
	res := extractMain(t, "https://forum.example/threads/applications.1498484/", page.String())
	if !strings.Contains(res.Text, "sent out invitations") {
		t.Errorf("lost the post after the ad:\n%s", res.Text)
	}
	mustDrop(t, res.Text, "Members don't see this ad", "weekly digest")
}

// TestCardTitlesInH1 checks that a listing keeps its cards' titles, each
// an <h1> in its card's <article> as HTML5 allows, while the <h1> that
// repeats the page's title, its headline, goes.
func TestCardTitlesInH1(t *testing.T) {
	var page strings.Builder
	page.WriteString(`<html><head><title>Air fryer recipes | Fit recipes</title><script type="application/ld+json">{"@type":"CollectionPage"}</script></head><body>
		<nav><a href="/">Fit recipes</a> <a href="/about">About</a></nav><main><h1>Air fryer recipes</h1><div class="grid">`)
	for i, recipe := range []string{"Sticky chicken thighs", "Cottage cheese bagels", "Roasted honeynut squash", "Crispy sweet potato fries"} {
		page.WriteString(`<article class="card"><a href="/r/` + strconv.Itoa(i) + `"><h1>` + recipe + `</h1></a><p>Ready in twenty minutes, crisp outside and tender inside.</p></article>`)
	}
	page.WriteString(`</div></main><footer>© Fit recipes</footer></body></html>`)
	res := extractMain(t, "https://recipes.example/category/airfryer/", page.String())
	mustKeep(t, res.Text, "Sticky chicken thighs", "Crispy sweet potato fries", "twenty minutes")
	if strings.Contains(res.Text, "Air fryer recipes") {
		t.Errorf("kept the headline:\n%s", res.Text)
	}
}

// TestFrontPageMarkedAsAnArticle checks that a blog's front page whose
// markup calls it an article keeps its cards' titles, each an <h1> in
// its card's <article> as HTML5 allows: every heading a link with a
// summary under it, it is a listing, not a story whose headline goes.
func TestFrontPageMarkedAsAnArticle(t *testing.T) {
	var page strings.Builder
	page.WriteString(`<html><head><title>The blog</title><meta property="og:type" content="article"><meta property="article:published_time" content="2026-03-06"></head><body>
		<nav><a href="/">The blog</a> <a href="/podcast">Podcast</a></nav><main><div class="latest">`)
	for i, story := range []string{"Building brains for bulldozers", "What is new this month", "Making AI tools that are good", "A sneak peek at the redesign", "Where the bugs hide", "Security as cat and mouse"} {
		page.WriteString(`<article class="card"><time>March ` + strconv.Itoa(i+1) + `, 2026</time><a href="/p/` + strconv.Itoa(i) + `"><h1>` + story + `</h1></a>
			<p>From interoperability to knowledge architecture, here is a recap of what we learned, with the numbers behind each decision we made, and what we would do differently next time. Our engineers walk through the design, the trade-offs they weighed, and the results we measured in production.</p></article>`)
	}
	page.WriteString(`</div></main><footer>© The blog</footer></body></html>`)
	res := extractMain(t, "https://blog.example/", page.String())
	mustKeep(t, res.Text, "Building brains for bulldozers", "Security as cat and mouse", "knowledge architecture")
	if strings.Contains(res.Text, "Podcast") {
		t.Errorf("kept the menu:\n%s", res.Text)
	}
}

// TestTeaserLinkBetweenParagraphs checks that a link standing alone
// between an article's paragraphs, a teaser for another story, is left
// out, while links inside its sentences stay.
func TestTeaserLinkBetweenParagraphs(t *testing.T) {
	page := `<html><head><title>Three killed in clashes</title></head><body><nav><a href="/">News</a> <a href="/world">World</a></nav>
		<div class="article__text"><h1>Three killed in clashes</h1>
		<p>Three people were killed in clashes near a fuel plant on Tuesday, the public defender's office said, and another thirty were injured in the fighting.</p>
		<p>The office said the deaths were caused by gunshot wounds, and called on the <a href="/gov">interim government</a> to withdraw military units from policing.</p>
		<a class="read-more-big" href="/news/other-story"><span>Also on the site</span> <span>Journalists threatened with arrest as the purge goes on</span></a>
		<p>The government denied that its forces had opened fire, saying that the protesters had been armed, and promised an inquiry into the events of the day.</p>
		<p>Protests have continued for a month since the disputed election, with roads blocked across the country and food running short in the capital.</p></div>
		<footer>© News</footer></body></html>`
	res := extractMain(t, "https://news.example/world/three-killed", page)
	mustKeep(t, res.Text, "interim government", "promised an inquiry", "food running short")
	if strings.Contains(res.Text, "Journalists threatened") {
		t.Errorf("kept the teaser:\n%s", res.Text)
	}
}

// TestUnexpandedShortcode checks that a WordPress shortcode the site
// printed as written, a button's markup, is not part of the article.
func TestUnexpandedShortcode(t *testing.T) {
	page := `<html><head><title>Workshop manual review</title></head><body><nav><a href="/">Bikes</a></nav><div class="entry-content"><h1>Workshop manual review</h1>
		<p>The manual covers every model from 2004 to 2012, with wiring diagrams, torque tables and a step-by-step guide to each service job, photographed in a real workshop.</p>
		<p>It is clearly written, the pictures are sharp, and the index makes it quick to find the job you need, which matters with oily hands.</p>
		<p>[button link="https://bikes.example/submit-review/" type="big"] Send us your kit review[/button]</p></div><footer>© Bikes</footer></body></html>`
	res := extractMain(t, "https://bikes.example/7721/workshop-manual-review/", page)
	if !strings.Contains(res.Text, "oily hands") {
		t.Errorf("lost the review:\n%s", res.Text)
	}
	if strings.Contains(res.Text, "kit review") {
		t.Errorf("kept the shortcode:\n%s", res.Text)
	}
}

// TestContentPrintedTwice checks that a page printing its whole content
// twice (a copy for small screens, one for large) reads once, while a
// short passage a reply repeats stays as often as it is written.
func TestContentPrintedTwice(t *testing.T) {
	story := `<h2>What a remodel costs</h2><p>Home remodeling in California is a significant investment, with costs that depend on the scope, the materials and the labor of the region.</p>
		<p>Cosmetic updates such as painting, flooring and minor repairs cost the least, while structural changes cost the most by far, with permits on top.</p>
		<p>Labor makes up about sixty percent of most budgets, which is why skilled trades and their rates matter as much as the materials chosen.</p>
		<p>Permits are needed for structural, electrical and plumbing work, and their fees and inspections add weeks as well as dollars.</p>`
	page := `<html><head><title>Remodel costs</title></head><body><nav><a href="/">Home</a></nav><main><h1>Remodel costs</h1>
		<div class="mobile">` + story + `</div><div class="desktop">` + story + `</div>
		<p>Our office answers: "Labor is the largest part." Labor is the largest part.</p></main></body></html>`
	res := extractMain(t, "https://builder.example/blog/remodel-costs", page)
	if n := strings.Count(res.Text, "Home remodeling in California"); n != 1 {
		t.Errorf("the story %d times:\n%s", n, res.Text)
	}
	if n := strings.Count(res.Text, "Labor is the largest part"); n != 2 {
		t.Errorf("the repeated sentence %d times:\n%s", n, res.Text)
	}
}

// TestAppShellNotice checks that the main content of an app's empty shell
// is empty, not its "enable JavaScript" notice.
func TestAppShellNotice(t *testing.T) {
	page := `<html><head><title>Clearance</title></head><body><noscript>You need to enable JavaScript to run this app.</noscript><div id="root"></div></body></html>`
	res := extractMain(t, "https://shop.example/clearance", page)
	if strings.TrimSpace(res.Text) != "" {
		t.Errorf("main content of an empty shell:\n%s", res.Text)
	}
}

// TestThreadOfCommentsUnderALink checks that a story that is only a link,
// with no schema.org types to say the page is a thread, keeps every
// comment under it: the article found was one of the comments, and the
// others are as much the page's content.
func TestThreadOfCommentsUnderALink(t *testing.T) {
	comments := []string{
		"Very interested and curious about the ergonomic ref counting, since I clone reference-counted handles into every task I spawn.",
		"So do I, and I really find that eliding the clones would not improve ergonomics much, especially with a new trait to learn for them.",
		"I was concerned about implicit clones as well, but I have been convinced it is probably for the best, given how often they come up in async code and how little they cost; the alternative is a wall of clone calls before every closure, which nobody reads, and which hides the code that matters.",
		"Making the handle copyable is not possible as things stand, since copy types cannot hold anything that needs dropping.",
	}
	var page strings.Builder
	page.WriteString(`<html><head><title>Project goals for 2024</title></head><body><nav><a href="/">Home</a> <a href="/recent">Recent</a></nav>
		<div class="story"><a class="u-url" href="https://example.org/goals.html">Project goals for 2024</a> <span class="byline">via someone 1 year ago</span></div>
		<ol class="comments">`)
	for i, text := range comments {
		page.WriteString(`<li class="comments_subtree"><div class="comment" id="c` + strconv.Itoa(i) + `"><div class="details"><a href="/~user` + strconv.Itoa(i) + `">user` + strconv.Itoa(i) + `</a> 1 year ago</div><div class="comment_text"><p>` + text + `</p></div></div></li>`)
	}
	page.WriteString(`</ol><footer><a href="/about">About</a></footer></body></html>`)
	res := extractMain(t, "https://links.example/s/dwip3v/project_goals_for_2024", page.String())
	mustKeep(t, res.Text, "ergonomic ref counting", "eliding the clones", "wall of clone calls", "cannot hold anything")
	if strings.Contains(res.Text, "Recent") {
		t.Errorf("kept the menu:\n%s", res.Text)
	}
}

// TestPosterDetailsAndReplySubjects checks that the lines a board prints
// beside each post about its author ("Posts: 98", "Registered: ..."),
// whatever their markup, and the "Re: " subject each reply repeats the
// thread's title with, are left out of a thread, and its posts and
// authors stay.
func TestPosterDetailsAndReplySubjects(t *testing.T) {
	posts := []string{
		"I am looking for open source forum software that looks like the old boards did, with no infinite scrolling.",
		"FluxBB is what this board runs, and it is still maintained as a fork; it is small and easy to theme.",
		"phpBB is the usual answer, though its templates take a while to learn if you want the plain look.",
	}
	var page strings.Builder
	page.WriteString(`<html><head><title>Open source forum software / Forum discussion</title><script type="application/ld+json">{"@type":"DiscussionForumPosting","headline":"Open source forum software"}</script></head><body><main><h1>Open source forum software</h1>`)
	for i, post := range posts {
		subject := "Open source forum software"
		if i > 0 {
			subject = "Re: " + subject
		}
		page.WriteString(`<div class="blockpost"><h3>` + subject + `</h3><div class="postleft"><dl><dt><strong>member` + strconv.Itoa(i) + `</strong></dt>
			<dd><span>Registered: 2024-01-2` + strconv.Itoa(i) + `</span></dd><dd><span>Posts: 9` + strconv.Itoa(i) + `</span></dd></dl>
			<div>Location: <b>Somewhere</b></div></div><div class="postright"><p>` + post + `</p></div></div>`)
	}
	page.WriteString(`</main></body></html>`)
	res := extractMain(t, "https://bbs.example/viewtopic.php?id=3000", page.String())
	mustKeep(t, res.Text, "member0", "member2", "no infinite scrolling", "easy to theme", "plain look")
	mustDrop(t, res.Text, "Re: Open source", "Registered:", "Posts: 9", "Somewhere")
}

// TestHiddenByASpelledOutUtilityClass checks that the full copy of an
// answer, hidden by a utility class that spells out its rule
// ("qu-display--none") behind the preview a reader sees, is left out of a
// thread of answers, while a class that hides a block on some screens
// only ("md:display-none") does not hide it.
func TestHiddenByASpelledOutUtilityClass(t *testing.T) {
	answers := []struct{ preview, rest string }{
		{"It was far worse than any book or film can say, and the numbers only begin to tell it.", "Seventy million people died in six years, most of them civilians, and whole cities were gone."},
		{"Yes, and the famine that followed it killed nearly as many as the fighting did in some places.", "Ships sunk by the thousand cut the trade in grain that fed whole regions for years after."},
		{"Every family I know lost someone, and my grandmother never spoke of the winter of the siege.", "She kept a tin of biscuits by her bed until the day she died, in case the shops closed again."},
	}
	const small = "On a phone the whole answer shows at once, with nothing folded away behind a button."
	var page strings.Builder
	page.WriteString(`<html><head><title>Was it really that bad?</title><script type="application/ld+json">{"@type":"QAPage"}</script></head><body><main><h1>Was it really that bad?</h1>`)
	for i, a := range answers {
		page.WriteString(`<div class="answer"><div class="author">writer` + strconv.Itoa(i) + `</div><div class="preview"><p>` + a.preview + `</p><button>Continue reading</button></div>
			<div class="q-box qu-display--none"><p>` + a.preview + `</p><p>` + a.rest + `</p></div></div>`)
	}
	page.WriteString(`<div class="answer md:display-none"><div class="author">writer9</div><p>` + small + `</p></div></main></body></html>`)
	res := extractMain(t, "https://answers.example/Was-it-really-that-bad", page.String())
	for _, a := range answers {
		if got := strings.Count(res.Text, a.preview); got != 1 {
			t.Errorf("%q is there %d times, want once:\n%s", a.preview, got, res.Text)
		}
		if strings.Contains(res.Text, a.rest) {
			t.Errorf("kept the hidden copy %q:\n%s", a.rest, res.Text)
		}
	}
	if !strings.Contains(res.Text, "nothing folded away") {
		t.Errorf("lost the block hidden on wide screens only:\n%s", res.Text)
	}
}

// TestCookieNoticeInTheText checks that a notice of the site's cookies
// left in the page's text, with no name or role to say it is a banner,
// is left out, while a post that holds such a notice after its own text
// (an embed blocked until cookies are allowed) stays.
func TestCookieNoticeInTheText(t *testing.T) {
	const (
		notice = "Toolshop uses cookies to enhance site functionality, analyze traffic, and personalize ads. By using our site, you agree to our use of cookies."
		post   = "Bandcamp Friday is here again, and the next one will not be until May, so today may be the day to buy."
	)
	page := `<html><head><title>Driver kit</title></head><body><main><h1>Driver kit</h1>
		<p>A compact driver kit with sixteen bits for everyday repairs, in a case that closes with a magnet and fits in a pocket.</p>
		<p>Every bit is made of hardened steel and sits in a numbered slot, so the one you need is always where you left it.</p>
		<div class="post"><p>` + post + `</p><p>This content isn't visible due to your cookie preferences.</p></div>
		<div><p>` + notice + `</p><button>OK</button></div></main></body></html>`
	res := extractMain(t, "https://toolshop.example/products/driver-kit", page)
	mustKeep(t, res.Text, "sixteen bits", "numbered slot", "Bandcamp Friday")
	mustDrop(t, res.Text, "uses cookies", "cookie preferences")
}

// TestFieldsForScripts checks that a product's custom fields, printed as a
// description list for the shop's scripts (picture addresses, names in
// snake case), are left out, while a reference's terms in snake case and a
// table cell holding an address stay.
func TestFieldsForScripts(t *testing.T) {
	page := `<html><head><title>Staple Tee</title></head><body><main>
		<h1>Staple Tee</h1>
		<p>Enduring comfort in a regular fit, crafted from 5.3 oz combed cotton, with neck ribbing and double needle hems for durability.</p>
		<p>Available in seventy colours and built to last, from a mid weight fabric that keeps its shape wash after wash.</p>
		<dl><dt>Fit:</dt><dd>Regular</dd>
		<dt>cat_thumb_Navy:</dt><dd>https://cdn.example/thumbs/5001_NAVY_THUMB.jpg</dd>
		<dt>retail_price_tier1:</dt><dd>$20.00_1-9 items</dd></dl>
		<dl><dt>table_name</dt><dd>The name of an existing table or view.</dd></dl>
		<table><tr><th>Field</th><th>Example</th></tr><tr><td>image_url</td><td>https://example.com/image1.jpg</td></tr></table>
		<p><a href="/videos/amy.mp4">https://cdn.example/videos/amy.mp4</a></p>
		</main></body></html>`
	res := extractMain(t, "https://shop.example/staple-tee", page)
	mustKeep(t, res.Text, "Regular", "table_name", "existing table", "https://example.com/image1.jpg")
	mustDrop(t, res.Text, "cat_thumb_Navy", "NAVY_THUMB", "retail_price_tier1", "$20.00_1-9", "amy.mp4")
}

// TestAccordionHeadingsAreButtons checks that the titles of an accordion's
// sections, buttons inside headings as the ARIA pattern marks them up,
// are kept with their panels, while a button of its own is not.
func TestAccordionHeadingsAreButtons(t *testing.T) {
	page := `<html><head><title>Faux leather jacket</title></head><body><main>
		<h1>Faux leather jacket</h1>
		<p>A jacket of faux leather with a turn-down collar, a zip and a chest pocket, cut for a regular fit that layers over knitwear.</p>
		<h2><button aria-expanded="false"><span>Material &amp; care</span></button></h2>
		<div style="max-height:0"><dl><dt>Outer fabric material:</dt><dd>100% polyester</dd><dt>Care instructions:</dt><dd>Machine wash at 30 °C</dd></dl></div>
		<h2><button aria-expanded="false"><span>Size &amp; fit</span></button></h2>
		<div style="max-height:0"><dl><dt>Fit:</dt><dd>Regular</dd></dl></div>
		<p><button>Add to bag</button></p>
		</main></body></html>`
	res := extractMain(t, "https://shop.example/jacket", page)
	mustKeep(t, res.Text, "Material & care", "Size & fit", "100% polyester")
	if strings.Contains(res.Text, "Add to bag") {
		t.Errorf("kept a button:\n%s", res.Text)
	}
}

// TestProductSummaryBesideTheRegion checks that a product's summary, shown
// under its name outside the main region and given word for word as the
// page's meta description, is kept; a meta description the page does not
// show is not added.
func TestProductSummaryBesideTheRegion(t *testing.T) {
	const summary = "War Thunder is the most comprehensive free-to-play military game dedicated to aviation, armoured vehicles and naval craft."
	page := func(shown bool) string {
		snippet := ""
		if shown {
			snippet = `<div class="snippet">` + summary + `</div>`
		}
		return `<html><head><title>War Thunder</title><meta name="description" content="` + summary + `">
			<script type="application/ld+json">{"@context":"https://schema.org","@type":"Product","name":"War Thunder"}</script></head><body>
			<div class="header"><h1>War Thunder</h1>` + snippet + `</div>
			<main><section><h2>About this game</h2><p>Take part in major battles on land, in the air and at sea, fighting with your squad in a continuously developing game.</p><p>Fly and drive over two thousand machines from the early twentieth century to the most advanced modern combat units.</p></section>
			<section><h2>System requirements</h2><p>A processor with two cores at 2.2 GHz, four gigabytes of memory and a graphics card that supports DirectX 11.</p></section></main>
			</body></html>`
	}
	if res := extractMain(t, "https://store.example/app/236390", page(true)); !strings.Contains(res.Text, summary) {
		t.Errorf("lost the summary:\n%s", res.Text)
	}
	if res := extractMain(t, "https://store.example/app/236390", page(false)); strings.Contains(res.Text, "most comprehensive") {
		t.Errorf("added a summary the page does not show:\n%s", res.Text)
	}
}

// TestAdvancedHeadingBlocks checks that paragraphs a block library names
// "kt-adv-heading" (an advanced heading, not an advert) are kept.
func TestAdvancedHeadingBlocks(t *testing.T) {
	page := `<html><head><title>Exercise equipment repair</title></head><body><main>
		<h2 class="kt-adv-heading356_9c83af-2d wp-block-kadence-advancedheading">Full-Service Exercise Equipment Repair</h2>
		<p class="kt-adv-heading356_3fb368-c9 wp-block-kadence-advancedheading">Our expert technicians provide full-service fixes and repairs for your gym's fitness equipment, including cardio and strength machines.</p>
		<p class="kt-adv-heading356_4ab2-c9 wp-block-kadence-advancedheading">Our repairs serve commercial gyms, gyms within office buildings and residential apartment complexes across the country.</p>
		</main></body></html>`
	res := extractMain(t, "https://movers.example/services/repair", page)
	mustKeep(t, res.Text, "expert technicians", "residential apartment complexes")
}

// TestFooterOutweighingTheProduct checks that a footer after the page's
// headline is furniture even when its testimonials hold most of the
// page's text, as a shop's theme puts them under every product.
func TestFooterOutweighingTheProduct(t *testing.T) {
	var page strings.Builder
	page.WriteString(`<html><head><script type="application/ld+json">{"@type":"Product","name":"Iris dress"}</script></head><body>
		<div class="content"><h1>Iris dress</h1><p class="price">$149.00</p>
		<div class="summary"><p>We are in love with the Iris dress: three layers of flowy hemp, a side zip, and a pocket on the right side.</p></div></div>
		<footer><h2>What our clients say</h2><div class="slider">`)
	for _, name := range []string{"Katarzyna", "Joelle", "Rebeca", "Laura", "Alice"} {
		page.WriteString(`<div class="slide"><p>Loved the experience of ordering here! A beautiful and diverse selection, what started with a look ended with two items in the cart, and the packaging was lovely too.</p><span>` + name + `</span></div>`)
	}
	page.WriteString(`</div><p><a href="/about">About us</a> <a href="/faq">FAQ</a></p></footer></body></html>`)
	res := extractMain(t, "https://shop.example/p/iris-dress", page.String())
	if !strings.Contains(res.Text, "three layers of flowy hemp") {
		t.Errorf("lost the description:\n%s", res.Text)
	}
	mustDrop(t, res.Text, "Loved the experience", "Katarzyna", "About us")
}

// TestLinkListsBesideAProduct checks that on a product's page a block of
// links (news of the product, other editions, the shop's guides) goes,
// while the description and a list of features of the product stay.
func TestLinkListsBesideAProduct(t *testing.T) {
	var page strings.Builder
	page.WriteString(`<html><head><script type="application/ld+json">{"@type":"Product","name":"Terra"}</script></head>
		<body><main><h1>Terra</h1><p class="price">$9.99</p>
		<div class="news"><h2>Recent events and announcements</h2>`)
	for _, title := range []string{"State of the game, February: what comes next", "Major update: bigger and bolder, available now", "Community spotlight: the builds of the month"} {
		page.WriteString(`<a href="/news/1"><div>` + title + `</div><div>Thu, February 26</div></a>`)
	}
	page.WriteString(`</div><div class="description"><h2>About this game</h2>`)
	for range 4 {
		page.WriteString(`<p>Dig, fight, explore, build: the very world is at your fingertips as you fight for survival, fortune and glory, delving deep into caverns and seeking foes to test your mettle.</p>`)
	}
	page.WriteString(`<ul><li>Sandbox play</li><li>Randomly generated worlds</li><li>Free content updates</li></ul></div></main></body></html>`)
	res := extractMain(t, "https://store.example/app/105600", page.String())
	mustKeep(t, res.Text, "Dig, fight, explore", "Randomly generated worlds")
	mustDrop(t, res.Text, "State of the game", "bigger and bolder")
}

// TestCartBesideAProduct checks that a shop's cart drawer, printed on
// every product page with its totals and offers, goes, while the section
// that adds the product to the cart keeps the product's offer.
func TestCartBesideAProduct(t *testing.T) {
	page := `<html><head><script type="application/ld+json">{"@type":"Product","name":"Stoneware mug"}</script></head><body><main>
		<h1>Stoneware mug</h1>
		<div class="description"><p>A wheel-thrown stoneware mug with a convenient handle, glazed in a folk-art glaze and fired in our studio kiln.</p>
		<p>Dishwasher and food safe. It holds 350 millilitres, and it is lovely to drink from.</p></div>
		<div id="add-to-cart-section"><p>Buy the stoneware mug for $24.00</p><button>Add to cart</button></div>
		<div class="cart-drawer"><h2>Your cart</h2><p>Recently added</p><p>Order for another $100.00 and receive free shipping on your whole order.</p><p>Total excl. tax $0.00</p><a href="/cart">View cart (0)</a></div>
		</main></body></html>`
	res := extractMain(t, "https://shop.example/p/stoneware-mug", page)
	mustKeep(t, res.Text, "wheel-thrown stoneware mug", "Buy the stoneware mug for $24.00")
	mustDrop(t, res.Text, "Recently added", "receive free shipping", "Total excl. tax")
}

// TestDeliveryTermsBesideAProduct checks that the shop's delivery
// options, the same under every product, go from a product's page.
func TestDeliveryTermsBesideAProduct(t *testing.T) {
	page := `<html><head><script type="application/ld+json">{"@type":"Product","name":"Oil diffuser"}</script></head><body><main>
		<h1>Oil diffuser</h1>
		<div class="description"><p>A ceramic diffuser for essential oils that fits any room, with a soft light and a quiet ultrasonic mist.</p>
		<p>It runs for eight hours on one filling and turns itself off when the water runs out.</p></div>
		<div class="delivery-options"><p>Express delivery (9.90) on Saturday 7 March</p><p>Standard delivery (5.90) on Monday 9 March</p><p>Free pickup in our shop in Nantes</p></div>
		</main></body></html>`
	res := extractMain(t, "https://shop.example/p/oil-diffuser", page)
	if !strings.Contains(res.Text, "quiet ultrasonic mist") {
		t.Errorf("lost the description:\n%s", res.Text)
	}
	mustDrop(t, res.Text, "Express delivery", "Free pickup")
}

// TestGridFilters checks that the filters beside a category's grid (its
// facets: sizes, colours, price ranges) stay out of its main content, and
// its cards and guide stay.
func TestGridFilters(t *testing.T) {
	var page strings.Builder
	page.WriteString(`<html><head><script type="application/ld+json">{"@type":"CollectionPage"}</script></head><body>
		<header><nav><a href="/">Sock shop</a> <a href="/socks">Socks</a></nav></header><main><h1>Dress socks</h1>
		<p>Socks in fine merino for suits and tuxedos, knitted in Portugal and made to last through a hundred washes.</p>
		<div class="product-filters"><div class="group"><span>Pattern</span><div>Solid</div><div>Striped</div><div>Argyle</div><div>Floral</div></div>
		<div class="group"><span>Colour</span><div>Black</div><div>Navy</div><div>Burgundy</div><div>Charcoal</div><div>Mustard</div></div>
		<div class="group"><span>Size</span><div>Small</div><div>Medium</div><div>Large</div><div>Extra large</div></div></div><div class="grid">`)
	for i, sock := range []string{"Merino crew", "Silk dress", "Cotton rib", "Cashmere blend", "Wool boot", "Bamboo ankle"} {
		page.WriteString(`<div class="card"><a href="/p/` + strconv.Itoa(i) + `">` + sock + ` socks</a><span class="price">$` + strconv.Itoa(12+i) + `</span></div>`)
	}
	page.WriteString(`</div></main><footer><p>© Sock shop.</p></footer></body></html>`)
	res := extractMain(t, "https://socks.example/collections/dress-socks", page.String())
	mustKeep(t, res.Text, "Merino crew socks", "Bamboo ankle socks", "knitted in Portugal")
	mustDrop(t, res.Text, "Argyle", "Burgundy", "Extra large")
}

// TestGridControlsAsText checks that the controls of a category's grid
// written as text rather than buttons (its count of results, its sort
// order, a "Load more" and each card's "Shop now") stay out of its main
// content, and its cards stay.
func TestGridControlsAsText(t *testing.T) {
	var page strings.Builder
	page.WriteString(`<html><head><script type="application/ld+json">{"@type":"CollectionPage"}</script></head><body>
		<header><nav><a href="/">Lamp shop</a></nav></header><main><h1>Desk lamps</h1>
		<div class="toolbar-count"><span>Showing 1–24 of 96 results</span></div><div class="order"><span>Sort by</span></div><div class="grid">`)
	for i, lamp := range []string{"Brass arm", "Walnut dome", "Opal globe", "Steel task", "Linen drum", "Glass bell"} {
		page.WriteString(`<div class="card"><a href="/p/` + strconv.Itoa(i) + `">` + lamp + ` lamp</a><p>A lamp for reading late, with a warm bulb and a switch on its cord.</p><span class="price">$` + strconv.Itoa(80+i) + `</span><div class="cta"><a href="/p/` + strconv.Itoa(i) + `">Shop now</a></div></div>`)
	}
	page.WriteString(`</div><div class="more"><a href="?page=2">Load more</a></div></main><footer><p>© Lamp shop.</p></footer></body></html>`)
	res := extractMain(t, "https://lamps.example/collections/desk-lamps", page.String())
	mustKeep(t, res.Text, "Brass arm lamp", "Glass bell lamp", "warm bulb")
	mustDrop(t, res.Text, "96 results", "Sort by", "Shop now", "Load more")
}

// TestTreeOfLinksOnAServicePage checks that a tree of links printed in a
// service page's body (a "choose a service" dropdown holding the site's
// map) stays out of its main content, and its sections stay.
func TestTreeOfLinksOnAServicePage(t *testing.T) {
	var tree strings.Builder
	tree.WriteString(`<div class="hero-select"><ul class="select-list">`)
	for i, group := range []string{"Audit", "Tax", "Advisory", "Technology", "People"} {
		tree.WriteString(`<li><a href="/s/` + strconv.Itoa(i) + `">` + group + ` services</a><ul class="children">`)
		for j := range 5 {
			tree.WriteString(`<li><a href="/s/` + strconv.Itoa(i) + `/` + strconv.Itoa(j) + `">` + group + ` offering number ` + strconv.Itoa(j) + `</a></li>`)
		}
		tree.WriteString(`</ul></li>`)
	}
	tree.WriteString(`</ul></div>`)
	page := `<html><head><title>HR consulting – Acme</title></head><body>
		<header><nav><a href="/">Home</a> <a href="/services">Services</a></nav></header>
		<main>` + tree.String() + `
		<section class="hero-banner"><h2>HR consulting</h2><p>From a single hire to a whole department, our consultants support the people who run your people.</p></section>
		<section class="features"><h2>Employee relations</h2><p>We help managers handle grievances and reviews fairly, and keep the records the law asks for.</p></section>
		<section class="features"><h2>Compliance</h2><p>Handbooks, policies and training that keep up with the rules in every state you hire in.</p></section>
		<section class="features"><h2>Compensation</h2><p>Salary surveys and pay bands so that offers are fair and competitive.</p></section>
		</main>
		<footer><p>© Acme Advisors</p></footer></body></html>`
	res := extractMain(t, "https://acme.example/", page)
	mustKeep(t, res.Text, "single hire", "handle grievances", "Handbooks, policies", "Salary surveys")
	mustDrop(t, res.Text, "Tax services", "Audit offering number 3")
}

// TestPageOfBuilderSections checks that a page built of sibling sections
// alike in tag and class (a page builder's containers), whose longest
// section is an accordion, keeps all its sections of prose rather than
// the accordion alone, and not its furniture.
func TestPageOfBuilderSections(t *testing.T) {
	section := func(body string) string {
		return `<div class="e-con e-flex"><div class="e-con-inner"><div class="widget"><div class="widget-container">` + body + `</div></div></div></div>`
	}
	var accordion strings.Builder
	accordion.WriteString(`<div class="toggle">`)
	for _, entity := range []string{"limited liability company", "professional company", "corporation", "partnership"} {
		accordion.WriteString(`<div class="toggle-item"><div class="toggle-title">Forming a ` + entity + `</div><div class="toggle-content"><p>Our attorneys handle every step of forming a ` + entity + `, from the name search and the filing with the state to the agreement its owners sign, so that nothing is missed and nothing has to be filed twice.</p><p>We also explain the taxes a ` + entity + ` pays, the records it must keep, and the reports the state expects of it every year, so that the business stays in good standing.</p></div></div>`)
	}
	accordion.WriteString(`</div>`)
	page := `<html><head><title>Business formation – Acme Law</title><meta property="og:type" content="article"></head><body>
		<header><nav><a href="/">Home</a> <a href="/contact">Contact</a></nav></header>
		<div class="page-content">` +
		section(`<h2>Business formation in New York</h2><p>Between state filing rules, local licences and tax requirements, starting a business in New York takes more than a form, and mistakes made at the start are costly to undo later.</p><p>That is where our firm comes in: we help owners and professionals set up their business correctly from the first day, whichever structure suits them.</p>`) +
		section(accordion.String()) +
		section(`<h2>Why work with our lawyers</h2><p>Anyone can fill out a form online, but forming a business the right way means understanding what each step commits you to, and what it will cost you in years to come.</p><p>We guide you in choosing the structure that fits, and we stay with you after the filing, when the first contracts and the first hires come.</p>`) +
		section(`<h2>Get in touch</h2><p>Call us to schedule a free consultation with a business lawyer who knows the city and its rules, and start your business with confidence.</p>`) +
		`</div><footer><p>© Acme Law</p></footer></body></html>`
	res := extractMain(t, "https://acme-law.example/business-formation/", page)
	mustKeep(t, res.Text, "Between state filing rules", "name search", "Anyone can fill out a form", "free consultation")
	mustDrop(t, res.Text, "Contact", "© Acme Law")
}

// TestBlocksTitledForOtherPages checks that, on a page of many blocks,
// the blocks whose title points to other pages ("Recently viewed",
// "Related searches"), whatever their class names, stay out of its main
// content, while its own cards stay.
func TestBlocksTitledForOtherPages(t *testing.T) {
	var page strings.Builder
	page.WriteString(`<html><head><script type="application/ld+json">{"@type":"CollectionPage"}</script></head><body>
		<header><nav><a href="/">Gym shop</a></nav></header><main><h1>Fitness equipment</h1><div class="grid">`)
	for i, item := range []string{"Folding treadmill", "Rowing machine", "Home gym", "Dumbbell set", "Exercise bike", "Weight bench"} {
		page.WriteString(`<div class="card"><a href="/p/` + strconv.Itoa(i) + `">` + item + `</a><span class="price">$` + strconv.Itoa(300+i) + `</span><span>4.5 out of 5 stars</span></div>`)
	}
	page.WriteString(`</div><div class="block-a"><h2>Recently viewed</h2><div class="row"><a href="/p/90">Yoga mat in cork</a><a href="/p/91">Kettlebell of cast iron</a></div></div>
		<div class="block-b"><div class="title"><h3>Related searches</h3></div><ul><li><a href="/s/1">treadmills for small spaces</a></li><li><a href="/s/2">exercise bikes with screens</a></li><li><a href="/s/3">weights and accessories</a></li></ul></div>
		</main><footer><p>© Gym shop.</p></footer></body></html>`)
	res := extractMain(t, "https://gym.example/collections/fitness", page.String())
	mustKeep(t, res.Text, "Folding treadmill", "Weight bench")
	mustDrop(t, res.Text, "Recently viewed", "Yoga mat", "Related searches", "small spaces")
}

// TestCardBadgesAndLinksAsLabels checks that a card's calls to action
// and badges written as links or spans beside its other elements ("Shop
// now", "Free shipping", "In stock") stay out of the main content, while
// the same words inside a sentence stay.
func TestCardBadgesAndLinksAsLabels(t *testing.T) {
	var page strings.Builder
	page.WriteString(`<html><head><script type="application/ld+json">{"@type":"CollectionPage"}</script></head><body>
		<header><nav><a href="/">Kettle shop</a></nav></header><main><h1>Kettles</h1>
		<p>Every kettle here ships with free shipping in stock or not, and we keep spare lids for ten years.</p><div class="grid">`)
	for i, kettle := range []string{"Copper kettle", "Glass kettle", "Steel kettle", "Enamel kettle", "Travel kettle", "Gooseneck kettle"} {
		page.WriteString(`<div class="card"><h3>` + kettle + `</h3><span class="price">$` + strconv.Itoa(40+i) + `</span><span class="badge">Free shipping</span><span class="stock">In stock</span><a href="/p/` + strconv.Itoa(i) + `">Shop now</a></div>`)
	}
	page.WriteString(`</div></main><footer><p>© Kettle shop.</p></footer></body></html>`)
	res := extractMain(t, "https://kettles.example/collections/kettles", page.String())
	mustKeep(t, res.Text, "Copper kettle", "Gooseneck kettle", "free shipping in stock or not")
	mustDrop(t, res.Text, "Shop now", "Free shipping", "In stock")
}

// TestTickerOfOneLabel checks that a ticker (a marquee of the same words
// over and over, "Book now *") stays out of a page's main content, and
// a short list of different words stays.
func TestTickerOfOneLabel(t *testing.T) {
	ticker := `<div class="marquee">` + strings.Repeat(`<span>Book now <span class="star">*</span></span>`, 40) + `</div>`
	page := `<html><head><title>Packaging design – Acme</title></head><body>
		<header><nav><a href="/">Home</a></nav></header><main>
		<section><h2>Packaging that sells</h2><p>We design boxes, labels and bottles that stand out on a crowded shelf and tell your brand's story at a glance.</p></section>
		<section><h2>What we make</h2><div class="kinds"><span>Boxes</span><span>Labels</span><span>Bottles</span><span>Pouches</span><span>Tins</span><span>Tubes</span></div></section>
		<section>` + ticker + `</section>
		<section><h2>Your product deserves better</h2><p>Make a lasting impression with packaging that captivates the eye and converts a glance into a sale.</p></section>
		</main><footer><p>© Acme Design</p></footer></body></html>`
	res := extractMain(t, "https://acme-design.example/", page)
	mustKeep(t, res.Text, "crowded shelf", "Pouches", "lasting impression")
	if strings.Contains(res.Text, "Book now") {
		t.Errorf("kept the ticker:\n%s", res.Text)
	}
}

// mustKeep fails t for each of want that text lacks.
func mustKeep(t *testing.T, text string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("lost %q:\n%s", w, text)
		}
	}
}

// mustDrop fails t for each of unwanted that text holds.
func mustDrop(t *testing.T, text string, unwanted ...string) {
	t.Helper()
	for _, u := range unwanted {
		if strings.Contains(text, u) {
			t.Errorf("kept %q:\n%s", u, text)
		}
	}
}
