// Only same-site paths may be used as a post-sign-in destination (no open redirects to other hosts).
export function safeLocalPath(value: unknown, fallback = "/"): string {
  if (typeof value !== "string" || !value.startsWith("/") || value.startsWith("//") || value.includes("\\")) return fallback;
  if (value.startsWith("/api/auth")) return fallback;
  return value;
}
