-- The final evaluation of a run was "the first one created"; it is now a column.
ALTER TABLE "Evaluation" ADD COLUMN "isFinal" BOOLEAN NOT NULL DEFAULT false;

UPDATE "Evaluation" SET "isFinal" = true
WHERE "id" IN (
  SELECT e."id" FROM "Evaluation" e
  WHERE e."createdAt" = (SELECT MIN(f."createdAt") FROM "Evaluation" f WHERE f."runId" = e."runId")
);
