package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/dustin/go-humanize"

	"github.com/sous-dev/sous/api"
	"github.com/sous-dev/sous/cache"
	"github.com/sous-dev/sous/crawl"
	"github.com/sous-dev/sous/httpfetch"
	"github.com/sous-dev/sous/isolate"
	"github.com/sous-dev/sous/mcpbridge"
	"github.com/sous-dev/sous/render"
	"github.com/sous-dev/sous/session"
)

// limit is one row of the limits table: what is bounded, the bound, the
// flag that moves it, and what a request past it gets. `sous serve --help`
// prints the table and the README holds the same one (a test keeps them
// equal), so the documented limits are the enforced ones.
type limit struct {
	what, bound, flags, beyond string
}

// limits is the table, with the defaults of the serve flags in fs.
func limits(fs *flag.FlagSet) []limit {
	def := func(name string) string {
		f := fs.Lookup(name)
		if f == nil {
			panic("limits: no flag --" + name) // a renamed flag; the test catches it
		}
		return f.DefValue
	}
	dur := func(name string) string { return humanDuration(def(name)) }
	const bad = "400 naming the field and the limit"
	return []limit{
		{"Request deadline", fmt.Sprintf("%s by default, at most %s", dur("timeout"), dur("max-timeout")), "`--timeout`, `--max-timeout`", "a longer `gotoOptions.timeout` is a 400; a render past it is `timeout` (504) naming the stage"},
		{"Renders at once", "4 per core, one tab each", "`--concurrency`", "the next wait in the queue"},
		{"Renders waiting", "4 × concurrency", "`--queue`", "429 with `Retry-After`"},
		{"Request body", byteSize(api.DefaultBodyLimit), "", "413"},
		{"`url`", byteSize(render.MaxURLLength), "", bad},
		{"`html`", byteSize(render.MaxHTMLLength), "", bad},
		{"A page the http engine reads", byteSize(render.MaxHTMLLength), "`--max-page-size`", "`page_too_large` (422) under engine `http`; Chromium renders it under `auto`"},
		{"A PDF document", fmt.Sprintf("%s, its first %d pages", byteSize(httpfetch.DefaultMaxDocumentBytes), httpfetch.DefaultPDFMaxPages), "", "larger: `page_too_large`; later pages left out with a warning"},
		{"`viewport` width and height", fmt.Sprintf("%d px", render.MaxViewport), "", bad},
		{"`setExtraHTTPHeaders`", fmt.Sprintf("%d, %s each, %s in all", render.MaxHeaders, byteSize(render.MaxHeaderLength), byteSize(render.MaxHeadersTotal)), "", bad},
		{"`cookies`", fmt.Sprintf("%d, %s each, %s per domain, path or sameSite", render.MaxCookies, byteSize(render.MaxCookieLength), byteSize(render.MaxCookieAttribute)), "", bad},
		{"`rejectRequestPattern`, `allowRequestPattern`", fmt.Sprintf("%d each, %s per pattern", render.MaxPatterns, byteSize(render.MaxPatternLength)), "", bad},
		{"`rejectResourceTypes`, `allowResourceTypes`", fmt.Sprintf("%d each, %d bytes per type", render.MaxResourceTypes, render.MaxResourceTypeLen), "", bad},
		{"`addScriptTag`, `addStyleTag`", fmt.Sprintf("%d each, %s per tag, %s per `type` or `id`", render.MaxTags, byteSize(render.MaxTagContent), byteSize(render.MaxTagAttribute)), "", bad},
		{"`includeTags`, `excludeTags`", fmt.Sprintf("%d selectors each, %s per selector", render.MaxSelectors, byteSize(render.MaxSelectorLength)), "", bad},
		{"`selector`, `waitForSelector.selector`", byteSize(render.MaxSelectorLength), "", bad},
		{"`userAgent`, `authenticate` fields", byteSize(render.MaxUserAgent), "", bad},
		{"`waitForTimeout`", humanDuration(fmt.Sprint(render.MaxWaitForTimeout, "ms")), "", bad},
		{"`cacheTTL`, `maxAge`", fmt.Sprintf("%.0f h", render.MaxCacheTTL.Hours()), "", bad},
		{"`settleTimeout`", humanDuration(fmt.Sprint(render.MaxSettleTimeout, "ms")), "", bad},
		{"`scrollPages`", strconv.Itoa(render.MaxScrollPages), "", bad},
		{"`pdfOptions`", fmt.Sprintf("%s per header or footer template, %s of `pageRanges`, %d bytes per size or margin", byteSize(render.MaxPDFTemplate), byteSize(render.MaxPDFPageRanges), render.MaxPDFLength), "", bad},
		{"`script`, code-mode `code`", byteSize(render.MaxScriptLength), "", bad},
		{"Cached results in memory", byteSize(uint64(cache.DefaultMaxBytes)), "`--cache-size`", "the least used go"},
		{"A script's time, memory and output", fmt.Sprintf("%s (%s of CPU), %s, %s", dur("script-timeout"), humanDuration(isolate.DefaultScriptLimits.CPUTime.String()), byteSize(uint64(isolate.DefaultScriptLimits.Memory)), byteSize(uint64(isolate.DefaultScriptLimits.Output))), "`--script-timeout`, `--script-memory`, `--script-max-output`", "`script_timeout`, `script_memory`, `script_output_too_large` (422)"},
		{"A code-mode program's time, memory, output and calls", fmt.Sprintf("%s (%s of CPU), %s, %s, %d `sous.*` calls", dur("code-timeout"), humanDuration(isolate.DefaultCodeLimits.CPUTime.String()), byteSize(uint64(isolate.DefaultCodeLimits.Memory)), byteSize(uint64(isolate.DefaultCodeLimits.Output)), isolate.DefaultMaxRenders), "`--code-timeout`, `--script-memory`, `--script-max-output`, `--code-max-renders`", "`script_timeout`, `script_memory`, `script_output_too_large` (422); the next call past the calls rejects; a `timeoutMs` above the time, `invalid_request` (400)"},
		{"Crawl jobs", fmt.Sprintf("%s running, 8 more waiting; %s pages each; 1 h of running each; kept %s after they end", def("crawl-max-running"), def("crawl-max-pages"), dur("crawl-retention")), "`--crawl-max-running`, `--crawl-max-pages`, `--crawl-retention`", "429; a larger `limit` is a 400; a job past its hour ends `cancelled_due_to_timeout`"},
		{"Crawl records in memory", byteSize(crawl.DefaultMaxTotalBytes) + " for all jobs, a quarter of it for one", "`--crawl-max-bytes`", "a job past its part ends `cancelled_due_to_limits`; past the whole, the oldest ended jobs lose their content (URLs and statuses stay), said in their `error`"},
		{"Sessions", fmt.Sprintf("from memory (256 MiB each); idle %s by default, at most 1 h", dur("session-ttl")), "`--max-sessions`, `--session-ttl`", "429 with `Retry-After`"},
		{"A session's actions", fmt.Sprintf("%d per request; %s of typed text, %s per upload, %s per wait; %d secrets of %s", session.MaxActions, byteSize(session.MaxText), byteSize(session.MaxUpload), humanDuration(fmt.Sprint(session.MaxWait, "ms")), session.MaxSecrets, byteSize(session.MaxSecretLength)), "", bad},
		{"A session's downloads", fmt.Sprintf("%s each, %s in all", byteSize(session.MaxDownload), byteSize(session.MaxDownloadTotal)), "", "the download is cancelled, said in its state"},
		{"MCP `maxChars`", fmt.Sprintf("%s to %s, %s by default", humanize.Comma(mcpbridge.MinMaxChars), humanize.Comma(mcpbridge.MaxMaxChars), humanize.Comma(mcpbridge.DefaultMaxChars)), "", "an error naming the bounds"},
		{"Pay-per-crawl prices", "none paid", "`--max-price`, `--payment-budget`", "`payment_required` (402) with `meta.price`; paid pages carry `meta.charged`"},
		{"Renderer memory", "1 GiB each; the browser's process tree in a memory cgroup where there is one", "", "the renderer is killed: its render fails as a crashed page and the tab is replaced"},
	}
}

// writeLimits prints the table in Markdown, for --help and the README.
func writeLimits(w io.Writer, rows []limit) {
	fmt.Fprintln(w, "| Limit | Default | Flag | Beyond it |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, r := range rows {
		flags := r.flags
		if flags == "" {
			flags = "—"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", r.what, r.bound, flags, r.beyond)
	}
}

// byteSize writes n in binary units, without decimals when it is a whole
// number of them: 8 KiB, 1.5 MiB.
func byteSize(n uint64) string {
	for _, u := range []struct {
		size uint64
		name string
	}{{1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}} {
		if n >= u.size {
			if n%u.size == 0 {
				return fmt.Sprintf("%d %s", n/u.size, u.name)
			}
			return fmt.Sprintf("%.1f %s", float64(n)/float64(u.size), u.name)
		}
	}
	return fmt.Sprintf("%d bytes", n)
}

// humanDuration writes a flag's duration as people do: 30 s, 1 min, 1 h.
func humanDuration(s string) string {
	d, err := time.ParseDuration(s)
	if err != nil {
		return s
	}
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%d h", d/time.Hour)
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%d min", d/time.Minute)
	case d >= time.Second && d%time.Second == 0:
		return fmt.Sprintf("%d s", d/time.Second)
	}
	return d.String()
}
