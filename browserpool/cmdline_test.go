package browserpool

import "testing"

// Renderers' command lines are space-separated (Chromium rewrites them after
// the zygote forks), the browser's NUL-separated; both must match, and a
// profile directory must not match one whose name it prefixes.
func TestHasArg(t *testing.T) {
	const arg = "--user-data-dir=/tmp/sous-chrome-1-abc"
	tests := []struct {
		name    string
		cmdline string
		want    bool
	}{
		{"browser", "/usr/lib/chromium/chromium\x00--headless\x00" + arg + "\x00about:blank\x00", true},
		{"renderer", "/usr/lib/chromium/chromium --type=renderer " + arg + " --no-sandbox", true},
		{"last argument", "chromium " + arg, true},
		{"longer directory", "chromium\x00" + arg + "d\x00", false},
		{"prefixed", "chromium\x00x" + arg + "\x00", false},
		{"longer, then exact", "chromium " + arg + "d " + arg, true},
		{"absent", "chromium\x00--headless\x00", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hasArg([]byte(tt.cmdline), []byte(arg)); got != tt.want {
				t.Errorf("hasArg = %v, want %v", got, tt.want)
			}
		})
	}
}
