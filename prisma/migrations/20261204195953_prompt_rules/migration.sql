-- CreateTable
CREATE TABLE "PromptRule" (
    "id" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "feature" TEXT NOT NULL,
    "promptHash" TEXT NOT NULL,
    "replacement" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "auditShare" DOUBLE PRECISION NOT NULL DEFAULT 0.02,
    "findingId" TEXT,
    "createdById" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "PromptRule_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "PromptRule_findingId_idx" ON "PromptRule"("findingId");

-- CreateIndex
CREATE UNIQUE INDEX "PromptRule_projectId_feature_promptHash_key" ON "PromptRule"("projectId", "feature", "promptHash");

-- AddForeignKey
ALTER TABLE "PromptRule" ADD CONSTRAINT "PromptRule_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PromptRule" ADD CONSTRAINT "PromptRule_findingId_fkey" FOREIGN KEY ("findingId") REFERENCES "Finding"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PromptRule" ADD CONSTRAINT "PromptRule_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

