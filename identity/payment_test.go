package identity

import (
	"strings"
	"testing"
)

func TestBudget(t *testing.T) {
	b, err := NewBudget(0.05, 0.06)
	if err != nil {
		t.Fatal(err)
	}
	exact, settle, err := b.Authorize("USD 0.02")
	if err != nil || exact != "USD 0.02" {
		t.Fatalf("Authorize = %q, %v", exact, err)
	}
	// Reserved: a second page of 0.05 does not fit beside it.
	if _, _, err := b.Authorize("USD 0.05"); err == nil || !strings.Contains(err.Error(), "left of --payment-budget") {
		t.Errorf("over the budget left: %v", err)
	}
	settle("USD 0.02")
	settle("USD 0.02") // once only
	if _, _, err := b.Authorize("usd 0.06"); err == nil || !strings.Contains(err.Error(), "more than --max-price") {
		t.Errorf("over the cap: %v", err)
	}
	_, refund, err := b.Authorize("USD 0.04")
	if err != nil {
		t.Fatal(err)
	}
	refund("") // not charged: back to the budget
	for _, bad := range []string{"EUR 0.01", "USD", "USD -1", "USD x"} {
		if _, _, err := b.Authorize(bad); err == nil {
			t.Errorf("Authorize(%q) accepted it", bad)
		}
	}
	if st := b.Stats(); st.Charges != 1 || st.Spent != 0.02 || st.Left != 0.04 {
		t.Errorf("Stats = %+v, want 1 charge, 0.02 spent, 0.04 left", st)
	}
	if _, err := NewBudget(0, 1); err == nil {
		t.Error("a budget with no price cap")
	}
}
