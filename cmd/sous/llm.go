package main

import (
	"context"
	"encoding/json"
	"flag"
	"os"

	"github.com/sous-dev/sous/api"
	"github.com/sous-dev/sous/llm"
)

// llmFlags configure the language model behind Cloudflare's /json route.
type llmFlags struct {
	url, model, key string
}

func (f *llmFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.url, "llm-url", os.Getenv("SOUS_LLM_URL"), "OpenAI-compatible API base for the /json route, e.g. http://127.0.0.1:8000/v1 (llama.cpp, vLLM, Ollama)")
	fs.StringVar(&f.model, "llm-model", os.Getenv("SOUS_LLM_MODEL"), "model name for the /json route")
	f.key = os.Getenv("SOUS_LLM_KEY") // a secret: from the environment only, never a flag in ps
}

// extractor returns the /json route's model, or nil when none is set.
func (f *llmFlags) extractor() api.JSONExtractor {
	x := f.newExtractor()
	if x == nil {
		return nil
	}
	return jsonModel{x}
}

// newExtractor is the language model the flags name, or nil when none is set.
func (f *llmFlags) newExtractor() *llm.Extractor {
	if f.url == "" {
		return nil
	}
	x := &llm.Extractor{URL: f.url, Model: f.model}
	if f.key != "" {
		x.Authorization = "Bearer " + f.key
	}
	return x
}

// jsonModel adapts llm.Extractor to api.JSONExtractor.
type jsonModel struct{ *llm.Extractor }

func (m jsonModel) ExtractJSON(ctx context.Context, r api.JSONRequest) (json.RawMessage, error) {
	return m.Extractor.ExtractJSON(ctx, llm.Request{Content: r.Content, Prompt: r.Prompt, Schema: r.Schema, Model: r.Model, Authorization: r.Authorization})
}
