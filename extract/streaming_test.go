package extract_test

import (
	"strings"
	"testing"
)

// TestStreamedSections checks that the sections a React server streams
// after the page's footer, hidden until its script moves them into place,
// are read where the page's shell awaits them, their loading fallback
// gone, whether the page kept the script that moves them or not.
func TestStreamedSections(t *testing.T) {
	for _, script := range []string{`<script>$RC("B:0","S:0");$RC("B:1","S:1")</script>`, ""} {
		page := `<html><head><title>Deploy – Acme</title></head><body><header><nav><a href="/">Acme</a> <a href="/pricing">Pricing</a></nav></header>
			<main><h1>Your fastest path to production</h1>
			<section><!--$?--><template id="B:0"></template><p>Loading…</p><!--/$--></section>
			<section><!--$?--><template id="B:1"></template><!--/$--></section></main>
			<footer><p>© Acme Inc. Terms and privacy.</p></footer>
			<div hidden id="S:0"><h2>Click, click, done</h2><p>Choose what you need to run your apps, APIs, databases and cron jobs, and connect a repository to deploy on every push.</p></div>
			<div hidden id="S:1"><h2>Trusted by builders</h2><p>Teams of every size ship their services on Acme, from their first user to their millionth, without managing servers.</p></div>` +
			script + `</body></html>`
		res := extractMain(t, "https://acme.example/", page)
		mustKeep(t, res.Text, "Choose what you need to run your apps", "Teams of every size")
		if strings.Contains(res.Text, "Loading") {
			t.Errorf("kept the fallback:\n%s", res.Text)
		}
		if i, j := strings.Index(res.Text, "Click, click"), strings.Index(res.Text, "Trusted by"); i < 0 || j < i {
			t.Errorf("sections out of order:\n%s", res.Text)
		}
	}
}
