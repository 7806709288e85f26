package render

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"maps"
	"net/http"
	"strings"
)

// ErrPaymentRequired is a page behind HTTP 402 that the service did not
// pay for: Cloudflare pay-per-crawl over the operator's cap or budget (or
// with no way to pay), or an x402 demand, whose terms the error's Meta
// carries for the caller to decide.
var ErrPaymentRequired = errors.New("payment required")

// Payer pays Cloudflare pay-per-crawl prices (identity.Budget).
type Payer interface {
	// Authorize decides whether to pay price, the crawler-price header
	// ("USD 0.01"). If so it returns the crawler-exact-price value to retry
	// with and settle, to call once with the answer's crawler-charged
	// header ("" when nothing was charged); if not, an error saying why.
	Authorize(price string) (exact string, settle func(charged string), err error)
}

// PaymentError is a page that asked to be paid. Meta carries the price
// (Meta.Price) or the x402 requirements (Meta.Payment).
type PaymentError struct {
	Meta   Meta
	Reason string
}

func (e *PaymentError) Error() string {
	return fmt.Sprintf("%v: %s %s", ErrPaymentRequired, e.Meta.URL, e.Reason)
}

func (e *PaymentError) Unwrap() error { return ErrPaymentRequired }

// The headers of Cloudflare's pay-per-crawl.
const (
	headerCrawlerPrice      = "crawler-price"
	headerCrawlerExactPrice = "crawler-exact-price"
	headerCrawlerCharged    = "crawler-charged"
	headerX402              = "payment-required"
)

// payFor handles a page that answered 402. A pay-per-crawl price within
// what the Payer allows is paid: req is fetched again, once, with the
// exact price, and that page is returned with what was charged. Any other
// 402 that says its terms is a PaymentError; one that says none is
// returned as it is, for the obstacle check.
func (s *Service) payFor(ctx context.Context, req *Request, page *Page) (_ *Page, charged string, _ error) {
	price := page.Headers[headerCrawlerPrice]
	if price == "" {
		if terms := x402Terms(page); terms != nil {
			obstacle, _ := s.detectObstacle(page)
			meta := pageMeta(page, obstacle)
			meta.Payment = terms
			return nil, "", &PaymentError{Meta: meta, Reason: "asks for an x402 payment; its terms are in meta.payment (Sous does not pay x402 itself)"}
		}
		return page, "", nil
	}
	refuse := func(why string) error {
		obstacle, _ := s.detectObstacle(page)
		meta := pageMeta(page, obstacle)
		meta.Price = price
		return &PaymentError{Meta: meta, Reason: fmt.Sprintf("asks %s a page (pay-per-crawl); %s", price, why)}
	}
	if s.opts.Payer == nil {
		return nil, "", refuse("this service pays no site (it needs --identity-key and --max-price)")
	}
	exact, settle, err := s.opts.Payer.Authorize(price)
	if err != nil {
		return nil, "", refuse(err.Error())
	}
	paid := *req
	paid.ExtraHTTPHeaders = maps.Clone(req.ExtraHTTPHeaders)
	if paid.ExtraHTTPHeaders == nil {
		paid.ExtraHTTPHeaders = map[string]string{}
	}
	paid.ExtraHTTPHeaders[headerCrawlerExactPrice] = exact
	again, err := s.fetch(ctx, &paid)
	if err != nil {
		settle("")
		return nil, "", err
	}
	charged = again.Headers[headerCrawlerCharged]
	settle(charged)
	if again.Status == http.StatusPaymentRequired {
		return nil, "", refuse("it still asked for payment when offered " + exact)
	}
	return again, charged, nil
}

// x402Terms returns the payment requirements of an x402 answer: the
// PAYMENT-REQUIRED header (version 2, base64 JSON) or a JSON body with
// x402Version (version 1), or nil.
func x402Terms(page *Page) json.RawMessage {
	if h := strings.TrimSpace(page.Headers[headerX402]); h != "" {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(h); err == nil && json.Valid(b) {
				return b
			}
		}
	}
	body := page.HTML
	start, end := strings.Index(body, "{"), strings.LastIndex(body, "}")
	if start < 0 || end < start {
		return nil
	}
	text := html.UnescapeString(body[start : end+1]) // the JSON as a <pre> shows it
	var probe struct {
		Version *int `json:"x402Version"`
	}
	if json.Unmarshal([]byte(text), &probe) != nil || probe.Version == nil {
		return nil
	}
	return json.RawMessage(text)
}
