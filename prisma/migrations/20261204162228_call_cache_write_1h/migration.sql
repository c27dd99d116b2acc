-- AlterTable
ALTER TABLE "Call" ADD COLUMN     "cacheWrite1hTokens" INTEGER NOT NULL DEFAULT 0;

