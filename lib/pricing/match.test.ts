import { afterEach, describe, expect, it } from "vitest";
import { azureDeployments, matchModel, modelCandidates, reloadAzureDeploymentsFromEnv, undatedAlias } from "./match";
import { SNAPSHOT } from "./table";

const key = (model: string, opts: Parameters<typeof matchModel>[1] = {}) => matchModel(model, opts)?.key ?? null;

describe("matchModel", () => {
  it("matches exact keys, case-insensitively", () => {
    expect(key("gpt-4o")).toBe("gpt-4o");
    expect(key("GPT-4o-Mini")).toBe("gpt-4o-mini");
    expect(key("  claude-haiku-4-5  ")).toBe("claude-haiku-4-5");
  });

  it("prefers a present dated snapshot, else falls back to the undated model", () => {
    expect(key("gpt-4o-2024-05-13")).toBe("gpt-4o-2024-05-13"); // its own (higher) price
    expect(key("gpt-4o-2024-08-06")).toBe("gpt-4o-2024-08-06");
    expect(key("gpt-4o-2099-01-01")).toBe("gpt-4o");
    expect(key("gpt-5-2025-08-07")).toBe("gpt-5");
    expect(key("claude-3-5-sonnet-20241022")).toBe("claude-3-5-sonnet-20241022");
    expect(key("claude-opus-4-5-20991231")).toBe("claude-opus-4-5");
    expect(matchModel("gpt-4o-2099-01-01")?.via).toBe("snapshot");
  });

  it("resolves -latest and undated aliases", () => {
    expect(key("claude-3-5-sonnet-latest")).toBe("claude-3-5-sonnet-latest");
    expect(key("claude-sonnet-4")).toBe("claude-sonnet-4-20250514");
    expect(key("claude-opus-4-0")).toBe("claude-opus-4-20250514");
    expect(key("mistral-large-latest", { provider: "mistral" })).toBe("mistral/mistral-large-latest");
    expect(key("gemini-flash-latest", { provider: "google" })).toBe("gemini/gemini-flash-latest");
  });

  it("strips provider prefixes and prefers provider-specific keys", () => {
    expect(key("openai/gpt-4.1-mini")).toBe("gpt-4.1-mini");
    expect(key("anthropic/claude-sonnet-4-5")).toBe("claude-sonnet-4-5");
    expect(key("azure/gpt-4o")).toBe("gpt-4o");
    expect(key("gemini/gemini-2.5-pro")).toBe("gemini/gemini-2.5-pro");
    expect(key("vertex_ai/gemini-2.5-flash")).toBe("gemini-2.5-flash");
    expect(key("vertex_ai/gemini-3-pro-preview")).toBe("vertex_ai/gemini-3-pro-preview");
    expect(key("models/gemini-2.0-flash-001")).toBe("gemini-2.0-flash-001");
    expect(key("projects/p/locations/us-central1/publishers/google/models/gemini-2.0-flash-001")).toBe("gemini-2.0-flash-001");
    // provider "google" reaches the AI Studio entry, no provider the Vertex one
    expect(key("gemini-2.5-pro", { provider: "google" })).toBe("gemini/gemini-2.5-pro");
    expect(key("gemini-2.5-pro")).toBe("gemini-2.5-pro");
  });

  it("matches Bedrock and Vertex Anthropic ids", () => {
    expect(key("us.anthropic.claude-3-5-haiku-20241022-v1:0")).toBe("bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0");
    expect(key("anthropic.claude-sonnet-4-5-20250929-v1:0")).toBe("claude-sonnet-4-5-20250929");
    expect(key("global.anthropic.claude-sonnet-4-5-20250929-v1:0")).toBe("global.anthropic.claude-sonnet-4-5-20250929-v1:0");
    expect(key("claude-3-5-sonnet-v2@20241022")).toBe("claude-3-5-sonnet-20241022");
    expect(key("claude-sonnet-4@20250514")).toBe("claude-sonnet-4-20250514");
  });

  it("prices fine-tunes at the fine-tune price when the table has one, else at the base model's", () => {
    expect(key("ft:gpt-4o-mini-2024-07-18:acme:support:9xYz")).toBe("ft:gpt-4o-mini-2024-07-18");
    expect(key("ft:gpt-4o-mini:acme::9xYz")).toBe("ft:gpt-4o-mini-2024-07-18");
    expect(key("ft:gpt-3.5-turbo-0125:acme::1")).toBe("ft:gpt-3.5-turbo");
    expect(matchModel("ft:gpt-4o-mini:acme::9xYz")?.via).toBe("fine-tune");
    // No ft: entry for gpt-5-mini: base price.
    expect(key("ft:gpt-5-mini:acme::1")).toBe("gpt-5-mini");
    expect(matchModel("ft:gpt-5-mini:acme::1")?.via).toBe("fine-tune-base");
  });

  it("undatedAlias cuts only a date or -latest suffix", () => {
    expect(undatedAlias("gpt-4o-2024-08-06")).toBe("gpt-4o");
    expect(undatedAlias("claude-3-5-haiku-20241022")).toBe("claude-3-5-haiku");
    expect(undatedAlias("claude-3-5-haiku-latest")).toBe("claude-3-5-haiku");
    expect(undatedAlias("openai/gpt-4o-2024-08-06")).toBe("openai/gpt-4o");
    expect(undatedAlias("gpt-4o-mini-2024-07-18")).toBe("gpt-4o-mini");
    expect(undatedAlias("gpt-4o")).toBeNull();
    expect(undatedAlias("gpt-4-0613")).toBeNull();
    expect(undatedAlias("gpt-4o-2024-08")).toBeNull();
  });

  it("maps Azure deployment names through the argument and the environment", () => {
    expect(key("prod-chat")).toBeNull();
    expect(key("prod-chat", { azureDeployments: { "prod-chat": "gpt-4o-mini" } })).toBe("gpt-4o-mini");
    expect(key("azure/prod-chat", { azureDeployments: { "prod-chat": "gpt-4.1" } })).toBe("gpt-4.1");
    expect(matchModel("prod-chat", { azureDeployments: { "prod-chat": "gpt-4o-mini" } })?.via).toBe("azure-deployment");
    // A deployment named like a model but running another one is priced as what it runs.
    expect(key("gpt-4o", { azureDeployments: { "gpt-4o": "gpt-4o-mini" } })).toBe("gpt-4o-mini");
  });

  describe("SPENDLENS_AZURE_DEPLOYMENTS", () => {
    const saved = process.env.SPENDLENS_AZURE_DEPLOYMENTS;
    afterEach(() => {
      if (saved === undefined) delete process.env.SPENDLENS_AZURE_DEPLOYMENTS;
      else process.env.SPENDLENS_AZURE_DEPLOYMENTS = saved;
      reloadAzureDeploymentsFromEnv();
    });

    it("reads the mapping from the environment; the argument wins", () => {
      process.env.SPENDLENS_AZURE_DEPLOYMENTS = JSON.stringify({ "team-a-4o": "gpt-4o", shared: "gpt-4.1-nano" });
      reloadAzureDeploymentsFromEnv();
      expect(key("team-a-4o")).toBe("gpt-4o");
      expect(key("shared")).toBe("gpt-4.1-nano");
      expect(key("shared", { azureDeployments: { shared: "o3-mini" } })).toBe("o3-mini");
      expect(azureDeployments({ extra: "gpt-5" })).toEqual({ "team-a-4o": "gpt-4o", shared: "gpt-4.1-nano", extra: "gpt-5" });
    });

    it("names the variable when it is not valid JSON", () => {
      process.env.SPENDLENS_AZURE_DEPLOYMENTS = "{not json";
      reloadAzureDeploymentsFromEnv();
      expect(() => matchModel("whatever")).toThrow(/SPENDLENS_AZURE_DEPLOYMENTS/);
      process.env.SPENDLENS_AZURE_DEPLOYMENTS = JSON.stringify({ a: 1 });
      reloadAzureDeploymentsFromEnv();
      expect(() => matchModel("whatever-else")).toThrow(/SPENDLENS_AZURE_DEPLOYMENTS/);
    });
  });

  it("returns null for unknown models", () => {
    for (const m of ["", "   ", "llama-99-ultra", "gpt-unknown", "ft:unknown-base:x::y", "claude-9-opus", "my-local-model"]) expect(key(m)).toBeNull();
  });

  it("matches against a given table", () => {
    const table = { "my/model": { input_cost_per_token: 1e-6, output_cost_per_token: 2e-6, litellm_provider: "custom", mode: "chat" } };
    expect(matchModel("my/model", { table })?.entry.input_cost_per_token).toBe(1e-6);
    expect(matchModel("gpt-4o", { table })).toBeNull();
  });

  it("every snapshot key matches itself", () => {
    for (const k of Object.keys(SNAPSHOT)) expect(key(k)).toBe(k);
  });

  it("tries the exact name before any fallback", () => {
    const names = modelCandidates("gpt-4o-2024-08-06").map((c) => c.name);
    expect(names[0]).toBe("gpt-4o-2024-08-06");
    expect(names.indexOf("gpt-4o")).toBeGreaterThan(0);
  });
});
