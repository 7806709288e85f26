package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestCheck(t *testing.T) {
	schema := json.RawMessage(`{"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}`)
	tests := []struct {
		reply   string
		want    string
		wantErr bool
	}{
		{`{"n": 3}`, `{"n":3}`, false},
		{"```json\n{\"n\": 3}\n```", `{"n":3}`, false},
		{`{"n": "three"}`, "", true},
		{`{}`, "", true},
		{`not json`, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.reply, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprintf(w, `{"choices": [{"message": {"content": %q}}]}`, tc.reply)
			}))
			defer srv.Close()
			x := &Extractor{URL: srv.URL, Model: "m"}
			out, err := x.ExtractJSON(context.Background(), Request{Content: "page", Schema: schema})
			if (err != nil) != tc.wantErr || (err == nil && string(out) != tc.want) {
				t.Errorf("out %s, err %v", out, err)
			}
		})
	}
}

func TestNoModelAndBadSchema(t *testing.T) {
	if _, err := (&Extractor{}).ExtractJSON(context.Background(), Request{Prompt: "x"}); !errors.Is(err, ErrNoModel) {
		t.Errorf("err = %v, want ErrNoModel", err)
	}
	x := &Extractor{URL: "http://127.0.0.1:1", Model: "m"}
	if _, err := x.ExtractJSON(context.Background(), Request{Schema: json.RawMessage(`{"type": 7}`)}); !errors.Is(err, ErrInvalidSchema) {
		t.Errorf("err = %v, want ErrInvalidSchema", err)
	}
}
