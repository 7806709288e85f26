// Package session is the domain of interactive browsing: an agent opens a
// session, sends it actions (navigate, click, type …) and reads what the
// page became, between requests and for as long as the session lives.
//
// A session is one isolated browser context (a Context, made by a Browser:
// browserpool.Pool): its cookies, storage, cache and tabs are its own, never
// shared with another session or with one-shot renders. The Manager owns
// the sessions: it bounds how many live at once (past MaxSessions,
// render.ErrOverloaded), ends one that stays idle past its TTL, gives each
// action a deadline, and runs one request of a session at a time.
//
// What the agent sees of a page is a snapshot: the accessibility outline of
// the active tab, one element a line, each with a ref ([ref=e12]) that an
// action may name as its target instead of a CSS selector. After the first
// snapshot of a document, replies carry only what changed (a diff), which
// keeps a long session within a model's context.
//
// Secrets: a session may be given named values (passwords, tokens) at
// creation. An action refers to one by name ({"type": …, "secret":
// "PASSWORD"}); the value is typed, and wherever it would show in what the
// session returns (an input's value in a snapshot, a URL, an error, page
// text, storage) it reads «secret:NAME» instead. Nothing the Manager logs
// carries action arguments.
//
// Storage state is Playwright's JSON ({cookies, origins: [{origin,
// localStorage}]}), so a state saved by Playwright starts a session signed
// in, and one exported here works in Playwright. A named profile keeps
// that state on disk between sessions (Options.DataDir).
//
//	m, err := session.NewManager(session.Options{Browser: pool, Extractor: extract.New()})
//	defer m.Close()
//	info, err := m.Create(ctx, &session.CreateRequest{Secrets: map[string]string{"PASSWORD": pw}})
//	res, err := m.Act(ctx, info.ID, &session.ActRequest{Actions: []session.Action{
//		{Do: session.DoNavigate, URL: "https://example.com/login"},
//		{Do: session.DoType, Target: "#password", Secret: "PASSWORD", Submit: true},
//	}})
//	fmt.Println(res.Snapshot)
package session
