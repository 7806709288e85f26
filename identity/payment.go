package identity

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
)

// Budget decides which pay-per-crawl prices Sous pays (Cloudflare's: a 402
// with crawler-price, retried with crawler-exact-price) and keeps the
// account: a cap per page and a total. Amounts are kept in millionths of
// a dollar, so that sums are exact. It is safe for concurrent use.
type Budget struct {
	maxPrice int64 // per page

	mu       sync.Mutex
	left     int64 // of the total, less what is reserved
	reserved int64
	spent    int64
	charges  int64
}

// NewBudget returns a Budget that pays at most maxPrice USD a page and
// total USD in all.
func NewBudget(maxPrice, total float64) (*Budget, error) {
	if maxPrice <= 0 || total < 0 || math.IsInf(maxPrice, 0) || math.IsInf(total, 0) {
		return nil, errors.New("identity: a budget needs a positive price cap and a total of 0 or more")
	}
	return &Budget{maxPrice: micros(maxPrice), left: micros(total)}, nil
}

func micros(usd float64) int64 { return int64(math.Round(usd * 1e6)) }

func usd(m int64) string { return "USD " + strconv.FormatFloat(float64(m)/1e6, 'f', -1, 64) }

// ParsePrice reads a pay-per-crawl price, "USD 0.01", into millionths of a
// dollar.
func ParsePrice(price string) (int64, error) {
	currency, amount, ok := strings.Cut(strings.TrimSpace(price), " ")
	if !ok || !strings.EqualFold(currency, "USD") {
		return 0, fmt.Errorf("price %q is not in USD", price)
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(amount), 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, fmt.Errorf("price %q is not an amount", price)
	}
	return micros(f), nil
}

// Authorize decides whether to pay price (the crawler-price header) for
// one page. When it will, it reserves the price and returns the
// crawler-exact-price value to retry with, and settle, to be called once
// with the crawler-charged header of the answer ("" when nothing was
// charged). Otherwise its error says why not.
func (b *Budget) Authorize(price string) (exact string, settle func(charged string), err error) {
	m, err := ParsePrice(price)
	if err != nil {
		return "", nil, err
	}
	if m > b.maxPrice {
		return "", nil, fmt.Errorf("the price %s is more than --max-price %s", usd(m), usd(b.maxPrice))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if m > b.left {
		return "", nil, fmt.Errorf("the price %s is more than the %s left of --payment-budget", usd(m), usd(b.left))
	}
	b.left -= m
	b.reserved += m
	var once sync.Once
	return strings.TrimSpace(price), func(charged string) {
		once.Do(func() { b.settle(m, charged) })
	}, nil
}

// settle turns a reservation of m into what was charged: the rest goes
// back to the budget. A charge it cannot read counts as the price.
func (b *Budget) settle(m int64, charged string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.reserved -= m
	if charged == "" {
		b.left += m
		return
	}
	c, err := ParsePrice(charged)
	if err != nil {
		c = m
	}
	b.left += m - c
	b.spent += c
	b.charges++
}

// BudgetStats are a Budget's account, in USD.
type BudgetStats struct {
	Left, Spent float64
	Charges     int64 // pages paid for
}

// Stats returns the account.
func (b *Budget) Stats() BudgetStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return BudgetStats{Left: float64(b.left) / 1e6, Spent: float64(b.spent) / 1e6, Charges: b.charges}
}
