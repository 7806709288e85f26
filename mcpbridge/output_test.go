package mcpbridge

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/sous-dev/sous/render"
)

func TestPageOf(t *testing.T) {
	lines := strings.Repeat("0123456789abcdefghi\n", 10) // 200 characters, a break every 20
	tests := []struct {
		name      string
		s         string
		max, n    int
		wantText  string
		wantCount int
		from, to  int
	}{
		{"fits", "short", 100, 1, "short", 1, 0, 5},
		{"empty", "", 100, 1, "", 0, 0, 0},
		{"cut at a line break", lines, 50, 1, lines[:40], 5, 0, 40},
		{"next page starts where the last ended", lines, 50, 2, lines[40:80], 5, 40, 80},
		{"last page", lines, 50, 5, lines[160:], 5, 160, 200},
		{"past the end", lines, 50, 6, "", 5, 0, 0},
		{"no break near the end: cut at max", strings.Repeat("x", 25), 10, 3, "xxxxx", 3, 20, 25},
		{"a space near the end", "one two three four five", 10, 1, "one two ", 3, 0, 8},
		{"a line break beats a later space", "abcdefgh\nij klmnop", 10, 1, "abcdefgh\n", 2, 0, 9},
		{"characters, not bytes", strings.Repeat("é", 15), 10, 2, strings.Repeat("é", 5), 2, 10, 15},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := pageOf(tc.s, tc.max, tc.n)
			if p.text != tc.wantText || p.count != tc.wantCount || p.from != tc.from || p.to != tc.to {
				t.Errorf("pageOf(%d, %d) = %q count %d [%d, %d), want %q count %d [%d, %d)",
					tc.max, tc.n, p.text, p.count, p.from, p.to, tc.wantText, tc.wantCount, tc.from, tc.to)
			}
		})
	}
}

// The pages of any text put back together are the text, none longer than max.
func FuzzPageOf(f *testing.F) {
	f.Add("a\nb\nc\n", 2)
	f.Add(strings.Repeat("word ", 100), 7)
	f.Add("日本語\nテキスト", 3)
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 1 || max > 1000 || !utf8.ValidString(s) {
			t.Skip()
		}
		count := pageOf(s, max, 1).count
		var joined strings.Builder
		for n := 1; n <= count; n++ {
			p := pageOf(s, max, n)
			if c := utf8.RuneCountInString(p.text); c > max || c == 0 || c != p.to-p.from {
				t.Fatalf("page %d of %d has %d characters, [%d, %d), max %d", n, count, c, p.from, p.to, max)
			}
			joined.WriteString(p.text)
		}
		if joined.String() != s {
			t.Fatalf("pages joined differ from the text")
		}
	})
}

func TestLinkList(t *testing.T) {
	got := linkList([]render.Link{
		{URL: "https://example.com/a", Text: "  Plain\n text "},
		{URL: "https://example.com/b"},
		{URL: "https://example.com/c d", Text: "with [brackets]"},
	})
	want := "- [Plain text](<https://example.com/a>)\n- <https://example.com/b>\n- [with \\[brackets\\]](<https://example.com/c d>)\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("linkList (-want +got):\n%s", diff)
	}
}

func encodePNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// noise is an image that compresses badly, like a photograph.
func noise(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = uint8(r.IntN(256))
	}
	return img
}

func TestFitImage(t *testing.T) {
	tests := []struct {
		name       string
		img        []byte
		maxBytes   int
		maxSide    int
		wantScaled bool
	}{
		{"fits as it is", encodePNG(t, noise(40, 30)), 1 << 20, 8000, false},
		{"too tall", encodePNG(t, image.NewRGBA(image.Rect(0, 0, 100, 3000))), 1 << 20, 1000, true},
		{"too many bytes", encodePNG(t, noise(600, 400)), 100 << 10, 8000, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := fitImage(tc.img, tc.maxBytes, tc.maxSide)
			if err != nil {
				t.Fatal(err)
			}
			if f.scaled != tc.wantScaled {
				t.Fatalf("scaled = %v, want %v", f.scaled, tc.wantScaled)
			}
			if len(f.data) > tc.maxBytes || f.width > tc.maxSide || f.height > tc.maxSide {
				t.Errorf("result %d×%d, %d bytes; limits %d px, %d bytes", f.width, f.height, len(f.data), tc.maxSide, tc.maxBytes)
			}
			cfg, format, err := image.DecodeConfig(bytes.NewReader(f.data))
			if err != nil || cfg.Width != f.width || cfg.Height != f.height || "image/"+format != f.mimeType {
				t.Errorf("data is %s %d×%d (%v), result says %s %d×%d", format, cfg.Width, cfg.Height, err, f.mimeType, f.width, f.height)
			}
			if !tc.wantScaled {
				return
			}
			// Proportions are kept, to a pixel.
			if got, want := f.width*f.fromHeight, f.height*f.fromWidth; abs(got-want) > max(f.fromWidth, f.fromHeight) {
				t.Errorf("%d×%d from %d×%d changes the proportions", f.width, f.height, f.fromWidth, f.fromHeight)
			}
		})
	}
	if _, err := fitImage([]byte("not an image"), 1<<20, 8000); err == nil {
		t.Error("fitImage accepted bytes that are no image")
	}
}

// Scaling averages: a black and white checkerboard halves to grey.
func TestShrinkAverages(t *testing.T) {
	src := image.NewGray(image.Rect(0, 0, 4, 4))
	for y := range 4 {
		for x := range 4 {
			if (x+y)%2 == 0 {
				src.SetGray(x, y, color.Gray{Y: 255})
			}
		}
	}
	got := shrink(src, 2, 2)
	for i := 0; i < len(got.Pix); i += 4 {
		if v := got.Pix[i]; v < 120 || v > 135 {
			t.Fatalf("pixel %d = %d, want mid grey", i/4, v)
		}
	}
}

func abs(n int) int { return max(n, -n) }

func TestIsLoopbackHost(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost":          true,
		"localhost:8080":     true,
		"LOCALHOST.":         true,
		"app.localhost:3000": true,
		"127.0.0.1:8080":     true,
		"127.1.2.3":          true,
		"[::1]:8080":         true,
		"::1":                true,
		"[::ffff:127.0.0.1]": true,
		"example.com":        false,
		"evil.example:8080":  false,
		"localhost.evil.com": false,
		"10.0.0.1:8080":      false,
		"":                   false,
	} {
		if got := isLoopbackHost(host); got != want {
			t.Errorf("isLoopbackHost(%q) = %v, want %v", host, got, want)
		}
	}
}
