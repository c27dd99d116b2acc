"use client";
// Empty-state guide on the overview: three ways to send the first call, with this server's URLs and
// the project's key prefix filled in.
import { useState } from "react";
import { CopyButton } from "./copy-button";

type Tab = "proxy" | "sdk" | "curl";

export function FirstCallGuide(props: { appUrl: string; proxyUrl: string; keyPlaceholder: string }) {
  const [tab, setTab] = useState<Tab>("proxy");
  const key = props.keyPlaceholder;
  const snippets: Record<Tab, { title: string; note: string; code: string }> = {
    proxy: {
      title: "Proxy: change the base URL",
      note: "Keep your provider key. Spendlens forwards each request and logs it; tags go in x-spendlens-* headers.",
      code: `import OpenAI from "openai";

const openai = new OpenAI({
  baseURL: "${props.proxyUrl}",
  defaultHeaders: { "x-spendlens-key": process.env.SPENDLENS_API_KEY }, // ${key}
});

await openai.chat.completions.create({
  model: "gpt-4o-mini",
  messages: [{ role: "user", content: "Hello" }],
});`,
    },
    sdk: {
      title: "SDK: wrap your client",
      note: "Calls go straight to the provider; events are sent to Spendlens in the background and never slow the call.",
      code: `import OpenAI from "openai";
import { observeOpenAI } from "@spendlens/sdk";

const openai = observeOpenAI(new OpenAI(), {
  apiKey: process.env.SPENDLENS_API_KEY, // ${key}
  baseUrl: "${props.appUrl}",
});`,
    },
    curl: {
      title: "HTTP: post an event",
      note: "Any language: POST a batch of events to the ingest API with the key as a bearer token.",
      code: `curl -X POST ${props.appUrl}/api/v1/ingest \\
  -H "Authorization: Bearer $SPENDLENS_API_KEY" \\
  -H "Content-Type: application/json" \\
  -d '{"events":[{
    "id": "first-call-1",
    "timestamp": "2026-01-01T12:00:00Z",
    "provider": "openai",
    "endpoint": "/v1/chat/completions",
    "request": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello"}]},
    "response": {"model": "gpt-4o-mini", "choices": [{"message": {"role": "assistant", "content": "Hi!"}, "finish_reason": "stop"}],
                 "usage": {"prompt_tokens": 8, "completion_tokens": 3}},
    "latency_ms": 420
  }]}'`,
    },
  };
  const current = snippets[tab];
  return (
    <div className="stack">
      <div className="tabs" role="tablist" aria-label="How to send calls">
        {(Object.keys(snippets) as Tab[]).map((t) => (
          <button key={t} type="button" role="tab" className="tab" aria-selected={tab === t} onClick={() => setTab(t)}>
            {snippets[t].title.split(":")[0]}
          </button>
        ))}
      </div>
      <div>
        <h3>{current.title}</h3>
        <p className="muted small">{current.note}</p>
      </div>
      <pre data-testid={`snippet-${tab}`}>{current.code}</pre>
      <div className="row">
        <CopyButton text={current.code} label="Copy snippet" />
      </div>
    </div>
  );
}
