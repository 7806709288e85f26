package netguard

import "testing"

func TestCanonicalHost(t *testing.T) {
	tests := map[string]string{
		"127.0.0.1":           "127.0.0.1",
		"2130706433":          "127.0.0.1",
		"0x7f000001":          "127.0.0.1",
		"017700000001":        "127.0.0.1",
		"0x7f.0x0.0x0.0x1":    "127.0.0.1",
		"0177.00.0.01":        "127.0.0.1",
		"0x7f.1":              "127.0.0.1",
		"127.1":               "127.0.0.1",
		"127.0.1":             "127.0.0.1",
		"127.0.0.1.":          "127.0.0.1",
		"%31%32%37.0.0.1":     "127.0.0.1",
		"１２７.０.０.１":           "127.0.0.1",
		"0X7F.0.0.1":          "127.0.0.1",
		"0251.0376.0251.0376": "169.254.169.254",
		"10.1":                "10.0.0.1",
		"0":                   "0.0.0.0",
		"0x":                  "0.0.0.0",
		"[::ffff:7f00:1]":     "::ffff:127.0.0.1",
		"::1":                 "::1",
		"EXAMPLE.com":         "example.com",
		"bücher.example":      "xn--bcher-kva.example",
		"1.2.3.256":           "1.2.3.256", // not an address, nor a name Chromium accepts
		"a.0x7f":              "a.0x7f",    // ends in a number: Chromium refuses it; resolving it fails
		"0x100000000":         "0x100000000",
	}
	for in, want := range tests {
		if got := CanonicalHost(in); got != want {
			t.Errorf("CanonicalHost(%q) = %q, want %q", in, got, want)
		}
	}
}
