// Next.js configuration. ESM (package.json has "type": "module").

const isDev = process.env.NODE_ENV === "development";

// Next.js app router streams its payload through inline <script> tags, so a static policy needs
// 'unsafe-inline' for scripts (a nonce would force every page to render dynamically through a proxy).
// Everything else is locked to this origin; frame-ancestors 'none' forbids embedding (clickjacking).
// No upgrade-insecure-requests: self-hosted installs are often plain http on a LAN.
const contentSecurityPolicy = [
  "default-src 'self'",
  `script-src 'self' 'unsafe-inline'${isDev ? " 'unsafe-eval'" : ""}`,
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const securityHeaders = [
  { key: "Content-Security-Policy", value: contentSecurityPolicy },
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
  { key: "X-Frame-Options", value: "DENY" },
  { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=()" },
];

/** @type {import('next').NextConfig} */
const nextConfig = {
  // Server-only packages with native code, WASM or dynamic requires: load them from node_modules at
  // run time instead of bundling them.
  serverExternalPackages: [
    "pg",
    "@prisma/client",
    "@prisma/adapter-pg",
    "@electric-sql/pglite",
    "@electric-sql/pglite-socket",
    "bullmq",
    "ioredis",
    "undici",
    "gpt-tokenizer",
    "nodemailer",
  ],
  poweredByHeader: false,
  reactStrictMode: true,
  // Type errors are caught by `npm run typecheck` (tsc over the whole repo, run in CI). Skipping the
  // check here keeps `npm start` on a fresh machine from failing or doubling its build time on 2 cores.
  typescript: { ignoreBuildErrors: true },
  // Never write AGENTS.md / agent instruction files into the repository.
  agentRules: false,
  experimental: {
    agentUpgrade: false,
    agentFeedback: false,
    // forbidden() in next/navigation: pages answer 403 when a member's role is too low.
    authInterrupts: true,
  },
  async headers() {
    return [{ source: "/:path*", headers: securityHeaders }];
  },
};

export default nextConfig;
