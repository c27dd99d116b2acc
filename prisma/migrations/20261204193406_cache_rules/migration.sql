-- CreateTable
CREATE TABLE "CacheRule" (
    "id" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "feature" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "ttlSeconds" INTEGER NOT NULL DEFAULT 86400,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "auditShare" DOUBLE PRECISION NOT NULL DEFAULT 0.02,
    "findingId" TEXT,
    "createdById" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "CacheRule_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "CacheRule_findingId_idx" ON "CacheRule"("findingId");

-- CreateIndex
CREATE UNIQUE INDEX "CacheRule_projectId_feature_model_key" ON "CacheRule"("projectId", "feature", "model");

-- AddForeignKey
ALTER TABLE "CacheRule" ADD CONSTRAINT "CacheRule_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CacheRule" ADD CONSTRAINT "CacheRule_findingId_fkey" FOREIGN KEY ("findingId") REFERENCES "Finding"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CacheRule" ADD CONSTRAINT "CacheRule_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

