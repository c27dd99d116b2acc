#!/usr/bin/env bash
# npm test: unit + integration tests (vitest, real Postgres and Redis when they answer, else the
# embedded default), the schema/migration drift check, then the Playwright end-to-end suite.
set -euo pipefail
cd "$(dirname "$0")/.."

npx prisma generate >/dev/null

if node -e "const c=new (require('pg').Client)({connectionString:process.env.TEST_ADMIN_DATABASE_URL||'postgresql://postgres@127.0.0.1:5432/postgres',connectionTimeoutMillis:2000});c.connect().then(()=>c.end()).then(()=>process.exit(0),()=>process.exit(1))"; then
  echo "== schema drift check (prisma/schema.prisma vs prisma/migrations)"
  npx tsx scripts/db/check.ts
else
  echo "== no Postgres server answers: skipping the drift check (it needs two scratch databases); tests use the embedded database"
fi

echo "== typecheck"
npx tsc --noEmit -p tsconfig.json

echo "== unit and integration tests (vitest)"
npx vitest run

if [ -d e2e ] && ls e2e/*.spec.ts >/dev/null 2>&1; then
  echo "== end-to-end tests (Playwright, Debian chromium)"
  if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
    echo "chromium not found at ${CHROMIUM_PATH:-/usr/bin/chromium}: install it (apt-get install -y chromium) to run the e2e suite" >&2
    exit 1
  fi
  npx playwright test
fi
